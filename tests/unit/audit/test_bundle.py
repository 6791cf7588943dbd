"""An exported bundle verifies offline, and every kind of tampering is named when rejected."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.common.network import PASSPHRASE
from tests.unit.audit.conftest import AuditLedger
from tetherai.auditverify import Trust, verify_bundle
from tetherai.auditverify.jcs import canonical
from tetherai.ledger.checkpoint import CosignatureSigner, NoteSigner, sign_note
from tetherai.services.audit_bundle import AuditError, BundleRequest, export_bundle
from tetherai.services.network import load_node_key

Bundle = dict[str, Any]


def _verify(bundle: Bundle | bytes, ledger: AuditLedger, **extra: Any) -> Any:
    data = bundle if isinstance(bundle, bytes) else json.dumps(bundle).encode()
    return verify_bundle(data, trust=Trust.from_text(ledger.trust()), **extra)


def test_the_untouched_bundles_verify(ledger: AuditLedger) -> None:
    for version in ("v1", "v2", None):
        verdict = _verify(ledger.bundle(version), ledger)
        assert verdict.ok, verdict.text()
        assert "VERDICT: VERIFIED" in verdict.text()
    # Unpinned, the verdict says where its trust comes from.
    verdict = verify_bundle(ledger.bundle())
    assert verdict.ok and "NOT pinned" in verdict.text()


def test_the_status_histories_are_replayed_including_votes_and_the_rollback(
    ledger: AuditLedger,
) -> None:
    verdict = _verify(ledger.bundle(None), ledger)
    paths = {
        version: [t.target for t in verdict.transitions if t.version == version]
        for version in ("v1", "v2")
    }
    assert paths["v1"] == ["draft", "submitted", "reviewing", "review_passed", "production"]
    assert paths["v2"][-3:] == ["qa", "production", "rolled_back"]
    assert all(t.allowed for t in verdict.transitions)
    assert "v1: (new) -> draft -> submitted" in verdict.text().replace("status history of ", "")


def test_a_consistency_proof_from_a_checkpoint_the_auditor_holds(ledger: AuditLedger) -> None:
    bundle = ledger.bundle(since=ledger.early_checkpoint)
    verdict = _verify(bundle, ledger, since=ledger.early_checkpoint)
    assert verdict.ok, verdict.text()
    assert verdict.consistency_from is not None and verdict.consistency_from > 1
    # An auditor holding another checkpoint is told the proof is not from theirs.
    latest = json.loads(bundle)["checkpoint"]
    other = _verify(bundle, ledger, since=latest)
    assert not other.ok
    assert any(p.code == "consistency.since" for p in other.problems)
    # And a bundle without the proof, when one was expected.
    missing = _verify(ledger.bundle(), ledger, since=ledger.early_checkpoint)
    assert [p.code for p in missing.problems] == ["consistency.missing"]


def test_export_refuses_a_checkpoint_that_is_not_of_this_ledger(ledger: AuditLedger) -> None:
    store = ledger.net.node.peer.store
    with pytest.raises(AuditError, match="not a signed checkpoint"):
        export_bundle(store, "main", BundleRequest(ledger.project, "v1", "not a note"))
    body, _, signatures = ledger.early_checkpoint.partition("\n\n")
    lines = body.split("\n")
    lines[2] = base64.b64encode(b"\x07" * 32).decode()  # another root at the same size
    forked = "\n".join(lines) + "\n\n" + signatures
    with pytest.raises(AuditError, match="fork"):
        export_bundle(store, "main", BundleRequest(ledger.project, "v1", forked))
    with pytest.raises(AuditError, match="nothing about"):
        export_bundle(store, "main", BundleRequest(ledger.project, "v9"))


# -- tampering ----------------------------------------------------------------------------


def _envelope(bundle: Bundle, position: int) -> dict[str, Any]:
    lines = bundle["txs"][position]["proof"].split("\n")
    return json.loads(base64.b64decode(lines[1].removeprefix("extra ")))


def _set_envelope(bundle: Bundle, position: int, envelope: dict[str, Any]) -> None:
    lines = bundle["txs"][position]["proof"].split("\n")
    lines[1] = "extra " + base64.b64encode(canonical(envelope)).decode()
    bundle["txs"][position]["proof"] = "\n".join(lines)


def _position(bundle: Bundle, fn: str, nth: int = 0) -> int:
    found = [
        i
        for i in range(len(bundle["txs"]))
        if f"{_envelope(bundle, i)['tx']['contract']}.{_envelope(bundle, i)['tx']['fn']}" == fn
    ]
    return found[nth]


def _tx_field(bundle: Bundle) -> None:
    position = _position(bundle, "workflow.transition")
    envelope = _envelope(bundle, position)
    envelope["tx"]["args"]["to"] = "production"
    _set_envelope(bundle, position, envelope)


def _proof_hash(bundle: Bundle) -> None:
    entry = bundle["txs"][3]
    lines = entry["proof"].split("\n")
    raw = bytearray(base64.b64decode(lines[3]))
    raw[0] ^= 1
    lines[3] = base64.b64encode(bytes(raw)).decode()
    entry["proof"] = "\n".join(lines)


def _signature_line(bundle: Bundle, name: str, change: Callable[[bytes], bytes]) -> None:
    def edit(note: str) -> str:
        lines = note.split("\n")
        for i, line in enumerate(lines):
            if line.startswith(f"— {name} "):
                raw = base64.b64decode(line.split(" ")[2])
                lines[i] = f"— {name} " + base64.b64encode(change(raw)).decode()
        return "\n".join(lines)

    _every_note(bundle, edit)


def _every_note(bundle: Bundle, edit: Callable[[str], str]) -> None:
    old = bundle["checkpoint"]
    bundle["checkpoint"] = edit(old)
    for entry in bundle["txs"]:
        entry["proof"] = entry["proof"].replace(old, bundle["checkpoint"])


def _flip_last(raw: bytes) -> bytes:
    return raw[:-1] + bytes([raw[-1] ^ 1])


def _drop_cosignature(bundle: Bundle) -> None:
    _every_note(
        bundle,
        lambda note: "\n".join(line for line in note.split("\n") if "peer0.Org1" not in line),
    )


def _remove_tx(bundle: Bundle) -> None:
    del bundle["txs"][_position(bundle, "workflow.transition")]


def _reorder(bundle: Bundle) -> None:
    txs = bundle["txs"]
    txs[2], txs[3] = txs[3], txs[2]


def _swap_certificate(bundle: Bundle) -> None:
    certificates = bundle["certificates"]
    first, second = sorted(certificates)[:2]
    certificates[first] = certificates[second]


def _tree_size(bundle: Bundle) -> None:
    def edit(note: str) -> str:
        lines = note.split("\n")
        lines[1] = str(int(lines[1]) + 1)
        return "\n".join(lines)

    _every_note(bundle, edit)


def _proof_index(bundle: Bundle) -> None:
    entry = bundle["txs"][4]
    entry["proof"] = entry["proof"].replace(
        f"index {entry['seq']}\n", f"index {entry['seq'] + 1}\n"
    )
    entry["seq"] += 1


def _result(bundle: Bundle) -> None:
    entry = bundle["txs"][-1]
    document = json.loads(entry["result"])
    document["valid"] = not document["valid"]
    entry["result"] = canonical(document).decode()


def _result_proof(bundle: Bundle) -> None:
    entry = next(e for e in bundle["txs"] if e["result_proof"])
    raw = bytearray(base64.b64decode(entry["result_proof"][0]))
    raw[0] ^= 1
    entry["result_proof"][0] = base64.b64encode(bytes(raw)).decode()


def _swapped_results(bundle: Bundle) -> None:
    first, second = bundle["txs"][-2:]
    first["result"], second["result"] = second["result"], first["result"]
    first["result_proof"], second["result_proof"] = second["result_proof"], first["result_proof"]


def _header(bundle: Bundle) -> None:
    block = next(b for b in bundle["blocks"] if json.loads(b["header"])["tx_count"] == 1)
    header = json.loads(block["header"])
    header["tx_count"] = 2  # the tx would sit at another position of a larger tree
    block["header"] = canonical(header).decode()


def _state_hash(bundle: Bundle) -> None:
    hashes = bundle["state_chain"]["results_roots"]
    hashes[1] = hashlib.sha256(b"other").hexdigest()


def _truncate_consistency(bundle: Bundle) -> None:
    bundle["consistency"]["proof"] = bundle["consistency"]["proof"][:-1]


def _drop_ca_root(bundle: Bundle) -> None:
    bundle["ca_roots"] = []


def _scope(bundle: Bundle) -> None:
    bundle["scope"]["version"] = "v2"


TAMPERING: dict[str, tuple[Callable[[Bundle], None], str, str]] = {
    "the scope": (_scope, "bundle.scope", "not about Org1/credit-scoring/v2"),
    "a tx field": (_tx_field, "tx.signature", "signature does not verify"),
    "a proof hash": (_proof_hash, "tx.inclusion", "inclusion proof"),
    "the checkpoint signature": (
        lambda b: _signature_line(b, "orderer.Org1", _flip_last),
        "checkpoint",
        "signature by orderer.Org1 does not verify",
    ),
    "a cosignature": (
        lambda b: _signature_line(b, "peer0.Org1", _flip_last),
        "checkpoint",
        "cosignature by peer0.Org1 does not verify",
    ),
    "a removed cosignature": (_drop_cosignature, "checkpoint", "lacks the signature of peer0.Org1"),
    "a removed tx": (_remove_tx, "workflow.gap", "a status change is missing or altered"),
    "a reordered tx": (_reorder, "bundle.order", "not in log order"),
    "a swapped certificate": (_swap_certificate, "cert.swapped", "swapped or altered"),
    "a wrong tree size": (_tree_size, "checkpoint", "does not verify"),
    "a wrong leaf index": (_proof_index, "tx.inclusion", "leaf"),
    "a tx result": (_result, "results.proof", "not proven in block"),
    "a result proof hash": (_result_proof, "results.proof", "not proven in block"),
    "two txs' results swapped": (_swapped_results, "results.proof", "about another tx"),
    "a block header": (_header, "results.block", "not signed by the orderer"),
    "a state-chain hash": (_state_hash, "results.chain", "state root"),
    "a truncated consistency proof": (_truncate_consistency, "consistency", "consistency"),
    "a removed CA root": (_drop_ca_root, "cert.untrusted", "no trusted CA certificate"),
}


@pytest.mark.parametrize("what", sorted(TAMPERING))
def test_tampering_is_rejected_with_a_message_that_says_what(
    ledger: AuditLedger, what: str
) -> None:
    tamper, code, words = TAMPERING[what]
    bundle = json.loads(ledger.bundle("v1", since=ledger.early_checkpoint))
    assert _verify(bundle, ledger).ok
    tamper(bundle)
    verdict = _verify(bundle, ledger)
    assert not verdict.ok, what
    matching = [p for p in verdict.problems if p.code == code and words in p.message]
    assert matching, (what, verdict.problems)
    assert "VERIFICATION FAILED" in verdict.text() and words in verdict.text()


# -- what only the workflow replay catches ------------------------------------------------------


def _forge(
    ledger: AuditLedger,
    bundle: Bundle,
    position: int,
    record: dict[str, Any],
    prefix: str = "workflow/",
) -> None:
    """Rewrite one tx's status record as colluding orderer and peer could: the tx's result, its
    block's results root (from the result's inclusion proof), the state-root chain and a
    checkpoint signed again with the real node keys."""
    entry = bundle["txs"][position]
    document = json.loads(entry["result"])
    key = next(k for k in document["writes"] if k.startswith(prefix))
    document["writes"][key] |= record
    entry["result"] = canonical(document).decode()
    header = json.loads(
        next(b for b in bundle["blocks"] if b["number"] == entry["block"])["header"]
    )
    index = entry["seq"] - (header["log_size"] - header["tx_count"])
    root = _root_from_proof(
        entry["result"].encode(),
        index,
        header["tx_count"],
        [base64.b64decode(h) for h in entry["result_proof"]],
    )
    chain = bundle["state_chain"]
    chain["results_roots"][entry["block"] - chain["from_block"]] = root.hex()
    root_hex = chain["start"]
    for value in chain["results_roots"]:
        root_hex = hashlib.sha256(bytes.fromhex(root_hex) + bytes.fromhex(value)).hexdigest()
    body = bundle["checkpoint"].partition("\n\n")[0].split("\n")
    body = [f"state {root_hex}" if line.startswith("state ") else line for line in body]
    home = ledger.net.home
    config = home.config()
    orderer = NoteSigner(config["orderer"], load_node_key(home, config["orderer"], PASSPHRASE))
    peer = CosignatureSigner(
        config["peer"], load_node_key(home, config["peer"], PASSPHRASE), timestamp=1_790_000_000
    )
    note = sign_note("\n".join(body) + "\n", [orderer, peer])
    _every_note(bundle, lambda _: note)


def _root_from_proof(data: bytes, index: int, size: int, proof: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2's root computation, as anyone holding the proof can do it."""
    fn, sn, computed = index, size - 1, hashlib.sha256(b"\x00" + data).digest()
    for sibling in proof:
        if fn & 1 or fn == sn:
            computed = hashlib.sha256(b"\x01" + sibling + computed).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            computed = hashlib.sha256(b"\x01" + computed + sibling).digest()
        fn >>= 1
        sn >>= 1
    return computed


def test_a_status_change_against_the_rules_is_caught_even_when_the_nodes_signed_it(
    ledger: AuditLedger,
) -> None:
    bundle = json.loads(ledger.bundle("v1"))
    position = _position(bundle, "workflow.transition")  # v1: submitted -> reviewing
    _forge(ledger, bundle, position, {"status": "review_passed"})
    verdict = _verify(bundle, ledger)
    assert not verdict.ok
    messages = {p.code: p.message for p in verdict.problems}
    assert set(messages) <= {"workflow.rule", "workflow.gap"}, verdict.problems
    assert (
        "moved from submitted to review_passed, which the workflow rules do not allow"
        in (messages["workflow.rule"])
    )


def test_a_status_change_by_the_wrong_role_or_not_the_author_is_caught(
    ledger: AuditLedger,
) -> None:
    bundle = json.loads(ledger.bundle("v1"))
    # bob (MLOps) recorded as a stakeholder: his review steps were not his to take.
    bob = next(
        i
        for i in range(len(bundle["txs"]))
        if _envelope(bundle, i)["tx"]["args"].get("id") == "bob"
        and _envelope(bundle, i)["tx"]["fn"] == "add_member"
    )
    _forge(ledger, bundle, bob, {"role": "stakeholder"}, prefix="project/")
    # and the version recorded as someone else's: alice could not submit it.
    create = _position(bundle, "model_version.create")
    _forge(ledger, bundle, create, {"author": "aaron@Org1"}, prefix="model_version/")
    verdict = _verify(bundle, ledger)
    assert not verdict.ok
    messages = [p.message for p in verdict.problems if p.code == "workflow.role"]
    assert (
        messages
        and "needs a project member of role mlops_engineer; bob@Org1 was stakeholder" in messages[0]
    )
    author = [p.message for p in verdict.problems if p.code == "workflow.author"]
    assert author == [author[0]] and "only the author (aaron@Org1) may submit" in author[0]


def test_a_forged_ledger_is_refused_by_pinned_keys(
    ledger: AuditLedger, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.common.lifecycle import make_cast
    from tests.common.network import make_network

    other = make_network(tmp_path_factory.mktemp("forged"), max_wait=0.002)
    try:
        cast = make_cast(other)
        cast.new_version("v1")
        forged = export_bundle(other.node.peer.store, "main", BundleRequest(cast.project, "v1"))
    finally:
        other.close()
    assert verify_bundle(forged).ok  # self-consistent: only pinning tells it apart
    verdict = _verify(forged, ledger)
    assert not verdict.ok
    messages = {p.code: p.message for p in verdict.problems}
    assert "lacks the signature of orderer.Org1" in messages["checkpoint"]
    assert "is not one of the CAs pinned" in messages["cert.root"]


def test_garbage_is_refused_not_crashed_on(ledger: AuditLedger) -> None:
    for data in (
        b"",
        b"[]",
        b'{"format": "x"}',
        b"{",
        json.dumps({"format": "tetherai-audit-bundle/v1"}).encode(),
    ):
        verdict = verify_bundle(data)
        assert not verdict.ok and verdict.problems, data
    bundle = json.loads(ledger.bundle())
    bundle["txs"][1]["proof"] = "c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\nx"
    verdict = _verify(bundle, ledger)
    assert any(p.code == "tx.malformed" for p in verdict.problems)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            found += _paths(item, (*prefix, position))
    return found


# Changes that leave what the bundle proves intact: dropping the optional consistency proof, the
# genesis tx's block number and result fields (its block is outside the chain), or relabelling a
# version bundle as its project's (completeness is not provable; see docs/audit-bundle.md).
HARMLESS = {
    ("consistency",),
    ("txs", 0, "block"),
    ("txs", 0, "result"),
    ("txs", 0, "result_proof"),
    ("scope", "version"),
}


def test_any_random_change_is_refused_or_harmless_and_never_crashes(ledger: AuditLedger) -> None:
    import random

    data = ledger.bundle("v1", since=ledger.early_checkpoint)
    original = json.loads(data)
    paths = [p for p in _paths(original) if p]
    rng = random.Random(8)
    replacements: list[Any] = [None, 0, -1, 2**70, 1.5, "", "x", [], {}, True, "a\n\nb", [None]]
    for _ in range(400):
        bundle = json.loads(data)
        path = rng.choice(paths)
        parent = bundle
        for key in path[:-1]:
            parent = parent[key]
        dropped = False
        if rng.random() < 0.75:
            parent[path[-1]] = rng.choice(replacements)
        elif isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
            dropped = True
        verdict = verify_bundle(json.dumps(bundle).encode())
        if verdict.ok and bundle != original:
            # A bundle that leaves out a tx still proves what it holds: completeness is not
            # provable (docs/audit-bundle.md), unless the left-out tx is a status change.
            assert path in HARMLESS or (dropped and len(path) == 2 and path[0] == "txs"), path
