"""Each bundled tx's result, proven through the state-root chain the checkpoint signs.

``state(n) = SHA-256(state(n-1) || commitment(n))``: the bundle gives the state root before
its first block and each block's commitment up to the checkpoint's block, and the chain must
end in the checkpoint's state root. What a commitment is depends on the ledger's format:

- **format 2** (bundle ``…/v2``): the RFC 6962 root over the block's results, each leaf being
  a result's canonical bytes. A tx carries its result and the result's inclusion proof; its
  block's orderer-signed header says where the block's txs sit in the log (``log_size`` and
  ``tx_count``), hence the tx's position and the tree's size.
- **format 1** (bundle ``…/v1``): the SHA-256 of the JCS list of the block's results, so the
  bundle holds every result of each block it touches.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import jcs, merkle, notes
from .scope import in_scope
from .verdict import BundleTx

__all__ = ["prove_results"]

_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEADER_FIELDS = {"number", "prev_hash", "ts", "tx_count", "txs_root", "log_size", "log_root"}

Fail = Callable[[str, str], None]


def prove_results(
    bundle: dict[str, Any],
    txs: list[tuple[BundleTx, dict[str, Any]]],
    checkpoint: notes.CheckpointBody,
    orderers: list[notes.NoteKey],
    ledger_format: int,
    fail: Fail,
) -> str | None:
    """Set each tx's proven result (``valid`` stays ``None`` unless all of them hold).

    ``txs``: each tx as verified so far with its entry in the bundle (its result and proof).
    Returns the sentence for the verdict's checks, or ``None`` when something failed (each
    problem reported through ``fail``).
    """
    name = "results_roots" if ledger_format == 2 else "results_hashes"
    chain = _chain(bundle["state_chain"], name, checkpoint, fail)
    if chain is None:
        ok = False
    else:
        start, commitments = chain
        if ledger_format == 2:
            ok = _prove_v2(bundle, txs, start, commitments, orderers, checkpoint.size, fail)
        else:
            ok = _prove_v1(bundle, [item for item, _ in txs], start, commitments, fail)
    if not ok:
        for item, _ in txs:
            item.valid = None  # unproven: the workflow replay will not use them
        return None
    assert chain is not None
    return f"tx results proven by the state-root chain of blocks {chain[0]}..{checkpoint.block}"


def _chain(
    chain: dict[str, Any], name: str, checkpoint: notes.CheckpointBody, fail: Fail
) -> tuple[int, list[str]] | None:
    start = chain.get("from_block")
    state = chain.get("start")
    commitments = chain.get(name)
    if (
        not isinstance(start, int)
        or not isinstance(state, str)
        or not _HEX64.fullmatch(state)
        or not isinstance(commitments, list)
        or not all(isinstance(h, str) and _HEX64.fullmatch(h) for h in commitments)
    ):
        fail("results.malformed", "the state-root chain is malformed")
        return None
    ok = True
    if start + len(commitments) - 1 != checkpoint.block:
        fail(
            "results.chain",
            f"the state-root chain covers blocks {start}..{start + len(commitments) - 1}, but "
            f"the checkpoint is at block {checkpoint.block}",
        )
        ok = False
    root = state
    for commitment in commitments:
        root = hashlib.sha256(bytes.fromhex(root) + bytes.fromhex(commitment)).hexdigest()
    if root != checkpoint.state_root:
        fail(
            "results.chain",
            f"the state-root chain ends in {root[:16]}…, not the checkpoint's state root "
            f"{checkpoint.state_root[:16]}… (a result or block hash was altered)",
        )
        ok = False
    return (start, commitments) if ok else None


def _record(item: BundleTx, document: dict[str, Any]) -> None:
    item.valid = document.get("valid") is True
    item.code = document.get("code")
    item.message = document.get("message")
    item.writes = (document.get("writes") or {}) if item.valid else {}
    item.result = document.get("result")


# -- format 2: one result, one inclusion proof ---------------------------------------------------


def _prove_v2(
    bundle: dict[str, Any],
    txs: list[tuple[BundleTx, dict[str, Any]]],
    start: int,
    roots: list[str],
    orderers: list[notes.NoteKey],
    log_size: int,
    fail: Fail,
) -> bool:
    headers = _headers(bundle["blocks"], orderers, log_size, fail)
    ok = headers is not None
    for item, entry in txs:
        where = f"tx {item.tx_id[:16]}… (log position {item.seq})"
        if item.seq == 0 and item.block < start:
            item.valid = True  # the genesis block: a ledger exists only if it was valid
            continue
        text, path = entry.get("result"), entry.get("result_proof")
        placed = None if headers is None else headers.get(item.block)
        if not 0 <= item.block - start < len(roots):
            fail("results.missing", f"{where}: block {item.block} is not in the state-root chain")
            ok = False
            continue
        if placed is None:
            if headers is not None:
                fail("results.block", f"{where}: the bundle lacks the header of block {item.block}")
            ok = False
            continue
        first, count = placed
        if not first <= item.seq < first + count:
            fail(
                "results.block",
                f"{where}: block {item.block} holds log positions {first}..{first + count - 1}",
            )
            ok = False
            continue
        try:
            if not isinstance(text, str) or not isinstance(path, list):
                raise ValueError("the bundle gives no result and proof for it")
            document = jcs.loads_canonical(text.encode())
            proof = [notes.b64(str(node), "a result proof hash") for node in path]
            if not isinstance(document, dict) or document.get("tx_id") != item.tx_id:
                raise ValueError("its result is about another tx")
            merkle.verify_inclusion(
                merkle.leaf_hash(text.encode()),
                item.seq - first,
                count,
                proof,
                bytes.fromhex(roots[item.block - start]),
            )
        except (ValueError, jcs.CanonicalError, notes.NoteFailure) as error:
            fail(
                "results.proof",
                f"{where}: its result is not proven in block {item.block}'s results: {error}",
            )
            ok = False
            continue
        _record(item, document)
    return ok


def _headers(
    blocks: list[Any], orderers: list[notes.NoteKey], log_size: int, fail: Fail
) -> dict[int, tuple[int, int]] | None:
    """Each bundled block's first log position and tx count, from its orderer-signed header."""
    keys = [Ed25519PublicKey.from_public_bytes(k.public) for k in orderers if k.kind == notes.NOTE]
    placed: dict[int, tuple[int, int]] = {}
    ok = True
    for entry in blocks:
        try:
            text = entry["header"]
            header = jcs.loads_canonical(str(text).encode())
            signature = notes.b64(str(entry["orderer_sig"]), "a block's orderer signature")
            if not isinstance(header, dict) or set(header) != _HEADER_FIELDS:
                raise ValueError("the header is not a block header")
            number, count, size = header["number"], header["tx_count"], header["log_size"]
            if not all(type(v) is int and v >= 0 for v in (number, count, size)) or count > size:
                raise ValueError("the header's numbers are malformed")
            if entry.get("number") != number:
                raise ValueError(f"it is the header of block {number}")
        except (KeyError, TypeError, ValueError, jcs.CanonicalError, notes.NoteFailure) as error:
            fail("results.block", f"a bundled block header is malformed: {error}")
            ok = False
            continue
        if not any(_signed(key, signature, str(text).encode()) for key in keys):
            fail("results.block", f"the header of block {number} is not signed by the orderer")
            ok = False
            continue
        if size > log_size:
            fail("results.block", f"block {number} ends beyond the checkpoint's tree size")
            ok = False
            continue
        placed[number] = (size - count, count)
    return placed if ok else None


def _signed(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


# -- format 1: whole blocks of results ----------------------------------------------------------


def _prove_v1(
    bundle: dict[str, Any], txs: list[BundleTx], start: int, hashes: list[str], fail: Fail
) -> bool:
    ok = True
    # By (block, tx id): a replayed envelope has the same id, and its refusal sits in a
    # later block (or later in the same one, where the first, valid result is kept).
    documents: dict[tuple[int, str], dict[str, Any]] = {}
    for entry in bundle["blocks"]:
        number = entry.get("number") if isinstance(entry, dict) else None
        results = entry.get("results") if isinstance(entry, dict) else None
        if not isinstance(number, int) or not isinstance(results, list):
            fail("results.malformed", "a block's results are malformed")
            ok = False
            continue
        encoded = ("[" + ",".join(str(r) for r in results) + "]").encode()
        if (
            not 0 <= number - start < len(hashes)
            or hashlib.sha256(encoded).hexdigest() != hashes[number - start]
        ):
            fail(
                "results.block",
                f"the results of block {number} do not hash to that block's entry in the "
                "state-root chain (a result was altered, added or removed)",
            )
            ok = False
            continue
        for text in results:
            try:
                document = jcs.loads_canonical(str(text).encode())
            except jcs.CanonicalError as error:
                fail("results.malformed", f"a result of block {number}: {error}")
                ok = False
                continue
            if isinstance(document, dict):
                documents.setdefault((number, str(document.get("tx_id"))), document)
    bundled = {item.tx_id for item in txs}
    for item in txs:
        found = documents.get((item.block, item.tx_id))
        if found is None and item.seq == 0 and item.block < start:
            item.valid = True  # the genesis block: a ledger exists only if it was valid
            continue
        if found is None:
            fail(
                "results.missing",
                f"tx {item.tx_id[:16]}…: its result is not among the results of block {item.block}",
            )
            ok = False
            continue
        _record(item, found)
    project, version = _scope(bundle)
    for (number, tx_id), document in documents.items():
        writes = document.get("writes") or {}
        touched = [key for key in writes if in_scope(key, project, version)]
        if document.get("valid") is True and touched and tx_id not in bundled:
            fail(
                "bundle.missing_tx",
                f"tx {tx_id[:16]}… of block {number} wrote {touched[0]} (in scope) but is "
                "missing from the bundle",
            )
            ok = False
    return ok


def _scope(bundle: dict[str, Any]) -> tuple[str, str | None]:
    scope = bundle["scope"]
    return str(scope["project"]), scope.get("version")
