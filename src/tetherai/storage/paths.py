"""Safe relative paths and directory walks for artifacts (DESIGN.md §6).

A directory-valued artifact (a model folder) is recorded as '/'-separated paths relative to its
root. Those paths come back from manifests written by others, so every one is checked before it
touches the file system: no absolute paths, no ``..``, nothing that resolves outside the root.
Walks list regular files sorted by relative path (Python string order, which is also the order
of their UTF-8 bytes), refuse symlinks unless asked to follow them, and skip ignore patterns.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tetherai.storage.errors import (
    BadInput,
    ObjectNotFound,
    PathEscapesRoot,
    StorageError,
    Unreadable,
)

__all__ = [
    "WalkedFile",
    "check_relative_path",
    "resolve_inside",
    "translate_os_error",
    "walk_files",
]

MAX_PATH_CHARS = 1000
"""Longest relative path accepted in a manifest (the model_version contract's limit)."""


@dataclass(frozen=True)
class WalkedFile:
    """A regular file found under a root: its relative path, location and size at walk time."""

    path: str
    location: Path
    size: int


def check_relative_path(path: str, *, what: str = "path") -> str:
    """Return ``path`` if it is a clean relative POSIX path, else raise.

    Clean means: 1 to 1000 characters, '/'-separated, not absolute, no empty, ``.`` or ``..``
    component, no backslash and no control character.

    Raises:
        PathEscapesRoot: the path is absolute or holds ``..`` (it could leave its root).
        BadInput: the path is empty, too long, or otherwise not clean.
    """
    if not isinstance(path, str) or not path:
        raise BadInput(f"{what} must be a non-empty relative path, not {path!r}")
    if len(path) > MAX_PATH_CHARS:
        raise BadInput(f"{what} is longer than {MAX_PATH_CHARS} characters: {path[:60]!r}…")
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise PathEscapesRoot(f"{what} must be relative, not absolute: {path!r}")
    parts = path.split("/")
    if ".." in parts:
        raise PathEscapesRoot(f"{what} must stay inside its root, without '..': {path!r}")
    if any(part in ("", ".") for part in parts):
        raise BadInput(f"{what} has an empty or '.' component: {path!r}")
    # A backslash is a separator on Windows: a path with one may mean something else there.
    if "\\" in path or any(ord(char) < 32 or ord(char) == 127 for char in path):
        raise BadInput(f"{what} holds a backslash or a control character: {path!r}")
    return path


def resolve_inside(root: Path, relative: str, *, what: str = "path") -> Path:
    """Join ``relative`` to ``root`` and make sure the result, symlinks resolved, stays inside.

    Raises:
        PathEscapesRoot: ``relative`` is not clean, or a symlink along it leads out of ``root``.
        BadInput: ``relative`` is not a clean relative path.
    """
    check_relative_path(relative, what=what)
    real_root = root.resolve()
    target = (root / relative).resolve()
    if target != real_root and real_root not in target.parents:
        raise PathEscapesRoot(f"{what} {relative!r} resolves outside {root} (to {target})")
    return root / relative


def translate_os_error(error: OSError, what: str) -> StorageError:
    """Turn an ``OSError`` met while reading ``what`` into the storage error that explains it."""
    if isinstance(error, FileNotFoundError):
        return ObjectNotFound(f"{what} does not exist")
    if isinstance(error, PermissionError):
        return Unreadable(f"{what} cannot be read: permission denied")
    if isinstance(error, IsADirectoryError):
        return BadInput(f"{what} is a directory, not a file")
    if isinstance(error, NotADirectoryError):
        return ObjectNotFound(f"{what} does not exist (a parent is not a directory)")
    if error.errno == errno.ELOOP:
        return BadInput(f"{what} is a symlink loop")
    return Unreadable(f"{what} cannot be read: {error.strerror or error}")


def _ignored(relative: str, name: str, patterns: tuple[str, ...]) -> bool:
    # A pattern without '/' matches a name at any depth (like '*.tmp' or '.git' in .gitignore);
    # one with '/' matches the whole path from the root ('logs/*.txt').
    for pattern in patterns:
        if "/" in pattern.rstrip("/"):
            if fnmatch.fnmatchcase(relative, pattern.rstrip("/")):
                return True
        elif fnmatch.fnmatchcase(name, pattern.rstrip("/")):
            return True
    return False


def walk_files(
    root: str | os.PathLike[str],
    *,
    follow_symlinks: bool = False,
    ignore: Iterable[str] = (),
) -> list[WalkedFile]:
    """List the regular files under ``root``, sorted by relative path.

    Args:
        root: the directory to walk.
        follow_symlinks: hash what symlinks point to (cycles are refused); by default a
            symlink is an error, because its target could change or lie outside the root.
        ignore: glob patterns to skip: without '/', matched against each file or directory
            name (``*.tmp``, ``.git``); with '/', against the path from the root
            (``logs/*.txt``). A skipped directory skips everything under it.

    Returns:
        The files, each with its '/'-separated relative path, location and size.

    Raises:
        ObjectNotFound: ``root`` does not exist.
        BadInput: ``root`` is not a directory, or holds a symlink (not followed), a symlink
            cycle, or a special file (FIFO, socket, device).
        Unreadable: a directory cannot be listed.
    """
    base = Path(root)
    patterns = tuple(ignore)
    try:
        info = base.stat()
    except OSError as error:
        raise translate_os_error(error, f"directory {base}") from error
    if not stat.S_ISDIR(info.st_mode):
        raise BadInput(f"{base} is not a directory")
    found: list[WalkedFile] = []
    # (device, inode) of the directories on the current path, to refuse symlink cycles.
    _walk(base, "", follow_symlinks, patterns, found, {(info.st_dev, info.st_ino)})
    found.sort(key=lambda item: item.path)
    return found


def _walk(
    directory: Path,
    prefix: str,
    follow: bool,
    patterns: tuple[str, ...],
    found: list[WalkedFile],
    ancestors: set[tuple[int, int]],
) -> None:
    try:
        entries = list(os.scandir(directory))
    except OSError as error:
        raise translate_os_error(error, f"directory {directory}") from error
    for entry in entries:
        relative = f"{prefix}{entry.name}"
        if _ignored(relative, entry.name, patterns):
            continue
        try:
            if entry.is_symlink() and not follow:
                raise BadInput(
                    f"{relative!r} in {directory} is a symlink; symlinks are refused",
                    hint="Replace the symlink by the file, or pass follow_symlinks=True.",
                )
            info = entry.stat(follow_symlinks=True)
        except OSError as error:
            raise translate_os_error(error, f"{relative!r} in {directory}") from error
        if stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if key in ancestors:
                raise BadInput(f"{relative!r} in {directory} is a symlink cycle")
            _walk(Path(entry.path), f"{relative}/", follow, patterns, found, ancestors | {key})
        elif stat.S_ISREG(info.st_mode):
            check_relative_path(relative, what="a file path")
            found.append(WalkedFile(relative, Path(entry.path), info.st_size))
        else:
            raise BadInput(f"{relative!r} in {directory} is not a regular file (FIFO, socket?)")
