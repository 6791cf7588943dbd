"""Manifest entries: strict parsing, clear errors, and the documented directory digest rule."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tetherai.storage import (
    ArtifactEntry,
    FileEntry,
    ManifestError,
    directory_digest,
    manifest_from_json,
    manifest_to_json,
    parse_tree,
    tree_bytes,
)
from tetherai.vocabulary import ARTIFACT_KINDS

A = "a" * 64
B = "b" * 64


def files() -> tuple[FileEntry, ...]:
    return (FileEntry("config.json", 10, A), FileEntry("weights/part-0.bin", 20, B))


def directory_entry() -> ArtifactEntry:
    listed = files()
    return ArtifactEntry(
        "model",
        "model",
        "tether-obj:sha256/" + directory_digest(listed),
        30,
        directory_digest(listed),
        listed,
    )


def test_directory_digest_is_sha256_of_the_canonical_sorted_file_list() -> None:
    # The rule the README documents, written out by hand: keys sorted, no spaces, sorted paths.
    expected_bytes = (
        '[{"path":"config.json","sha256":"' + A + '","size":10},'
        '{"path":"weights/part-0.bin","sha256":"' + B + '","size":20}]'
    ).encode()
    assert tree_bytes(reversed(files())) == expected_bytes
    assert directory_digest(files()) == hashlib.sha256(expected_bytes).hexdigest()


def test_readme_example_digest() -> None:
    # The worked example in README.md "Artifact manifests" (keep the two in step).
    listed = [
        FileEntry("a.txt", 5, hashlib.sha256(b"hello").hexdigest()),
        FileEntry("sub/b.txt", 0, hashlib.sha256(b"").hexdigest()),
    ]
    assert (
        directory_digest(listed)
        == "82735e5b3a5a9b374635ca68026b27aef0c5ab3780748f290fe3c7e62012ec1f"
    )


def test_round_trip_file_and_directory_entries() -> None:
    single = ArtifactEntry("train_dataset", "train.csv", "s3://bucket/train.csv", 3, A)
    entries = (single, directory_entry())
    value: Any = manifest_to_json(entries)
    assert json.loads(json.dumps(value)) == value
    assert manifest_from_json(value) == entries
    assert "files" not in value[0] and value[1]["files"][0]["path"] == "config.json"
    assert directory_entry().is_directory and not single.is_directory


def test_every_kind_is_accepted() -> None:
    for kind in ARTIFACT_KINDS:
        ArtifactEntry(kind, kind, "s3://bucket/x", 0, A)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "weights"}, "kinds are"),
        ({"sha256": "A" * 64}, "SHA-256 digest"),
        ({"sha256": "abc"}, "SHA-256 digest"),
        ({"size": -1}, "whole number"),
        ({"size": 1.5}, "whole number"),
        ({"size": True}, "whole number"),
        ({"name": ""}, "non-empty"),
        ({"name": "x" * 201}, "at most 200"),
        ({"name": "bad\nname"}, "control character"),
        ({"uri": ""}, "non-empty"),
        ({"extra": 1}, "exactly kind, name"),
    ],
)
def test_bad_entries_are_refused_with_a_clear_message(
    change: dict[str, object], message: str
) -> None:
    value: dict[str, object] = {
        "kind": "model",
        "name": "m",
        "uri": "s3://b/k",
        "size": 1,
        "sha256": A,
    }
    value.update(change)
    with pytest.raises(ManifestError, match=message):
        ArtifactEntry.from_json(value)


def test_missing_key_is_refused() -> None:
    with pytest.raises(ManifestError, match="exactly kind, name, uri, size, sha256"):
        ArtifactEntry.from_json({"kind": "model", "name": "m", "uri": "s3://b/k", "size": 1})
    with pytest.raises(ManifestError, match="must be an object"):
        ArtifactEntry.from_json(["model"])


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/etc/passwd", "absolute"),
        ("../outside", r"'\.\.'"),
        ("a/../../b", r"'\.\.'"),
        ("a//b", "empty or '.'"),
        ("./a", "empty or '.'"),
        ("a\\b", "backslash"),
        ("", "non-empty"),
        ("C:/x", "absolute"),
    ],
)
def test_file_paths_that_could_escape_are_refused(path: str, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        FileEntry.from_json({"path": path, "size": 1, "sha256": A})


def test_directory_entries_must_be_consistent() -> None:
    listed = files()
    good = directory_entry().to_json()
    with pytest.raises(ManifestError, match="add up to 30"):
        ArtifactEntry.from_json(good | {"size": 31})
    with pytest.raises(ManifestError, match="digests to"):
        ArtifactEntry.from_json(good | {"sha256": A})
    with pytest.raises(ManifestError, match="sorted by path"):
        ArtifactEntry("model", "m", "u:x", 30, A, (listed[1], listed[0]))
    with pytest.raises(ManifestError, match="twice"):
        ArtifactEntry("model", "m", "u:x", 20, A, (listed[0], listed[0]))
    with pytest.raises(ManifestError, match="no files"):
        ArtifactEntry("model", "m", "u:x", 0, A, ())
    clash = (FileEntry("weights", 1, A), FileEntry("weights/x", 1, A))
    with pytest.raises(ManifestError, match="both a file and a directory"):
        ArtifactEntry("model", "m", "u:x", 2, directory_digest(clash), clash)
    with pytest.raises(ManifestError, match="must be a list"):
        ArtifactEntry.from_json(good | {"files": {"a": 1}})


def test_duplicate_names_in_a_manifest_are_refused() -> None:
    one = ArtifactEntry("log", "log", "s3://bucket/a", 1, A).to_json()
    with pytest.raises(ManifestError, match="two artifacts are named 'log'"):
        manifest_from_json([one, one])
    with pytest.raises(ManifestError, match="must be a list"):
        manifest_from_json({"log": one})


def test_tree_objects_parse_back_and_refuse_non_canonical_bytes() -> None:
    data = tree_bytes(files())
    assert parse_tree(data) == files()
    with pytest.raises(ManifestError, match="canonical"):
        parse_tree(json.dumps([f.to_json() for f in files()], indent=1).encode())
    with pytest.raises(ManifestError, match="list of file entries"):
        parse_tree(b"{}")
