"""Artifact manifests: what a model version registers about its files (DESIGN.md §5, §6).

An entry is ``{"kind", "name", "uri", "size", "sha256"}``; a directory-valued artifact (a model
folder) adds ``"files": [{"path", "size", "sha256"}, ...]`` sorted by path. Its ``size`` is the
sum of its files' sizes and its ``sha256`` is the **directory digest**::

    sha256( JCS( [{"path": p, "sha256": h, "size": n}, ...] ) )

the SHA-256 of the RFC 8785 canonical JSON of the file list, sorted by path (Python string
order, the same as the order of the paths' UTF-8 bytes). Those canonical bytes are also the
*tree object* that a content-addressed store keeps for the directory, so a directory's URI names
an object whose address is the directory digest (as a git tree does). The README shows an
example to check other implementations against.

:class:`ArtifactEntry` and :class:`FileEntry` are frozen and validate on construction;
``from_json`` accepts exactly the keys above and says which entry and field is wrong.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tetherai.crypto.digest import is_sha256_hex, sha256_hex
from tetherai.crypto.errors import CanonicalizationError
from tetherai.crypto.jcs import JSONValue, canonicalize, loads_canonical
from tetherai.storage.errors import BadInput, ManifestError
from tetherai.storage.paths import check_relative_path
from tetherai.vocabulary import kind_problem

__all__ = [
    "ArtifactEntry",
    "FileEntry",
    "directory_digest",
    "manifest_from_json",
    "manifest_to_json",
    "parse_tree",
    "tree_bytes",
]


MAX_NAME_CHARS = 200
MAX_URI_CHARS = 2048
# JCS (I-JSON) integers stop at 2**53-1: 8 PiB, far beyond any one artifact.
_MAX_SIZE = 2**53 - 1
_ARTIFACT_KEYS = frozenset({"kind", "name", "uri", "size", "sha256"})
_FILE_KEYS = frozenset({"path", "size", "sha256"})


def _check_size(value: object, what: str) -> int:
    if type(value) is not int or not 0 <= value <= _MAX_SIZE:
        raise ManifestError(f"{what} must be a whole number of bytes ≥ 0, not {value!r}")
    return value


def _check_digest(value: object, what: str) -> str:
    if not isinstance(value, str) or not is_sha256_hex(value):
        raise ManifestError(f"{what} must be a SHA-256 digest (64 lowercase hex), not {value!r}")
    return value


def _check_text(value: object, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ManifestError(f"{what} must be a non-empty text of at most {limit} characters")
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ManifestError(f"{what} holds a control character: {value!r}")
    return value


@dataclass(frozen=True)
class FileEntry:
    """One file of a directory artifact: its relative path, size and SHA-256."""

    path: str
    size: int
    sha256: str

    def __post_init__(self) -> None:
        """Validate the fields; raise :class:`ManifestError` naming the bad one."""
        try:
            check_relative_path(self.path, what="a file path")
        except BadInput as error:
            raise ManifestError(error.message) from error
        _check_size(self.size, f"the size of {self.path!r}")
        _check_digest(self.sha256, f"the digest of {self.path!r}")

    def to_json(self) -> dict[str, JSONValue]:
        """Return ``{"path", "size", "sha256"}``."""
        return {"path": self.path, "size": self.size, "sha256": self.sha256}

    @classmethod
    def from_json(cls, value: object) -> FileEntry:
        """Parse ``{"path", "size", "sha256"}`` exactly.

        Raises:
            ManifestError: a key is missing or extra, or a value is invalid.
        """
        if not isinstance(value, Mapping) or set(value) != _FILE_KEYS:
            raise ManifestError(f"a file entry must be {{path, size, sha256}}, not {value!r}")
        return cls(path=value["path"], size=value["size"], sha256=value["sha256"])


def _check_files(files: Sequence[FileEntry], artifact: str) -> None:
    if not files:
        raise ManifestError(f"directory artifact {artifact!r} has no files")
    for before, after in itertools.pairwise(files):
        if before.path == after.path:
            raise ManifestError(f"{artifact!r} lists the file {after.path!r} twice")
        if before.path > after.path:
            raise ManifestError(
                f"the files of {artifact!r} must be sorted by path: {after.path!r} comes "
                f"after {before.path!r}"
            )
    # A file may not also be a directory of another: "a" and "a/b" cannot both exist.
    paths = {entry.path for entry in files}
    for entry in files:
        head, _, _ = entry.path.rpartition("/")
        while head:
            if head in paths:
                raise ManifestError(f"{artifact!r} lists {head!r} as both a file and a directory")
            head, _, _ = head.rpartition("/")


def tree_bytes(files: Iterable[FileEntry]) -> bytes:
    """The canonical bytes of a directory's file list (sorted by path): its *tree object*."""
    ordered = sorted(files, key=lambda entry: entry.path)
    return canonicalize([entry.to_json() for entry in ordered])


def directory_digest(files: Iterable[FileEntry]) -> str:
    """The digest of a directory artifact: SHA-256 of :func:`tree_bytes` of its files."""
    return sha256_hex(tree_bytes(files))


def parse_tree(data: bytes, *, what: str = "tree object") -> tuple[FileEntry, ...]:
    """Parse a tree object back into its file entries.

    Raises:
        ManifestError: ``data`` is not the canonical JSON of a sorted, valid file list.
    """
    try:
        value = loads_canonical(data)
    except CanonicalizationError as error:
        raise ManifestError(f"{what} is not a canonical JSON file list: {error}") from error
    if not isinstance(value, list):
        raise ManifestError(f"{what} is not a list of file entries")
    files = tuple(FileEntry.from_json(item) for item in value)
    _check_files(files, what)
    return files


@dataclass(frozen=True)
class ArtifactEntry:
    """One artifact of a model version's manifest.

    ``files`` is ``None`` for a single file, and the sorted file list for a directory, whose
    ``size`` and ``sha256`` must then be the sum of the sizes and :func:`directory_digest`.
    """

    kind: str
    name: str
    uri: str
    size: int
    sha256: str
    files: tuple[FileEntry, ...] | None = field(default=None)

    def __post_init__(self) -> None:
        """Validate the entry; raise :class:`ManifestError` naming the artifact and field."""
        name = _check_text(self.name, "an artifact name", MAX_NAME_CHARS)
        problem = kind_problem(self.kind, name)
        if problem is not None:
            raise ManifestError(problem)
        _check_text(self.uri, f"the URI of artifact {name!r}", MAX_URI_CHARS)
        _check_size(self.size, f"the size of artifact {name!r}")
        _check_digest(self.sha256, f"the digest of artifact {name!r}")
        if self.files is None:
            return
        if not isinstance(self.files, tuple) or not all(
            isinstance(entry, FileEntry) for entry in self.files
        ):
            raise ManifestError(f"the files of artifact {name!r} must be a tuple of FileEntry")
        _check_files(self.files, name)
        total = sum(entry.size for entry in self.files)
        if self.size != total:
            raise ManifestError(
                f"artifact {name!r} has size {self.size} but its files add up to {total}"
            )
        expected = directory_digest(self.files)
        if self.sha256 != expected:
            raise ManifestError(
                f"artifact {name!r} has sha256 {self.sha256} but its file list digests to "
                f"{expected} (see 'Artifact manifests' in the README)"
            )

    @property
    def is_directory(self) -> bool:
        """Whether this artifact is a directory (it has a file list)."""
        return self.files is not None

    def to_json(self) -> dict[str, JSONValue]:
        """Return the entry as the model_version contract takes it."""
        value: dict[str, JSONValue] = {
            "kind": self.kind,
            "name": self.name,
            "uri": self.uri,
            "size": self.size,
            "sha256": self.sha256,
        }
        if self.files is not None:
            value["files"] = [entry.to_json() for entry in self.files]
        return value

    @classmethod
    def from_json(cls, value: object) -> ArtifactEntry:
        """Parse one manifest entry exactly (no missing or extra keys).

        Raises:
            ManifestError: the entry is malformed; the message names it and the field.
        """
        if not isinstance(value, Mapping):
            raise ManifestError(f"an artifact entry must be an object, not {value!r}")
        keys = set(value)
        if not _ARTIFACT_KEYS <= keys <= _ARTIFACT_KEYS | {"files"}:
            label = value.get("name", "?")
            raise ManifestError(
                f"artifact {label!r} must have exactly kind, name, uri, size, sha256 (and files "
                f"for a directory); got {', '.join(sorted(map(str, keys)))}"
            )
        files: tuple[FileEntry, ...] | None = None
        if "files" in value:
            raw = value["files"]
            if not isinstance(raw, list):
                raise ManifestError(f"the files of artifact {value['name']!r} must be a list")
            files = tuple(FileEntry.from_json(item) for item in raw)
        return cls(
            kind=value["kind"],
            name=value["name"],
            uri=value["uri"],
            size=value["size"],
            sha256=value["sha256"],
            files=files,
        )


def manifest_to_json(entries: Iterable[ArtifactEntry]) -> list[JSONValue]:
    """Return the manifest as a JSON list (the model_version contract's ``artifacts``)."""
    return [entry.to_json() for entry in entries]


def manifest_from_json(value: object) -> tuple[ArtifactEntry, ...]:
    """Parse a whole manifest: a list of entries with distinct names.

    Raises:
        ManifestError: it is not a list, an entry is malformed, or two share a name.
    """
    if not isinstance(value, list):
        raise ManifestError("an artifact manifest must be a list of entries")
    entries = tuple(ArtifactEntry.from_json(item) for item in value)
    seen: set[str] = set()
    for entry in entries:
        if entry.name in seen:
            raise ManifestError(f"two artifacts are named {entry.name!r}")
        seen.add(entry.name)
    return entries
