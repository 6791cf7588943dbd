"""A version in other ecosystems' formats: in-toto + SLSA provenance, OpenSSF model-signing,
CycloneDX ML-BOM. Built from a verified bundle of the version, like the reports.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from tetherai.contracts.commits import full_git_commit
from tetherai.crypto.jcs import JSONValue
from tetherai.crypto.signature import PrivateKey
from tetherai.services.audit_bundle import AuditError
from tetherai.services.reports.content import ReportContent, VersionContent
from tetherai.storage.manifest import ArtifactEntry, FileEntry
from tetherai.storage.model_signature import signed_bundle
from tetherai.storage.openssf import IN_TOTO_STATEMENT_TYPE, statement_for_entry

__all__ = [
    "FORMATS",
    "InteropError",
    "NoModelArtifact",
    "cyclonedx_bom",
    "export",
    "intoto_statement",
    "model_signing_bundle",
    "model_signing_manifest",
    "signer_certificate",
]

SLSA_PROVENANCE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://tetherai.dev/model-version/v1"
DATASET_KINDS = ("train_dataset", "test_dataset", "validation_dataset", "dataset")
FORMATS = ("intoto", "model-signing", "cyclonedx")


class InteropError(AuditError):
    code = "audit.interop"


class NoModelArtifact(InteropError):
    code = "audit.no_model"


def _version(content: ReportContent) -> VersionContent:
    if content.verdict.version is None or not content.versions:
        raise InteropError("interop exports are made for one version", code="audit.not_found")
    return content.versions[0]


def _models(version: VersionContent) -> list[dict[str, Any]]:
    models = [a for a in version.artifacts if a.get("kind") == "model"]
    if not models:
        raise InteropError(
            f"version {version.name} registered no model artifact to describe",
            code="audit.no_model",
        )
    return models


def _iso(ms: Any) -> str:
    moment = datetime.fromtimestamp((ms if isinstance(ms, int) else 0) / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _descriptor(artifact: dict[str, Any]) -> dict[str, JSONValue]:
    return {
        "name": str(artifact["name"]),
        "uri": str(artifact.get("uri", "")),
        "digest": {"sha256": str(artifact["sha256"])},
        "annotations": {"kind": str(artifact.get("kind")), "size": artifact.get("size")},
    }


_GIT_URL = re.compile(r"(https?|ssh|git|file)://\S+", re.ASCII)


def _code(repo: str, commit: str) -> dict[str, JSONValue]:
    """The code as a resolved dependency: ``git+<url>`` with its commit as a ``gitCommit``
    digest when the commit is a full git id; any other commit (a tag, an abbreviated id, a
    tracking-tool reference) is kept as an annotation, never passed off as a digest."""
    uri = repo if repo.startswith("git+") or not _GIT_URL.fullmatch(repo) else f"git+{repo}"
    code: dict[str, JSONValue] = {"name": "code", "uri": uri} if uri else {"name": "code"}
    full = full_git_commit(commit)
    if full is not None:
        code["digest"] = {"gitCommit": full}
    elif commit:
        code["annotations"] = {
            "commit": commit,
            "note": "not a full git commit id (40 or 64 hex digits), so no digest is stated",
        }
    return code


def intoto_statement(content: ReportContent) -> dict[str, JSONValue]:
    """in-toto Statement v1: the model files as subjects, SLSA provenance v1 as predicate."""
    version = _version(content)
    record = version.record
    commit = str(record.get("commit", ""))
    dependencies: list[JSONValue] = [_code(str(record.get("code_repo", "")), commit)]
    dependencies += [_descriptor(a) for a in version.artifacts if a.get("kind") in DATASET_KINDS]
    checkpoint = content.verdict.checkpoint
    byproducts: list[JSONValue] = [
        _descriptor(a) for a in version.artifacts if a.get("kind") == "log"
    ]
    if checkpoint is not None:
        byproducts.append(
            {
                "name": "ledger checkpoint",
                "uri": checkpoint.origin,
                "digest": {"sha256": checkpoint.root.hex()},
                "annotations": {"tree_size": checkpoint.size, "block": checkpoint.block},
            }
        )
    return {
        "_type": IN_TOTO_STATEMENT_TYPE,
        "subject": [
            {"name": str(a["name"]), "digest": {"sha256": str(a["sha256"])}}
            for a in _models(version)
        ],
        "predicateType": SLSA_PROVENANCE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "project": content.verdict.project,
                    "version": version.name,
                    "code_repo": str(record.get("code_repo", "")),
                    "commit": commit,
                },
                "internalParameters": {
                    "experiments": [
                        {
                            "name": str(e.get("name", "")),
                            "hyperparameters": e.get("hyperparameters") or {},
                        }
                        for e in record.get("experiments") or []
                    ]
                },
                "resolvedDependencies": dependencies,
            },
            "runDetails": {
                "builder": {"id": f"https://tetherai.dev/ledger/{content.verdict.project}"},
                "metadata": {
                    "invocationId": str(record.get("tx_id", "")),
                    "startedOn": _iso(record.get("at")),
                },
                "byproducts": byproducts,
            },
        },
    }


def model_signing_manifest(content: ReportContent) -> dict[str, JSONValue]:
    """The OpenSSF model-signing v1.0 statement of the version's model artifact."""
    version = _version(content)
    model = _models(version)[0]
    files = model.get("files")
    entry = ArtifactEntry(
        kind="model",
        name=str(model["name"]),
        uri=str(model["uri"]),
        size=int(model["size"]),
        sha256=str(model["sha256"]),
        files=None
        if not files
        else tuple(FileEntry(str(f["path"]), int(f["size"]), str(f["sha256"])) for f in files),
    )
    return statement_for_entry(entry, model_name=Path(str(model["name"])).name or version.name)


def model_signing_bundle(
    content: ReportContent, key: PrivateKey, *, certificate: x509.Certificate | None = None
) -> bytes:
    """The version's model-signing statement signed with ``key``: a Sigstore bundle that
    ``model_signing verify key`` (or ``verify certificate``, with ``certificate``) accepts.

    Raises:
        InteropError: the version has no model.
        BadInput: the key is not ECDSA P-256 (model_signing verifies ECDSA only).
    """
    return signed_bundle(model_signing_manifest(content), key, certificate=certificate)


def signer_certificate(bundle: bytes, key: PrivateKey) -> x509.Certificate:
    """The certificate of ``key`` among those an audit bundle carries (its txs' signers'),
    so the signature can name a participant whose org CA the consumer pins.

    Raises:
        InteropError: no certificate in the bundle is this key's.
    """
    public = key.public_key()
    try:
        pems = json.loads(bundle).get("certificates") or {}
        for pem in pems.values():
            certificate = x509.load_pem_x509_certificate(str(pem).encode())
            if certificate.public_key() == public:
                return certificate
    except (ValueError, AttributeError) as error:
        raise InteropError(f"the bundle's certificates cannot be read: {error}") from error
    raise InteropError(
        "no certificate in this bundle is the signing key's",
        hint="Sign with the key of a participant whose txs are in the bundle (the version's "
        "author), or leave out --certificate to name the key by its hint.",
        code="audit.no_signer_certificate",
    )


def cyclonedx_bom(content: ReportContent) -> dict[str, JSONValue]:
    """A CycloneDX 1.6 ML-BOM: the model with its model card, and its datasets."""
    version = _version(content)
    factsheet = content.factsheet or {}
    ref = f"{content.verdict.project}/{version.name}"
    checkpoint = content.verdict.checkpoint
    serial = uuid.uuid5(
        uuid.NAMESPACE_URL, f"tetherai:{ref}:{checkpoint.root.hex() if checkpoint else ''}"
    )
    datasets = [a for a in version.artifacts if a.get("kind") in DATASET_KINDS]
    considerations: dict[str, JSONValue] = {}
    if factsheet.get("intended_use"):
        considerations["useCases"] = [str(factsheet["intended_use"])]
    if factsheet.get("out_of_scope_uses"):
        considerations["technicalLimitations"] = [str(factsheet["out_of_scope_uses"])]
    if factsheet.get("risks"):
        considerations["ethicalConsiderations"] = [{"name": str(factsheet["risks"])}]
    card: dict[str, JSONValue] = {
        "modelParameters": {
            "datasets": [{"ref": f"dataset:{a['name']}"} for a in datasets],
        },
        "quantitativeAnalysis": {
            "performanceMetrics": [
                {"type": name, "value": f"{value:g}"} for name, value in version.metrics.items()
            ]
        },
    }
    if considerations:
        card["considerations"] = considerations
    components: list[JSONValue] = [
        {
            "type": "machine-learning-model",
            "bom-ref": f"model:{a['name']}",
            "name": str(a["name"]),
            "version": version.name,
            "description": str(factsheet.get("purpose") or content.project.get("name", "")),
            "hashes": [{"alg": "SHA-256", "content": str(a["sha256"])}],
            "externalReferences": [{"type": "distribution", "url": str(a.get("uri", ""))}],
            "modelCard": card,
        }
        for a in _models(version)
    ]
    components += [
        {
            "type": "data",
            "bom-ref": f"dataset:{a['name']}",
            "name": str(a["name"]),
            "hashes": [{"alg": "SHA-256", "content": str(a["sha256"])}],
            "data": [
                {
                    "type": "dataset",
                    "name": str(a["name"]),
                    "contents": {"url": str(a.get("uri", ""))},
                }
            ],
        }
        for a in datasets
    ]
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial.urn,
        "version": 1,
        "metadata": {
            "timestamp": _iso(version.record.get("at")),
            "component": {"type": "application", "bom-ref": ref, "name": ref},
        },
        "components": components,
    }


def export(content: ReportContent, kind: str) -> dict[str, JSONValue]:
    builders = {
        "intoto": intoto_statement,
        "model-signing": model_signing_manifest,
        "cyclonedx": cyclonedx_bom,
    }
    if kind not in builders:
        raise InteropError(f"no export format {kind!r}; formats: {', '.join(FORMATS)}")
    return builders[kind](content)
