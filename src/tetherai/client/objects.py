"""Artifacts named by URI: registered in place, hashed here by streaming them — never uploaded.

``tether version create --model s3://bucket/models/v3/`` (or ``run.add_artifact("model",
uri)``) registers an object where it already is:

- ``s3://bucket/key`` is one object, ``s3://bucket/prefix/`` a directory artifact of every
  object under the prefix. They are read *here*, with your S3 credentials (:class:`S3Access`:
  ``TETHER_S3_ACCESS_KEY_ID``/``TETHER_S3_SECRET_ACCESS_KEY``, else ``AWS_ACCESS_KEY_ID``/
  ``AWS_SECRET_ACCESS_KEY``; endpoint ``TETHER_S3_ENDPOINT``, else ``AWS_ENDPOINT_URL_S3`` or
  ``AWS_ENDPOINT_URL``; region ``TETHER_S3_REGION``, else ``AWS_REGION``/``AWS_DEFAULT_REGION``).
- ``tether-obj:sha256/<hex>`` is one object of the server's own store (an earlier upload):
  streamed through the API, where the server checks it against its address as it goes.
- ``file:///path`` is a local path (uploaded like any other path; see :func:`local_path`).

``tether verify --from-store`` reads the same way (:class:`tetherai.client.verify.StoresSource`): ``s3://``
artifacts directly with the reviewer's credentials — the digests are recomputed on the
reviewer's machine, independently of the server, and the server need not have access to the
team's bucket — and everything else through the API by digest. Without S3 credentials, an
``s3://`` artifact that is a content address of its own digest (an upload to a server whose
store is S3) is read through the API; any other ``s3://`` artifact is a configuration error,
never a recorded mismatch.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO

import httpx

from tetherai.client._http import Http
from tetherai.client.errors import ConfigError, ServerError
from tetherai.storage.base import ListedObject, ProgressCallback
from tetherai.storage.errors import (
    DigestMismatch,
    ObjectNotFound,
    Unreadable,
    UnsupportedURI,
)
from tetherai.storage.uri import (
    LOCAL_SCHEME,
    parse_file_uri,
    parse_local_object_uri,
    parse_s3_uri,
    uri_scheme,
)

if TYPE_CHECKING:  # loaded when a URI is registered: the CLI starts without them
    from tetherai.storage.s3 import S3ObjectStore

__all__ = [
    "NO_CREDENTIALS_HINT",
    "S3Access",
    "S3Buckets",
    "artifact_from_uri",
    "check_uri",
    "is_uri",
    "local_path",
    "uri_label",
]

NO_CREDENTIALS_HINT = (
    "set TETHER_S3_ACCESS_KEY_ID and TETHER_S3_SECRET_ACCESS_KEY (and TETHER_S3_ENDPOINT for a "
    "store other than AWS), or the AWS_* variables"
)


@dataclass(frozen=True)
class S3Access:
    """Your credentials for S3-compatible stores (one set, for every bucket)."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    endpoint_url: str | None = None
    region: str = "us-east-1"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> S3Access | None:
        """The ``TETHER_S3_*`` variables, else the ``AWS_*`` ones; ``None`` when neither is set.

        The key id and secret are taken as a pair from one family, never mixed.

        Raises:
            ConfigError: a key id without its secret, or the reverse.
        """
        for family, key_id, secret in (
            ("TETHER_S3", "TETHER_S3_ACCESS_KEY_ID", "TETHER_S3_SECRET_ACCESS_KEY"),
            ("AWS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
        ):
            found_id, found_secret = env.get(key_id, ""), env.get(secret, "")
            if not found_id and not found_secret:
                continue
            if not found_id or not found_secret:
                missing = secret if found_id else key_id
                raise ConfigError(
                    f"{missing} is not set, but the other half of the {family} key is",
                    hint=NO_CREDENTIALS_HINT,
                )
            endpoint = (
                env.get("TETHER_S3_ENDPOINT")
                or env.get("AWS_ENDPOINT_URL_S3")
                or env.get("AWS_ENDPOINT_URL")
            )
            region = (
                env.get("TETHER_S3_REGION")
                or env.get("AWS_REGION")
                or env.get("AWS_DEFAULT_REGION")
                or "us-east-1"
            )
            return cls(found_id, found_secret, endpoint or None, region)
        return None


class S3Buckets:
    """Reads ``s3://`` URIs of any bucket with one :class:`S3Access` (an ``ObjectReader``).

    ``access`` may be a function (e.g. reading the environment): it is called when an S3
    object is first needed, so a half-set variable troubles only those who use S3.
    """

    def __init__(self, access: S3Access | Callable[[], S3Access | None] | None) -> None:
        self._access = access
        self._stores: dict[str, S3ObjectStore] = {}
        self._lock = threading.Lock()

    @property
    def access(self) -> S3Access | None:
        """The credentials (``None``: none configured).

        Raises:
            ConfigError: as :meth:`S3Access.from_env`.
        """
        if callable(self._access):
            self._access = self._access()
        return self._access

    def handles(self, uri: str) -> bool:
        return uri.startswith("s3://")

    def _store(self, uri: str) -> S3ObjectStore:
        bucket = parse_s3_uri(uri).bucket
        with self._lock:
            access = self.access
            if access is None:
                raise ConfigError(f"no S3 credentials to read {uri}", hint=NO_CREDENTIALS_HINT)
            store = self._stores.get(bucket)
            if store is None:
                from tetherai.storage.s3 import S3ObjectStore, S3Settings

                store = self._stores[bucket] = S3ObjectStore(
                    S3Settings(
                        bucket=bucket,
                        access_key_id=access.access_key_id,
                        secret_access_key=access.secret_access_key,
                        endpoint_url=access.endpoint_url,
                        region=access.region,
                        max_attempts=2,
                    )
                )
            return store

    def open(self, uri: str) -> BinaryIO:
        return self._store(uri).open(uri)

    def size(self, uri: str) -> int:
        return self._store(uri).size(uri)

    def list_prefix(self, uri: str) -> list[ListedObject]:
        return self._store(uri).list_prefix(uri)


def is_uri(source: str | os.PathLike[str]) -> bool:
    """Whether an artifact source is a URI (the storage layer's one rule) rather than a path."""
    from tetherai.storage.builder import ArtifactSpec

    return ArtifactSpec("model", "source", source).is_uri


def check_uri(uri: str) -> str:
    """The scheme of an artifact URI, checked before anything is read.

    Raises:
        UnsupportedURI: an unknown scheme, or a URI malformed for its scheme.
    """
    scheme = uri_scheme(uri)
    if scheme == "s3":
        parse_s3_uri(uri)
    elif scheme == LOCAL_SCHEME:
        parse_local_object_uri(uri)
    else:
        parse_file_uri(uri)
    return scheme


def local_path(uri: str) -> Path | None:
    """The path a ``file://`` URI names (it is uploaded like a path); ``None`` for other URIs."""
    return parse_file_uri(uri) if uri_scheme(uri) == "file" else None


def uri_label(kind: str, uri: str) -> str:
    """The default artifact name of a URI: its last path component (``<kind>-<digest>`` for a
    ``tether-obj:`` URI, which names content only)."""
    if uri_scheme(uri) == LOCAL_SCHEME:
        return f"{kind}-{parse_local_object_uri(uri)[:12]}"
    tail = PurePosixPath(parse_s3_uri(uri).key).name
    return tail or parse_s3_uri(uri).bucket


def artifact_from_uri(
    http: Http,
    buckets: S3Buckets,
    kind: str,
    uri: str,
    name: str,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Hash the object (or prefix) ``uri`` names by streaming it; return its manifest entry.

    Raises:
        UnsupportedURI: an unknown scheme or a malformed URI.
        ObjectNotFound, BucketNotFound: nothing is there.
        AccessDenied, StorageUnavailable, ServerError: the store or server refused or failed.
        ConfigError: an ``s3://`` URI and no S3 credentials.
    """
    scheme = check_uri(uri)
    if scheme == LOCAL_SCHEME:
        sha256 = parse_local_object_uri(uri)
        found, size = api_digest(http, sha256, uri, progress)
        if found != sha256:
            raise DigestMismatch(uri, expected=sha256, found=found)
        return {"kind": kind, "name": name, "uri": uri, "size": size, "sha256": sha256}
    if scheme != "s3":
        raise UnsupportedURI(f"{uri!r} is a local file: give its path, it is uploaded")
    from tetherai.storage.builder import ArtifactSpec, build_entry

    entry = build_entry(ArtifactSpec(kind, name, uri), reader=buckets, progress=progress)
    return entry.to_json()


def api_digest(
    http: Http,
    sha256: str,
    what: str,
    progress: ProgressCallback | None,
    *,
    version: str | None = None,
) -> tuple[str, int]:
    """Stream the server's object ``sha256`` through SHA-256; answer (digest, size).

    ``version``: the version through which the caller may have it (see ``Http.download_digest``).

    Raises:
        ObjectNotFound: the server's store has no such object.
        Unreadable: the download was cut short — the server cuts it when its stored copy does
            not hash to the digest.
        ServerError: the server refused otherwise, cannot be reached, or the connection
            failed (a timeout, a refused connection).
    """
    try:
        return http.download_digest(sha256, progress, version=version)
    except ServerError as error:
        if error.status == 404:
            raise ObjectNotFound(f"the object store has no {what}") from error
        raise
    except httpx.RemoteProtocolError as error:
        # The body ended before its Content-Length: the server's refusal to send the rest.
        raise Unreadable(
            f"the store's copy of {what} does not match its digest (download cut short)"
        ) from error
    except httpx.HTTPError as error:
        # A connection that failed says nothing about the object: never a recorded mismatch.
        raise ServerError(
            f"the download of {what} from {http.server} failed: {error or type(error).__name__}",
            status=0,
            code="client.unreachable",
            hint="check that the server is running and retry",
        ) from error
