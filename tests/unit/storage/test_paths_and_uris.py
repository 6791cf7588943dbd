"""Relative paths, directory walks (sorted, symlinks refused, ignore patterns) and URIs."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from tetherai.storage import (
    BadInput,
    ObjectNotFound,
    PathEscapesRoot,
    Unreadable,
    UnsupportedURI,
    check_relative_path,
    content_uri,
    digest_of_content_uri,
    file_uri,
    join_prefix,
    local_object_uri,
    parse_file_uri,
    parse_local_object_uri,
    parse_s3_uri,
    resolve_inside,
    translate_os_error,
    uri_scheme,
    walk_files,
)

H = "ab" + "c" * 62


def make_tree(root: Path) -> None:
    (root / "b").mkdir(parents=True)
    (root / "a-c").write_bytes(b"1")
    (root / "b" / "x.bin").write_bytes(b"22")
    (root / "b" / "y.tmp").write_bytes(b"3")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_bytes(b"ref")
    (root / "a.txt").write_bytes(b"")


def test_walk_sorts_by_path_and_applies_ignore_patterns(tmp_path: Path) -> None:
    make_tree(tmp_path)
    walked = walk_files(tmp_path)
    assert [item.path for item in walked] == [".git/HEAD", "a-c", "a.txt", "b/x.bin", "b/y.tmp"]
    assert [item.size for item in walked] == [3, 1, 0, 2, 1]
    kept = walk_files(tmp_path, ignore=[".git", "*.tmp"])
    assert [item.path for item in kept] == ["a-c", "a.txt", "b/x.bin"]
    assert [i.path for i in walk_files(tmp_path, ignore=["b/*.bin", ".git/"])] == [
        "a-c",
        "a.txt",
        "b/y.tmp",
    ]


def test_walk_refuses_symlinks_unless_asked_and_refuses_cycles(tmp_path: Path) -> None:
    make_tree(tmp_path)
    (tmp_path / "link").symlink_to(tmp_path / "a-c")
    with pytest.raises(BadInput, match=r"'link'.*symlink"):
        walk_files(tmp_path)
    assert "link" in [item.path for item in walk_files(tmp_path, follow_symlinks=True)]
    (tmp_path / "link").unlink()
    (tmp_path / "b" / "loop").symlink_to(tmp_path)
    with pytest.raises(BadInput, match="cycle"):
        walk_files(tmp_path, follow_symlinks=True)


def test_walk_errors(tmp_path: Path) -> None:
    with pytest.raises(ObjectNotFound, match="does not exist"):
        walk_files(tmp_path / "nope")
    (tmp_path / "f").write_bytes(b"x")
    with pytest.raises(BadInput, match="not a directory"):
        walk_files(tmp_path / "f")
    (tmp_path / "d").mkdir()
    os.mkfifo(tmp_path / "d" / "fifo")
    with pytest.raises(BadInput, match="not a regular file"):
        walk_files(tmp_path / "d")


def test_os_errors_are_translated_into_clear_storage_errors() -> None:
    # As root (CI) permissions cannot be taken away, so the mapping is checked directly too.
    error = translate_os_error(PermissionError(13, "Permission denied"), "file /x")
    assert (
        isinstance(error, Unreadable)
        and error.message == "file /x cannot be read: permission denied"
    )
    assert isinstance(translate_os_error(FileNotFoundError(2, "x"), "f"), ObjectNotFound)
    assert isinstance(translate_os_error(IsADirectoryError(21, "x"), "f"), BadInput)
    assert isinstance(translate_os_error(NotADirectoryError(20, "x"), "f"), ObjectNotFound)
    assert isinstance(translate_os_error(OSError(errno.ELOOP, "loop"), "f"), BadInput)
    eio = translate_os_error(OSError(errno.EIO, "Input/output error"), "f")
    assert isinstance(eio, Unreadable) and "Input/output error" in eio.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every directory")
def test_walk_unreadable_directory(tmp_path: Path) -> None:  # pragma: no cover - not as root
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        with pytest.raises(Unreadable):
            walk_files(tmp_path)
    finally:
        locked.chmod(0o700)


def test_resolve_inside_refuses_escapes_through_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "out").symlink_to(tmp_path)
    assert resolve_inside(root, "a/b") == root / "a" / "b"
    with pytest.raises(PathEscapesRoot, match="resolves outside"):
        resolve_inside(root, "out/secret")
    with pytest.raises(PathEscapesRoot):
        resolve_inside(root, "../x")
    with pytest.raises(BadInput, match="longer than"):
        check_relative_path("a" * 1001)


def test_uri_schemes() -> None:
    assert uri_scheme("S3://bucket/key") == "s3"
    assert uri_scheme(local_object_uri(H)) == "tether-obj"
    for bad in ["gs://bucket/key", "http://example/x", "no-scheme", "/abs/path", ""]:
        with pytest.raises(UnsupportedURI, match="supported: tether-obj, s3, file"):
            uri_scheme(bad)


def test_s3_uris() -> None:
    location = parse_s3_uri("s3://my-bucket/models/v1/")
    assert (location.bucket, location.key) == ("my-bucket", "models/v1/")
    assert parse_s3_uri("s3://my-bucket").key == ""
    for bad in ["s3://B/x", "s3://ab/x", "s3://bucket/a/../b", "s3://bucket//x", "file:///x"]:
        with pytest.raises(UnsupportedURI):
            parse_s3_uri(bad)


def test_file_uris_round_trip_with_percent_encoding(tmp_path: Path) -> None:
    path = tmp_path / "with space #1.txt"
    uri = file_uri(path)
    assert uri.startswith("file:///") and "%20" in uri and "%23" in uri
    assert parse_file_uri(uri) == path
    assert file_uri(f"{tmp_path}/").endswith("/")
    for bad in ["file://host/x", "file:///a/../b", "s3://b/k"]:
        with pytest.raises(UnsupportedURI):
            parse_file_uri(bad)
    assert join_prefix(file_uri(tmp_path) + "/", "a b/c") == file_uri(tmp_path / "a b" / "c")
    assert join_prefix("s3://bucket/p/", "x/y") == "s3://bucket/p/x/y"
    with pytest.raises(UnsupportedURI, match="not a prefix"):
        join_prefix("s3://bucket/p", "x")


def test_content_addresses() -> None:
    other = "d" * 64
    assert parse_local_object_uri(local_object_uri(H)) == H
    assert content_uri(local_object_uri(H), other) == local_object_uri(other)
    s3 = f"s3://bucket/pre/sha256/{H[:2]}/{H[2:]}"
    assert digest_of_content_uri(s3) == H
    assert content_uri(s3, other) == f"s3://bucket/pre/sha256/dd/{other[2:]}"
    assert digest_of_content_uri("s3://bucket/model.bin") is None
    with pytest.raises(UnsupportedURI):
        content_uri("s3://bucket/model.bin", other)
    with pytest.raises(UnsupportedURI):
        parse_local_object_uri("tether-obj:sha256/XYZ")
