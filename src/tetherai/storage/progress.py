"""Progress bars for hashing and transfers that take more than a second (DESIGN.md §6).

Hashing functions take a plain ``progress(bytes)`` callback, so the storage layer draws
nothing by itself. :class:`ByteProgress` is such a callback that shows a ``rich`` bar on the
terminal, but only once the work has gone on for a second (quick work stays silent).
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

__all__ = ["ByteProgress"]


class ByteProgress:
    """A thread-safe ``progress(bytes)`` callback drawing a bar after ``delay`` seconds.

    Use it as a context manager around the work::

        with ByteProgress("hashing model/", total=size) as progress:
            hash_tree(path, progress=progress)
    """

    def __init__(
        self,
        description: str,
        *,
        total: int | None = None,
        delay: float = 1.0,
        console: Console | None = None,
    ) -> None:
        """Describe the work; ``total`` bytes if known; draw on ``console`` (stderr by default)."""
        self._description = description
        self._total = total
        self._delay = delay
        self._console = console or Console(stderr=True)
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._done = 0
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, count: int) -> None:
        """Add ``count`` bytes; start drawing once ``delay`` seconds have passed."""
        with self._lock:
            self._done += count
            if self._bar is None:
                if time.monotonic() - self._started < self._delay:
                    return
                self._bar = Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    DownloadColumn(),
                    TransferSpeedColumn(),
                    TimeRemainingColumn(),
                    console=self._console,
                    transient=True,
                )
                self._bar.start()
                self._task = self._bar.add_task(self._description, total=self._total)
            assert self._task is not None
            self._bar.update(self._task, completed=self._done)

    @property
    def shown(self) -> bool:
        """Whether the bar was drawn."""
        return self._bar is not None

    @property
    def completed(self) -> int:
        """Bytes counted so far."""
        return self._done

    def __enter__(self) -> ByteProgress:
        """Start timing."""
        self._started = time.monotonic()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Remove the bar, if one was drawn."""
        with self._lock:
            if self._bar is not None:
                self._bar.stop()
