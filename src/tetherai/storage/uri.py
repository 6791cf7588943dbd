"""Artifact URIs: which store holds an object, and where (DESIGN.md §6).

Three schemes, documented in the README ("Object storage"):

- ``tether-obj:sha256/<64 hex>`` — an object of the content-addressed local store. The URI
  names content, not a machine: the same URI resolves in any copy of the store.
- ``s3://bucket/key`` — an object in an S3-compatible store; keys are written raw, as the AWS
  CLI writes them. A content-addressed S3 store keeps objects at
  ``s3://bucket/<prefix>sha256/ab/cdef…``.
- ``file:///absolute/path`` — a plain local file (RFC 8089, percent-encoded), for artifacts
  registered in place.

A URI ending in ``/`` (``s3://bucket/models/v3/``, ``file:///data/model/``) is a *prefix*: a
directory artifact whose files are the objects under it. A directory artifact whose URI does
not end in ``/`` names its *tree object* (see :mod:`tetherai.storage.manifest`) in a
content-addressed store; its files are objects of the same store, addressed by digest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote

from tetherai.crypto.digest import is_sha256_hex
from tetherai.storage.errors import UnsupportedURI

__all__ = [
    "LOCAL_SCHEME",
    "S3Location",
    "content_uri",
    "digest_of_content_uri",
    "file_uri",
    "is_prefix",
    "join_prefix",
    "local_object_uri",
    "parse_file_uri",
    "parse_local_object_uri",
    "parse_s3_uri",
    "uri_scheme",
]

LOCAL_SCHEME = "tether-obj"
_SCHEMES = (LOCAL_SCHEME, "s3", "file")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
# The tail of a content address in any store: sha256/<hex> or sha256/ab/<62 hex>.
_CONTENT_TAIL = re.compile(r"sha256/(?:([0-9a-f]{2})/([0-9a-f]{62})|([0-9a-f]{64}))$")
# S3 bucket names: 3-63 of lowercase letters, digits, dots and hyphens (AWS naming rules).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key (``""`` or ending in ``/`` for a prefix)."""

    bucket: str
    key: str


def uri_scheme(uri: str) -> str:
    """Return the scheme of ``uri`` if tetherai can read it.

    Raises:
        UnsupportedURI: no scheme, or one other than ``tether-obj``, ``s3`` and ``file``.
    """
    match = _SCHEME.match(uri) if isinstance(uri, str) else None
    scheme = match.group(1).lower() if match else ""
    if scheme not in _SCHEMES:
        shown = f"scheme {scheme!r}" if scheme else "no scheme"
        raise UnsupportedURI(f"cannot read {uri!r}: {shown}; supported: {', '.join(_SCHEMES)}")
    return scheme


def is_prefix(uri: str) -> bool:
    """Whether ``uri`` names a directory prefix (it ends with ``/``)."""
    return uri.endswith("/")


def local_object_uri(sha256: str) -> str:
    """The URI of the object with this digest in the local content-addressed store."""
    return f"{LOCAL_SCHEME}:sha256/{sha256}"


def parse_local_object_uri(uri: str) -> str:
    """Return the digest named by a ``tether-obj:sha256/<hex>`` URI.

    Raises:
        UnsupportedURI: ``uri`` is not of that form.
    """
    prefix = f"{LOCAL_SCHEME}:sha256/"
    digest = uri[len(prefix) :] if uri.startswith(prefix) else ""
    if not is_sha256_hex(digest):
        raise UnsupportedURI(f"{uri!r} is not a local object URI ({prefix}<64 lowercase hex>)")
    return digest


def parse_s3_uri(uri: str) -> S3Location:
    """Split ``s3://bucket/key`` into bucket and key.

    Raises:
        UnsupportedURI: not an ``s3://`` URI, an invalid bucket name, or a key with ``..``.
    """
    if not uri.startswith("s3://"):
        raise UnsupportedURI(f"{uri!r} is not an s3:// URI")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not _BUCKET.fullmatch(bucket):
        raise UnsupportedURI(f"{uri!r} does not name a valid S3 bucket ({bucket!r})")
    if ".." in key.split("/") or "//" in key or key.startswith("/"):
        raise UnsupportedURI(f"{uri!r} has an empty or '..' key component")
    return S3Location(bucket, key)


def file_uri(path: str | Path) -> str:
    """The ``file://`` URI of a local path (made absolute), ending in ``/`` for a prefix."""
    text = str(path)
    absolute = Path(text).absolute().as_posix()
    uri = "file://" + quote(absolute, safe="/")
    return uri + "/" if text.endswith("/") and not uri.endswith("/") else uri


def parse_file_uri(uri: str) -> Path:
    """Return the local path of a ``file:///absolute/path`` URI (percent-decoded).

    Raises:
        UnsupportedURI: not a ``file://`` URI with an empty host and an absolute path, or a
            path with ``..``.
    """
    if not uri.startswith("file://"):
        raise UnsupportedURI(f"{uri!r} is not a file:// URI")
    raw = unquote(uri[len("file://") :])
    if not raw.startswith("/"):
        raise UnsupportedURI(f"{uri!r} must be file:///absolute/path (no host name)")
    if ".." in PurePosixPath(raw).parts or "\x00" in raw:
        raise UnsupportedURI(f"{uri!r} holds '..' or a NUL character")
    return Path(raw)


def join_prefix(prefix_uri: str, relative: str) -> str:
    """The URI of file ``relative`` (a clean '/'-path) under the prefix ``prefix_uri``."""
    if not is_prefix(prefix_uri):
        raise UnsupportedURI(f"{prefix_uri!r} is not a prefix (it must end with '/')")
    if prefix_uri.startswith("file://"):
        return prefix_uri + quote(relative, safe="/")
    return prefix_uri + relative


def digest_of_content_uri(uri: str) -> str | None:
    """The digest a content-addressed URI names (``…sha256/ab/cdef…``), or ``None``."""
    match = _CONTENT_TAIL.search(uri)
    if match is None:
        return None
    return match.group(3) or f"{match.group(1)}{match.group(2)}"


def content_uri(base_uri: str, sha256: str) -> str:
    """The URI of the object ``sha256`` in the same content-addressed store as ``base_uri``.

    Used to find the files of a directory from its tree object's URI.

    Raises:
        UnsupportedURI: ``base_uri`` is not a content address.
    """
    match = _CONTENT_TAIL.search(base_uri)
    if match is None or not is_sha256_hex(sha256):
        raise UnsupportedURI(f"{base_uri!r} is not a content-addressed object URI")
    head = base_uri[: match.start()]
    if match.group(3):
        return f"{head}sha256/{sha256}"
    return f"{head}sha256/{sha256[:2]}/{sha256[2:]}"
