"""Recompute a version's digests on the reviewer's machine (``tether verify``).

Three sources, one comparison (``storage.verification``):

- ``from_store``: stream every artifact where it is stored and hash it as it streams: ``s3://``
  objects directly with your S3 credentials, the rest through the API (:class:`StoresSource`);
- ``local``: a directory holding copies of the artifacts, by name;
- ``rerun``: run the version's command into a fresh directory and hash what it made there —
  the registered files must also still be intact in the store, so those are checked too.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tetherai.client._http import Http
from tetherai.client.errors import ClientError, ConfigError, ServerError
from tetherai.client.objects import NO_CREDENTIALS_HINT, S3Buckets, api_digest
from tetherai.storage.base import ProgressCallback
from tetherai.storage.errors import ManifestError, ObjectNotFound, Unreadable
from tetherai.storage.hashing import DirectoryDigest
from tetherai.storage.manifest import ArtifactEntry, FileEntry, directory_digest, parse_tree
from tetherai.storage.uri import digest_of_content_uri
from tetherai.storage.verification import (
    DirectorySource,
    StoreSource,
    VerificationReport,
    verify_artifacts,
)

__all__ = [
    "ApiStoreSource",
    "Rerun",
    "StoresSource",
    "verify_from_store",
    "verify_local",
    "verify_rerun",
]

OUT_PLACEHOLDER = "{out}"


class ApiStoreSource:
    """Re-reads artifacts from the server's object store, by digest, through the API
    (through ``version``, the version they belong to: the server serves bytes only to those
    who may have them)."""

    def __init__(self, http: Http, version: str | None = None) -> None:
        self._http = http
        self._version = version

    def describe(self) -> str:
        return f"object store of {self._http.server}"

    def _digest(self, sha256: str, what: str, progress: ProgressCallback | None) -> tuple[str, int]:
        return api_digest(self._http, sha256, what, progress, version=self._version)

    def hash_file_artifact(
        self, entry: ArtifactEntry, progress: ProgressCallback | None
    ) -> tuple[str, int]:
        return self._digest(entry.sha256, repr(entry.name), progress)

    def hash_directory_artifact(
        self, entry: ArtifactEntry, progress: ProgressCallback | None
    ) -> DirectoryDigest:
        """Fetch the tree object by the registered digest, then re-hash each file it lists."""
        try:
            tree = parse_tree(self._http.download_bytes(entry.sha256, version=self._version))
        except ServerError as error:
            if error.status == 404:
                raise ObjectNotFound(
                    f"the object store has no file list of {entry.name!r}"
                ) from error
            raise
        except ManifestError as error:
            raise Unreadable(f"the stored file list of {entry.name!r} is damaged") from error
        files = []
        for item in tree:
            sha, size = self._digest(item.sha256, f"{entry.name}/{item.path}", progress)
            files.append(FileEntry(item.path, size, sha))
        return DirectoryDigest(tuple(files), sum(f.size for f in files), directory_digest(files))


class StoresSource:
    """``verify --from-store``: ``s3://`` artifacts read directly with the reviewer's own
    credentials, everything else through the server's API by digest.

    Direct reads rather than the API's rehash route: the digests are then recomputed on the
    reviewer's machine, independently of the server, and the server needs no access to the
    team's buckets. Without S3 credentials, an ``s3://`` artifact that is a content address of
    its own digest (an upload to a server whose store is S3) is read through the API; any other
    is a :class:`ConfigError` — the reviewer's setup, never a recorded mismatch.
    """

    def __init__(self, http: Http, buckets: S3Buckets, version: str | None = None) -> None:
        self._api = ApiStoreSource(http, version)
        self._buckets = buckets
        self._direct = StoreSource(buckets)

    def describe(self) -> str:
        direct = " and S3 read with your credentials" if self._buckets.access else ""
        return self._api.describe() + direct

    def _source(self, entry: ArtifactEntry) -> ApiStoreSource | StoreSource:
        if not self._buckets.handles(entry.uri):
            return self._api
        if self._buckets.access is not None:
            return self._direct
        if digest_of_content_uri(entry.uri) == entry.sha256:
            return self._api
        raise ConfigError(
            f"artifact {entry.name!r} is in S3 ({entry.uri}) and you have no S3 credentials",
            hint=NO_CREDENTIALS_HINT,
        )

    def hash_file_artifact(
        self, entry: ArtifactEntry, progress: ProgressCallback | None
    ) -> tuple[str, int]:
        return self._source(entry).hash_file_artifact(entry, progress)

    def hash_directory_artifact(
        self, entry: ArtifactEntry, progress: ProgressCallback | None
    ) -> DirectoryDigest:
        return self._source(entry).hash_directory_artifact(entry, progress)


def verify_from_store(
    http: Http,
    manifest: Sequence[dict[str, Any]],
    progress: ProgressCallback | None = None,
    *,
    buckets: S3Buckets | None = None,
    version: str | None = None,
) -> VerificationReport:
    """Re-hash every artifact where it is stored (see :class:`StoresSource`).

    Raises:
        ConfigError: an ``s3://`` artifact and no S3 credentials to read it.
        AccessDenied, BucketNotFound, StorageUnavailable, ServerError: a store cannot be read
            at all (nothing is reported as a mismatch then).
    """
    source = StoresSource(http, buckets or S3Buckets(None), version)
    return verify_artifacts(manifest, source, progress=progress)


def verify_local(
    manifest: Sequence[dict[str, Any]],
    directory: Path,
    progress: ProgressCallback | None = None,
) -> VerificationReport:
    """Compare the artifacts with the files ``<directory>/<name>``."""
    if not directory.is_dir():
        raise ClientError(f"{directory} is not a directory")
    return verify_artifacts(manifest, DirectorySource(directory), progress=progress)


@dataclass(frozen=True)
class Rerun:
    """What a reproduction run made: its output directory and report."""

    command: list[str]
    out: Path
    report: VerificationReport


def verify_rerun(
    manifest: Sequence[dict[str, Any]],
    command: str,
    *,
    out: Path | None = None,
    cwd: Path | None = None,
    progress: ProgressCallback | None = None,
) -> Rerun:
    """Run ``command`` (``{out}`` stands for a fresh output directory, also given to it as
    ``$TETHER_OUT``) and compare the artifacts it made, by name, with the registered ones.

    Raises:
        ClientError: the command is empty, fails, or makes none of the version's artifacts.
    """
    try:
        words = shlex.split(command)
    except ValueError as error:
        raise ClientError(f"cannot parse the command {command!r}: {error}") from error
    if not words:
        raise ClientError("the re-run command is empty")
    target = out or Path(tempfile.mkdtemp(prefix="tether-rerun-"))
    target.mkdir(parents=True, exist_ok=True)
    argv = [word.replace(OUT_PLACEHOLDER, str(target)) for word in words]
    env = os.environ | {"TETHER_OUT": str(target)}
    try:
        finished = subprocess.run(  # noqa: S603 - the reviewer's own command, no shell
            argv, cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
    except OSError as error:
        raise ClientError(f"cannot run {argv[0]!r}: {error.strerror}") from error
    if finished.returncode != 0:
        tail = (finished.stderr or finished.stdout).strip().splitlines()[-5:]
        raise ClientError(
            f"the re-run command exited with {finished.returncode}",
            hint=" | ".join(tail) or "run it by hand to see why",
        )
    made = {entry["name"] for entry in manifest if (target / str(entry["name"])).exists()}
    if not made:
        raise ClientError(
            f"the re-run made none of the version's artifacts in {target}",
            hint="write the outputs to the directory given as {out} (or $TETHER_OUT), "
            "named as registered",
        )
    report = verify_artifacts(manifest, DirectorySource(target), names=made, progress=progress)
    return Rerun(argv, target, report)
