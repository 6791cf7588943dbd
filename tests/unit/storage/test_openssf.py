"""Model-signing statements and their signatures, judged by the OpenSSF ``model_signing`` tool.

Each statement is signed (``signed_bundle``) and handed to the tool's own verifier with the
public key or the org's CA certificate: it re-hashes the model on disk with its own rules (git
files, single files, shards) and accepts only an exact match.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from model_signing import verifying

from tetherai.crypto.signature import Algorithm, generate_private_key, public_key_to_pem
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.roles import Role
from tetherai.storage import (
    ArtifactSpec,
    BadInput,
    LocalObjectStore,
    build_manifest,
    sharded_statement,
    signed_bundle,
    statement_for_entry,
)
from tetherai.storage.manifest import ArtifactEntry

KEY = generate_private_key(Algorithm.ECDSA_P256)


def model_dir(root: Path) -> Path:
    """A Hugging Face-like checkout: git files at the top, the same names deeper down."""
    model = root / "my-model"
    (model / "a").mkdir(parents=True)
    (model / "a" / "b").write_bytes(os.urandom(9000))  # "a/b" sorts before "a-c" for the tool
    (model / "a-c").write_bytes(os.urandom(5000))
    (model / "empty").write_bytes(b"")
    (model / "z.json").write_bytes(b"{}")
    (model / ".gitattributes").write_text("*.bin filter=lfs\n")
    (model / ".gitignore").write_text("*.tmp\n")
    (model / ".github" / "workflows").mkdir(parents=True)
    (model / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    (model / ".git").mkdir()
    (model / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (model / "sub").mkdir()
    (model / "sub" / ".gitignore").write_text("part of the model\n")
    return model


def entry_of(path: Path, tmp_path: Path) -> ArtifactEntry:
    (entry,) = build_manifest(
        [ArtifactSpec("model", path.name, path)], store=LocalObjectStore(tmp_path / "store")
    )
    return entry


def sign(tmp_path: Path, statement: dict, **options: object) -> tuple[Path, Path]:
    signature = tmp_path / "model.sig"
    signature.write_bytes(signed_bundle(statement, KEY, **options))  # type: ignore[arg-type]
    public = tmp_path / "signer.pub"
    public.write_bytes(public_key_to_pem(KEY.public_key()))
    return signature, public


def tool_verifies(model: Path, signature: Path, public: Path) -> None:
    """The tool's verifier, configured from the signature as it guesses by default."""
    verifying.Config().use_elliptic_key_verifier(public_key=public).verify(model, signature)


def test_a_folder_with_git_files_verifies_with_the_tools_cli(tmp_path: Path) -> None:
    model = model_dir(tmp_path)
    statement = statement_for_entry(entry_of(model, tmp_path))
    names = [r["name"] for r in statement["predicate"]["resources"]]  # type: ignore[index,call-overload,union-attr]
    assert names == ["a/b", "a-c", "empty", "sub/.gitignore", "z.json"]
    signature, public = sign(tmp_path, statement)
    command = [sys.executable, "-m", "model_signing", "verify", "key", str(model)]
    command += ["--signature", str(signature), "--public_key", str(public)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Verification succeeded" in done.stdout
    # Git files may change freely (the tool ignores them); a model file may not.
    (model / ".gitattributes").write_text("changed\n")
    tool_verifies(model, signature, public)
    (model / "sub" / ".gitignore").write_text("changed\n")
    with pytest.raises(ValueError, match=r"Hash mismatch for 'sub/\.gitignore'"):
        tool_verifies(model, signature, public)


def test_a_single_file_model_verifies_as_the_tool_names_it(tmp_path: Path) -> None:
    weights = tmp_path / "weights.bin"
    weights.write_bytes(os.urandom(3000))
    statement = statement_for_entry(entry_of(weights, tmp_path))
    assert statement["subject"][0]["name"] == "weights.bin"  # type: ignore[index,call-overload]
    assert [r["name"] for r in statement["predicate"]["resources"]] == ["."]  # type: ignore[index,call-overload,union-attr]
    signature, public = sign(tmp_path, statement)
    tool_verifies(weights, signature, public)
    weights.write_bytes(os.urandom(3000))
    with pytest.raises(ValueError, match="Hash mismatch"):
        tool_verifies(weights, signature, public)


def test_a_sharded_folder_and_a_sharded_file_verify(tmp_path: Path) -> None:
    model = model_dir(tmp_path)
    statement: Any = sharded_statement(model, shard_size=4096, workers=2)
    names = [r["name"] for r in statement["predicate"]["resources"]]
    assert names[:3] == ["a/b:0:4096", "a/b:4096:8192", "a/b:8192:9000"]
    assert not any(n.startswith((".git", "empty")) for n in names)
    signature, public = sign(tmp_path, statement)
    tool_verifies(model, signature, public)
    single = model / "a" / "b"
    file_statement: Any = sharded_statement(single, shard_size=4096)
    assert file_statement["predicate"]["resources"][0]["name"] == ".:0:4096"
    signature, public = sign(tmp_path, file_statement)
    tool_verifies(single, signature, public)
    (model / "a-c").write_bytes(b"tampered")
    with pytest.raises(ValueError, match=r"Signature mismatch.*a-c:0:4096"):
        tool_verifies(model, *sign(tmp_path, statement))


def test_a_bundle_with_the_signers_certificate_verifies_against_the_org_ca(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    ca = CertificateAuthority.create("Org1", algorithm=Algorithm.ED25519, now=now)
    certificate = ca.issue(
        participant_id="alice", role=Role.AI_ENGINEER, public_key=KEY.public_key(), now=now
    )
    chain = tmp_path / "org-ca.pem"
    chain.write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    model = model_dir(tmp_path)
    signature, _ = sign(
        tmp_path, statement_for_entry(entry_of(model, tmp_path)), certificate=certificate
    )
    verifying.Config().use_certificate_verifier(certificate_chain=[chain]).verify(model, signature)
    other = CertificateAuthority.create("Org2", now=now)
    chain.write_bytes(other.certificate.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(Exception, match="unable to get local issuer certificate"):
        verifying.Config().use_certificate_verifier(certificate_chain=[chain]).verify(
            model, signature
        )


def test_what_the_tool_cannot_check_is_refused_clearly(tmp_path: Path) -> None:
    model = model_dir(tmp_path)
    statement = statement_for_entry(entry_of(model, tmp_path))
    with pytest.raises(BadInput, match="only ECDSA signatures; this key is ed25519"):
        signed_bundle(statement, generate_private_key(Algorithm.ED25519))
    git_only = tmp_path / "git-only"
    (git_only / ".git").mkdir(parents=True)
    (git_only / ".git" / "HEAD").write_text("x")
    (git_only / ".gitignore").write_text("x")
    with pytest.raises(BadInput, match="only git files"):
        statement_for_entry(entry_of(git_only, tmp_path))
    with pytest.raises(BadInput, match="no model files"):
        sharded_statement(git_only)
