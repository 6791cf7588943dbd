"""Audit bundles, reports and exports over HTTP; access is in the authorization matrix."""

from __future__ import annotations

import httpx

from tests.common.lifecycle import Cast, manifest
from tetherai.auditverify import verify_bundle


def test_bundles_download_and_verify_offline(client: httpx.Client, cast: Cast) -> None:
    v1 = cast.new_version("v1")
    cast.walk(v1, "review_passed")
    checkpoints = cast.net.node.peer.store.checkpoints()
    early = checkpoints[len(checkpoints) // 2][2]
    base = f"/api/v1/projects/{cast.project}"
    response = client.get(f"{base}/versions/{v1}/audit-bundle", params={"since": early})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert "credit-scoring-v1-audit-bundle.json" in response.headers["content-disposition"]
    verdict = verify_bundle(response.content, since=early)
    assert verdict.ok, verdict.text()
    assert verdict.consistency_from == checkpoints[len(checkpoints) // 2][0]
    project = client.get(f"{base}/audit-bundle")
    assert project.status_code == 200 and verify_bundle(project.content).ok


def test_reports_and_exports(client: httpx.Client, cast: Cast) -> None:
    v1 = cast.new_version("v1")
    cast.walk(v1, "reviewing")
    base = f"/api/v1/projects/{cast.project}"
    pdf = client.get(f"{base}/versions/{v1}/audit-report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    html = client.get(f"{base}/audit-report.html")
    assert html.status_code == 200 and "Verification result: VERIFIED" in html.text
    intoto = client.get(f"{base}/versions/{v1}/exports/intoto").json()
    assert intoto["predicateType"] == "https://slsa.dev/provenance/v1"
    assert client.get(f"{base}/versions/{v1}/exports/cyclonedx").json()["bomFormat"] == "CycloneDX"
    signing = client.get(f"{base}/versions/{v1}/exports/model-signing").json()
    assert signing["predicateType"] == "https://model_signing/signature/v1.0"


def test_bad_requests_answer_in_the_one_error_shape(client: httpx.Client, cast: Cast) -> None:
    base = f"/api/v1/projects/{cast.project}"
    v1 = cast.new_version("v1", artifacts=[a for a in manifest() if a["kind"] != "model"])
    unknown = client.get(f"{base}/versions/v9/audit-bundle")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "contract.not_found"
    bad = client.get(f"{base}/audit-bundle", params={"since": "not a checkpoint"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "audit.bad_checkpoint"
    no_model = client.get(f"{base}/versions/{v1}/exports/intoto")
    assert no_model.status_code == 422 and no_model.json()["error"]["code"] == "audit.no_model"
    assert client.get("/api/v1/projects/Org1/nothing/audit-report.pdf").status_code == 404
