"""How a server process runs: its garbage collector, and the CPUs its threads run on.

**The heap.** CPython's cyclic collector walks every container object of a generation it
collects. A server holds hundreds of thousands of them that live as long as the process
(modules, the app and its routes, templates, the ledger's caches), and walked them again at
every full collection: in the load benchmark the collector took ~0.7 ms of CPU per request and
paused the event loop for up to ~270 ms at a time. :func:`settle_heap`, called once startup is
done, moves what exists into the permanent generation (``gc.freeze``: still freed by reference
counting, never walked again) and lets the young generation grow larger between collections,
since a request's garbage is mostly freed by reference counting anyway. Only a process that is
the server calls it (``tether serve``, a cluster peer's API): in a test process that builds
many apps, frozen objects of one test would never be collected.

**The CPUs.** The server's threads (the event loop, the worker threads of sync routes, the
orderer, the projection follower) take turns holding CPython's one interpreter lock. On
several cores each hand-over wakes a thread on another core: a thread that lets the lock go
for a moment (a SQLite step, a socket write) finds it taken by a thread on the other core and
waits for it, and the kernel spends the difference in futex calls and wake-ups. On the 2-core
test machine the load benchmark's server spent ~40 % of its CPU in the kernel on both cores;
with all its threads on one core it served ~1.8 times the requests per second at less than
half the CPU per request (487 against 276 req/s, 2.1 against 4.8 ms, 3 runs of 60 s each).
So by default (``TETHER_CPUS`` unset or ``auto``) a server process runs its threads on one
CPU: the one it runs on when it starts, where Linux placed the new program as the least
loaded, so that several servers started on one machine spread out. ``all`` leaves the
process on every CPU; a list (``0``, ``0,2``, ``0-3``) pins it there, e.g. one server process
per core.

What runs outside the lock and in bulk goes elsewhere: the signature-checking processes of a
full ledger check (``tetherai.crypto.verify_workers``) run on every CPU the process had before
``auto`` narrowed it. Smaller work outside the lock (hashing an upload, SQLite's disk waits)
shares the one core.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Collection

from tetherai.crypto import run_workers_on
from tetherai.services.settings import CpuChoice, SettingsError

__all__ = ["YOUNG_THRESHOLD", "cpu_ranges", "run_on_cpus", "settle_heap"]

YOUNG_THRESHOLD = 20_000
"""Allocations (net of frees) between two collections of the youngest generation; CPython's
default is 700. The older generations keep their defaults (every 10 collections of the one
below)."""


def settle_heap() -> None:
    """Freeze every object alive now out of the collector's way, and collect the young
    generation less often. Call once startup is done, and again after building anything else
    that lives as long as the process."""
    gc.collect()  # what startup left as garbage is freed, not frozen
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def run_on_cpus(cpus: CpuChoice) -> frozenset[int] | None:
    """Run this thread, and every thread it starts from now on, on ``cpus``: ``auto``, one CPU
    (the one this process runs on now, if it may use several, and where the system lets a
    process choose); ``all`` or an empty list, leave the process as it is. Call before the
    server starts its threads. Returns the CPUs it narrowed the threads to (``None``: left as
    they were).

    Raises:
        SettingsError: CPUs named that this process may not run on (absent, or outside its
            cgroup), or a system that does not let a process choose its CPUs.
    """
    if cpus == "all" or not cpus:
        return None
    if cpus == "auto":
        try:  # the default: where the system does not allow it, nothing changes
            allowed = os.sched_getaffinity(0)
            if len(allowed) < 2:
                return None
            here = _running_on()
            chosen = frozenset({here if here in allowed else min(allowed)})
            os.sched_setaffinity(0, chosen)
        except (AttributeError, OSError):  # not Linux, or a sandbox that forbids it
            return None
        run_workers_on(allowed)  # checks in bulk need no lock: they keep every CPU
        return chosen
    try:
        allowed = os.sched_getaffinity(0)
    except (AttributeError, OSError) as error:
        raise SettingsError(
            f"TETHER_CPUS names CPUs, but this system does not let a process choose its CPUs "
            f"({getattr(error, 'strerror', None) or 'no sched_setaffinity'})",
            hint="leave TETHER_CPUS unset (or auto)",
        ) from None
    missing = sorted(set(cpus) - allowed)
    if missing:
        raise SettingsError(
            f"TETHER_CPUS names CPU {', '.join(map(str, missing))}, which this process may not "
            f"run on (it may use {cpu_ranges(allowed)})",
            hint="auto, all, or CPUs of this machine, e.g. TETHER_CPUS=0 or 0,2 or 0-3",
        )
    try:
        os.sched_setaffinity(0, set(cpus))
    except OSError as error:
        raise SettingsError(
            f"could not run on CPU {cpu_ranges(cpus)}: {error.strerror}",
            hint="leave TETHER_CPUS unset (or auto)",
        ) from None
    return frozenset(cpus)


def _running_on() -> int:
    """The CPU this thread ran on last (the 39th field of its ``stat`` in /proc); -1 if
    unknown."""
    try:
        with open("/proc/thread-self/stat", "rb") as stat:
            fields = stat.read().rpartition(b")")[2].split()
        return int(fields[36])  # the fields after the command's name start at the 3rd
    except (OSError, IndexError, ValueError):
        return -1


def cpu_ranges(cpus: Collection[int]) -> str:
    """CPUs as ``taskset -c`` lists them: ``0-3,6``."""
    parts: list[str] = []
    for cpu in sorted(cpus):
        if parts and parts[-1].rpartition("-")[2] == str(cpu - 1):
            parts[-1] = f"{parts[-1].partition('-')[0]}-{cpu}"
        else:
            parts.append(str(cpu))
    return ",".join(parts)
