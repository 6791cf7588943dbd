"""`tether network …` as an operator runs it, against real etcd members and node processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.common.waiting import PATIENCE
from tetherai.cli.main import app
from tetherai.cluster.etcd_members import EtcdCluster, free_port

pytestmark = pytest.mark.integration

runner = CliRunner()
ENV = {"TETHER_PASSPHRASE": "cli-test-passphrase"}


def tether(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=ENV)
    return result.exit_code, result.stdout, result.stderr


def write_config(path: Path, etcd: EtcdCluster) -> None:
    urls = ", ".join(f'"{url}"' for url in etcd.endpoints)
    lines = ['channel = "main"', f"etcd = [{urls}]", f'etcd_ca = "{etcd.tls_dir}"']
    for org in ("Org1", "Org2", "Org3"):
        lines += ["[[orgs]]", f'name = "{org}"', 'admin = "admin"']
        lines += ["[[peers]]", f'name = "peer0.{org}"', f'org = "{org}"']
        lines.append(f'api = "127.0.0.1:{free_port()}"')
    lines += ["[[orderers]]", 'name = "orderer0.Org1"', 'org = "Org1"']
    lines.append(f'api = "127.0.0.1:{free_port()}"')
    path.write_text("\n".join(lines) + "\n")


def test_init_bootstrap_start_status_and_add_an_org(tmp_path: Path, etcd: EtcdCluster) -> None:
    config = tmp_path / "cluster.toml"
    write_config(config, etcd)
    home = str(tmp_path / "net")
    code, out, err = tether("network", "init", "--config", str(config), "--home", home)
    assert code == 0, err
    assert "genesis" in out
    code, out, err = tether("network", "bootstrap", "--home", home)
    assert code == 0, err
    # Again: the same genesis is already there, which is fine.
    assert tether("network", "bootstrap", "--home", home)[0] == 0
    start = subprocess.Popen(
        [sys.executable, "-m", "tetherai.cli.main", "network", "start", "--home", home],
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        stop = time.monotonic() + PATIENCE
        while True:
            code, out, _ = tether("network", "status", "--home", home, "--json")
            status = json.loads(out)
            peers = status["peers"].values()
            if all(p and p["height"] == 1 for p in peers) and status["orderers"]["orderer0.Org1"]:
                break
            assert start.poll() is None, start.stdout.read() if start.stdout else ""
            assert time.monotonic() < stop, status
            time.sleep(0.2)
        # One org's admin proposes: in a channel of three orgs it waits for a second.
        code, out, err = tether("network", "add-org", "Org4", "--by", "Org2", "--home", home)
        assert code == 0, err
        assert "add org Org4: proposal" in out and "needs 1 more (MAJORITY" in out
        assert 'name = "Org4"' not in (tmp_path / "net" / "cluster.toml").read_text()
        code, out, err = tether("network", "proposals", "--home", home, "--json")
        (proposal,) = json.loads(out)
        assert proposal["summary"] == "add org Org4"
        assert list(proposal["approvals"]) == ["Org2"]
        assert proposal["tally"]["may_approve"] == ["Org1", "Org3"]
        code, out, err = tether("network", "proposals", "--home", home)
        assert f"{proposal['id'][:16]}  pending    add org Org4" in out
        assert "approved by Org2 (admin@Org2); needs 1 more (MAJORITY) from Org1, Org3" in out
        # Another org's admin approves: that approval applies it.
        code, out, err = tether(
            "network", "approve", proposal["id"][:16], "--by", "Org3", "--home", home
        )
        assert code == 0, err
        assert "add org Org4: applied in channel main" in out
        assert 'name = "Org4"' in (tmp_path / "net" / "cluster.toml").read_text()
        code, out, _ = tether("network", "proposals", "--home", home)
        assert "no open proposal" in out
        # Adding it twice is refused with a clear error, nothing changed.
        code, _, err = tether("network", "add-org", "Org4", "--by", "Org2", "--home", home)
        assert code != 0 and "already" in err
        code, out, _ = tether("network", "status", "--home", home)
        assert code == 0
        assert "orderer0.Org1: leads main" in out
        assert out.count("in main: height 3") == 3

        # An upgrade to a version no peer has is refused before anything is signed.
        code, _, err = tether("network", "upgrade", "notary", "999", "--by", "Org1", "--home", home)
        assert code != 0 and "notary v999 is not installed here" in err
        # A proposal can be withdrawn by the org that approved it: it closes.
        code, out, err = tether("network", "policy", "ALL", "--by", "Org1", "--home", home)
        assert code == 0 and "needs 2 more (MAJORITY" in out, err  # four orgs now: 3 of 4
        code, out, _ = tether("network", "proposals", "--home", home, "--json")
        (policy,) = json.loads(out)
        code, out, err = tether(
            "network", "withdraw", policy["id"][:16], "--by", "Org1", "--home", home
        )
        assert code == 0 and "the proposal is closed" in out, err
        code, out, _ = tether("network", "proposals", "--home", home, "--all", "--json")
        assert [p["status"] for p in json.loads(out)] == ["applied", "withdrawn"]
        # Three of the four orgs' admins, one command: the limit changes.
        code, out, err = tether(
            "network", "limits", "--max-skew-ms", "60000",
            "--by", "Org1", "--by", "Org2", "--by", "Org3", "--home", home,
        )  # fmt: skip
        assert code == 0 and "set max_skew_ms = 60000: applied in channel main" in out, err
    finally:
        start.terminate()
        start.communicate(timeout=30)  # also closes its output pipe


def test_a_bad_config_is_refused_clearly(tmp_path: Path) -> None:
    config = tmp_path / "cluster.toml"
    config.write_text('channel = "main"\netcd = ["https://127.0.0.1:1"]\n[[orgs]]\nname = "Org1"\n')
    code, _, err = tether("network", "init", "--config", str(config), "--home", str(tmp_path / "n"))
    assert code != 0
    assert "cluster config is missing or has a bad field" in err
    assert not (tmp_path / "n").exists()
    code, _, err = tether("network", "status", "--home", str(tmp_path / "nothing"))
    assert code != 0 and "no cluster network" in err
