"""Possession, not knowledge: who may have an object's bytes, on a real ledger and database.

Table rows of :class:`tetherai.services.possession.Possession` (the routes' integration rows are
in ``tests/integration/test_confidentiality.py``): grounding by upload, by a reuse the contract
checked (followed along a chain), never by a ``reused_from`` a caller wrote (version 1 took it
from the caller); folder files; what the server reads in place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.common.contract_versions import switchable_to_version_1
from tests.common.lifecycle import Cast, make_cast
from tests.common.network import make_network
from tetherai.services.access import viewer
from tetherai.services.artifacts import InPlaceAllowList
from tetherai.services.db import make_engine, make_session_factory, migrate
from tetherai.services.possession import NotHeld, ObjectHolders, Possession
from tetherai.storage.uri import local_object_uri

WEIGHTS, FILE_A, FILE_B, TREE = "a1" * 32, "b2" * 32, "c3" * 32, "d4" * 32


@pytest.fixture
def possession(tmp_path: Path) -> Possession:
    engine = make_engine(f"sqlite:///{tmp_path / 's.sqlite'}")
    migrate(engine)
    holders = ObjectHolders(make_session_factory(engine), clock=lambda: datetime.now(tz=UTC))
    return Possession(holders, InPlaceAllowList((("Org1", "s3://org1-data/"),)))


def _entry(sha: str, name: str) -> dict[str, Any]:
    return {"kind": "model", "name": name, "uri": local_object_uri(sha), "size": 1, "sha256": sha}


def _register(cast: Cast, who: str, version: str, artifacts: list[Any], **more: Any) -> None:
    args = {"project": cast.project, "version": version, "code_repo": "r", "commit": "c"}
    cast.ok(who, "model_version", "create", **args, artifacts=artifacts, **more)


def test_a_version_is_grounded_by_its_registrant_s_upload(
    cast: Cast, possession: Possession
) -> None:
    store = cast.net.node.peer.store
    folder = _entry(TREE, "folder") | {
        "files": [
            {"path": "a", "size": 1, "sha256": FILE_A},
            {"path": "b", "size": 1, "sha256": FILE_B},
        ]
    }
    _register(cast, "author", "v1", [_entry(WEIGHTS, "w"), folder], submit=True)
    bob = viewer("Org1", "bob", "mlops_engineer")
    oscar = viewer("Org1", "oscar", "mlops_engineer")  # not a member
    assert not possession.grounded(store, f"{cast.project}/v1", WEIGHTS)
    assert not possession.may_fetch(store, bob, WEIGHTS)
    for sha in (WEIGHTS, TREE, FILE_A):
        possession.holders.record(sha, "Org1", "alice", "uploaded")
    assert possession.may_fetch(store, bob, WEIGHTS)  # a submitted version, found by digest
    assert possession.may_fetch(store, bob, FILE_A, f"{cast.project}/v1")  # a folder's file
    assert not possession.may_fetch(store, bob, FILE_B, f"{cast.project}/v1")  # never uploaded
    assert not possession.may_fetch(store, oscar, WEIGHTS)
    assert not possession.may_fetch(store, oscar, WEIGHTS, f"{cast.project}/v1")
    assert possession.fetch(store, bob, WEIGHTS)  # and now bob holds it himself
    assert possession.holders.holds(WEIGHTS, "Org1", "bob")


def test_reuse_grounds_along_the_chain_the_contract_checked(
    cast: Cast, possession: Possession
) -> None:
    store = cast.net.node.peer.store
    possession.holders.record(WEIGHTS, "Org1", "alice", "uploaded")
    _register(cast, "author", "v1", [_entry(WEIGHTS, "w")], submit=True)
    _register(cast, "ai2", "v2", [{"name": "w", "reuse": WEIGHTS}], submit=True)
    _register(cast, "ai2", "v3", [{"name": "w", "reuse": WEIGHTS, "from": f"{cast.project}/v2"}])
    assert possession.grounded(store, f"{cast.project}/v3", WEIGHTS)
    assert not possession.grounded(store, f"{cast.project}/v3", FILE_A)


def test_a_reuse_source_written_by_hand_under_version_1_grounds_nothing(
    tmp_path: Path, possession: Possession
) -> None:
    net = make_network(tmp_path, max_wait=0.002, registry=switchable_to_version_1("model_version"))
    try:
        cast = make_cast(net)
        store = net.node.peer.store
        possession.holders.record(WEIGHTS, "Org1", "alice", "uploaded")
        _register(cast, "author", "v1", [_entry(WEIGHTS, "w")], submit=True)
        cast.ok("admin", "membership", "upgrade_contract", contract="model_version", version="1")
        forged = _entry(WEIGHTS, "w") | {"reused_from": f"{cast.project}/v1"}
        _register(cast, "ai2", "v2", [forged])  # version 1 accepted the field as given
        assert not possession.grounded(store, f"{cast.project}/v2", WEIGHTS)
    finally:
        net.close()


def test_registering_an_object_one_never_had_is_refused_alike(
    cast: Cast, possession: Possession
) -> None:
    store = cast.net.node.peer.store
    aaron = viewer("Org1", "aaron", "ai_engineer")

    def check(sha: str, uri: str | None = None) -> str:
        args = {
            "project": cast.project,
            "artifacts": [_entry(sha, "w") | ({"uri": uri} if uri else {})],
        }
        try:
            possession.check_registration(
                store, aaron, "model_version", "create", args, local_object_uri
            )
        except NotHeld as refusal:
            return refusal.message.replace(sha[:12], "<sha>")
        return "accepted"

    possession.holders.record(WEIGHTS, "Org1", "alice", "uploaded")  # exists, alice's
    assert check(WEIGHTS) == check(FILE_A) != "accepted"  # exists or not: the same words
    assert check(WEIGHTS, "s3://elsewhere/w") == "accepted"  # in place: never served by digest
    possession.holders.record(FILE_A, "Org1", "aaron", "uploaded")
    assert check(FILE_A) == "accepted"


def test_the_server_reads_in_place_only_under_the_registrant_s_org_prefixes(tmp_path: Path) -> None:
    root = tmp_path / "org1"
    (root / "models").mkdir(parents=True)
    (tmp_path / "secret").mkdir()
    (root / "models" / "escape").symlink_to(tmp_path / "secret")
    allow = InPlaceAllowList((("Org1", "s3://org1-data/"), ("Org1", f"file://{root}/")))
    assert allow.allows("s3://org1-data/x/model.bin", "Org1")
    assert not allow.allows("s3://org1-data/x/model.bin", "Org2")
    assert not allow.allows("s3://org1-data-other/x", "Org1")
    assert allow.allows(f"file://{root}/models/m.bin", "Org1")
    assert not allow.allows(f"file://{root}/models/escape/m.bin", "Org1")  # a symlink out
    assert allow.file_roots() == (root,)


def test_a_version_s_in_place_files_are_re_hashed_only_under_its_org_s_prefixes(
    cast: Cast, tmp_path: Path
) -> None:
    import hashlib

    from tetherai.services.artifacts import StorageSettings, open_artifacts
    from tetherai.services.possession import NotReadHere
    from tetherai.storage.uri import file_uri

    listed, unlisted = tmp_path / "org1-data", tmp_path / "elsewhere"
    for folder in (listed, unlisted):
        folder.mkdir()
        (folder / "model.bin").write_bytes(b"weights in place")
    sha = hashlib.sha256(b"weights in place").hexdigest()
    settings = StorageSettings(
        objects=str(tmp_path / "objects"), in_place=(("Org1", file_uri(listed) + "/"),)
    )
    artifacts = open_artifacts(settings)
    engine = make_engine(f"sqlite:///{tmp_path / 's.sqlite'}")
    migrate(engine)
    possession = Possession(
        ObjectHolders(make_session_factory(engine), clock=lambda: datetime.now(tz=UTC)),
        InPlaceAllowList(settings.in_place),
    )
    store = cast.net.node.peer.store
    for version, folder in (("v1", listed), ("v2", unlisted)):
        entry = {
            "kind": "model",
            "name": "m",
            "uri": file_uri(folder / "model.bin"),
            "size": 16,
            "sha256": sha,
        }
        _register(cast, "author", version, [entry])
        reader = possession.reader_for_version(
            store, f"{cast.project}/{version}", [entry], artifacts.reader, artifacts.store.uri_for
        )
        if folder is listed:
            assert artifacts.verify([entry], reader=reader).ok
        else:
            with pytest.raises(NotReadHere):
                artifacts.verify([entry], reader=reader)
