"""SHA-256 of bytes, streams and files, checked against hashlib."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import BinaryIO, cast

import pytest

from tetherai.crypto import (
    CHUNK_SIZE,
    FileDigest,
    HashingReader,
    hash_file,
    hash_stream,
    is_sha256_hex,
    sha256_hex,
)

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_sha256_hex_of_known_values() -> None:
    assert sha256_hex(b"") == EMPTY_SHA256
    assert sha256_hex(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (EMPTY_SHA256, True),
        ("0" * 64, True),
        (EMPTY_SHA256.upper(), False),
        (EMPTY_SHA256[:-1], False),
        (EMPTY_SHA256 + "0", False),
        (EMPTY_SHA256 + "\n", False),
        ("g" * 64, False),
        ("", False),
    ],
)
def test_is_sha256_hex(value: str, expected: bool) -> None:
    assert is_sha256_hex(value) is expected


def test_hash_file_spanning_several_chunks(tmp_path: Path) -> None:
    content = os.urandom(2 * CHUNK_SIZE + 12_345)
    path = tmp_path / "model.bin"
    path.write_bytes(content)
    expected = FileDigest(sha256=hashlib.sha256(content).hexdigest(), size=len(content))
    assert hash_file(path) == expected
    assert hash_file(str(path)) == expected
    with path.open("rb") as stream:
        assert hash_stream(cast(BinaryIO, stream)) == expected


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE])
def test_hash_file_edge_sizes(tmp_path: Path, size: int) -> None:
    content = b"\xab" * size
    path = tmp_path / "f"
    path.write_bytes(content)
    assert hash_file(path) == FileDigest(hashlib.sha256(content).hexdigest(), size)


def test_hash_file_missing_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        hash_file(tmp_path / "absent")


def test_hash_stream_from_current_position_with_small_chunks() -> None:
    stream = io.BytesIO(b"header" + b"payload" * 1000)
    stream.seek(6)
    digest = hash_stream(stream, chunk_size=7)
    assert digest == FileDigest(hashlib.sha256(b"payload" * 1000).hexdigest(), 7000)


def test_hash_stream_refuses_bad_chunk_size() -> None:
    with pytest.raises(ValueError, match="chunk_size must be positive"):
        hash_stream(io.BytesIO(b"x"), chunk_size=0)


def test_hashing_reader_hashes_what_passes_through() -> None:
    content = os.urandom(100_000)
    reader = HashingReader(io.BytesIO(content))
    assert reader.readable()
    assert reader.size == 0
    assert reader.sha256 == EMPTY_SHA256
    parts = [reader.read(10)]
    buffer = bytearray(1000)
    count = reader.readinto(buffer)
    parts.append(bytes(buffer[:count]))
    view = memoryview(bytearray(500))
    count = reader.readinto(view)
    parts.append(bytes(view[:count]))
    parts.append(reader.read())
    assert reader.read() == b""
    assert reader.readinto(bytearray(10)) == 0
    assert b"".join(parts) == content
    assert reader.size == len(content)
    assert reader.sha256 == hashlib.sha256(content).hexdigest()


class ReadOnly:
    """A stream with read() but no readinto()."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)


def test_hashing_reader_over_a_stream_without_readinto() -> None:
    reader = HashingReader(cast(BinaryIO, ReadOnly(b"abcdef")))
    buffer = bytearray(4)
    assert reader.readinto(buffer) == 4
    assert buffer == b"abcd"
    assert reader.readinto(buffer) == 2
    assert buffer[:2] == b"ef"
    assert reader.readinto(buffer) == 0
    assert reader.sha256 == sha256_hex(b"abcdef")
    assert reader.size == 6


def test_hashing_reader_feeds_hash_stream() -> None:
    content = b"x" * 10_000
    reader = HashingReader(io.BytesIO(content))
    assert hash_stream(cast(BinaryIO, reader), chunk_size=999) == FileDigest(
        reader.sha256, reader.size
    )
    assert reader.sha256 == sha256_hex(content)
