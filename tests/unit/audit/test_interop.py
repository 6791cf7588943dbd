"""Interop exports of a version, each validated with its ecosystem's own Python package."""

from __future__ import annotations

import json

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from google.protobuf import json_format
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
from in_toto_attestation.v1.statement import Statement
from model_signing._signing import signing as ms_signing

from tests.common.lifecycle import ARTIFACT_DIGESTS
from tests.unit.audit.conftest import AuditLedger
from tetherai.auditverify import verify_bundle
from tetherai.services.reports import report_content
from tetherai.services.reports.content import ReportContent
from tetherai.services.reports.interop import InteropError, export


@pytest.fixture(scope="module")
def content(ledger: AuditLedger) -> ReportContent:
    verdict = verify_bundle(ledger.bundle("v1"))
    assert verdict.ok
    return report_content(verdict)


def test_intoto_statement_with_slsa_provenance(content: ReportContent) -> None:
    document = export(content, "intoto")
    statement = Statement.copy_from_pb(
        json_format.ParseDict(document, statement_pb2.Statement())  # type: ignore[attr-defined]
    )
    statement.validate()
    assert document["predicateType"] == "https://slsa.dev/provenance/v1"
    assert document["subject"] == [
        {"name": "model", "digest": {"sha256": ARTIFACT_DIGESTS["model"]}}
    ]
    # The predicate is exactly SLSA provenance v1: unknown fields would not parse.
    provenance = json_format.ParseDict(document["predicate"], provenance_pb2.Provenance())  # type: ignore[attr-defined]
    dependencies = provenance.build_definition.resolved_dependencies
    for dependency in dependencies:
        ResourceDescriptor.copy_from_pb(dependency).validate()
    by_name = {d.name: d for d in dependencies}
    assert by_name["train"].digest["sha256"] == ARTIFACT_DIGESTS["train"]
    assert by_name["test"].digest["sha256"] == ARTIFACT_DIGESTS["test"]
    code = next(d for d in dependencies if d.uri.startswith("git+"))
    assert code.uri == "git+https://git.example/credit" and code.digest["gitCommit"]


def test_model_signing_manifest_is_read_by_the_openssf_tool(content: ReportContent) -> None:
    document = export(content, "model-signing")
    manifest = ms_signing.dsse_payload_to_manifest(document)  # checks the subject digest too
    digests = [d.digest.digest_hex for d in manifest.resource_descriptors()]
    assert digests == [ARTIFACT_DIGESTS["model"]]


def test_cyclonedx_ml_bom_is_valid_against_the_1_6_schema(content: ReportContent) -> None:
    document = export(content, "cyclonedx")
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(document))
    assert error is None, getattr(getattr(error, "data", None), "message", error)
    model = document["components"][0]
    assert model["type"] == "machine-learning-model"
    card = model["modelCard"]
    metrics = {m["type"]: m["value"] for m in card["quantitativeAnalysis"]["performanceMetrics"]}
    assert metrics == {"test_accuracy": "0.97", "fairness_gap": "0.02"}
    assert card["considerations"]["useCases"] == ["Decision support for loan officers"]
    assert {d["ref"] for d in card["modelParameters"]["datasets"]} == {
        "dataset:train",
        "dataset:test",
    }


def test_exports_are_for_a_version_with_a_model(
    ledger: AuditLedger, content: ReportContent
) -> None:
    project = report_content(verify_bundle(ledger.bundle(None)))
    with pytest.raises(InteropError, match="one version"):
        export(project, "intoto")
    with pytest.raises(InteropError, match="no export format"):
        export(content, "spdx")
