"""Hashing a range of a file through memory maps (DESIGN.md §6), shared by hashing and export."""

from __future__ import annotations

import hashlib
import mmap
import os
import stat
from pathlib import Path
from typing import BinaryIO

from tetherai.storage.base import ProgressCallback
from tetherai.storage.errors import BadInput, Unreadable
from tetherai.storage.paths import translate_os_error

# Bytes mapped at a time: bounded address space for any file size, few map/unmap calls.
_WINDOW = 64 * 1024 * 1024


def open_file(path: Path) -> BinaryIO:
    """Open a regular file for reading as a stream (errors translated; FIFOs, devices refused)."""
    fd, _ = open_regular(path)
    return os.fdopen(fd, "rb")


def open_regular(path: Path) -> tuple[int, int]:
    """Open ``path`` read-only; return the descriptor and the size. Refuses non-regular files."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise translate_os_error(error, f"file {path}") from error
    try:
        info = os.fstat(fd)
    except OSError as error:  # pragma: no cover - fstat on an open descriptor
        os.close(fd)
        raise translate_os_error(error, f"file {path}") from error
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise BadInput(f"{path} is not a regular file")
    return fd, info.st_size


def hash_range(fd: int, path: Path, start: int, end: int, progress: ProgressCallback | None) -> str:
    """SHA-256 of bytes ``[start, end)`` of an open file, mapped window by window.

    A map reads straight from the page cache with no copy, which is what brings one file to
    the speed of ``openssl speed``; MAP_POPULATE maps each window in one call instead of a
    page fault per 4 KiB. The price: a file truncated by another process while it is hashed
    kills this process with SIGBUS; the size is re-checked before each window to narrow that.
    """
    hasher = hashlib.sha256()
    flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
    offset = start
    while offset < end:
        length = min(_WINDOW, end - offset)
        # A map starts on a page boundary: map from the boundary below, hash from ``offset``.
        skip = offset % mmap.ALLOCATIONGRANULARITY
        try:
            if os.fstat(fd).st_size < end:
                raise Unreadable(f"file {path} shrank while it was being hashed")
            window = mmap.mmap(
                fd, length + skip, flags=flags, prot=mmap.PROT_READ, offset=offset - skip
            )
        except OSError as error:
            raise translate_os_error(error, f"file {path}") from error
        with window, memoryview(window) as view, view[skip:] as part:
            hasher.update(part)
        offset += length
        if progress is not None:
            progress(length)
    return hasher.hexdigest()
