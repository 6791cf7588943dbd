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
parallel for the tool's ``shards`` serialization. The tool's own manifest comparison accepts
both (tests/unit/storage/test_openssf.py checks it against the installed tool).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from tetherai.crypto.jcs import JSONValue
from tetherai.storage._files import hash_range, open_regular
from tetherai.storage._parallel import run_parallel
from tetherai.storage.base import ProgressCallback
from tetherai.storage.errors import BadInput
from tetherai.storage.hashing import DEFAULT_SHARD_SIZE
from tetherai.storage.manifest import ArtifactEntry, FileEntry
from tetherai.storage.paths import walk_files

__all__ = [
    "IN_TOTO_STATEMENT_TYPE",
    "MODEL_SIGNING_PREDICATE_TYPE",
    "sharded_statement",
    "statement_for_entry",
]

IN_TOTO_STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
MODEL_SIGNING_PREDICATE_TYPE = "https://model_signing/signature/v1.0"


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

    A single-file artifact becomes a model of one resource named after the artifact.

    Args:
        entry: the artifact (its recorded digests are used; nothing is read).
        model_name: the subject's name (default: the artifact's name).
        ignore_paths: paths recorded as ignored in the serialization, as the tool records them.
    """
    files = entry.files or (FileEntry(Path(entry.name).name or "model", entry.size, entry.sha256),)
    ordered = sorted(files, key=lambda item: _tool_order(item.path))
    serialization: dict[str, JSONValue] = {
        "method": "files",
        "hash_type": "sha256",
        "allow_symlinks": False,
    }
    ignored = list(ignore_paths)
    if ignored:
        serialization["ignore_paths"] = list(ignored)
    return _statement(
        model_name or entry.name, serialization, [(item.path, item.sha256) for item in ordered]
    )


def sharded_statement(
    root: str | os.PathLike[str],
    *,
    model_name: str | None = None,
    shard_size: int = DEFAULT_SHARD_SIZE,
    ignore: Iterable[str] = (),
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, JSONValue]:
    """Hash a directory as shards of ``shard_size`` bytes, all in parallel, into a statement.

    Every file is cut into ``[start, end)`` shards named ``path:start:end`` (an empty file has
    none, as in the tool) and every shard of every file is hashed on the thread pool, so one huge
    file spreads over all cores.

    Raises:
        ValueError: ``shard_size`` is not positive.
        StorageError: as :func:`tetherai.storage.paths.walk_files` and hashing.
    """
    if shard_size <= 0:
        raise ValueError(f"shard_size must be positive, not {shard_size}")
    found = walk_files(root, ignore=ignore)
    if not found:
        raise BadInput(f"directory {root} holds no files to hash")
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
    }
    return _statement(
        model_name or Path(root).name,
        serialization,
        [(f"{path}:{start}:{end}", digest) for path, start, end, digest in resources],
        # The tool names a shard digest's algorithm with the shard size, which changes it.
        algorithm=f"sha256-sharded-{shard_size}",
    )
