"""Hashing files, trees and shards: digests equal hashlib's, in path order, with clear errors."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from tetherai.storage import (
    BadInput,
    FileEntry,
    ObjectNotFound,
    directory_digest,
    hash_file,
    hash_files,
    hash_shards,
    hash_tree,
)


class Counter:
    def __init__(self) -> None:
        self.total = 0
        self._lock = threading.Lock()

    def __call__(self, count: int) -> None:
        with self._lock:
            self.total += count


def sparse_file(path: Path, size: int) -> bytes:
    """A file of ``size`` bytes, mostly a hole, with data at unaligned places; return its content."""
    content = bytearray(size)
    for offset in (0, 4095, 1024 * 1024 - 3, size - 7):
        content[offset : offset + 5] = b"tamper"[:5]
    with open(path, "wb") as file:
        file.truncate(size)
        for offset in (0, 4095, 1024 * 1024 - 3, size - 7):
            file.seek(offset)
            file.write(bytes(content[offset : offset + 5]))
    return bytes(content[:size])


def test_small_and_large_files_hash_like_hashlib(tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.write_bytes(b"hello")
    assert hash_file(small).sha256 == hashlib.sha256(b"hello").hexdigest()
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert hash_file(empty).size == 0
    large = tmp_path / "large"
    size = 5 * 1024 * 1024 + 12345  # many 1 MiB reads and a tail
    content = sparse_file(large, size)
    counter = Counter()
    digest = hash_file(large, progress=counter)
    assert digest.sha256 == hashlib.sha256(content).hexdigest()
    assert digest.size == size == counter.total


def test_hash_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ObjectNotFound, match="does not exist"):
        hash_file(tmp_path / "missing.bin")
    with pytest.raises(BadInput, match="not a regular file"):
        hash_file(tmp_path)
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(BadInput, match="not a regular file"):
        hash_file(tmp_path / "fifo")


def test_hash_files_in_parallel_keeps_the_order_and_raises_the_first_error(tmp_path: Path) -> None:
    paths = []
    for index in range(40):
        path = tmp_path / f"f{index:02}"
        path.write_bytes(os.urandom(index * 997))
        paths.append(path)
    serial = [hash_file(path) for path in paths]
    assert hash_files(paths, workers=4) == serial
    assert hash_files(paths, workers=1) == serial
    with pytest.raises(ObjectNotFound, match="f-missing"):
        hash_files([*paths, tmp_path / "f-missing"], workers=4)


def test_hash_tree_is_the_directory_digest_of_its_files(tmp_path: Path) -> None:
    (tmp_path / "m" / "w").mkdir(parents=True)
    (tmp_path / "m" / "config.json").write_bytes(b"{}")
    (tmp_path / "m" / "w" / "0.bin").write_bytes(b"\x00" * 1000)
    (tmp_path / "m" / "notes.tmp").write_bytes(b"skip me")
    counter = Counter()
    tree = hash_tree(tmp_path / "m", ignore=["*.tmp"], workers=2, progress=counter)
    expected = (
        FileEntry("config.json", 2, hashlib.sha256(b"{}").hexdigest()),
        FileEntry("w/0.bin", 1000, hashlib.sha256(b"\x00" * 1000).hexdigest()),
    )
    assert tree.files == expected
    assert tree.sha256 == directory_digest(expected)
    assert tree.size == 1002 == counter.total
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match="holds no files"):
        hash_tree(tmp_path / "empty")


@pytest.mark.parametrize("shard_size", [1000, 4096, 1 << 20])
def test_shards_cover_the_file_and_hash_like_hashlib(tmp_path: Path, shard_size: int) -> None:
    data = os.urandom(3 * 4096 + 17)
    (tmp_path / "f").write_bytes(data)
    shards = hash_shards(tmp_path / "f", shard_size=shard_size, workers=2)
    assert shards[0].start == 0 and shards[-1].end == len(data)
    for shard in shards:
        assert shard.sha256 == hashlib.sha256(data[shard.start : shard.end]).hexdigest()
    (tmp_path / "e").write_bytes(b"")
    assert hash_shards(tmp_path / "e") == []
    with pytest.raises(ValueError, match="positive"):
        hash_shards(tmp_path / "f", shard_size=0)
