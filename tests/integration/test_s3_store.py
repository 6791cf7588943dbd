"""The S3 back end against a real S3-compatible server (SeaweedFS) that checks signatures."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import pytest

from tests.common.s3_server import S3Server
from tetherai.storage import (
    AccessDenied,
    ArtifactSpec,
    BadInput,
    BucketNotFound,
    DigestMismatch,
    ObjectNotFound,
    S3ObjectStore,
    S3Settings,
    StorageUnavailable,
    StoreSource,
    build_manifest,
    download,
    hash_prefix,
    read_tree,
    verify_artifacts,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def s3_server(s3: S3Server) -> S3Server:
    return s3  # the one SeaweedFS of the run (tests/integration/conftest.py)


@pytest.fixture
def bucket(s3_server: S3Server, request: pytest.FixtureRequest) -> str:
    name = "t-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:20]
    s3_server.create_bucket(name)
    return name


def settings(server: S3Server, bucket: str, **changes: Any) -> S3Settings:
    values: dict[str, Any] = {
        "bucket": bucket,
        "access_key_id": server.access_key_id,
        "secret_access_key": server.secret_access_key,
        "endpoint_url": server.endpoint_url,
        "prefix": "objects/",
        "max_attempts": 1,
    }
    values.update(changes)
    return S3Settings(**values)


def raw(server: S3Server) -> Any:
    return server.client()


def flip_byte(server: S3Server, uri: str, offset: int) -> None:
    """Tamper with one byte of an object in the bucket, behind the store's back."""
    bucket, key = uri[len("s3://") :].split("/", 1)
    client = raw(server)
    data = bytearray(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    data[offset] ^= 0x01
    client.put_object(Bucket=bucket, Key=key, Body=bytes(data))


def test_put_open_size_round_trip(s3_server: S3Server, bucket: str) -> None:
    store = S3ObjectStore(settings(s3_server, bucket))
    data = os.urandom(300_000)
    stored = store.put(io.BytesIO(data))
    digest = hashlib.sha256(data).hexdigest()
    assert (
        stored.uri
        == f"s3://{bucket}/objects/sha256/{digest[:2]}/{digest[2:]}"
        == store.uri_for(digest)
    )
    assert (stored.sha256, stored.size) == (digest, len(data)) and store.size(stored.uri) == len(
        data
    )
    with store.open(stored.uri) as stream:
        assert stream.read() == data
    assert store.put(io.BytesIO(data)) == stored
    keys = [o["Key"] for o in raw(s3_server).list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [f"objects/sha256/{digest[:2]}/{digest[2:]}"]  # no staging key left behind


def test_multipart_upload_is_hashed_in_one_read(
    s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    # Larger than the 64 MiB part size: boto3 uploads parts, reading our stream in order.
    data = os.urandom(1 << 20) * 70
    store = S3ObjectStore(settings(s3_server, bucket))
    seen: list[int] = []
    stored = store.put(io.BytesIO(data), progress=seen.append)
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and sum(seen) == len(data)
    out = tmp_path / "out.bin"
    download(store, stored.uri, out, expected_sha256=stored.sha256)
    assert out.stat().st_size == len(data)


def test_a_tampered_object_fails_the_download_and_writes_nothing(
    s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    store = S3ObjectStore(settings(s3_server, bucket))
    stored = store.put(io.BytesIO(b"weights" * 10_000))
    flip_byte(s3_server, stored.uri, 12_345)
    target = tmp_path / "w.bin"
    with pytest.raises(DigestMismatch) as caught:
        download(store, stored.uri, target, expected_sha256=stored.sha256)
    assert caught.value.object == stored.uri and caught.value.expected == stored.sha256
    assert list(tmp_path.iterdir()) == []


def test_directories_and_re_hash_verification_name_the_tampered_file(
    s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    model = tmp_path / "model"
    (model / "weights").mkdir(parents=True)
    (model / "config.json").write_bytes(b"{}")
    (model / "weights" / "0.bin").write_bytes(os.urandom(20_000))
    (tmp_path / "train.csv").write_bytes(b"a,b\n1,2\n")
    store = S3ObjectStore(settings(s3_server, bucket))
    manifest = build_manifest(
        [
            ArtifactSpec("model", "model", model),
            ArtifactSpec("train_dataset", "train.csv", tmp_path / "train.csv"),
        ],
        store=store,
    )
    assert manifest[0].files is not None
    assert read_tree(store, manifest[0].uri) == manifest[0].files
    assert verify_artifacts(list(manifest), StoreSource(store)).ok
    flip_byte(s3_server, store.uri_for(manifest[0].files[1].sha256), 999)
    flip_byte(s3_server, manifest[1].uri, 0)
    report = verify_artifacts(list(manifest), StoreSource(store))
    assert [check.name for check in report.mismatches] == ["model", "train.csv"]
    assert report.artifacts[0].differing == ("weights/0.bin",)
    assert report.recomputed()[1]["sha256"] == hashlib.sha256(b"`,b\n1,2\n").hexdigest()


def test_prefixes_are_directory_artifacts(s3_server: S3Server, bucket: str, tmp_path: Path) -> None:
    client = raw(s3_server)
    client.put_object(Bucket=bucket, Key="runs/7/model/b.bin", Body=b"bb")
    client.put_object(Bucket=bucket, Key="runs/7/model/a/x.bin", Body=b"x")
    client.put_object(Bucket=bucket, Key="runs/7/model/empty/", Body=b"")  # a folder marker
    store = S3ObjectStore(settings(s3_server, bucket))
    tree = hash_prefix(store, f"s3://{bucket}/runs/7/model/")
    assert [(f.path, f.size) for f in tree.files] == [("a/x.bin", 1), ("b.bin", 2)]
    (entry,) = build_manifest(
        [ArtifactSpec("model", "m", f"s3://{bucket}/runs/7/model/")], reader=store
    )
    assert entry.sha256 == tree.sha256 and entry.uri.endswith("/")
    client.put_object(Bucket=bucket, Key="runs/7/model/c.bin", Body=b"new")
    check = verify_artifacts([entry], StoreSource(store)).artifacts[0]
    assert check.extra == ("c.bin",) and not check.equal
    with pytest.raises(ObjectNotFound, match="no objects under"):
        store.list_prefix(f"s3://{bucket}/nothing/")


@pytest.mark.parametrize(
    ("access", "secret", "code"),
    [(None, "wrong-secret", "SignatureDoesNotMatch"), ("nobody", "whatever", "InvalidAccessKeyId")],
)
def test_wrong_credentials_are_refused_with_a_clear_error(
    s3_server: S3Server, bucket: str, access: str | None, secret: str, code: str
) -> None:
    good = S3ObjectStore(settings(s3_server, bucket))
    stored = good.put(io.BytesIO(b"data"))
    bad = S3ObjectStore(
        settings(
            s3_server,
            bucket,
            access_key_id=access or s3_server.access_key_id,
            secret_access_key=secret,
        )
    )
    for attempt in (
        lambda: bad.put(io.BytesIO(b"other")),
        lambda: bad.open(stored.uri),
        lambda: bad.size(stored.uri),
        lambda: bad.list_prefix(f"s3://{bucket}/"),
    ):
        # HEAD answers carry no error code, only 403.
        with pytest.raises(
            AccessDenied, match=f"{code}|403 Forbidden: wrong credentials"
        ) as caught:
            attempt()
        assert (
            caught.value.code == "storage.access_denied"
            and "refused access" in caught.value.message
        )
        assert "access key id and secret key" in caught.value.hint
    # A reviewer with bad credentials gets an error, never a report blaming the artifacts.
    (entry,) = build_manifest([ArtifactSpec("log", "log", stored.uri)], reader=good)
    with pytest.raises(AccessDenied):
        verify_artifacts([entry], StoreSource(bad))


def test_missing_bucket_key_and_server(s3_server: S3Server, bucket: str) -> None:
    store = S3ObjectStore(settings(s3_server, bucket))
    with pytest.raises(ObjectNotFound, match="does not exist"):
        store.size(f"s3://{bucket}/no/such/key")
    with pytest.raises(ObjectNotFound):
        store.open(f"s3://{bucket}/no/such/key")
    with pytest.raises(BucketNotFound, match="bucket 'no-such-bucket' does not exist"):
        store.size("s3://no-such-bucket/key")
    with pytest.raises(BucketNotFound):
        store.open("s3://no-such-bucket/key")
    with pytest.raises(BucketNotFound):
        S3ObjectStore(settings(s3_server, "no-such-bucket")).put(io.BytesIO(b"x"))
    with pytest.raises(BadInput, match="prefix, not an object"):
        store.open(f"s3://{bucket}/dir/")
    # Nothing listens on this port: a network error, said as such, quickly.
    closed = S3ObjectStore(
        settings(s3_server, bucket, endpoint_url="http://127.0.0.1:9", connect_timeout=1.0)
    )
    with pytest.raises(
        StorageUnavailable, match=r"cannot reach the object store at http://127\.0\.0\.1:9"
    ):
        closed.size(f"s3://{bucket}/x")


def test_settings_are_checked_before_any_request() -> None:
    with pytest.raises(BadInput, match="credentials are required"):
        S3ObjectStore(S3Settings("bucket", "", "secret", endpoint_url="http://127.0.0.1:9"))
    with pytest.raises(BadInput, match="end with '/'"):
        S3ObjectStore(S3Settings("bucket", "a", "b", endpoint_url="http://127.0.0.1:9", prefix="x"))
    assert "secret" not in repr(S3Settings("bucket", "a", "secret"))


def test_repair_overwrites_a_damaged_object_and_keeps_a_copy(
    s3_server: S3Server, bucket: str
) -> None:
    store = S3ObjectStore(settings(s3_server, bucket))
    data = b"model weights " * 1000
    stored = store.put(io.BytesIO(data))
    flip_byte(s3_server, stored.uri, 3)
    with pytest.raises(BadInput, match="not the object's content"):
        store.repair(stored.sha256, io.BytesIO(b"something else"))
    done = store.repair(stored.sha256, io.BytesIO(data))
    assert done.replaced
    assert done.kept == f"s3://{bucket}/objects/quarantine/sha256/{stored.sha256}.1"
    with store.open(stored.uri) as good:
        assert good.read() == data
    with store.open(done.kept) as evidence:
        damaged = evidence.read()
    assert damaged != data and len(damaged) == len(data)
    assert not store.repair(stored.sha256, io.BytesIO(data)).replaced  # intact now
    keys = {o["Key"] for o in raw(s3_server).list_objects_v2(Bucket=bucket)["Contents"]}
    assert not any("/tmp/" in key for key in keys)  # no staging key left behind
