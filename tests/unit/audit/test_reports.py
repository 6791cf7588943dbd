"""The HTML and PDF reports: everything the issue lists, rendered, and the verification result."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from PIL import Image

from tests.unit.audit.conftest import AuditLedger
from tetherai.auditverify import Trust, verify_bundle
from tetherai.services.reports import render_html, render_pdf, report_content


def _pdf_pages(pdf: bytes, tmp_path: Path) -> tuple[str, list[Path]]:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "page")], check=True, timeout=120
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    return text, sorted(tmp_path.glob("page-*.png"))


def test_the_html_report_holds_what_the_issue_lists(ledger: AuditLedger) -> None:
    content = report_content(
        verify_bundle(ledger.bundle(None), trust=Trust.from_text(ledger.trust()))
    )
    html = render_html(content)
    checkpoint = content.verdict.checkpoint
    assert checkpoint is not None
    for expected in (
        "Verification result: VERIFIED",
        "Score consumer credit applications",  # factsheet
        "Bias against thin-file applicants",
        "Carol Chen (model owner) carol@bank.example",
        "model card.pdf",
        "dora@Org1",  # members
        "mlops_engineer",
        "33" * 32,  # the model's digest
        "matches (store)",  # its verification
        "Final metrics of v1",  # charts
        "<svg",
        "<polyline",
        "Fit for purpose",  # review comment
        "vote: approve moving to qa",
        "rating: 4/5",
        "Status history (replayed through the workflow rules)",
        "review_passed → production</td><td>rollback: v2 drifts</td><td>yes",
        "workflow.rollback",  # timeline
        "v2: production → rolled_back (v2 drifts)",
        checkpoint.root.hex(),  # proof summary
        f"<tr><th>Tree size</th><td>{checkpoint.size}</td></tr>",
        "peer0.Org1 (cosigned",
        "pinned checkpoint key",
    ):
        assert expected in html, expected


def test_the_pdf_renders_its_pages_and_states_the_result(
    ledger: AuditLedger, tmp_path: Path
) -> None:
    content = report_content(
        verify_bundle(ledger.bundle("v1"), trust=Trust.from_text(ledger.trust()))
    )
    text, pages = _pdf_pages(render_pdf(content), tmp_path)
    assert len(pages) >= 2
    for page in pages:
        with Image.open(page) as image:
            gray = image.convert("L")
            low, _ = gray.getextrema()  # (min, max) of the one band of an "L" image
            assert isinstance(low, int | float)
            assert low < 100, f"{page.name} is blank"
    flat = " ".join(text.split())
    for expected in (
        "Audit report: version Org1/credit-scoring/v1",
        "Verification result: VERIFIED",
        "Decision support for loan officers",
        "Fit for purpose",
        "Proof summary",
        "orderer.Org1",
        "review_passed",
        "Timeline",
    ):
        assert expected in flat, expected


def test_a_report_of_a_tampered_bundle_says_it_failed(ledger: AuditLedger, tmp_path: Path) -> None:
    bundle = json.loads(ledger.bundle("v1"))
    bundle["certificates"] = {}
    verdict = verify_bundle(json.dumps(bundle).encode(), trust=Trust.from_text(ledger.trust()))
    assert not verdict.ok
    text, pages = _pdf_pages(render_pdf(report_content(verdict)), tmp_path)
    assert pages
    flat = " ".join(text.split())
    assert "VERIFICATION FAILED" in flat
    assert "lacks its creator's certificate" in flat
