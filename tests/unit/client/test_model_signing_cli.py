"""A model from tetherai checked with the tool its consumer already uses: alice registers a model
folder, the version's bundle is exported, ``tether audit interop … sigstore`` signs its
model-signing statement, and the ``model_signing`` command verifies the folder with her public key
or with the org's CA certificate from ``tether audit trust``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from model_signing import verifying

from tests.common.lifecycle import Cast

FULL_COMMIT = "0123456789abcdef0123456789abcdef01234567"


def model_signing(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "model_signing", "verify", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_model_signing_verifies_a_signed_export_with_the_key_or_the_org_ca(
    terminal: Any, cast: Cast, tmp_path: Path
) -> None:
    alice = terminal("alice")
    alice("login", alice.url, "--username", "alice")
    alice("key", "create", "--algorithm", "ecdsa-p256")
    alice("key", "register", "--name", "laptop")
    model = tmp_path / "credit-model"
    (model / "weights").mkdir(parents=True)
    (model / "weights" / "part-1.bin").write_bytes(b"\x01" * 5000)
    (model / "config.json").write_text('{"layers": 3}\n')
    (model / ".gitattributes").write_text("*.bin filter=lfs\n")  # as in every HF checkout
    version = f"{cast.project}/v-signed"
    alice("version", "create", version, "--code-repo", "https://git.example/credit",
          "--commit", FULL_COMMIT, "--model", str(model))  # fmt: skip
    home = str(cast.net.home.root)
    bundle, trust = tmp_path / "v.bundle.json", tmp_path / "trust.txt"
    alice(
        "audit", "export", cast.project, "--version", "v-signed", "-o", str(bundle), "--home", home
    )
    alice("audit", "trust", "-o", str(trust), "--home", home)
    signature, public = tmp_path / "model.sig", tmp_path / "alice.pub"
    alice("audit", "interop", str(bundle), "sigstore", "--trust", str(trust),
          "-o", str(signature), "--public-key", str(public))  # fmt: skip
    done = model_signing(
        "key", str(model), "--signature", str(signature), "--public_key", str(public)
    )
    assert done.returncode == 0 and "Verification succeeded" in done.stdout, done.stderr
    # With her certificate in the signature, the org's CA (as `tether audit trust` prints it,
    # among the checkpoint keys) is all a consumer pins.
    by_certificate = tmp_path / "model-cert.sig"
    alice("audit", "interop", str(bundle), "sigstore", "--certificate", "-o", str(by_certificate))
    done = model_signing(
        "certificate",
        str(model),
        "--signature",
        str(by_certificate),
        "--certificate_chain",
        str(trust),
    )
    assert done.returncode == 0 and "Verification succeeded" in done.stdout, done.stderr
    # A changed weight is caught by the tool (its Python API: one command run less).
    (model / "weights" / "part-1.bin").write_bytes(b"\x02" * 5000)
    with pytest.raises(ValueError, match=r"Hash mismatch for .{1,4}weights/part-1\.bin"):
        verifying.Config().use_elliptic_key_verifier(public_key=public).verify(model, signature)


def test_an_ed25519_key_is_refused_with_what_to_do(
    terminal: Any, cast: Cast, tmp_path: Path
) -> None:
    alice = terminal("alice")
    alice.onboard()  # an Ed25519 key, tether's default
    model = tmp_path / "m.bin"
    model.write_bytes(b"weights")
    alice("version", "create", f"{cast.project}/v-ed", "--code-repo", "https://git.example/c",
          "--commit", FULL_COMMIT, "--model", str(model))  # fmt: skip
    bundle = tmp_path / "b.json"
    alice("audit", "export", cast.project, "--version", "v-ed", "-o", str(bundle),
          "--home", str(cast.net.home.root))  # fmt: skip
    out = alice("audit", "interop", str(bundle), "sigstore", "-o", str(tmp_path / "s"), expect=2)
    assert "only ECDSA signatures; this key is ed25519" in out
    assert "tether key create --algorithm ecdsa-p256" in out
    assert not (tmp_path / "s").exists()
    short = alice("version", "create", f"{cast.project}/v-short", "--code-repo", "r",
                  "--commit", "4f2a9c1", "--model", str(model), expect=2)  # fmt: skip
    assert "abbreviated git commit id" in short and "git rev-parse HEAD" in short
