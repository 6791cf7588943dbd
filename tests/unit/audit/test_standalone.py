"""The verifier stands alone: stdlib + cryptography only, its own copies agree with tetherai's,
and it runs from a copy of its package in a process where nothing else of tetherai exists."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.common import independent_proofs as reference
from tests.unit.audit.conftest import AuditLedger
from tetherai import auditverify, vocabulary
from tetherai.auditverify import jcs, merkle, workflow_table
from tetherai.contracts import transitions
from tetherai.crypto.jcs import canonicalize

PACKAGE = Path(auditverify.__file__).parent


def test_it_imports_only_the_standard_library_and_cryptography() -> None:
    for source in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top == "cryptography", (source, name)


def test_its_workflow_table_is_the_contracts_table() -> None:
    """The verifier's copy of the workflow words is the vocabulary's and the contracts' table."""
    contract = tuple(
        (r.source.value, r.target.value, r.role.value, r.action, r.author_only)
        for r in transitions.RULES
    )
    assert contract == workflow_table.RULES
    assert {s.value for s in vocabulary.LIVE} == workflow_table.LIVE
    assert {s.value for s in vocabulary.APPROVED} == workflow_table.APPROVED
    assert {s.value for s in vocabulary.NEEDS_REASON} == workflow_table.NEEDS_REASON
    assert workflow_table.ROLLBACK_ROLE == transitions.ROLLBACK_ROLE
    named = {s for rule in workflow_table.RULES for s in rule[:2]}
    assert named | workflow_table.APPROVED | {"rolled_back"} <= set(vocabulary.Status)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_its_canonical_json_is_rfc8785(value: object) -> None:
    assert jcs.canonical(value) == canonicalize(value)
    assert jcs.loads_canonical(jcs.canonical(value)) == value or value != value


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_its_numbers_are_ecmascript_numbers(value: float) -> None:
    assert jcs.number(value).encode() == rfc8785.dumps(value)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 70), st.data())
def test_its_merkle_checks_agree_with_the_independent_reference(
    size: int, data: st.DataObject
) -> None:
    leaves = [bytes([i % 256, i // 256]) for i in range(size)]
    root = reference.mth(leaves)
    index = data.draw(st.integers(0, size - 1))
    path = reference.path(index, leaves)
    merkle.verify_inclusion(merkle.leaf_hash(leaves[index]), index, size, path, root)
    old = data.draw(st.integers(0, size))
    proof = reference.proof(old, leaves) if 0 < old < size else []
    old_root = reference.mth(leaves[:old])
    merkle.verify_consistency(old, size, old_root, root, proof)
    if proof:
        bad = [*proof[:-1], bytes(32)]
        assert not reference.verify_consistency(old, size, old_root, root, bad)
        try:
            merkle.verify_consistency(old, size, old_root, root, bad)
        except merkle.ProofFailure:
            pass
        else:
            raise AssertionError("a wrong consistency proof was accepted")


def _run_copy(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the verifier from a copy of its package only, with tetherai imports made to fail."""
    copy = tmp_path / "embed"
    if not copy.exists():
        shutil.copytree(PACKAGE, copy / "auditverify", ignore=shutil.ignore_patterns("__pycache__"))
    program = (
        "import sys\n"
        "class NoTetherai:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'tetherai' or name.startswith('tetherai.'):\n"
        "            raise ImportError('tetherai must not be imported: ' + name)\n"
        "sys.meta_path.insert(0, NoTetherai())\n"
        f"sys.path.insert(0, {str(copy)!r})\n"
        "from auditverify.__main__ import main\n"
        "code = main(sys.argv[1:])\n"
        "assert not [m for m in sys.modules if m.startswith('tetherai')], 'tetherai was imported'\n"
        "sys.exit(code)\n"
    )
    # -I: isolated mode, no PYTHON* variables, no user site, not even the current directory.
    return subprocess.run(
        [sys.executable, "-I", "-c", program, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_a_copy_of_the_package_verifies_in_an_isolated_interpreter(
    ledger: AuditLedger, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(ledger.bundle("v1", since=ledger.early_checkpoint))
    trust = tmp_path / "trust.txt"
    trust.write_text(ledger.trust())
    held = tmp_path / "checkpoint.txt"
    held.write_text(ledger.early_checkpoint)
    kept = tmp_path / "kept.txt"
    done = _run_copy(
        tmp_path,
        str(bundle),
        "--trust",
        str(trust),
        "--since",
        str(held),
        "--keep-checkpoint",
        str(kept),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "VERDICT: VERIFIED" in done.stdout
    assert "append-only from tree size" in done.stdout
    assert kept.read_text() == json.loads(bundle.read_bytes())["checkpoint"]

    bundle.write_bytes(bundle.read_bytes().replace(b'"ca_roots":[', b'"ca_roots":["x",', 1))
    failed = _run_copy(tmp_path, str(bundle), "--trust", str(trust))
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "VERIFICATION FAILED" in failed.stdout and "not a PEM certificate" in failed.stdout

    usage = _run_copy(tmp_path, str(tmp_path / "missing.json"))
    assert usage.returncode == 2 and "error:" in usage.stderr
