"""Recompute a version's digests on the reviewer's machine (``tether verify``).

Three sources, one comparison (``storage.verification``):

- ``from_store``: download every artifact through the API and hash it as it streams;
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

import httpx

from tetherai.client._http import Http
from tetherai.client.errors import ClientError, ServerError
from tetherai.storage.base import ProgressCallback
from tetherai.storage.errors import ManifestError, ObjectNotFound, Unreadable
from tetherai.storage.hashing import DirectoryDigest
from tetherai.storage.manifest import ArtifactEntry, FileEntry, directory_digest, parse_tree
from tetherai.storage.verification import DirectorySource, VerificationReport, verify_artifacts

__all__ = ["ApiStoreSource", "Rerun", "verify_from_store", "verify_local", "verify_rerun"]

OUT_PLACEHOLDER = "{out}"


class ApiStoreSource:
    """Re-reads artifacts from the server's object store, by digest, through the API."""

    def __init__(self, http: Http) -> None:
        self._http = http

    def describe(self) -> str:
        return f"object store of {self._http.server}"

    def _digest(self, sha256: str, what: str, progress: ProgressCallback | None) -> tuple[str, int]:
        try:
            return self._http.download_digest(sha256, progress)
        except ServerError as error:
            if error.status == 404:
                raise ObjectNotFound(f"the object store has no {what}") from error
            raise
        except httpx.HTTPError as error:
            # The server cuts the stream when its stored copy does not hash to the digest.
            raise Unreadable(
                f"the store's copy of {what} does not match its digest (download cut short)"
            ) from error

    def hash_file_artifact(
        self, entry: ArtifactEntry, progress: ProgressCallback | None
    ) -> tuple[str, int]:
        return self._digest(entry.sha256, repr(entry.name), progress)

    def hash_directory_artifact(
        self, entry: ArtifactEntry, progress: ProgressCallback | None
    ) -> DirectoryDigest:
        """Fetch the tree object by the registered digest, then re-hash each file it lists."""
        try:
            tree = parse_tree(self._http.download_bytes(entry.sha256))
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


def verify_from_store(
    http: Http, manifest: Sequence[dict[str, Any]], progress: ProgressCallback | None = None
) -> VerificationReport:
    return verify_artifacts(manifest, ApiStoreSource(http), progress=progress)


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
