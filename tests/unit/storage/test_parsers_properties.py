"""Properties of the storage parsers under arbitrary input: manifests and tree objects
(``manifest.py``), URIs (``uri.py``) and relative paths (``paths.py``).

Each either parses or raises a StorageError with a code and a message, never another
exception; what is formatted parses back; an accepted relative path never leaves its root.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tetherai.storage.errors import StorageError
from tetherai.storage.manifest import (
    FileEntry,
    manifest_from_json,
    manifest_to_json,
    parse_tree,
    tree_bytes,
)
from tetherai.storage.paths import check_relative_path, resolve_inside
from tetherai.storage.uri import (
    content_uri,
    digest_of_content_uri,
    is_prefix,
    join_prefix,
    local_object_uri,
    parse_file_uri,
    parse_local_object_uri,
    parse_s3_uri,
    uri_scheme,
)
from tetherai.vocabulary import ARTIFACT_KINDS

MAX_SAFE = 2**53 - 1
digests = st.from_regex(r"[0-9a-f]{64}", fullmatch=True)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE, MAX_SAFE)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=12,
)
path_texts = st.lists(
    st.sampled_from(["a", "b.txt", "..", ".", "", "/", "\\", "C:", "~", "\x00", "é", " "]),
    min_size=1,
    max_size=6,
).map("/".join) | st.text(max_size=60)
uri_texts = st.sampled_from(
    ["s3://", "tether-obj:", "file://", "file:", "http://", "S3://", ""]
).flatmap(lambda scheme: st.text(max_size=80).map(lambda rest: scheme + rest)) | st.text(
    max_size=80
)


def refused_cleanly(error: Exception) -> None:
    assert isinstance(error, StorageError), f"{type(error).__name__}: {error}"
    assert error.code.startswith("storage.") and error.message


file_entries = st.builds(
    FileEntry,
    path=st.from_regex(r"[a-z]{1,8}(/[a-z0-9_.-]{1,8}){0,2}", fullmatch=True).filter(
        lambda p: all(part not in (".", "..") for part in p.split("/"))
    ),
    size=st.integers(0, MAX_SAFE),
    sha256=digests,
)
artifact_json = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(ARTIFACT_KINDS) | st.text(max_size=10),
        "name": st.text(max_size=30),
        "uri": st.text(max_size=40),
        "size": st.integers(-1, MAX_SAFE) | json_values,
        "sha256": digests | st.text(max_size=70),
    },
    optional={"files": st.lists(json_values, max_size=2), "extra": json_values},
)


@settings(max_examples=200, deadline=None)
@given(st.lists(artifact_json, max_size=4) | json_values)
def test_a_manifest_parses_back_to_itself_or_is_refused(value: object) -> None:
    try:
        entries = manifest_from_json(value)
    except Exception as error:
        refused_cleanly(error)
        return
    assert manifest_from_json(manifest_to_json(entries)) == entries


@settings(max_examples=200, deadline=None)
@given(st.lists(file_entries, max_size=6, unique_by=lambda entry: entry.path))
def test_a_tree_object_parses_back(files: list[FileEntry]) -> None:
    ordered = sorted(files, key=lambda entry: entry.path)
    try:
        data = tree_bytes(ordered)
        parsed = parse_tree(data)
    except Exception as error:
        refused_cleanly(error)
        return
    assert tree_bytes(parsed) == data


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | json_values.map(lambda v: repr(v).encode()))
def test_arbitrary_bytes_as_a_tree_object_are_refused_cleanly(data: bytes) -> None:
    try:
        parse_tree(data)
    except Exception as error:
        refused_cleanly(error)


@settings(max_examples=250, deadline=None)
@given(uri_texts)
def test_every_uri_parser_refuses_cleanly(uri: str) -> None:
    for parse in (
        uri_scheme,
        is_prefix,
        parse_local_object_uri,
        parse_s3_uri,
        parse_file_uri,
        digest_of_content_uri,
        lambda u: join_prefix(u, "a/b"),
        lambda u: content_uri(u, "ab" * 32),
    ):
        try:
            parse(uri)
        except Exception as error:
            refused_cleanly(error)


@settings(max_examples=100, deadline=None)
@given(digests, st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}[a-z0-9]", fullmatch=True), path_texts)
def test_uris_that_are_made_parse_back(digest: str, bucket: str, key: str) -> None:
    assert parse_local_object_uri(local_object_uri(digest)) == digest
    assert (
        digest_of_content_uri(content_uri(f"s3://{bucket}/o/sha256/{'1' * 64}", digest)) == digest
    )
    try:
        location = parse_s3_uri(f"s3://{bucket}/{key}")
    except Exception as error:
        refused_cleanly(error)
        return
    assert location.bucket == bucket


@settings(max_examples=250, deadline=None)
@given(path_texts)
def test_an_accepted_relative_path_stays_inside_its_root(path: str) -> None:
    root = Path("/nonexistent-tether-root")
    try:
        accepted = check_relative_path(path)
    except Exception as error:
        refused_cleanly(error)
        return
    assert accepted == path
    parts = path.split("/")
    assert ".." not in parts and not path.startswith("/") and "\\" not in path
    resolved = resolve_inside(root, path).resolve()
    assert resolved == root or root in resolved.parents
