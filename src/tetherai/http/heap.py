"""The garbage collector of a server process: out of the way of what startup built.

CPython's cyclic collector walks every container object of a generation it collects. A server
holds hundreds of thousands of them that live as long as the process (modules, the app and
its routes, templates, the ledger's caches), and walked them again at every full collection:
in the load benchmark the collector took ~0.7 ms of CPU per request and paused the event loop
for up to ~270 ms at a time. :func:`settle_heap`, called once startup is done, moves what
exists into the permanent generation (``gc.freeze``: still freed by reference counting, never
walked again) and lets the young generation grow larger between collections, since a
request's garbage is mostly freed by reference counting anyway.

Only a process that is the server calls it (``tether serve``, a cluster peer's API): in a
test process that builds many apps, frozen objects of one test would never be collected.
"""

from __future__ import annotations

import gc

__all__ = ["YOUNG_THRESHOLD", "settle_heap"]

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
