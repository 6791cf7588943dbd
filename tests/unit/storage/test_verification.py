"""Building manifests and re-hashing them: from the store, a local copy, a reproduction run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tetherai.storage import (
    ArtifactEntry,
    ArtifactSpec,
    BadInput,
    DirectorySource,
    LocalFileReader,
    LocalObjectStore,
    ManifestError,
    ObjectNotFound,
    Resolver,
    StoreSource,
    UnsupportedURI,
    build_manifest,
    content_uri,
    manifest_to_json,
    verify_artifacts,
)


def make_version(root: Path) -> Path:
    """A model version's files: a dataset, a model folder and a log."""
    src = root / "work"
    (src / "model" / "weights").mkdir(parents=True)
    (src / "train.csv").write_bytes(b"x,y\n" + b"1,2\n" * 1000)
    (src / "model" / "config.json").write_bytes(b'{"layers": 2}')
    (src / "model" / "weights" / "0.bin").write_bytes(os.urandom(50_000))
    (src / "model" / "weights" / "1.bin").write_bytes(os.urandom(10_000))
    (src / "train.log").write_bytes(b'{"epoch": 1, "loss": 0.5}\n')
    return src


def specs(src: Path) -> list[ArtifactSpec]:
    return [
        ArtifactSpec("train_dataset", "train.csv", src / "train.csv"),
        ArtifactSpec("model", "model", src / "model"),
        ArtifactSpec("log", "train.log", src / "train.log"),
    ]


def tamper(path: Path, offset: int = 7) -> None:
    os.chmod(path, 0o600)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_store_round_trip_and_contract_args(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    manifest = build_manifest(specs(make_version(tmp_path)), store=store, workers=2)
    assert [entry.uri.startswith("tether-obj:sha256/") for entry in manifest] == [True] * 3
    model = manifest[1]
    assert model.files is not None and [f.path for f in model.files] == [
        "config.json",
        "weights/0.bin",
        "weights/1.bin",
    ]
    report = verify_artifacts(manifest_to_json(manifest), StoreSource(store))  # type: ignore[arg-type]
    assert report.ok and report.mismatches == ()
    assert report.recomputed() == [{"name": e.name, "sha256": e.sha256} for e in manifest]
    assert report.to_json()["ok"] is True and report.source == "object store"


def test_a_tampered_byte_in_any_artifact_is_named_with_its_file(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    manifest = build_manifest(specs(make_version(tmp_path)), store=store)
    dataset, model, _ = manifest
    assert model.files is not None
    tamper(store.path_of(model.files[1].sha256), offset=40_000)
    tamper(store.path_of(dataset.sha256))
    report = verify_artifacts(list(manifest), StoreSource(store))
    checks = {check.name: check for check in report.artifacts}
    assert not report.ok and [c.name for c in report.mismatches] == ["train.csv", "model"]
    assert checks["train.csv"].recomputed_sha256 not in (None, dataset.sha256)
    assert checks["model"].differing == ("weights/0.bin",)
    assert checks["model"].reason == "files differ: weights/0.bin"
    assert checks["train.log"].equal
    args = report.recomputed()
    assert args[1] == {"name": "model", "sha256": checks["model"].recomputed_sha256}


def test_missing_objects_are_reported_not_raised(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    manifest = build_manifest(specs(make_version(tmp_path)), store=store)
    store.path_of(manifest[2].sha256).unlink()
    assert manifest[1].files is not None
    store.path_of(manifest[1].files[0].sha256).unlink()
    report = verify_artifacts(list(manifest), StoreSource(store))
    log = report.artifacts[2]
    assert log.recomputed_sha256 is None and log.reason and "does not exist" in log.reason
    assert report.artifacts[1].recomputed_sha256 is None
    assert report.recomputed()[2] == {"name": "train.log", "sha256": None}


def test_a_local_copy_and_a_reproduction_run(tmp_path: Path) -> None:
    src = make_version(tmp_path)
    manifest = build_manifest(specs(src), store=LocalObjectStore(tmp_path / "store"))
    copy = tmp_path / "copy"
    shutil.copytree(src, copy)
    assert verify_artifacts(list(manifest), DirectorySource(copy)).ok
    # Differences inside the model folder: one file changed, one missing, one extra.
    tamper(copy / "model" / "config.json", offset=0)
    (copy / "model" / "weights" / "1.bin").unlink()
    (copy / "model" / "extra.txt").write_bytes(b"new")
    (copy / "train.log").unlink()
    report = verify_artifacts(list(manifest), DirectorySource(copy))
    model = report.artifacts[1]
    assert (model.differing, model.missing, model.extra) == (
        ("config.json",),
        ("weights/1.bin",),
        ("extra.txt",),
    )
    assert model.reason == "files differ: config.json; missing: weights/1.bin; extra: extra.txt"
    assert report.artifacts[2].recomputed_sha256 is None
    # A reproduction run re-creates only the model, under its own file name.
    run = tmp_path / "run"
    shutil.copytree(src / "model", run / "outputs" / "final-model")
    reproduced = verify_artifacts(
        list(manifest),
        DirectorySource(run, paths={"model": "outputs/final-model"}),
        names=["model"],
    )
    assert reproduced.ok and [c.name for c in reproduced.artifacts] == ["model"]
    with pytest.raises(ManifestError, match="no artifact named nope"):
        verify_artifacts(list(manifest), DirectorySource(run), names=["nope"])


def test_a_copy_with_a_file_where_a_directory_was_registered(tmp_path: Path) -> None:
    src = make_version(tmp_path)
    manifest = build_manifest(specs(src), store=None)
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "model").write_bytes(b"not a folder")
    (copy / "train.csv").mkdir()
    (copy / "train.log").symlink_to(src / "train.log")
    report = verify_artifacts(list(manifest), DirectorySource(copy))
    reasons = [check.reason or "" for check in report.artifacts]
    assert "not a regular file" in reasons[0] and "not a directory" in reasons[1]
    assert "symlink" in reasons[2]
    assert (
        verify_artifacts(list(manifest), DirectorySource(copy, follow_symlinks=True))
        .artifacts[2]
        .equal
    )


def test_in_place_manifests_use_file_uris(tmp_path: Path) -> None:
    src = make_version(tmp_path)
    manifest = build_manifest(specs(src))
    assert manifest[0].uri.startswith("file:///") and manifest[1].uri.endswith("/")
    reader = Resolver([LocalFileReader(roots=[src])])
    assert verify_artifacts(list(manifest), StoreSource(reader)).ok
    tamper(src / "model" / "weights" / "1.bin")
    report = verify_artifacts(list(manifest), StoreSource(reader))
    assert report.artifacts[1].differing == ("weights/1.bin",)
    # Registering again from the URIs gives the same entries (a prefix is a directory).
    again = build_manifest(
        [ArtifactSpec(e.kind, e.name, e.uri) for e in build_manifest(specs(src))], reader=reader
    )
    assert again == build_manifest(specs(src))


def test_no_store_for_a_uri_is_raised_not_reported(tmp_path: Path) -> None:
    entry = ArtifactEntry("model", "m", "s3://bucket/model.bin", 1, "a" * 64)
    with pytest.raises(UnsupportedURI):
        verify_artifacts([entry], StoreSource(Resolver([LocalObjectStore(tmp_path)])))


def test_a_damaged_tree_object_is_reported(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    manifest = build_manifest(specs(make_version(tmp_path)), store=store)
    tree = store.path_of(manifest[1].sha256)
    tamper(tree, offset=3)
    check = verify_artifacts(list(manifest), StoreSource(store)).artifacts[1]
    assert check.recomputed_sha256 is None and check.reason and "digest mismatch" in check.reason
    assert content_uri(manifest[1].uri, "0" * 64) == "tether-obj:sha256/" + "0" * 64


def test_build_manifest_refuses_bad_specs_before_reading_anything(tmp_path: Path) -> None:
    src = make_version(tmp_path)
    store = LocalObjectStore(tmp_path / "store")
    with pytest.raises(ManifestError, match="two artifacts are named 'a'"):
        build_manifest([ArtifactSpec("log", "a", src / "train.log")] * 2, store=store)
    with pytest.raises(ManifestError, match="kinds are"):
        build_manifest([ArtifactSpec("weights", "a", src / "train.log")], store=store)
    with pytest.raises(UnsupportedURI, match="scheme 'gs'"):
        build_manifest(
            [
                ArtifactSpec("log", "a", src / "train.log"),
                ArtifactSpec("log", "b", "gs://bucket/x"),
            ],
            store=store,
        )
    with pytest.raises(ManifestError, match="at least one"):
        build_manifest([], store=store)
    assert not (tmp_path / "store").exists()  # nothing was read or uploaded
    with pytest.raises(ObjectNotFound, match="does not exist"):
        build_manifest([ArtifactSpec("log", "a", src / "missing.log")], store=store)
    (src / "link").symlink_to(src / "train.log")
    with pytest.raises(BadInput, match="symlink"):
        build_manifest([ArtifactSpec("log", "a", src / "link")], store=store)
    with pytest.raises(BadInput, match="no object store is configured"):
        build_manifest([ArtifactSpec("log", "a", "s3://bucket/x")])
