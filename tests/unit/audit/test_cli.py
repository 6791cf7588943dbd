"""``tether audit export|trust|verify|report`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tests.unit.audit.conftest import AuditLedger
from tetherai.cli.main import app

runner = CliRunner()


def tether(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"TETHER_HOME": ""})
    return result.exit_code, result.stdout, result.stderr


def test_export_then_verify_and_report_offline(ledger: AuditLedger, tmp_path: Path) -> None:
    home = str(ledger.net.home.root)
    held = tmp_path / "held.txt"
    held.write_text(ledger.early_checkpoint)
    bundle, trust = tmp_path / "b.json", tmp_path / "trust.txt"
    code, _, err = tether(
        "audit", "export", f"{ledger.project}/v1", "--since", str(held),
        "--home", home, "-o", str(bundle),
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(bundle.read_bytes())["consistency"] is not None
    assert tether("audit", "trust", "--home", home, "-o", str(trust))[0] == 0
    assert trust.read_text().count("-----BEGIN CERTIFICATE-----") == 1

    # verify runs as its own process with no home, no server and no database around.
    done = subprocess.run(
        [str(Path(sys.executable).parent / "tether"), "audit", "verify", str(bundle),
         "--trust", str(trust), "--since", str(held)],
        capture_output=True, text=True, timeout=120, check=False,
        env={"TETHER_HOME": str(tmp_path / "no-such-home"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "VERDICT: VERIFIED" in done.stdout
    assert not (tmp_path / "no-such-home").exists()

    kept = tmp_path / "kept.txt"
    code, out, _ = tether("audit", "verify", str(bundle), "--json", "--keep-checkpoint", str(kept))
    assert code == 4  # verified, but only against the bundle's own roots: no --trust
    assert json.loads(out)["ok"] is True and json.loads(out)["verdict"] == "VERIFIED-UNPINNED"
    # The kept checkpoint is what the next export and verification start from.
    code, _, err = tether(
        "audit", "export", ledger.project, "--since", str(kept), "--home", home, "-o", str(bundle)
    )
    assert code == 0, err
    assert (
        tether("audit", "verify", str(bundle), "--since", str(kept), "--trust", str(trust))[0] == 0
    )

    report = tmp_path / "report.pdf"
    code, _, err = tether("audit", "report", str(bundle), "-o", str(report), "--trust", str(trust))
    assert code == 0, err
    assert report.read_bytes().startswith(b"%PDF")
    html = tmp_path / "report.html"
    assert tether("audit", "report", str(bundle), "-o", str(html), "--format", "html")[0] == 4
    assert "Verification result: VERIFIED" in html.read_text()


def test_verify_exit_codes(ledger: AuditLedger, tmp_path: Path) -> None:
    bundle = tmp_path / "b.json"
    document = json.loads(ledger.bundle("v1"))
    document["txs"].reverse()
    bundle.write_text(json.dumps(document))
    code, out, _ = tether("audit", "verify", str(bundle))
    assert code == 1
    assert "VERIFICATION FAILED" in out and "not in log order" in out
    code, _, _ = tether(
        "audit", "report", str(bundle), "-o", str(tmp_path / "r.html"), "--format", "html"
    )
    assert code == 1
    assert "VERIFICATION FAILED" in (tmp_path / "r.html").read_text()
    assert tether("audit", "verify", str(tmp_path / "missing.json"))[0] == 2
    bad_trust = tmp_path / "trust.txt"
    bad_trust.write_text("not a key\n")
    code, _, err = tether("audit", "verify", str(bundle), "--trust", str(bad_trust))
    assert code == 2 and "trust file line 1" in err
    assert tether("audit", "verify")[0] == 2


def test_export_errors_are_clear(ledger: AuditLedger, tmp_path: Path) -> None:
    home = str(ledger.net.home.root)
    code, _, err = tether("audit", "export", f"{ledger.project}/v9", "--home", home)
    assert code == 2 and "records nothing about Org1/credit-scoring/v9" in err
    # The older form (PROJECT --version V) still works.
    code, _, err = tether("audit", "export", ledger.project, "--version", "v9", "--home", home)
    assert code == 2 and "records nothing about Org1/credit-scoring/v9" in err
    bad = tmp_path / "bad.txt"
    bad.write_text("garbage")
    code, _, err = tether("audit", "export", ledger.project, "--since", str(bad), "--home", home)
    assert code == 2 and "not a signed checkpoint note" in err


def test_interop_exports_from_a_bundle(ledger: AuditLedger, tmp_path: Path) -> None:
    bundle = tmp_path / "b.json"
    bundle.write_bytes(ledger.bundle("v1"))
    code, out, err = tether("audit", "interop", str(bundle), "cyclonedx")
    assert code == 0, err
    assert json.loads(out)["bomFormat"] == "CycloneDX"
    target = tmp_path / "statement.json"
    assert tether("audit", "interop", str(bundle), "intoto", "-o", str(target))[0] == 0
    assert json.loads(target.read_text())["predicateType"] == "https://slsa.dev/provenance/v1"
    project = tmp_path / "p.json"
    project.write_bytes(ledger.bundle(None))
    code, _, err = tether("audit", "interop", str(project), "model-signing")
    assert code == 2 and "one version" in err
