"""The artifact service: back end from settings, manifests, re-hash, verified fetch."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tetherai.services.artifacts import Artifacts, StorageSettings, open_artifacts
from tetherai.storage import (
    ArtifactEntry,
    ArtifactSpec,
    BadInput,
    DigestMismatch,
    LocalObjectStore,
    S3ObjectStore,
    UnsupportedURI,
    file_uri,
)


def version_files(root: Path) -> Path:
    src = root / "src"
    (src / "model").mkdir(parents=True)
    (src / "model" / "a.bin").write_bytes(os.urandom(3000))
    (src / "model" / "b.json").write_bytes(b"{}")
    (src / "test.csv").write_bytes(b"x\n1\n")
    return src


def specs(src: Path) -> list[ArtifactSpec]:
    return [
        ArtifactSpec("model", "model", src / "model"),
        ArtifactSpec("test_dataset", "test.csv", src / "test.csv"),
    ]


def test_settings_pick_the_back_end(tmp_path: Path) -> None:
    local = open_artifacts(StorageSettings(objects=str(tmp_path / "objects")))
    assert isinstance(local.store, LocalObjectStore)
    s3 = open_artifacts(
        StorageSettings(
            objects="s3://bucket/tether/",
            s3_endpoint_url="http://127.0.0.1:9",
            s3_access_key_id="a",
            s3_secret_access_key="b",
        )
    )
    assert isinstance(s3.store, S3ObjectStore) and s3.store.settings.prefix == "tether/"
    with pytest.raises(BadInput, match="credentials are required"):
        open_artifacts(StorageSettings(objects="s3://bucket/"))
    with pytest.raises(BadInput, match="must end with '/'"):
        open_artifacts(
            StorageSettings(
                objects="s3://bucket/prefix", s3_access_key_id="a", s3_secret_access_key="b"
            )
        )
    with pytest.raises(BadInput, match="local directory or s3://"):
        open_artifacts(StorageSettings(objects="gs://bucket/"))
    assert "hush-hush" not in repr(StorageSettings(objects="x", s3_secret_access_key="hush-hush"))


def test_register_verify_fetch_and_export(tmp_path: Path) -> None:
    artifacts = open_artifacts(StorageSettings(objects=str(tmp_path / "objects")), workers=2)
    src = version_files(tmp_path)
    manifest: Any = artifacts.build_manifest(specs(src))
    assert [entry["name"] for entry in manifest] == ["model", "test.csv"]
    report = artifacts.verify(manifest)
    assert report.ok
    # A reproduction run re-created only the model, in a folder of its own name.
    run = tmp_path / "run"
    shutil.copytree(src / "model", run / "out")
    rerun = artifacts.verify(manifest, local_copy=run, paths={"model": "out"}, names=["model"])
    assert rerun.ok and rerun.recomputed() == [{"name": "model", "sha256": manifest[0]["sha256"]}]
    model = ArtifactEntry.from_json(manifest[0])
    fetched = artifacts.fetch(model, tmp_path / "fetched")
    assert sorted(p.name for p in fetched.iterdir()) == ["a.bin", "b.json"]
    assert (fetched / "a.bin").read_bytes() == (src / "model" / "a.bin").read_bytes()
    with pytest.raises(BadInput, match="exists already"):
        artifacts.fetch(model, fetched)
    statement = artifacts.model_signing_statement(model)
    assert statement["subject"][0]["name"] == "model"  # type: ignore[index,call-overload]


def test_a_tampered_file_fails_the_fetch_and_leaves_nothing(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    artifacts = Artifacts(store, store)
    src = version_files(tmp_path)
    model = ArtifactEntry.from_json(artifacts.build_manifest(specs(src))[0])
    assert model.files is not None
    path = store.path_of(model.files[0].sha256)
    path.chmod(0o600)
    path.write_bytes(b"Z" + path.read_bytes()[1:])
    with pytest.raises(DigestMismatch, match=model.files[0].sha256):
        artifacts.fetch(model, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["objects", "src"]
    report = artifacts.verify([model])
    assert report.artifacts[0].differing == ("a.bin",)


def test_in_place_registration_reads_only_the_configured_roots(tmp_path: Path) -> None:
    src = version_files(tmp_path)
    allowed = open_artifacts(StorageSettings(objects=str(tmp_path / "o"), file_roots=(src,)))
    manifest: Any = allowed.build_manifest(specs(src), upload=False)
    assert str(manifest[1]["uri"]) == file_uri(src / "test.csv")
    assert allowed.verify(manifest).ok
    closed = open_artifacts(StorageSettings(objects=str(tmp_path / "o")))
    with pytest.raises(UnsupportedURI, match="no configured object store"):
        closed.verify(manifest)
