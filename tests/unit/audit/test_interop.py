"""Interop exports of a version, each validated with its ecosystem's own Python package."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from google.protobuf import json_format
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
from in_toto_attestation.v1.statement import Statement
from model_signing._signing import signing as ms_signing
from sigstore.dsse._predicate import SLSAPredicateV1_0

from tests.common.lifecycle import ARTIFACT_DIGESTS, make_cast
from tests.common.network import make_network
from tests.unit.audit.conftest import AuditLedger
from tetherai.auditverify import verify_bundle
from tetherai.services.audit_bundle import BundleRequest, export_bundle
from tetherai.services.reports import report_content
from tetherai.services.reports.content import ReportContent
from tetherai.services.reports.interop import InteropError, export


@pytest.fixture(scope="module")
def content(ledger: AuditLedger) -> ReportContent:
    verdict = verify_bundle(ledger.bundle("v1"))
    assert verdict.ok
    return report_content(verdict)


# in-toto's DigestSet rule for the algorithms it names, as the reference validator
# (in-toto/attestation go/v1/resource_descriptor.go, Validate) applies it: lowercase-or-not hex of
# the algorithm's length; the git object algorithms take a SHA-1 (20 bytes) or SHA-256 (32 bytes)
# id. The Python package validates no digest; the Go one needs Go 1.23, which Debian 12 lacks.
DIGEST_BYTES = {
    "sha1": (20,),
    "sha256": (32,),
    "sha384": (48,),
    "sha512": (64,),
    "gitCommit": (20, 32),
    "gitBlob": (20, 32),
    "gitTree": (20, 32),
    "gitTag": (20, 32),
    "dirHash": (32,),
}


def check_digests(descriptor: dict[str, Any]) -> None:
    for algorithm, value in (descriptor.get("digest") or {}).items():
        if algorithm in DIGEST_BYTES:
            assert len(bytes.fromhex(value)) in DIGEST_BYTES[algorithm], (algorithm, value)


def validate_intoto(document: dict[str, Any]) -> provenance_pb2.Provenance:
    """Every judge we can run: the in-toto library, the SLSA v1 protobuf (unknown fields do
    not parse), sigstore-python's SLSA v1 model, and the DigestSet rule."""
    statement = Statement.copy_from_pb(json_format.ParseDict(document, statement_pb2.Statement()))
    statement.validate()
    provenance = json_format.ParseDict(document["predicate"], provenance_pb2.Provenance())
    for dependency in provenance.build_definition.resolved_dependencies:
        ResourceDescriptor.copy_from_pb(dependency).validate()
    for byproduct in provenance.run_details.byproducts:
        ResourceDescriptor.copy_from_pb(byproduct).validate()
    SLSAPredicateV1_0.model_validate(document["predicate"])
    predicate = document["predicate"]
    for descriptor in [
        *document["subject"],
        *predicate["buildDefinition"]["resolvedDependencies"],
        *predicate["runDetails"]["byproducts"],
    ]:
        check_digests(descriptor)
    return provenance


def test_intoto_statement_with_slsa_provenance(content: ReportContent) -> None:
    document: Any = export(content, "intoto")
    validate_intoto(document)
    assert document["predicateType"] == "https://slsa.dev/provenance/v1"
    assert document["subject"] == [
        {"name": "model", "digest": {"sha256": ARTIFACT_DIGESTS["model"]}}
    ]
    provenance = json_format.ParseDict(document["predicate"], provenance_pb2.Provenance())
    dependencies = provenance.build_definition.resolved_dependencies
    by_name = {d.name: d for d in dependencies}
    assert by_name["train"].digest["sha256"] == ARTIFACT_DIGESTS["train"]
    assert by_name["test"].digest["sha256"] == ARTIFACT_DIGESTS["test"]
    code = next(d for d in dependencies if d.uri.startswith("git+"))
    assert code.uri == "git+https://git.example/credit"
    assert code.digest["gitCommit"] == f"{1:040x}"


COMMITS = {
    "full": ("https://git.example/credit", "AB" * 20, {"gitCommit": "ab" * 20}),
    "sha256-repo": ("git+ssh://git.example/credit", "cd" * 32, {"gitCommit": "cd" * 32}),
    "short": ("https://git.example/credit", "4f2a9c1", None),
    "tag": ("https://git.example/credit", "release-2024.1", None),
    # What the MLflow import once recorded: the run id (32 hex digits) as the commit.
    "mlflow-run": ("mlflow:sqlite:///mlflow.db", "c1f79dd961474831a56e07cd551591d7", None),
    "mlflow-import": ("train.py", "mlflow-run:c1f79dd961474831a56e07cd551591d7", None),
}


@pytest.fixture(scope="module")
def commit_versions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, bytes]]:
    """Versions recorded with every kind of commit the ledger may hold (the contract takes
    any text; older records hold abbreviated ids and MLflow run ids)."""
    net = make_network(Path(tmp_path_factory.mktemp("commits")), max_wait=0.002)
    try:
        cast = make_cast(net)
        bundles = {}
        for name, (repo, commit, _) in COMMITS.items():
            cast.new_version(name, code_repo=repo, commit=commit)
            request = BundleRequest(cast.project, name, None)
            bundles[name] = export_bundle(net.node.peer.store, net.channel, request)
        yield bundles
    finally:
        net.close()


@pytest.mark.parametrize("name", list(COMMITS))
def test_every_recorded_commit_exports_a_valid_statement(
    commit_versions: dict[str, bytes], name: str
) -> None:
    repo, commit, digest = COMMITS[name]
    verdict = verify_bundle(commit_versions[name])
    assert verdict.ok, verdict.text()
    document: Any = export(report_content(verdict), "intoto")
    validate_intoto(document)
    code = document["predicate"]["buildDefinition"]["resolvedDependencies"][0]
    assert code["name"] == "code"
    assert code["uri"] == (repo if repo.startswith(("git+", "mlflow:", "train")) else f"git+{repo}")
    if digest is None:
        # Not a full git id: stated as an annotation, never as a digest.
        assert "digest" not in code and code["annotations"]["commit"] == commit
    else:
        assert code["digest"] == digest and "annotations" not in code
    assert document["predicate"]["buildDefinition"]["externalParameters"]["commit"] == commit


def test_model_signing_manifest_is_read_by_the_openssf_tool(content: ReportContent) -> None:
    document: Any = export(content, "model-signing")
    manifest = ms_signing.dsse_payload_to_manifest(document)  # checks the subject digest too
    digests = [d.digest.digest_hex for d in manifest.resource_descriptors()]
    assert digests == [ARTIFACT_DIGESTS["model"]]


def test_cyclonedx_ml_bom_is_valid_against_the_1_6_schema(content: ReportContent) -> None:
    document: Any = export(content, "cyclonedx")
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
