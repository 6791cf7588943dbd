"""The model-signing export is accepted by the OpenSSF model_signing tool's own comparison."""

from __future__ import annotations

import os
from pathlib import Path

from model_signing import hashing as ms_hashing
from model_signing._signing import signing as ms_signing

from tetherai.storage import (
    ArtifactSpec,
    LocalObjectStore,
    build_manifest,
    sharded_statement,
    statement_for_entry,
)


def model_dir(root: Path) -> Path:
    model = root / "my-model"
    (model / "a").mkdir(parents=True)
    (model / "a" / "b").write_bytes(os.urandom(9000))  # "a/b" sorts before "a-c" for the tool
    (model / "a-c").write_bytes(os.urandom(5000))
    (model / "empty").write_bytes(b"")
    (model / "z.json").write_bytes(b"{}")
    return model


def test_files_statement_matches_the_tools_manifest(tmp_path: Path) -> None:
    model = model_dir(tmp_path)
    (entry,) = build_manifest(
        [ArtifactSpec("model", "my-model", model)], store=LocalObjectStore(tmp_path / "s")
    )
    statement = statement_for_entry(entry)
    # The tool checks the subject digest against the resources while parsing.
    ours = ms_signing.dsse_payload_to_manifest(statement)
    theirs = ms_hashing.Config().hash(model)
    assert ours == theirs
    assert statement["predicateType"] == "https://model_signing/signature/v1.0"
    names = [r["name"] for r in statement["predicate"]["resources"]]  # type: ignore[index,call-overload,union-attr]
    assert names == ["a/b", "a-c", "empty", "z.json"]
    # And the tool's own payload for its manifest is byte for byte the statement we build.
    payload = ms_signing.Payload(theirs).statement.pb
    from google.protobuf import json_format

    tool = json_format.MessageToDict(payload)
    assert tool["subject"] == statement["subject"]
    assert tool["predicate"]["resources"] == statement["predicate"]["resources"]  # type: ignore[index,call-overload]


def test_a_tampered_file_makes_the_tool_see_a_different_manifest(tmp_path: Path) -> None:
    model = model_dir(tmp_path)
    (entry,) = build_manifest([ArtifactSpec("model", "my-model", model)])
    (model / "z.json").write_bytes(b"[]")
    assert ms_signing.dsse_payload_to_manifest(
        statement_for_entry(entry)
    ) != ms_hashing.Config().hash(model)


def test_single_file_artifacts_export_as_one_resource(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "weights.bin").write_bytes(b"w" * 100)
    (entry,) = build_manifest(
        [ArtifactSpec("model", "weights.bin", tmp_path / "d" / "weights.bin")]
    )
    manifest = ms_signing.dsse_payload_to_manifest(statement_for_entry(entry, model_name="d"))
    assert manifest == ms_hashing.Config().hash(tmp_path / "d")


def test_sharded_statement_matches_the_tools_shard_serialization(tmp_path: Path) -> None:
    model = model_dir(tmp_path)
    statement = sharded_statement(model, shard_size=4096, workers=2)
    ours = ms_signing.dsse_payload_to_manifest(statement)
    theirs = ms_hashing.Config().use_shard_serialization(shard_size=4096).hash(model)
    assert ours == theirs
    names = [r["name"] for r in statement["predicate"]["resources"]]  # type: ignore[index,call-overload,union-attr]
    assert names[:3] == ["a/b:0:4096", "a/b:4096:8192", "a/b:8192:9000"] and not any(
        n.startswith("empty") for n in names
    )
