"""Building a model version's artifact manifest from local paths or URIs (DESIGN.md §5, §6).

Each :class:`ArtifactSpec` says what kind of artifact, its name, and where it is:

- a local file or directory: uploaded to the object store if one is given (hashed while it
  streams; a directory as its files plus a tree object), or else registered in place as a
  ``file://`` URI after hashing;
- an object URI (``s3://bucket/key``, ``tether-obj:sha256/…``, ``file:///…``): streamed and
  hashed where it is; a URI ending in ``/`` is a directory prefix.

:func:`build_manifest` checks every spec before it reads a byte (kinds, names, duplicates)
and returns the entries only when all of them succeeded, so a failure registers nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tetherai.storage.base import ObjectReader, ObjectStore, ProgressCallback
from tetherai.storage.errors import BadInput, ManifestError
from tetherai.storage.hashing import hash_file, hash_object, hash_prefix, hash_tree
from tetherai.storage.manifest import ArtifactEntry
from tetherai.storage.paths import translate_os_error
from tetherai.storage.transfer import put_directory, put_file
from tetherai.storage.uri import file_uri, is_prefix, uri_scheme
from tetherai.vocabulary import kind_problem

__all__ = ["ArtifactSpec", "build_entry", "build_manifest"]


@dataclass(frozen=True)
class ArtifactSpec:
    """One artifact to register: its kind, name, and a local path or an object URI.

    ``ignore`` and ``follow_symlinks`` apply to a local directory (see
    :func:`tetherai.storage.paths.walk_files`).
    """

    kind: str
    name: str
    source: str | os.PathLike[str]
    ignore: tuple[str, ...] = field(default=())
    follow_symlinks: bool = False

    @property
    def is_uri(self) -> bool:
        """Whether ``source`` is a URI rather than a local path.

        A ``str`` holding ``://`` or starting with ``tether-obj:`` is a URI; a ``Path`` never is.
        """
        return isinstance(self.source, str) and (
            "://" in self.source or self.source.startswith("tether-obj:")
        )


def build_entry(
    spec: ArtifactSpec,
    *,
    store: ObjectStore | None = None,
    reader: ObjectReader | None = None,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> ArtifactEntry:
    """Hash (and upload, if ``store`` is given) one artifact; return its manifest entry.

    Args:
        spec: the artifact.
        store: where to upload a local path; ``None`` registers it in place (``file://``).
        reader: reads a URI source (a store or a :class:`~tetherai.storage.base.Resolver`).
        workers: threads for a directory.
        progress: told of bytes hashed.

    Raises:
        ManifestError: an invalid kind or name.
        UnsupportedURI: a URI source with an unknown scheme, or no ``reader`` for it.
        ObjectNotFound, Unreadable, BadInput, PathEscapesRoot: the source is missing,
            unreadable, a symlink or special file, or holds paths that cannot be registered.
        StorageError: the store failed.
    """
    _check_spec(spec)
    if spec.is_uri:
        return _entry_from_uri(spec, reader, workers, progress)
    path = Path(spec.source)
    try:
        is_directory = path.is_dir() if spec.follow_symlinks else _is_real_directory(path)
    except OSError as error:
        raise translate_os_error(error, f"artifact {spec.name!r} at {path}") from error
    if is_directory:
        if store is not None:
            tree, files = put_directory(
                store,
                path,
                follow_symlinks=spec.follow_symlinks,
                ignore=spec.ignore,
                workers=workers,
                progress=progress,
            )
            size = sum(item.size for item in files)
            return ArtifactEntry(spec.kind, spec.name, tree.uri, size, tree.sha256, files)
        digest = hash_tree(
            path,
            follow_symlinks=spec.follow_symlinks,
            ignore=spec.ignore,
            workers=workers,
            progress=progress,
        )
        uri = file_uri(path.absolute()) + "/"
        return ArtifactEntry(spec.kind, spec.name, uri, digest.size, digest.sha256, digest.files)
    if path.is_symlink() and not spec.follow_symlinks:
        raise BadInput(f"artifact {spec.name!r}: {path} is a symlink; symlinks are refused")
    if store is not None:
        stored = put_file(store, path, progress=progress)
        return ArtifactEntry(spec.kind, spec.name, stored.uri, stored.size, stored.sha256)
    file_digest = hash_file(path, progress=progress)
    uri = file_uri(path.absolute())
    return ArtifactEntry(spec.kind, spec.name, uri, file_digest.size, file_digest.sha256)


def _is_real_directory(path: Path) -> bool:
    if path.is_symlink():
        raise BadInput(f"{path} is a symlink; symlinks are refused unless followed")
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    return path.is_dir()


def _entry_from_uri(
    spec: ArtifactSpec,
    reader: ObjectReader | None,
    workers: int | None,
    progress: ProgressCallback | None,
) -> ArtifactEntry:
    uri = str(spec.source)
    uri_scheme(uri)  # an unknown scheme is named before anything else
    if reader is None:
        raise BadInput(f"artifact {spec.name!r} is a URI ({uri}) but no object store is configured")
    if is_prefix(uri):
        tree = hash_prefix(reader, uri, workers=workers, progress=progress)
        return ArtifactEntry(spec.kind, spec.name, uri, tree.size, tree.sha256, tree.files)
    digest = hash_object(reader, uri, progress=progress)
    return ArtifactEntry(spec.kind, spec.name, uri, digest.size, digest.sha256)


def _check_spec(spec: ArtifactSpec) -> None:
    problem = kind_problem(spec.kind, spec.name)
    if problem is not None:
        raise ManifestError(problem)
    if not isinstance(spec.name, str) or not spec.name.strip() or len(spec.name) > 200:
        raise ManifestError(f"an artifact name must be 1 to 200 characters, not {spec.name!r}")


def build_manifest(
    specs: Sequence[ArtifactSpec],
    *,
    store: ObjectStore | None = None,
    reader: ObjectReader | None = None,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[ArtifactEntry, ...]:
    """Build the manifest of a model version: one entry per spec, in order.

    Every spec is checked first; then each artifact is hashed (and uploaded). Any error is
    raised before a manifest exists, so nothing is half-registered. (Objects already uploaded
    stay in the content-addressed store, unreferenced and harmless.)

    Raises:
        ManifestError: no specs, two specs with one name, or an invalid kind or name.
        StorageError: as :func:`build_entry`.
    """
    if not specs:
        raise ManifestError("a manifest needs at least one artifact")
    seen: set[str] = set()
    for spec in specs:
        _check_spec(spec)
        if spec.name in seen:
            raise ManifestError(f"two artifacts are named {spec.name!r}")
        seen.add(spec.name)
        if spec.is_uri:
            uri_scheme(str(spec.source))
    return tuple(
        build_entry(spec, store=store, reader=reader, workers=workers, progress=progress)
        for spec in specs
    )
