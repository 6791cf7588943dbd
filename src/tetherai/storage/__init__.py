"""storage layer (DESIGN.md §2, §6): artifacts in object storage, hashed and verified.

Back ends behind one interface (:class:`ObjectStore`): a content-addressed local directory and
S3-compatible stores. Imports only :mod:`tetherai.crypto` and :mod:`tetherai.errors`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tetherai._lazy import lazy_exports

if TYPE_CHECKING:
    from tetherai.storage.base import (
        ListedObject,
        ObjectReader,
        ObjectStore,
        ProgressCallback,
        Repair,
        Resolver,
        StoredObject,
        VerifyingReader,
    )
    from tetherai.storage.builder import (
        ArtifactSpec,
        build_entry,
        build_manifest,
    )
    from tetherai.storage.errors import (
        AccessDenied,
        BadInput,
        BucketNotFound,
        DigestMismatch,
        ManifestError,
        ObjectNotFound,
        PathEscapesRoot,
        StorageError,
        StorageUnavailable,
        StoreCorrupted,
        Unreadable,
        UnsupportedURI,
    )
    from tetherai.storage.hashing import (
        DEFAULT_SHARD_SIZE,
        DirectoryDigest,
        ShardDigest,
        default_workers,
        hash_file,
        hash_files,
        hash_object,
        hash_prefix,
        hash_shards,
        hash_tree,
    )
    from tetherai.storage.local import (
        LocalFileReader,
        LocalObjectStore,
    )
    from tetherai.storage.manifest import (
        ArtifactEntry,
        FileEntry,
        directory_digest,
        manifest_from_json,
        manifest_to_json,
        parse_tree,
        tree_bytes,
    )
    from tetherai.storage.model_signature import SIGSTORE_BUNDLE_MEDIA_TYPE, key_hint, signed_bundle
    from tetherai.storage.openssf import (
        GIT_PATHS,
        IN_TOTO_STATEMENT_TYPE,
        MODEL_SIGNING_PREDICATE_TYPE,
        is_git_path,
        sharded_statement,
        statement_for_entry,
    )
    from tetherai.storage.paths import (
        WalkedFile,
        check_relative_path,
        resolve_inside,
        translate_os_error,
        walk_files,
    )
    from tetherai.storage.progress import (
        ByteProgress,
    )
    from tetherai.storage.s3 import (
        S3ObjectStore,
        S3Settings,
    )
    from tetherai.storage.transfer import (
        MAX_TREE_BYTES,
        download,
        put_bytes,
        put_directory,
        put_file,
        read_tree,
    )
    from tetherai.storage.uri import (
        LOCAL_SCHEME,
        S3Location,
        content_uri,
        digest_of_content_uri,
        file_uri,
        is_prefix,
        join_prefix,
        local_object_uri,
        parse_file_uri,
        parse_local_object_uri,
        parse_s3_uri,
        uri_scheme,
    )
    from tetherai.storage.verification import (
        ArtifactCheck,
        ArtifactSource,
        DirectorySource,
        StoreSource,
        VerificationReport,
        verify_artifacts,
    )

__all__ = [
    "DEFAULT_SHARD_SIZE",
    "GIT_PATHS",
    "IN_TOTO_STATEMENT_TYPE",
    "LOCAL_SCHEME",
    "MAX_TREE_BYTES",
    "MODEL_SIGNING_PREDICATE_TYPE",
    "SIGSTORE_BUNDLE_MEDIA_TYPE",
    "AccessDenied",
    "ArtifactCheck",
    "ArtifactEntry",
    "ArtifactSource",
    "ArtifactSpec",
    "BadInput",
    "BucketNotFound",
    "ByteProgress",
    "DigestMismatch",
    "DirectoryDigest",
    "DirectorySource",
    "FileEntry",
    "ListedObject",
    "LocalFileReader",
    "LocalObjectStore",
    "ManifestError",
    "ObjectNotFound",
    "ObjectReader",
    "ObjectStore",
    "PathEscapesRoot",
    "ProgressCallback",
    "Repair",
    "Resolver",
    "S3Location",
    "S3ObjectStore",
    "S3Settings",
    "ShardDigest",
    "StorageError",
    "StorageUnavailable",
    "StoreCorrupted",
    "StoreSource",
    "StoredObject",
    "Unreadable",
    "UnsupportedURI",
    "VerificationReport",
    "VerifyingReader",
    "WalkedFile",
    "build_entry",
    "build_manifest",
    "check_relative_path",
    "content_uri",
    "default_workers",
    "digest_of_content_uri",
    "directory_digest",
    "download",
    "file_uri",
    "hash_file",
    "hash_files",
    "hash_object",
    "hash_prefix",
    "hash_shards",
    "hash_tree",
    "is_git_path",
    "is_prefix",
    "join_prefix",
    "key_hint",
    "local_object_uri",
    "manifest_from_json",
    "manifest_to_json",
    "parse_file_uri",
    "parse_local_object_uri",
    "parse_s3_uri",
    "parse_tree",
    "put_bytes",
    "put_directory",
    "put_file",
    "read_tree",
    "resolve_inside",
    "sharded_statement",
    "signed_bundle",
    "statement_for_entry",
    "translate_os_error",
    "tree_bytes",
    "uri_scheme",
    "verify_artifacts",
    "walk_files",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
