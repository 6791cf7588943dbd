"""Keep the projections current while the server runs: catch up after every new block."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from tetherai.services.projections import Projector

__all__ = ["ProjectionFollower"]

log = logging.getLogger(__name__)


class ProjectionFollower:
    """A thread that applies new blocks to the projections soon after they are committed.

    ``height`` tells the ledger's current height; the follower polls it (cheap: an integer in
    memory) and catches up when it grew. A failure is logged and retried at the next poll;
    the tables can always be rebuilt from the ledger.
    """

    def __init__(
        self, projector: Projector, height: Callable[[], int], *, interval: float = 0.2
    ) -> None:
        self._projector = projector
        self._height = height
        self._interval = interval
        self._stop = threading.Event()
        self._seen = -1
        self._thread = threading.Thread(target=self._run, name="tether-projections", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            height = self._height()
            if height != self._seen:
                try:
                    self._projector.catch_up()
                    self._seen = height
                except Exception:  # a TetherError or a bug: logged, retried, never a silent stop
                    log.exception("could not bring the projections up to block %s", height - 1)
            self._stop.wait(self._interval)
