"""A format-2 bundle proves its scope's results without another project's args or results;
format-1 ledgers made by older code still export bundles that verify."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.unit.audit.conftest import OTHER_MARKER, AuditLedger
from tetherai.auditverify import Trust, verify_bundle
from tetherai.cli.main import app

VECTORS = Path(__file__).parents[2] / "vectors"
runner = CliRunner()


def tether(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"TETHER_HOME": ""})
    return result.exit_code, result.stdout + result.stderr


def _readable(data: bytes) -> bytes:
    """The bundle's bytes and every envelope in it (base64 on the proofs' ``extra`` lines)."""
    bundle = json.loads(data)
    envelopes = [
        base64.b64decode(line.removeprefix("extra "))
        for entry in bundle["txs"]
        for line in entry["proof"].split("\n")
        if line.startswith("extra ")
    ]
    return b"\n".join([data, *envelopes])


def test_a_bundle_holds_nothing_of_another_project_that_shared_its_blocks(
    ledger: AuditLedger,
) -> None:
    other_project = "Org1/other-team"
    for scope in ("v1", None):
        data = ledger.bundle(scope)
        verdict = verify_bundle(data, trust=Trust.from_text(ledger.trust()))
        assert verdict.ok, verdict.text()
        readable = _readable(data)
        for secret in (OTHER_MARKER, other_project, *ledger.other_txs):
            assert secret.encode() not in readable, (scope, secret)
        # The block they shared is in the bundle: this project's txs there are proven.
        bundle: dict[str, Any] = json.loads(data)
        shared = max(entry["block"] for entry in bundle["txs"])
        header = json.loads(next(b for b in bundle["blocks"] if b["number"] == shared)["header"])
        assert header["tx_count"] == 4
        mine = [entry for entry in bundle["txs"] if entry["block"] == shared]
        assert len(mine) == 2 and all(entry["result_proof"] for entry in mine)
        comments = {
            item.tx["args"]["text"]: item.valid
            for item in verdict.txs
            if item.action == "review.comment"
        }
        assert comments["Monitoring reviewed"] is True and comments["Agreed"] is True


def test_a_format_1_ledger_made_by_older_code_exports_bundles_that_verify(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(VECTORS / "ledger-v1" / "home", home)
    code, out = tether("ledger", "verify", "--home", str(home))
    assert code == 0, out
    trust = tmp_path / "trust.txt"
    assert tether("audit", "trust", "--home", str(home), "-o", str(trust))[0] == 0
    for scope in (["--version", "v1"], []):
        bundle = tmp_path / "alpha.json"
        code, out = tether(
            "audit", "export", "Org1/alpha", *scope, "--home", str(home), "-o", str(bundle)
        )
        assert code == 0, out
        # Format 1 commits to whole blocks of results, so its bundles still carry them.
        assert json.loads(bundle.read_bytes())["format"] == "tetherai-audit-bundle/v1"
        code, out = tether("audit", "verify", str(bundle), "--trust", str(trust))
        assert code == 0 and "VERDICT: VERIFIED" in out, out
    # A format-1 bundle's results are still checked: one edited result is refused.
    edited: dict[str, Any] = json.loads(bundle.read_bytes())
    results = edited["blocks"][-1]["results"]
    results[0] = results[0].replace('"valid":true', '"valid":false')
    bundle.write_text(json.dumps(edited))
    code, out = tether("audit", "verify", str(bundle), "--trust", str(trust))
    assert (code == 1 and "results.block" in out) or "results of block" in out, out
