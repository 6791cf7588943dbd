"""The local content-addressed store, plain-file reader, resolver and verified downloads."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import Path

import pytest

from tetherai.storage import (
    BadInput,
    DigestMismatch,
    LocalFileReader,
    LocalObjectStore,
    ObjectNotFound,
    ObjectReader,
    ObjectStore,
    PathEscapesRoot,
    Resolver,
    StoreCorrupted,
    Unreadable,
    UnsupportedURI,
    VerifyingReader,
    download,
    file_uri,
    hash_object,
    put_bytes,
    put_directory,
    put_file,
    read_tree,
)


class FailingSource(io.RawIOBase):
    """A source that breaks after some bytes, as a dropped network upload would."""

    def __init__(self) -> None:
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.sent:
            raise OSError(5, "Input/output error")
        self.sent = len(buffer)
        memoryview(buffer)[:] = b"x" * len(buffer)
        return len(buffer)


def test_put_open_size_and_layout(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    assert isinstance(store, ObjectStore)
    data = b"model weights" * 1000
    stored = store.put(io.BytesIO(data))
    digest = hashlib.sha256(data).hexdigest()
    assert stored.uri == f"tether-obj:sha256/{digest}" == store.uri_for(digest)
    assert (stored.sha256, stored.size) == (digest, len(data))
    path = tmp_path / "store" / "objects" / "sha256" / digest[:2] / digest[2:]
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert store.size(stored.uri) == len(data) and store.contains(digest)
    with store.open(stored.uri) as stream:
        assert stream.read() == data
    assert list((tmp_path / "store" / "tmp").iterdir()) == []
    assert store.put(io.BytesIO(data)) == stored  # the same content again is a no-op


def test_missing_objects_and_bad_uris(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    missing = store.uri_for("0" * 64)
    with pytest.raises(ObjectNotFound, match=f"object {missing} in the local store"):
        store.open(missing)
    with pytest.raises(ObjectNotFound):
        store.size(missing)
    with pytest.raises(UnsupportedURI):
        store.open("tether-obj:sha256/short")
    with pytest.raises(UnsupportedURI, match="no directories"):
        store.list_prefix("tether-obj:sha256/")
    with pytest.raises(UnsupportedURI):
        store.uri_for("nothex")


def test_an_existing_object_is_never_overwritten(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    stored = store.put(io.BytesIO(b"original"))
    path = store.path_of(stored.sha256)
    os.chmod(path, 0o600)
    path.write_bytes(b"altered, longer")
    with pytest.raises(StoreCorrupted, match="was altered"):
        store.put(io.BytesIO(b"original"))
    assert path.read_bytes() == b"altered, longer"


def test_a_copy_altered_in_place_is_reported_not_silently_kept(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    stored = store.put(io.BytesIO(b"original"))
    path = store.path_of(stored.sha256)
    os.chmod(path, 0o600)
    path.write_bytes(b"0riginal")  # same size, one byte changed
    with pytest.raises(StoreCorrupted, match=r"SHA-256 .* not what its address says"):
        store.put(io.BytesIO(b"original"))
    assert path.read_bytes() == b"0riginal"  # left as evidence
    assert store.put(io.BytesIO(b"other")).sha256 != stored.sha256  # the store still works


def test_a_failed_upload_leaves_nothing_behind(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    with pytest.raises(Unreadable, match="Input/output error"):
        store.put(FailingSource())  # type: ignore[arg-type]
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not (tmp_path / "objects").exists() or not any((tmp_path / "objects").rglob("*?"))


def test_download_verifies_while_streaming_and_writes_nothing_on_mismatch(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    data = os.urandom(100_000)
    stored = store.put(io.BytesIO(data))
    out = tmp_path / "out.bin"
    digest = download(
        store, stored.uri, out, expected_sha256=stored.sha256, expected_size=stored.size
    )
    assert out.read_bytes() == data and digest.sha256 == stored.sha256
    # Tamper one byte of the stored object: the download must fail and leave no file.
    path = store.path_of(stored.sha256)
    os.chmod(path, 0o600)
    tampered = bytearray(data)
    tampered[50_000] ^= 1
    path.write_bytes(bytes(tampered))
    target = tmp_path / "again.bin"
    with pytest.raises(DigestMismatch) as caught:
        download(store, stored.uri, target, expected_sha256=stored.sha256)
    assert caught.value.code == "storage.digest_mismatch"
    assert caught.value.expected == stored.sha256
    assert caught.value.found == hashlib.sha256(tampered).hexdigest()
    assert stored.uri in caught.value.message
    assert not target.exists() and sorted(os.listdir(tmp_path)) == ["out.bin", "store"]


def test_verifying_reader_refuses_content_longer_than_registered() -> None:
    reader = VerifyingReader(
        io.BytesIO(b"abcdef"), expected_sha256="0" * 64, what="x", expected_size=3
    )
    with pytest.raises(DigestMismatch, match="longer than the registered 3 bytes"):
        reader.read()
    ok = VerifyingReader(
        io.BytesIO(b"abc"), expected_sha256=hashlib.sha256(b"abc").hexdigest(), what="x"
    )
    assert ok.read(0) == b"" and ok.read(2) == b"ab" and ok.read() == b"c" and ok.read() == b""
    assert ok.size == 3 and ok.readable()


def test_directories_upload_as_files_plus_a_tree_object(tmp_path: Path) -> None:
    model = tmp_path / "model"
    (model / "sub").mkdir(parents=True)
    (model / "a.txt").write_bytes(b"hello")
    (model / "sub" / "b.txt").write_bytes(b"")
    store = LocalObjectStore(tmp_path / "store")
    tree, files = put_directory(store, model, workers=2)
    # The README's worked example: this tree digests to the documented value.
    assert tree.sha256 == "82735e5b3a5a9b374635ca68026b27aef0c5ab3780748f290fe3c7e62012ec1f"
    assert read_tree(store, tree.uri) == files
    for entry in files:
        assert store.contains(entry.sha256)
    # A tree object edited in the store no longer matches its address.
    path = store.path_of(tree.sha256)
    os.chmod(path, 0o600)
    path.write_bytes(path.read_bytes().replace(b"a.txt", b"c.txt"))
    with pytest.raises(DigestMismatch):
        read_tree(store, tree.uri)
    with pytest.raises(BadInput, match="holds no files"):
        put_directory(store, tmp_path / "store" / "tmp")
    with pytest.raises(BadInput, match="not a regular file"):
        put_file(store, model)
    with pytest.raises(ObjectNotFound):
        put_file(store, model / "missing")


def test_file_reader_and_resolver(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "train.csv").write_bytes(b"a,b\n1,2\n")
    (tmp_path / "secret").write_bytes(b"no")
    reader = LocalFileReader(roots=[data_dir])
    assert isinstance(reader, ObjectReader)
    uri = file_uri(data_dir / "train.csv")
    assert hash_object(reader, uri).sha256 == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert reader.size(uri) == 8
    with pytest.raises(PathEscapesRoot, match="outside the directories"):
        reader.open(file_uri(tmp_path / "secret"))
    with pytest.raises(BadInput, match="is a directory"):
        reader.open(file_uri(data_dir))
    with pytest.raises(ObjectNotFound):
        reader.size(file_uri(data_dir / "nope"))
    listed = reader.list_prefix(file_uri(data_dir) + "/")
    assert [(item.path, item.size) for item in listed] == [("train.csv", 8)]
    with pytest.raises(UnsupportedURI, match="must end with '/'"):
        reader.list_prefix(file_uri(data_dir))

    store = LocalObjectStore(tmp_path / "store")
    stored = put_bytes(store, b"x")
    resolver = Resolver([store, reader])
    assert resolver.reader_for(stored.uri) is store and resolver.reader_for(uri) is reader
    assert resolver.size(stored.uri) == 1 and resolver.handles(uri)
    with resolver.open(uri) as stream:
        assert stream.read() == b"a,b\n1,2\n"
    with pytest.raises(UnsupportedURI, match="no configured object store can read 's3://"):
        resolver.open("s3://bucket/key")
    with pytest.raises(UnsupportedURI, match="scheme 'ftp'"):
        resolver.open("ftp://host/file")


def test_repair_puts_good_bytes_back_and_keeps_the_damaged_copy(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    stored = store.put(io.BytesIO(b"original"))
    path = store.path_of(stored.sha256)
    os.chmod(path, 0o600)
    path.write_bytes(b"0riginal")
    with pytest.raises(StoreCorrupted) as refused:
        store.put(io.BytesIO(b"original"))
    assert str(tmp_path) not in refused.value.message + str(refused.value.details)
    assert "tether objects repair" in refused.value.hint
    # Bytes of another digest are refused and nothing moves.
    with pytest.raises(BadInput, match="not the object's content"):
        store.repair(stored.sha256, io.BytesIO(b"not it"))
    assert path.read_bytes() == b"0riginal"
    assert not (tmp_path / "store" / "quarantine").exists()
    done = store.repair(stored.sha256, io.BytesIO(b"original"))
    assert done.replaced and done.kept == f"quarantine/sha256/{stored.sha256}.1"
    assert (tmp_path / "store" / done.kept).read_bytes() == b"0riginal"  # the evidence
    with store.open(stored.uri) as good:
        assert good.read() == b"original"
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)
    again = store.repair(stored.sha256, io.BytesIO(b"original"))
    assert not again.replaced and again.kept is None  # intact: nothing to do
    assert store.put(io.BytesIO(b"original")).sha256 == stored.sha256  # uploads work again
    assert list((tmp_path / "store" / "tmp").iterdir()) == []
    # A missing object is simply stored; a second damage is kept beside the first.
    path.unlink()
    assert store.repair(stored.sha256, io.BytesIO(b"original")).kept is None
    os.chmod(path, 0o600)
    path.write_bytes(b"broken twice")
    assert store.repair(stored.sha256, io.BytesIO(b"original")).kept.endswith(".2")  # type: ignore[union-attr]
