"""`tether doctor`: the ledger, the service database and the object store checked together; a
change to any of them is found and explained, and a check that cannot run says so."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.common.lifecycle import Cast, make_cast
from tests.common.network import make_network
from tetherai.cli.main import app
from tetherai.services.artifacts import StorageSettings, open_artifacts
from tetherai.services.db import make_engine, make_session_factory, migrate
from tetherai.services.projections import Projector
from tetherai.storage import ArtifactSpec

runner = CliRunner()


def tether(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"TETHER_HOME": "", "TETHER_OBJECTS": ""})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def world(tmp_path: Path) -> tuple[Cast, Path]:
    """A network whose version v1 has real artifacts in the local object store, and a service
    database whose projections are up to date."""
    net = make_network(tmp_path)
    cast = make_cast(net)
    home = net.home.root
    files = tmp_path / "files"
    files.mkdir()
    specs = []
    for kind, name in (("train_dataset", "train"), ("model", "model")):
        (files / name).write_bytes(name.encode() * 1000)
        specs.append(ArtifactSpec(kind, name, files / name))
    artifacts = open_artifacts(StorageSettings(objects=str(home / "objects")))
    cast.new_version("v1", artifacts=artifacts.build_manifest(specs))
    url = f"sqlite:///{home / 'service.sqlite'}"
    migrate(url)
    Projector(make_session_factory(make_engine(url)), net.node.peer.store, net.channel).catch_up()
    net.close()
    return cast, home


def test_all_is_well(world: tuple[Cast, Path]) -> None:
    _, home = world
    code, out, err = tether("doctor", "--home", str(home))
    assert code == 0, out + err
    assert "OK ledger" in out and "OK projections" in out
    assert "OK artifacts: 2 artifact(s) re-hashed: all match" in out


def test_a_changed_object_is_named(world: tuple[Cast, Path]) -> None:
    cast, home = world
    (model,) = [
        p
        for p in (home / "objects").rglob("*")
        if p.is_file() and p.read_bytes().startswith(b"model")
    ]
    model.chmod(0o644)
    data = bytearray(model.read_bytes())
    data[500] ^= 1
    model.write_bytes(bytes(data))
    code, out, _ = tether("doctor", "--home", str(home))
    assert code == 1
    assert "PROBLEM artifacts: 1 artifact(s) differ" in out
    assert f"{cast.project}/v1 model: registered" in out
    assert "OK ledger" in out  # the ledger itself is intact


def test_a_changed_projection_is_found(world: tuple[Cast, Path]) -> None:
    cast, home = world
    db = sqlite3.connect(home / "service.sqlite")
    db.execute("UPDATE versions SET status = 'production'")
    db.commit()
    db.close()
    code, out, _ = tether("doctor", "--home", str(home), "--no-artifacts", "--json")
    assert code == 1
    found = {f["check"]: f for f in json.loads(out)["findings"]}
    assert found["projections"]["outcome"] == "problem"
    assert (
        f"version {cast.project}/v1: projection says production, ledger says draft"
        in found["projections"]["details"]
    )
    assert "tether db rebuild" in found["projections"]["hint"]
    assert "artifacts" not in found


def test_a_changed_ledger_is_found(world: tuple[Cast, Path]) -> None:
    _, home = world
    db = sqlite3.connect(home / "channels/main/ledger.sqlite")
    db.execute("DROP TRIGGER txs_no_update")
    db.execute("UPDATE txs SET valid = 0 WHERE seq = 2")
    db.commit()
    db.close()
    code, out, _ = tether("doctor", "--home", str(home), "--no-artifacts")
    assert code == 1
    assert "PROBLEM ledger: the ledger was changed after it was written" in out
    assert "block: 2" in out


def test_an_unreachable_store_is_not_reported_as_tampering(world: tuple[Cast, Path]) -> None:
    _, home = world
    for path in (home / "objects").rglob("*"):
        if path.is_file():
            path.chmod(0o644)
            path.unlink()
    code, out, _ = tether("doctor", "--home", str(home))
    assert code == 0, out
    assert "NOT CHECKED artifacts: 0 artifact(s) match; 2 could not be read" in out


def test_projections_not_yet_caught_up_are_not_called_tampering(world: tuple[Cast, Path]) -> None:
    _, home = world
    db = sqlite3.connect(home / "service.sqlite")
    db.execute("DELETE FROM projection_cursors")  # as if the follower had not run yet
    db.commit()
    db.close()
    code, out, _ = tether("doctor", "--home", str(home), "--no-artifacts")
    assert code == 0, out
    assert "NOT CHECKED projections: the projections that exist match the ledger" in out
    assert "the server catches them up when it starts" in out
