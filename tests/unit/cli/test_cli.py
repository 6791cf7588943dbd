"""`tether init` and `tether ledger …`, run as a user would (a real subprocess-free Typer runner)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.common.network import Network, make_network
from tetherai.cli.main import app
from tetherai.ledger.tlog_proof import parse_tlog_proof

runner = CliRunner()
ENV = {"TETHER_PASSPHRASE": "cli-test-passphrase", "TETHER_HOME": ""}


def tether(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=ENV | (env or {}))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def home(tmp_path: Path) -> str:
    path = tmp_path / "net"
    code, _out, err = tether("init", "--home", str(path), "--org", "Acme", "--admin", "root")
    assert code == 0, err
    return str(path)


def test_init_creates_home_with_safe_permissions(home: str) -> None:
    root = Path(home)
    assert json.loads((root / "network.json").read_text())["org"] == "Acme"
    key = root / "orgs/Acme/participants/root/key.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    assert (root / "orgs/Acme/ca/ca.key").stat().st_mode & 0o777 == 0o600
    from cryptography.hazmat.primitives.serialization import pkcs12

    with pytest.raises(ValueError, match="Invalid password"):
        pkcs12.load_key_and_certificates(key.read_bytes(), b"wrong")
    assert (root / "channels/main/ledger.sqlite").stat().st_mode & 0o777 == 0o600


def test_init_twice_is_refused_and_changes_nothing(home: str) -> None:
    before = (Path(home) / "channels/main/ledger.sqlite").read_bytes()
    code, _, err = tether("init", "--home", home)
    assert code == 3
    assert "already holds a network" in err
    assert (Path(home) / "channels/main/ledger.sqlite").read_bytes() == before


def test_init_refuses_bad_names_with_a_clear_message(tmp_path: Path) -> None:
    code, _, err = tether("init", "--home", str(tmp_path / "x"), "--org", "../evil")
    assert code == 2
    assert "org" in err


def test_init_without_passphrase_in_a_script_says_how(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", "--home", str(tmp_path / "x")], env={"TETHER_HOME": ""})
    assert result.exit_code == 2
    assert "TETHER_PASSPHRASE" in result.stderr


def test_home_comes_from_tether_home(home: str) -> None:
    code, out, _ = tether("ledger", "show", "--json", env={"TETHER_HOME": home})
    assert code == 0
    info = json.loads(out)
    assert info["blocks"] == 1 and info["txs"] == 1 and info["channel"] == "main"
    assert info["latest_checkpoint"]["block"] == 0


def test_show_blocks_and_tx(home: str) -> None:
    code, out, _ = tether("ledger", "show", "--home", home)
    assert code == 0 and "genesis hash" in out
    code, out, _ = tether("ledger", "blocks", "--home", home, "--json")
    blocks = json.loads(out)
    assert [b["number"] for b in blocks] == [0]
    store = sqlite3.connect(Path(home) / "channels/main/ledger.sqlite")
    (tx_id,) = store.execute("SELECT tx_id FROM txs").fetchone()
    store.close()
    code, out, _ = tether("ledger", "tx", tx_id, "--home", home, "--json")
    assert code == 0
    detail = json.loads(out)
    assert detail["tx"]["fn"] == "bootstrap" and detail["valid"] is True
    assert any(write["key"] == "membership/channel" for write in detail["writes"])
    code, out, _ = tether("ledger", "tx", tx_id, "--home", home)
    assert "root@Acme called membership.bootstrap" in out


def test_unknown_tx_and_missing_home_are_clear_errors(home: str, tmp_path: Path) -> None:
    # Naming what does not exist is the caller's input: exit 2, as for the client commands.
    code, _, err = tether("ledger", "tx", "ab" * 32, "--home", home)
    assert code == 2 and "no tx" in err
    code, _, err = tether("ledger", "show", "--home", str(tmp_path / "nowhere"))
    assert code == 2 and "tether init" in err


def test_proof_verifies_offline(tmp_path: Path) -> None:
    net: Network = make_network(tmp_path)
    alice = net.participant("alice")
    result = net.notarize(alice, "doc")
    net.close()
    code, out, err = tether("ledger", "proof", result.tx_id, "--home", str(net.home.root))
    assert code == 0, err
    proof = parse_tlog_proof(out)
    from tetherai.ledger.checkpoint import CosignatureVerifier, NoteVerifier

    config = net.home.config()
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    def pub(node: str) -> Ed25519PublicKey:
        raw = (net.home.node_dir(node) / "key.pub").read_text().strip()
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(raw))

    verified = proof.verify(
        [
            NoteVerifier(config["orderer"], pub(config["orderer"])),
            CosignatureVerifier(config["peer"], pub(config["peer"])),
        ],
        origin="tetherai/main",
    )
    assert verified.size > proof.index
    # The independent verifier (hashlib only) agrees.
    from hashlib import sha256

    from tests.common.independent_proofs import verify_inclusion

    leaf = sha256(b"\x00" + (proof.extra or b"")).digest()
    assert verify_inclusion(
        leaf, proof.index, verified.size, list(proof.hashes), verified.root_hash
    )


def test_verify_exit_codes(tmp_path: Path) -> None:
    net = make_network(tmp_path)
    alice = net.participant("alice")
    net.notarize(alice, "doc")
    net.close()
    home = str(net.home.root)
    code, out, _ = tether("ledger", "verify", "--home", home)
    assert code == 0 and "OK" in out and "3 blocks" in out
    code, out, _ = tether("ledger", "verify", "--home", home, "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    db = sqlite3.connect(net.home.ledger_path("main"))
    db.execute("DROP TRIGGER txs_no_update")
    db.execute("UPDATE txs SET valid = 0 WHERE seq = 2")
    db.commit()
    db.close()
    code, _, err = tether("ledger", "verify", "--home", home)
    assert code == 1
    assert "FAILED" in err and "block 2" in err
    code, out, _ = tether("ledger", "verify", "--home", home, "--json")
    assert code == 1 and json.loads(out)["problem"]["block"] == 2


def test_verify_with_an_unreadable_checkpoint_file_is_a_usage_error(
    home: str, tmp_path: Path
) -> None:
    code, _, err = tether(
        "ledger", "verify", "--home", home, "--checkpoint", str(tmp_path / "none")
    )
    assert code == 2 and "cannot read" in err


def test_db_rebuild_and_check(tmp_path: Path) -> None:
    net = make_network(tmp_path)
    net.notarize(net.participant("alice"), "doc")
    net.close()
    home = str(net.home.root)
    url = f"sqlite:///{tmp_path / 'service.sqlite'}"
    code, _, err = tether("db", "check", "--home", home, "--database-url", url)
    assert code == 1 and "projections stop at block none" in err
    code, out, err = tether("db", "rebuild", "--home", home, "--database-url", url)
    assert code == 0, err
    assert "rebuilt the projections from 3 blocks" in out
    code, out, _ = tether("db", "check", "--home", home, "--database-url", url)
    assert code == 0 and "match the ledger" in out
