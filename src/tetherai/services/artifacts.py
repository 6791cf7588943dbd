"""Artifacts of model versions: storage back end from settings, manifests, re-hash (DESIGN.md §6).

The composition point of :mod:`tetherai.storage` (like warehouse's ``includeme``):
:func:`open_artifacts` picks the object store from explicit :class:`StorageSettings` — a local
content-addressed directory (the embedded default) or an S3 bucket — and the readers for the
URIs a manifest may hold. :class:`Artifacts` then offers the use cases the API, web pages and
CLI call:

- :meth:`Artifacts.build_manifest` — hash and upload a version's files; returns the
  ``artifacts`` argument of the model_version contract, or raises before anything is returned;
- :meth:`Artifacts.verify` — re-hash a registered manifest from the object store, a local copy
  or a reproduction run's outputs; ``report.recomputed()`` is the review contract's
  verify argument;
- :meth:`Artifacts.fetch` — download an artifact (a file, or a directory's files), verified
  while it streams, appearing at its destination only when complete and correct;
- :meth:`Artifacts.model_signing_statement` — the OpenSSF model-signing v1.0 statement.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from tetherai.crypto.jcs import JSONValue
from tetherai.storage import (
    ArtifactEntry,
    ArtifactSpec,
    BadInput,
    DirectorySource,
    LocalFileReader,
    LocalObjectStore,
    ObjectReader,
    ObjectStore,
    ProgressCallback,
    Repair,
    Resolver,
    S3ObjectStore,
    S3Settings,
    StorageError,
    StoreSource,
    UnsupportedURI,
    VerificationReport,
    build_manifest,
    content_uri,
    download,
    is_prefix,
    join_prefix,
    manifest_to_json,
    parse_file_uri,
    parse_s3_uri,
    resolve_inside,
    statement_for_entry,
    verify_artifacts,
)

__all__ = [
    "Artifacts",
    "InPlaceAllowList",
    "StorageSettings",
    "open_artifacts",
    "parse_in_place",
    "repair_object",
]


def parse_in_place(text: str) -> tuple[tuple[str, str], ...]:
    """``"Org1=s3://bucket/data/,Org1=file:///srv/data/"`` → ``(("Org1", "s3://bucket/data/"), …)``.

    Raises:
        ValueError: an entry is not ``ORG=PREFIX`` with a prefix ending in ``/``.
    """
    entries = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        org, sep, prefix = item.partition("=")
        org, prefix = org.strip(), prefix.strip()
        if not sep or not org or not prefix.endswith("/") or "://" not in prefix:
            raise ValueError(
                f"TETHER_IN_PLACE entry {item!r} must be ORG=s3://bucket/prefix/ or "
                "ORG=file:///directory/ (ending in '/')"
            )
        if prefix.startswith("file://"):
            try:
                parse_file_uri(prefix)  # an absolute path without '..'
            except BadInput as error:
                raise ValueError(f"TETHER_IN_PLACE entry {item!r}: {error.message}") from error
        entries.append((org, prefix))
    return tuple(entries)


@dataclass(frozen=True)
class StorageSettings:
    """Where artifacts go and what may be read; the entry point builds it from its settings.

    ``objects`` is a local directory (the content-addressed store's root) or
    ``s3://bucket/prefix/`` (then the ``s3_*`` fields are required). ``file_roots`` are the
    directories whose ``file://`` URIs may be read (none by default: a server should not read
    arbitrary local files named in manifests). ``in_place`` lists ``(org, prefix)``: the
    locations outside the store the server may read for that org's people
    (``TETHER_IN_PLACE``, see ``services.possession``); its ``file://`` prefixes are read too.
    """

    objects: str
    s3_endpoint_url: str | None = None
    s3_access_key_id: str = ""
    s3_secret_access_key: str = field(default="", repr=False)
    s3_region: str = "us-east-1"
    file_roots: tuple[Path, ...] = ()
    in_place: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, home: Path) -> StorageSettings:
        """``TETHER_OBJECTS`` (default ``<home>/objects``), ``TETHER_S3_*`` and
        ``TETHER_IN_PLACE`` (``ORG=PREFIX,…``).

        Raises:
            BadInput: a malformed ``TETHER_IN_PLACE`` entry.
        """
        try:
            in_place = parse_in_place(env.get("TETHER_IN_PLACE", ""))
        except ValueError as error:
            raise BadInput(str(error)) from error
        return cls(
            objects=env.get("TETHER_OBJECTS") or str(home / "objects"),
            s3_endpoint_url=env.get("TETHER_S3_ENDPOINT") or None,
            s3_access_key_id=env.get("TETHER_S3_ACCESS_KEY_ID", ""),
            s3_secret_access_key=env.get("TETHER_S3_SECRET_ACCESS_KEY", ""),
            s3_region=env.get("TETHER_S3_REGION", "us-east-1"),
            in_place=in_place,
        )


@dataclass(frozen=True)
class InPlaceAllowList:
    """Locations outside the store the server may read for an org's people."""

    entries: tuple[tuple[str, str], ...] = ()

    def file_roots(self) -> tuple[Path, ...]:
        """The directories of the ``file://`` entries (the file reader reads only under them)."""
        return tuple(
            parse_file_uri(prefix) for _, prefix in self.entries if prefix.startswith("file://")
        )

    def allows(self, uri: str, org: str) -> bool:
        """Whether ``uri`` lies under a prefix allow-listed for ``org``."""
        for allowed_org, prefix in self.entries:
            if allowed_org != org:
                continue
            if prefix.startswith("file://") and uri.startswith("file://"):
                try:
                    path = parse_file_uri(uri).resolve()
                    root = parse_file_uri(prefix).resolve()
                except UnsupportedURI:
                    return False
                if path == root or root in path.parents:
                    return True
            elif uri.startswith(prefix) and ".." not in uri[len(prefix) :].split("/"):
                return True
        return False


def _object_store(settings: StorageSettings) -> ObjectStore:
    if settings.objects.startswith("s3://"):
        location = parse_s3_uri(settings.objects)
        if location.key and not location.key.endswith("/"):
            raise BadInput(f"the S3 objects location must end with '/': {settings.objects!r}")
        return S3ObjectStore(
            S3Settings(
                bucket=location.bucket,
                prefix=location.key,
                access_key_id=settings.s3_access_key_id,
                secret_access_key=settings.s3_secret_access_key,
                endpoint_url=settings.s3_endpoint_url,
                region=settings.s3_region,
            )
        )
    if "://" in settings.objects or not settings.objects:
        raise BadInput(
            f"the objects location must be a local directory or s3://bucket/prefix/, "
            f"not {settings.objects!r}"
        )
    return LocalObjectStore(settings.objects)


def open_artifacts(settings: StorageSettings, *, workers: int | None = None) -> Artifacts:
    """Build the artifact service from settings (no request is made yet).

    Raises:
        BadInput: the objects location or the S3 credentials are malformed or missing.
    """
    store = _object_store(settings)
    readers: list[ObjectReader] = [store]
    roots = settings.file_roots + InPlaceAllowList(settings.in_place).file_roots()
    if roots:
        readers.append(LocalFileReader(roots=roots))
    return Artifacts(store, Resolver(readers), workers=workers)


class Artifacts:
    """The artifact use cases over one object store and the readers of manifest URIs."""

    def __init__(
        self, store: ObjectStore, reader: ObjectReader, *, workers: int | None = None
    ) -> None:
        """Upload to ``store``; read URIs through ``reader`` (usually a Resolver)."""
        self.store = store
        self.reader = reader
        self._workers = workers

    def build_manifest(
        self,
        specs: Sequence[ArtifactSpec],
        *,
        upload: bool = True,
        progress: ProgressCallback | None = None,
        reader: ObjectReader | None = None,
    ) -> list[JSONValue]:
        """Hash (and upload local paths, unless ``upload`` is false) a version's artifacts;
        URIs are read through ``reader`` if given (else the service's).

        Returns:
            The manifest as the model_version contract takes it.

        Raises:
            ManifestError, StorageError: see :func:`tetherai.storage.build_manifest`;
                nothing is returned, so nothing is half-registered.
        """
        entries = build_manifest(
            specs,
            store=self.store if upload else None,
            reader=reader or self.reader,
            workers=self._workers,
            progress=progress,
        )
        return manifest_to_json(entries)

    def verify(
        self,
        manifest: Sequence[Mapping[str, object] | ArtifactEntry],
        *,
        local_copy: str | os.PathLike[str] | None = None,
        paths: Mapping[str, str | os.PathLike[str]] | None = None,
        names: Collection[str] | None = None,
        progress: ProgressCallback | None = None,
        reader: ObjectReader | None = None,
    ) -> VerificationReport:
        """Re-hash a registered manifest.

        Args:
            manifest: the registered entries.
            local_copy: a directory holding the artifacts (a copy, or a reproduction run's
                outputs) as ``<dir>/<name>`` or at ``paths[name]``; ``None`` reads the objects
                the URIs name.
            paths: where some artifacts are inside ``local_copy``.
            names: only these artifacts (e.g. those a reproduction run re-creates).
            progress: told of bytes hashed.
            reader: read the URIs through this one instead of the service's (e.g. one limited
                to what a person may have read for them).

        Raises:
            ManifestError: the manifest is malformed, or ``names`` names an unknown artifact.
            AccessDenied, BucketNotFound, StorageUnavailable, UnsupportedURI: the source
                cannot be read at all (never reported as a mismatch).
        """
        if local_copy is None:
            source: StoreSource | DirectorySource = StoreSource(
                reader or self.reader, workers=self._workers
            )
        else:
            source = DirectorySource(local_copy, paths=paths, workers=self._workers)
        return verify_artifacts(manifest, source, names=names, progress=progress)

    def fetch(
        self,
        entry: ArtifactEntry,
        destination: str | os.PathLike[str],
        *,
        progress: ProgressCallback | None = None,
    ) -> Path:
        """Download an artifact to ``destination`` (a file, or a directory for a folder).

        Every file is verified against its registered digest while it streams. A directory is
        assembled in a temp directory beside ``destination`` and renamed into place at the end.

        Raises:
            DigestMismatch: a file is not what was registered (nothing is left at
                ``destination``).
            BadInput: ``destination`` exists already.
            StorageError: an object cannot be read.
        """
        target = Path(destination)
        if target.exists():
            raise BadInput(f"{target} exists already; choose a new destination")
        if entry.files is None:
            download(
                self.reader,
                entry.uri,
                target,
                expected_sha256=entry.sha256,
                expected_size=entry.size,
                progress=progress,
            )
            return target
        try:
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        except OSError as error:
            raise StorageError(f"cannot write in {target.parent}: {error.strerror}") from error
        try:
            for item in entry.files:
                uri = (
                    join_prefix(entry.uri, item.path)
                    if is_prefix(entry.uri)
                    else content_uri(entry.uri, item.sha256)
                )
                path = resolve_inside(staging, item.path, what="a file path")
                path.parent.mkdir(parents=True, exist_ok=True)
                download(
                    self.reader,
                    uri,
                    path,
                    expected_sha256=item.sha256,
                    expected_size=item.size,
                    progress=progress,
                )
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target

    def model_signing_statement(
        self, entry: ArtifactEntry, *, model_name: str | None = None
    ) -> dict[str, JSONValue]:
        """The OpenSSF model-signing v1.0 in-toto statement of an artifact (nothing is read)."""
        return statement_for_entry(entry, model_name=model_name)


def repair_object(settings: StorageSettings, sha256: str, source: BinaryIO) -> Repair:
    """Put back object ``sha256`` of the server's store from ``source`` (bytes with that
    digest); a damaged copy is kept aside as evidence (the back end's ``repair``).

    Raises:
        BadInput: ``source`` does not hash to ``sha256`` (nothing was changed), or the store
            settings are malformed.
    """
    store = _object_store(settings)
    assert isinstance(store, LocalObjectStore | S3ObjectStore)  # what _object_store makes
    return store.repair(sha256, source)
