"""How the ledger-format-1 fixtures under tests/vectors/ were made (kept for the record).

They were produced by the code of main at commit 29e4a75 (before ledger format 2, with
history values written by plain ``json.dumps`` and CPython's exception text in the results of
crashing contracts), by running ``python -m tests.vectors.make_v1_ledgers`` there. Run today
it would make format-2 ledgers, so never regenerate them: they stand for the ledgers people
already have, which must keep verifying.

- ``ledger-v1/home``: a network home (network.json, the channel's SQLite ledger, and the test
  keys of its CA, node and participants, encrypted with tests.common.network.PASSPHRASE, so a
  test can write to the channel as an upgraded node would) with two projects, Org1/alpha (alice) and Org1/beta (bob), whose txs share blocks; alpha's
  version v1 holds experiment values such as ``1.0``, ``-0.0``, ``1e21`` and ``5e-324``, signed
  in process (so the store kept ``1.0`` where the canonical form says ``1``); its author rated it
  (allowed then), carol moved it to review and verified its artifacts.
- ``ledger-v1-crash/home``: the same kind of home where the ``crashing`` contract of
  tests/common/crashing_contract.py was activated and its txs failed with Python's built-in
  exceptions, whose text the results kept.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

from tests.common.crashing_contract import Crashing
from tests.common.lifecycle import ARTIFACT_DIGESTS, manifest
from tests.common.network import PASSPHRASE, TEST_KDF_ROUNDS, FakeClock, Network

from tetherai.contracts.registry import default_contracts
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.roles import Role
from tetherai.ledger.contract import ContractRegistry
from tetherai.services.home import NetworkHome
from tetherai.services.network import init_network, load_participant, open_node

ALPHA_MARKER = "ALPHA-PRIVATE-MARKER"
BETA_MARKER = "BETA-PRIVATE-MARKER"
EXPERIMENT_VALUES: dict[str, Any] = {
    "one": 1.0,
    "minus_zero": -0.0,
    "big": 1e21,
    "tiny": 5e-324,
    "seventh": 1e-07,
    "int_max": 2**53 - 1,
    "text": "naïve ✓ 𝄞 \u2028",
}


def _network(root: Path, registry: ContractRegistry | None = None) -> Network:
    clock = FakeClock()
    home = NetworkHome(root)
    init_network(
        home,
        org="Org1",
        admin_id="admin",
        channel="main",
        passphrase=PASSPHRASE,
        now_ms=clock(),
        kdf_rounds=TEST_KDF_ROUNDS,
    )
    node = open_node(home, PASSPHRASE, registry=registry, max_wait=0.2, clock=clock)
    admin = load_participant(home, "Org1", "admin", PASSPHRASE)
    ca = CertificateAuthority.load(home.ca_dir("Org1"), PASSPHRASE)
    return Network(home, node, admin, clock, ca)


def _together(net: Network, calls: list[tuple[Any, str, str, dict[str, Any]]]) -> list[Any]:
    """Submit every call before waiting for any, so they share a block."""
    futures = [net.node.orderer.submit(net.sign(who, c, fn, args)) for who, c, fn, args in calls]
    results = [future.result(timeout=30) for future in futures]
    for result in results:
        assert result.valid or result.code == "contract.crashed", result
    return results


def _version(project: str, marker: str, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "project": project,
        "version": "v1",
        "code_repo": f"https://git.example/{marker.lower()}",
        "commit": "c0ffee" * 6 + "c0ff",
        "artifacts": manifest(),
        "experiments": [
            {
                "name": f"run {marker}",
                "metrics": {"acc": 1.0, "loss": 0.25},
                "hyperparameters": values | {"note": marker},
                "series": {"loss": [1.0, 0.5, 2.0, -0.0]},
            }
        ],
    }


def make_main(root: Path) -> None:
    net = _network(root)
    try:
        alice = net.participant("alice", Role.AI_ENGINEER)
        bob = net.participant("bob", Role.AI_ENGINEER)
        carol = net.participant("carol", Role.MLOPS_ENGINEER)
        made = _together(
            net,
            [
                (alice, "project", "create", {"name": "alpha", "details": ALPHA_MARKER}),
                (bob, "project", "create", {"name": "beta", "details": BETA_MARKER}),
            ],
        )
        alpha, beta = (str(r.result["project"]) for r in made)
        _together(
            net,
            [
                (alice, "project", "add_member", {"project": alpha, "org": "Org1", "id": "carol"}),
                (bob, "model_version", "create", _version(beta, BETA_MARKER, {"x": 1.0})),
                (
                    alice,
                    "model_version",
                    "create",
                    _version(alpha, ALPHA_MARKER, EXPERIMENT_VALUES),
                ),
            ],
        )
        _together(
            net,
            [
                (
                    bob,
                    "review",
                    "comment",
                    {"project": beta, "version": "v1", "text": f"{BETA_MARKER} comment"},
                ),
                # The author rating their own version: allowed then (a later rule forbids it).
                (alice, "review", "rate", {"project": alpha, "version": "v1", "stars": 5}),
                (alice, "model_version", "submit", {"project": alpha, "version": "v1"}),
                (bob, "model_version", "submit", {"project": beta, "version": "v1"}),
                (
                    carol,
                    "review",
                    "comment",
                    {"project": alpha, "version": "v1", "text": f"{ALPHA_MARKER} comment"},
                ),
            ],
        )
        purpose = {"purpose": f"{ALPHA_MARKER} purpose", "risks": "naïve ✓"}
        _together(
            net,
            [
                (alice, "project", "set_factsheet", {"project": alpha, "factsheet": purpose}),
                (
                    carol,
                    "workflow",
                    "transition",
                    {"project": alpha, "version": "v1", "to": "reviewing"},
                ),
                (bob, "review", "rate", {"project": beta, "version": "v1", "stars": 2}),
            ],
        )
        digests = [{"name": n, "sha256": d} for n, d in ARTIFACT_DIGESTS.items()]
        _together(
            net,
            [
                (
                    carol,
                    "review",
                    "verify",
                    {"project": alpha, "version": "v1", "artifacts": digests},
                ),
            ],
        )
    finally:
        net.close()


def make_crash(root: Path) -> None:
    registry = ContractRegistry([*default_contracts(), Crashing()])
    net = _network(root, registry)
    try:
        result = net.submit(
            net.admin, "membership", "upgrade_contract", {"contract": "crashing", "version": "1"}
        )
        assert result.valid, result
        alice = net.participant("alice", Role.AI_ENGINEER)
        results = _together(
            net,
            [
                (alice, "crashing", "note", {"text": "before"}),
                (alice, "crashing", "divide", {"numerator": 1, "denominator": 0}),
                (alice, "crashing", "lookup", {"key": "missing"}),
                (alice, "crashing", "add", {"value": 1}),
                (alice, "crashing", "explode", {}),
                (alice, "crashing", "note", {"text": "after"}),
            ],
        )
        for result in results[1:-1]:
            assert result.code == "contract.crashed", result
    finally:
        net.close()


def _one_file(root: Path) -> None:
    """Fold each ledger's write-ahead log into its file, so the file alone is the ledger."""
    for path in (root / "channels").rglob("ledger.sqlite"):
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA journal_mode=DELETE")
        db.close()


def main(target: Path) -> None:
    for name, make in (("ledger-v1", make_main), ("ledger-v1-crash", make_crash)):
        root = target / name / "home"
        shutil.rmtree(root.parent, ignore_errors=True)
        make(root)
        _one_file(root)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent)
