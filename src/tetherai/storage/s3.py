"""The S3-compatible back end (AWS S3, SeaweedFS, MinIO, Ceph RGW, ...) via boto3 (DESIGN.md §6).

Objects are content-addressed as in the local store, under the configured prefix::

    s3://<bucket>/<prefix>sha256/ab/cdef…     an object, by digest
    s3://<bucket>/<prefix>tmp/<random>        an upload in progress

An upload streams to a staging key through a hashing reader (one read of the source; boto3's
multipart upload reads a non-seekable stream in order), then the object is copied server-side
to its address — unless an object of the same size is already there — and the staging key
deleted. Nothing is ever visible at an address before it is complete.

Settings are explicit (:class:`S3Settings`): credentials are never looked up in the
environment, files or instance metadata, so a deployment gets exactly what it configured, and
a missing key is a clear error rather than a slow probe of the network.

Every ``botocore`` and ``boto3`` error is translated here, once (:func:`_translate`), into
:mod:`tetherai.storage.errors`: refused credentials into ``AccessDenied``, a missing bucket
into ``BucketNotFound``, a missing key into ``ObjectNotFound``, a connection failure into
``StorageUnavailable`` — chained with ``from``.
"""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from tetherai.crypto.digest import HashingReader, hash_stream, is_sha256_hex
from tetherai.extras import require
from tetherai.storage.base import ListedObject, ProgressCallback, Repair, StoredObject
from tetherai.storage.errors import (
    AccessDenied,
    BadInput,
    BucketNotFound,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    StoreCorrupted,
)
from tetherai.storage.paths import check_relative_path
from tetherai.storage.uri import is_prefix, parse_s3_uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["S3ObjectStore", "S3Settings"]

_PART_SIZE = 64 * 1024 * 1024
_AUTH_CODES = frozenset(
    {
        "AccessDenied",
        "AllAccessDisabled",
        "AuthorizationHeaderMalformed",
        "ExpiredToken",
        "InvalidAccessKeyId",
        "InvalidToken",
        "SignatureDoesNotMatch",
        "403",
    }
)
_MISSING_CODES = frozenset({"NoSuchKey", "NotFound", "404"})
_UNAVAILABLE_CODES = frozenset({"InternalError", "ServiceUnavailable", "SlowDown", "503", "500"})


def _botocore() -> Any:
    """``botocore.exceptions``, loaded on first use (boto3 is the ``[s3]`` extra)."""
    return require("botocore.exceptions", "s3")


def _network_errors() -> tuple[type[Exception], ...]:
    exceptions = _botocore()
    return (
        exceptions.EndpointConnectionError,
        exceptions.ConnectionError,
        exceptions.HTTPClientError,
        exceptions.ReadTimeoutError,
        exceptions.ConnectTimeoutError,
        exceptions.IncompleteReadError,
        exceptions.ResponseStreamingError,
    )


@dataclass(frozen=True)
class S3Settings:
    """How to reach one bucket. ``prefix`` is '' or ends with '/'."""

    bucket: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    endpoint_url: str | None = None
    region: str = "us-east-1"
    prefix: str = ""
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    max_attempts: int = 3
    upload_concurrency: int = 4


def _walk_causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _translate(error: Exception, *, what: str, endpoint: str, bucket: str) -> StorageError:
    """The storage error that explains a ``botocore``/``boto3`` error met on ``what``."""
    botocore_exceptions = _botocore()
    for cause in _walk_causes(error):
        if isinstance(cause, StorageError):
            return cause
        if isinstance(cause, botocore_exceptions.ClientError):
            info = cause.response.get("Error", {})
            code = str(info.get("Code", ""))
            message = str(info.get("Message", "")) or code
            if code == "403":  # a HEAD answer has no body to say why
                message = "403 Forbidden: wrong credentials, or no permission"
            if code in _AUTH_CODES:
                return AccessDenied(
                    f"the object store at {endpoint} refused access to {what}: {message} ({code})"
                )
            if code == "NoSuchBucket":
                return BucketNotFound(f"bucket {bucket!r} does not exist at {endpoint}")
            if code in _MISSING_CODES:
                return ObjectNotFound(f"{what} does not exist")
            if code in _UNAVAILABLE_CODES:
                return StorageUnavailable(f"the object store at {endpoint} failed: {message}")
            return StorageError(
                f"the object store at {endpoint} refused {what}: {message} ({code})"
            )
        if isinstance(
            cause,
            botocore_exceptions.NoCredentialsError | botocore_exceptions.PartialCredentialsError,
        ):
            return AccessDenied(f"no usable S3 credentials for {endpoint}")
        if isinstance(cause, _network_errors()):
            return StorageUnavailable(f"cannot reach the object store at {endpoint}: {cause}")
        if isinstance(cause, botocore_exceptions.ParamValidationError):
            return BadInput(f"invalid S3 request for {what}: {cause}")
    return StorageError(f"the object store at {endpoint} failed on {what}: {error}")


class _S3Raw(io.RawIOBase):
    """A raw stream over an S3 response body whose read errors are translated."""

    def __init__(self, body: Any, translate: Any) -> None:
        self._body = body
        self._translate = translate

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data = self._body.read(len(view))
        except Exception as error:
            raise self._translate(error) from error
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3ObjectStore:
    """A content-addressed store in an S3 bucket; reads any ``s3://`` URI with its credentials."""

    def __init__(self, settings: S3Settings) -> None:
        """Build the client (no request is made until the store is used).

        Raises:
            BadInput: the bucket name, prefix or credentials are malformed or empty.
        """
        parse_s3_uri(f"s3://{settings.bucket}/")
        if settings.prefix and not settings.prefix.endswith("/"):
            raise BadInput(f"the S3 prefix must be empty or end with '/', not {settings.prefix!r}")
        if not settings.access_key_id or not settings.secret_access_key:
            raise BadInput(
                "S3 credentials are required (access key id and secret access key)",
                hint="Set them in the storage settings; tetherai never guesses credentials.",
            )
        self.settings = settings
        self._endpoint = settings.endpoint_url or f"AWS S3 ({settings.region})"
        boto3 = require("boto3", "s3")
        botocore_config = require("botocore.config", "s3")
        transfer = require("boto3.s3.transfer", "s3")
        session = boto3.session.Session(
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=settings.secret_access_key,
            region_name=settings.region,
        )
        config = botocore_config.Config(
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            retries={"max_attempts": settings.max_attempts, "mode": "standard"},
            # Path-style for self-hosted endpoints, which rarely have wildcard DNS.
            s3={"addressing_style": "path" if settings.endpoint_url else "auto"},
            # We verify SHA-256 ourselves; CRC trailers are not understood by every server.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._client: S3Client = session.client(
            "s3", endpoint_url=settings.endpoint_url, config=config
        )
        self._transfer = transfer.TransferConfig(
            multipart_threshold=_PART_SIZE,
            multipart_chunksize=_PART_SIZE,
            max_concurrency=settings.upload_concurrency,
        )

    def __repr__(self) -> str:
        """Name the store by endpoint and bucket (never the secret)."""
        return f"S3ObjectStore({self._endpoint!r}, bucket={self.settings.bucket!r})"

    @contextmanager
    def _translated(self, what: str, bucket: str | None = None) -> Iterator[None]:
        try:
            yield
        except StorageError:
            raise
        except Exception as error:
            raise self._error(error, what, bucket) from error

    def _error(self, error: Exception, what: str, bucket: str | None = None) -> StorageError:
        return _translate(
            error, what=what, endpoint=self._endpoint, bucket=bucket or self.settings.bucket
        )

    def _key_for(self, sha256: str) -> str:
        if not is_sha256_hex(sha256):
            raise BadInput(f"{sha256!r} is not a SHA-256 digest (64 lowercase hex)")
        return f"{self.settings.prefix}sha256/{sha256[:2]}/{sha256[2:]}"

    def uri_for(self, sha256: str) -> str:
        """``s3://<bucket>/<prefix>sha256/ab/cdef…``."""
        return f"s3://{self.settings.bucket}/{self._key_for(sha256)}"

    def handles(self, uri: str) -> bool:
        """Whether ``uri`` is an ``s3://`` URI."""
        return uri.startswith("s3://")

    def _head(self, bucket: str, key: str, uri: str) -> int | None:
        """The size of ``key``, or ``None`` if it does not exist (a missing bucket raises)."""
        try:
            return int(self._client.head_object(Bucket=bucket, Key=key)["ContentLength"])
        except _botocore().ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code not in _MISSING_CODES:
                raise self._error(error, uri, bucket) from error
        except Exception as error:
            raise self._error(error, uri, bucket) from error
        # HEAD answers a bare 404 for a missing bucket too; ask the bucket to tell them apart.
        with self._translated(f"bucket {bucket!r}", bucket):
            try:
                self._client.head_bucket(Bucket=bucket)
            except _botocore().ClientError as error:
                code = str(error.response.get("Error", {}).get("Code", ""))
                if code in _MISSING_CODES or code == "NoSuchBucket":
                    raise BucketNotFound(
                        f"bucket {bucket!r} does not exist at {self._endpoint}"
                    ) from error
                raise
        return None

    def size(self, uri: str) -> int:
        """The object's size (``ObjectNotFound``, ``BucketNotFound``, ``AccessDenied``, ...)."""
        location = parse_s3_uri(uri)
        size = self._head(location.bucket, location.key, uri)
        if size is None:
            raise ObjectNotFound(f"{uri} does not exist")
        return size

    def open(self, uri: str) -> BinaryIO:
        """Stream the object; read errors are translated too."""
        location = parse_s3_uri(uri)
        if not location.key or is_prefix(uri):
            raise BadInput(f"{uri!r} is a prefix, not an object")
        with self._translated(uri, location.bucket):
            body = self._client.get_object(Bucket=location.bucket, Key=location.key)["Body"]
        raw = _S3Raw(body, lambda error: self._error(error, uri, location.bucket))
        return io.BufferedReader(raw, buffer_size=1024 * 1024)

    def list_prefix(self, uri: str) -> list[ListedObject]:
        """The objects under the prefix ``uri`` (directory markers skipped), sorted by path.

        Raises:
            ObjectNotFound: nothing is under the prefix.
            PathEscapesRoot, BadInput: a key under it is not a clean relative path.
        """
        if not is_prefix(uri):
            raise BadInput(f"{uri!r} is not a prefix (it must end with '/')")
        location = parse_s3_uri(uri)
        found: list[ListedObject] = []
        with self._translated(uri, location.bucket):
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=location.bucket, Prefix=location.key
            )
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"]
                    relative = key[len(location.key) :]
                    if key.endswith("/") and item.get("Size", 0) == 0:
                        continue  # a "folder" marker some tools create
                    check_relative_path(relative, what=f"key {key!r} under {uri}")
                    found.append(
                        ListedObject(relative, f"s3://{location.bucket}/{key}", int(item["Size"]))
                    )
        if not found:
            raise ObjectNotFound(f"no objects under {uri}")
        found.sort(key=lambda item: item.path)
        return found

    def put(self, source: BinaryIO, *, progress: ProgressCallback | None = None) -> StoredObject:
        """Upload what ``source`` yields, hashed on the way, to its content address.

        Raises:
            AccessDenied, BucketNotFound, StorageUnavailable: the store refused or failed.
            StoreCorrupted: an object of another size is already at the address.
        """
        bucket = self.settings.bucket
        staging = f"{self.settings.prefix}tmp/{uuid.uuid4().hex}"
        reader = HashingReader(source)
        try:
            with self._translated(f"an upload to bucket {bucket!r}"):
                # HashingReader has no seek(), so boto3 reads it in order, exactly once.
                self._client.upload_fileobj(
                    reader,  # type: ignore[arg-type]
                    bucket,
                    staging,
                    Config=self._transfer,
                    Callback=progress,
                )
            stored = StoredObject(self.uri_for(reader.sha256), reader.sha256, reader.size)
            key = self._key_for(reader.sha256)
            existing = self._head(bucket, key, stored.uri)
            if existing is not None and existing != stored.size:
                raise StoreCorrupted(
                    f"object {stored.uri} has {existing} bytes, not {stored.size}: the stored "
                    "copy was altered; it was left untouched",
                    details={"object": stored.uri},
                )
            if existing is None:
                with self._translated(stored.uri):
                    self._client.copy(
                        {"Bucket": bucket, "Key": staging}, bucket, key, Config=self._transfer
                    )
            return stored
        finally:
            # Best effort: if this fails too, the upload's own error is the one to report.
            with contextlib.suppress(Exception):
                self._client.delete_object(Bucket=bucket, Key=staging)

    def repair(self, sha256: str, source: BinaryIO) -> Repair:
        """Put back the object ``sha256`` from ``source``, whose bytes must have that digest
        (as :meth:`LocalObjectStore.repair`): a damaged copy is first copied to
        ``<prefix>quarantine/sha256/<hex>.<n>`` as evidence, then the address is overwritten.

        Raises:
            BadInput: ``source`` does not hash to ``sha256``; nothing was changed.
            AccessDenied, BucketNotFound, StorageUnavailable: the store refused or failed.
        """
        bucket, key = self.settings.bucket, self._key_for(sha256)
        uri = self.uri_for(sha256)
        staging = f"{self.settings.prefix}tmp/{uuid.uuid4().hex}"
        reader = HashingReader(source)
        try:
            with self._translated(f"an upload to bucket {bucket!r}"):
                self._client.upload_fileobj(reader, bucket, staging, Config=self._transfer)  # type: ignore[arg-type]
            stored = StoredObject(uri, reader.sha256, reader.size)
            if reader.sha256 != sha256:
                raise BadInput(
                    f"the file given has SHA-256 {reader.sha256}, not {sha256}: it is not "
                    "the object's content; nothing was changed",
                    hint="give a good copy of the object (its SHA-256 is the object's address)",
                )
            kept = None
            if self._head(bucket, key, uri) is not None:
                with self.open(uri) as current:
                    if hash_stream(current).sha256 == sha256:
                        return Repair(stored, replaced=False, kept=None)
                number = 1
                while (
                    self._head(
                        bucket, f"{self.settings.prefix}quarantine/sha256/{sha256}.{number}", uri
                    )
                    is not None
                ):
                    number += 1
                kept = f"{self.settings.prefix}quarantine/sha256/{sha256}.{number}"
                with self._translated(uri):
                    self._client.copy(
                        {"Bucket": bucket, "Key": key}, bucket, kept, Config=self._transfer
                    )
            with self._translated(uri):
                self._client.copy(
                    {"Bucket": bucket, "Key": staging}, bucket, key, Config=self._transfer
                )
            return Repair(
                stored, replaced=True, kept=None if kept is None else f"s3://{bucket}/{kept}"
            )
        finally:
            with contextlib.suppress(Exception):
                self._client.delete_object(Bucket=bucket, Key=staging)
