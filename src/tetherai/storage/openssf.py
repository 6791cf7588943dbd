"""Export a manifest as an OpenSSF model-signing v1.0 in-toto statement (DESIGN.md §6).

The OpenSSF ``model_signing`` tool (sigstore/model-transparency) signs an in-toto statement::

    {"_type": "https://in-toto.io/Statement/v1",
     "subject": [{"name": <model name>, "digest": {"sha256": <root digest>}}],
     "predicateType": "https://model_signing/signature/v1.0",
     "predicate": {"serialization": {"method": "files", "hash_type": "sha256",
                                     "allow_symlinks": false},
                   "resources": [{"name": <path>, "algorithm": "sha256", "digest": <hex>}, ...]}}

Resources are in the tool's order — by path *components* (``a/b`` before ``a-c``, unlike
plain string order) — and the root digest is the SHA-256 of the concatenated raw resource
digests in that order. :func:`statement_for_entry` builds it from a directory artifact's file
list without reading any file; :func:`sharded_statement` hashes a directory as shards in
parallel for the tool's ``shards`` serialization.

The tool's rules, followed exactly (model_signing 1.1.1, ``hashing.Config`` defaults):

- In a folder, the top-level ``.git/``, ``.github/``, ``.gitattributes`` and ``.gitignore`` are
  not part of the model (a Hugging Face checkout has them) and are listed under the
  serialization's ``ignore_paths``; the same names deeper down (``sub/.gitignore``) are files
  of the model.
- A single-file model's one resource is named ``.`` (the file relative to itself) and the
  subject is named after the file.
- Paths the statement lists under ``ignore_paths`` are left out by the verifier too: an MLflow
  model folder (a top-level ``MLmodel``) lists ``registered_model_meta``, which MLflow adds to
  the folders it serves through ``models:/`` URIs.

The tool's verifier checks signatures of these statements (tests/unit/storage/test_openssf.py
signs them and runs it).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from tetherai.crypto.jcs import JSONValue
from tetherai.storage._files import hash_range, open_regular
from tetherai.storage._parallel import run_parallel
from tetherai.storage.base import ProgressCallback
from tetherai.storage.errors import BadInput
from tetherai.storage.hashing import DEFAULT_SHARD_SIZE
from tetherai.storage.manifest import ArtifactEntry
from tetherai.storage.paths import WalkedFile, translate_os_error, walk_files

__all__ = [
    "GIT_PATHS",
    "IN_TOTO_STATEMENT_TYPE",
    "MODEL_SIGNING_PREDICATE_TYPE",
    "is_git_path",
    "sharded_statement",
    "statement_for_entry",
]

IN_TOTO_STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
MODEL_SIGNING_PREDICATE_TYPE = "https://model_signing/signature/v1.0"
GIT_PATHS = (".git", ".gitattributes", ".github", ".gitignore")
"""Top-level paths of a model folder that model_signing leaves out (its ``ignore_git_paths``)."""
SINGLE_FILE_RESOURCE = "."
"""The resource name model_signing gives a model that is one file."""
MLFLOW_MODEL_FILE = "MLmodel"
MLFLOW_DOWNLOAD_FILES = ("registered_model_meta",)
"""Files MLflow writes into an MLflow model folder on the *caller's* side when it is downloaded
through a ``models:/`` URI: not part of the model, so its statement tells the tool to ignore
them (and a consumer can verify the folder MLflow served)."""


def is_git_path(path: str) -> bool:
    """Whether model_signing leaves ``path`` (relative to the model folder) out of the model."""
    return path.split("/", 1)[0] in GIT_PATHS


def _ignore_paths(extra: Iterable[str]) -> list[JSONValue]:
    # The tool records the git paths it ignored (and any the signer added); sorted here so
    # the statement has one form (the tool's order comes from a set).
    return [str(path) for path in sorted({*GIT_PATHS, *extra})]


def _statement(
    name: str,
    serialization: dict[str, JSONValue],
    resources: list[tuple[str, str]],
    algorithm: str = "sha256",
) -> dict[str, JSONValue]:
    root = hashlib.sha256()
    for _, digest in resources:
        root.update(bytes.fromhex(digest))
    return {
        "_type": IN_TOTO_STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": root.hexdigest()}}],
        "predicateType": MODEL_SIGNING_PREDICATE_TYPE,
        "predicate": {
            "serialization": serialization,
            "resources": [
                {"name": resource, "algorithm": algorithm, "digest": digest}
                for resource, digest in resources
            ],
        },
    }


def _tool_order(path: str) -> list[str]:
    # model_signing sorts pathlib.PurePosixPath keys, which compare component by component.
    return path.split("/")


def statement_for_entry(
    entry: ArtifactEntry, *, model_name: str | None = None, ignore_paths: Iterable[str] = ()
) -> dict[str, JSONValue]:
    """The model-signing v1.0 statement (``files`` serialization) of an artifact.

    A directory's top-level git files are left out, as the tool leaves them out; a single-file
    artifact is a model of one resource, ``.``, as the tool hashes a model that is a file.

    Args:
        entry: the artifact (its recorded digests are used; nothing is read).
        model_name: the subject's name (default: the artifact's last path component).
        ignore_paths: more paths the signer left out, recorded in the serialization.

    Raises:
        BadInput: the directory holds nothing but git files.
    """
    name = model_name or Path(entry.name).name or entry.name
    ignored = list(ignore_paths)
    if entry.files is None:
        resources = [(SINGLE_FILE_RESOURCE, entry.sha256)]
    else:
        if any(item.path == MLFLOW_MODEL_FILE for item in entry.files):
            ignored += MLFLOW_DOWNLOAD_FILES
        kept = [
            item
            for item in entry.files
            if not is_git_path(item.path)
            and not any(item.path == path or item.path.startswith(f"{path}/") for path in ignored)
        ]
        if not kept:
            raise BadInput(f"artifact {entry.name!r} holds only git files, no model")
        ordered = sorted(kept, key=lambda item: _tool_order(item.path))
        resources = [(item.path, item.sha256) for item in ordered]
    serialization: dict[str, JSONValue] = {
        "method": "files",
        "hash_type": "sha256",
        "allow_symlinks": False,
        "ignore_paths": _ignore_paths(ignored),
    }
    return _statement(name, serialization, resources)


def _model_files(root: Path, ignore: Iterable[str]) -> list[WalkedFile]:
    """The files of a model as the tool walks it: a file alone (named ``.``), or a folder's
    files less its top-level git paths."""
    try:
        info = root.stat()
    except OSError as error:
        raise translate_os_error(error, f"model {root.name!r}") from error
    if stat.S_ISREG(info.st_mode):
        if root.is_symlink():
            raise BadInput(f"model {root.name!r} is a symlink; symlinks are refused")
        return [WalkedFile(SINGLE_FILE_RESOURCE, root, info.st_size)]
    found = [item for item in walk_files(root, ignore=ignore) if not is_git_path(item.path)]
    if not found:
        raise BadInput(f"directory {root.name!r} holds no model files to hash")
    return found


def sharded_statement(
    root: str | os.PathLike[str],
    *,
    model_name: str | None = None,
    shard_size: int = DEFAULT_SHARD_SIZE,
    ignore: Iterable[str] = (),
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, JSONValue]:
    """Hash a model folder (or a model file) as shards of ``shard_size`` bytes, all in
    parallel, into a statement of the tool's ``shards`` serialization.

    Every file is cut into ``[start, end)`` shards named ``path:start:end`` (an empty file has
    none, as in the tool) and every shard of every file is hashed on the thread pool, so one huge
    file spreads over all cores. The folder's top-level git paths are left out, and a model that
    is one file has shards ``.:start:end``, as the tool names them.

    Raises:
        ValueError: ``shard_size`` is not positive.
        BadInput: nothing to hash (an empty folder, or only git files).
        StorageError: as :func:`tetherai.storage.paths.walk_files` and hashing.
    """
    if shard_size <= 0:
        raise ValueError(f"shard_size must be positive, not {shard_size}")
    location = Path(root)
    found = _model_files(location, ignore)
    shards: list[tuple[Path, str, int, int]] = []
    for item in found:
        bounds = [
            (start, min(start + shard_size, item.size)) for start in range(0, item.size, shard_size)
        ]
        for start, end in bounds:  # an empty file has no shard, as the tool records it
            shards.append((item.location, item.path, start, end))

    def hash_shard(shard: tuple[Path, str, int, int]) -> str:
        location, _, start, end = shard
        fd, _ = open_regular(location)
        try:
            return hash_range(fd, location, start, end, progress)
        finally:
            os.close(fd)

    digests = run_parallel(
        hash_shard, shards, [end - start for _, _, start, end in shards], workers
    )
    resources = sorted(
        (
            (path, start, end, digest)
            for (_, path, start, end), digest in zip(shards, digests, strict=True)
        ),
        key=lambda item: (_tool_order(item[0]), item[1], item[2]),
    )
    serialization: dict[str, JSONValue] = {
        "method": "shards",
        "hash_type": "sha256",
        "shard_size": shard_size,
        "allow_symlinks": False,
        "ignore_paths": _ignore_paths(()),
    }
    return _statement(
        model_name or location.resolve().name,
        serialization,
        [(f"{path}:{start}:{end}", digest) for path, start, end, digest in resources],
        # The tool names a shard digest's algorithm with the shard size, which changes it.
        algorithm=f"sha256-sharded-{shard_size}",
    )
