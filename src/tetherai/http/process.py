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
several cores, each hand-over wakes a thread on another core with cold caches: on the 2-core
test machine, the load benchmark's server used ~30 % less CPU per request, and the ledger
benchmark ~30 % less per committed tx, with all their threads on one core. Requests per second
came out about even on an otherwise idle machine (one core against two less efficient ones)
and higher on one core when other work held the second. What runs outside the lock (hashing,
signature checks in libsodium, SQLite's disk waits) loses its second core, so this is a
setting (``TETHER_CPUS``, ``tether serve --cpus``), off by default, for a machine shared with
other work or running one server process per core.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Collection

from tetherai.services.settings import SettingsError

__all__ = ["YOUNG_THRESHOLD", "run_on_cpus", "settle_heap"]

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


def run_on_cpus(cpus: Collection[int]) -> None:
    """Run this thread, and every thread it starts from now on, on ``cpus`` only (none: leave
    the process as it is). Call before the server starts its threads.

    Raises:
        SettingsError: a CPU this process may not run on (absent, or outside its cgroup).
    """
    if not cpus:
        return
    allowed = os.sched_getaffinity(0)
    missing = sorted(set(cpus) - allowed)
    if missing:
        raise SettingsError(
            f"TETHER_CPUS names CPU {', '.join(map(str, missing))}, which this process may not "
            f"run on (it may use {_ranges(sorted(allowed))})",
            hint="list CPUs of this machine, e.g. TETHER_CPUS=0 or 0,2 or 0-3",
        )
    os.sched_setaffinity(0, set(cpus))


def _ranges(cpus: list[int]) -> str:
    parts: list[str] = []
    for cpu in cpus:
        if parts and parts[-1].rpartition("-")[2] == str(cpu - 1):
            parts[-1] = f"{parts[-1].partition('-')[0]}-{cpu}"
        else:
            parts.append(str(cpu))
    return ",".join(parts)
