"""Export an audit bundle of a project or a version (format in docs/audit-bundle.md).

The bundle is one canonical JSON file: the txs that wrote the scope's records (and the genesis
tx, which names the checkpoint signers and the CA roots), each with its inclusion proof in the
C2SP ``tlog-proof`` format against the latest checkpoint; that checkpoint with its signature and
cosignatures; each tx's result with the state-root chain that binds it to the checkpoint; the
creators' certificates and their orgs' CA roots; and, when the auditor names a checkpoint they
hold, the consistency proof from it. ``tetherai.auditverify`` checks it with no server and none
of this code.

On a format-2 ledger each result is proven alone, by its inclusion proof in its block's results
tree (whose size and position the orderer-signed block header gives), so the bundle holds no
other tx's envelope, arguments or result: only hashes. A format-1 ledger's state root chains
the hash of each block's whole list of results, so its bundles (format v1) carry every result
of the blocks they touch.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography import x509

from tetherai.auditverify import FORMATS, Trust, history_roots
from tetherai.auditverify.notes import COSIGNATURE, NOTE, NoteKey
from tetherai.crypto.jcs import JSONValue, canonicalize
from tetherai.errors import EXIT_USAGE, Conflict, IntegrityFailure, NotFound, TetherError
from tetherai.ledger.block import GENESIS_STATE_ROOT
from tetherai.ledger.checkpoint import Checkpoint
from tetherai.ledger.errors import CheckpointError
from tetherai.ledger.merkle import root_at
from tetherai.ledger.proofs import consistency_proof, inclusion_proof
from tetherai.ledger.results import result_hashes, results_proof
from tetherai.ledger.sqlite_store import SqliteLedgerStore, StoredBlock, StoredTx
from tetherai.ledger.tlog_proof import TlogProof, format_tlog_proof
from tetherai.ledger.transaction import Envelope

__all__ = [
    "AuditError",
    "AuditFork",
    "AuditNotFound",
    "BadCheckpoint",
    "BundleRequest",
    "NoCheckpointYet",
    "export_bundle",
    "trust_anchors",
]


class AuditError(TetherError):
    """An audit bundle or report cannot be made as asked (422, exit 2)."""

    code = "audit.bad_request"
    http_status = 422
    exit_code = EXIT_USAGE


class AuditNotFound(NotFound, AuditError):
    code = "audit.not_found"


class NoCheckpointYet(Conflict, AuditError):
    code = "audit.no_checkpoint"


class BadCheckpoint(AuditError):
    code = "audit.bad_checkpoint"


class AuditFork(IntegrityFailure, AuditError):
    """The checkpoint the auditor holds is not in this ledger's past: a fork."""

    code = "audit.fork"


@dataclass(frozen=True, slots=True)
class BundleRequest:
    project: str
    version: str | None = None
    since: str | None = None
    """A signed checkpoint note the auditor already holds (for the consistency proof)."""


def export_bundle(store: SqliteLedgerStore, channel: str, request: BundleRequest) -> bytes:
    """The bundle's canonical JSON bytes.

    Raises:
        AuditError: no checkpoint yet, nothing in scope, or ``since`` is not a checkpoint of
            this ledger's past.
    """
    latest = store.latest_checkpoint()
    if latest is None:
        raise AuditError("the ledger has no checkpoint yet", code="audit.no_checkpoint")
    size, checkpoint_block, note = latest
    own = (
        f"project/{request.project}"
        if request.version is None
        else (f"model_version/{request.project}/{request.version}")
    )
    if not store.history_under(own):
        what = (
            request.project if request.version is None else f"{request.project}/{request.version}"
        )
        raise AuditError(f"the ledger records nothing about {what}", code="audit.not_found")
    seqs = _seqs_in_scope(store, request.project, request.version, size)
    stored = [store.tx_at(seq) for seq in seqs]
    creators = [Envelope.from_bytes(tx.envelope).tx.creator for tx in stored]
    # Orgs added after genesis: bundle the tx that added them (the approval that met the
    # channel's rule, carrying their CA), so it is proven too; its signer's org in turn.
    waiting = sorted({creator.org for creator in creators})
    orgs: set[str] = set()
    while waiting:
        org = waiting.pop()
        if org in orgs:
            continue
        orgs.add(org)
        first = store.history_under(f"membership/org/{org}")
        if first and first[0][1] != 0 and first[0][1] < size and first[0][1] not in seqs:
            seqs.append(first[0][1])
            stored.append(store.tx_at(first[0][1]))
            creators.append(Envelope.from_bytes(stored[-1].envelope).tx.creator)
            waiting.append(creators[-1].org)
    order = sorted(range(len(seqs)), key=lambda position: seqs[position])
    stored = [stored[position] for position in order]
    # The genesis tx is bundled for its trust anchors; its block joins the state-root chain
    # only when the scope has a tx there too, so a bundle does not hash the whole ledger.
    blocks = sorted({tx.block for tx in stored if tx.seq != 0} or {0})
    ledger_format = store.ledger_format
    txs = [_tx_entry(store, tx, size, note) for tx in stored]
    bundle: dict[str, JSONValue] = {
        "format": next(name for name, number in FORMATS.items() if number == ledger_format),
        "scope": {"project": request.project, "version": request.version},
        "channel": channel,
        "checkpoint": note,
        "txs": txs,  # type: ignore[dict-item]
        "state_chain": _state_chain(store, blocks[0], checkpoint_block, ledger_format),
        "certificates": _certificates(store, {creator.cert_sha256 for creator in creators}),
        "ca_roots": [_ca_root(store, org) for org in sorted(orgs)],
        "consistency": None if request.since is None else _consistency(store, size, request.since),
    }
    if ledger_format == 1:
        bundle["blocks"] = [_block_results(store, number) for number in blocks]
    else:
        _prove_results(store, stored, txs, blocks[0])
        bundle["blocks"] = [_block_header(store, number) for number in blocks]
    return canonicalize(bundle)


def _tx_entry(store: SqliteLedgerStore, tx: StoredTx, size: int, note: str) -> dict[str, JSONValue]:
    proof = TlogProof(tx.seq, tuple(inclusion_proof(tx.seq, size, store.node)), note, tx.envelope)
    return {
        "seq": tx.seq,
        "block": tx.block,
        "tx_id": tx.tx_id,
        "proof": format_tlog_proof(proof),
    }


def _prove_results(
    store: SqliteLedgerStore,
    stored: list[StoredTx],
    entries: list[dict[str, JSONValue]],
    first_block: int,
) -> None:
    """Give each tx whose block is in the chain its result and that result's inclusion proof."""
    leaves: dict[int, list[bytes]] = {}
    for tx, entry in zip(stored, entries, strict=True):
        if tx.block < first_block:  # the genesis tx, when the scope starts later
            entry["result"] = None
            entry["result_proof"] = []
            continue
        if tx.block not in leaves:
            block = store.block(tx.block)
            assert block is not None  # it holds a tx we read
            leaves[tx.block] = result_hashes([(item.result or "").encode() for item in block.txs])
        entry["result"] = tx.result
        entry["result_proof"] = [
            base64.b64encode(node).decode() for node in results_proof(leaves[tx.block], tx.index)
        ]


def _block_header(store: SqliteLedgerStore, number: int) -> dict[str, JSONValue]:
    """The orderer-signed header: it places the block's txs in the log (``log_size``,
    ``tx_count``), so a tx's position in its block's results tree is proven too."""
    block: StoredBlock | None = store.block(number)
    assert block is not None  # it holds a tx we read
    return {
        "number": number,
        "header": block.header.decode(),
        "orderer_sig": base64.b64encode(block.orderer_sig).decode(),
    }


def _seqs_in_scope(
    store: SqliteLedgerStore, project: str, version: str | None, size: int
) -> list[int]:
    found = {0}  # the genesis tx: the channel's signer keys and first CA roots
    for root in history_roots(project, version):
        found.update(seq for _, seq, _ in store.history_under(root) if seq < size)
    return sorted(found)


def _block_results(store: SqliteLedgerStore, number: int) -> dict[str, JSONValue]:
    block = store.block(number)
    assert block is not None  # it holds a tx we read
    return {"number": number, "results": [tx.result or "" for tx in block.txs]}


def _state_chain(
    store: SqliteLedgerStore, first: int, last: int, ledger_format: int
) -> dict[str, JSONValue]:
    start = GENESIS_STATE_ROOT
    if first > 0:
        previous = store.block(first - 1)
        assert previous is not None
        start = previous.state_root
    hashes: list[JSONValue] = list(store.results_hashes(first, last + 1))
    name = "results_hashes" if ledger_format == 1 else "results_roots"
    return {"from_block": first, "start": start, name: hashes}


def _certificates(store: SqliteLedgerStore, digests: set[str]) -> dict[str, JSONValue]:
    found: dict[str, JSONValue] = {}
    for digest in sorted(digests):
        record = store.get(f"membership/cert/{digest}")
        if isinstance(record, dict):
            found[digest] = str(record["cert"])
    return found


def _ca_root(store: SqliteLedgerStore, org: str) -> str:
    record = store.get(f"membership/org/{org}")
    if not isinstance(record, dict):
        raise AuditError(f"org {org} has no CA certificate on the ledger")
    return str(record["ca_cert"])


def _consistency(store: SqliteLedgerStore, size: int, since: str) -> dict[str, JSONValue]:
    body, separator, _ = since.partition("\n\n")
    try:
        if not separator:
            raise CheckpointError("no blank line before its signatures")
        old = Checkpoint.parse(body + "\n")
    except CheckpointError as error:
        raise AuditError(
            f"--since is not a signed checkpoint note: {error.message}",
            code="audit.bad_checkpoint",
            hint="pass the checkpoint file exactly as you saved it from an earlier bundle",
        ) from error
    if old.size > size:
        raise AuditError(
            f"your checkpoint has tree size {old.size}, beyond this ledger's {size}",
            code="audit.bad_checkpoint",
        )
    if old.size > 0 and root_at(old.size, store.node) != old.root_hash:
        raise AuditError(
            f"your checkpoint of tree size {old.size} is not of this ledger's history (a fork?)",
            code="audit.fork",
        )
    proof = consistency_proof(old.size, size, store.node)
    return {"checkpoint": since, "proof": [base64.b64encode(h).decode() for h in proof]}


def trust_anchors(store: SqliteLedgerStore) -> str:
    """The genesis tx's checkpoint keys (as vkeys) and the orgs' CA roots: a ``--trust`` file."""
    genesis = Envelope.from_bytes(store.tx_at(0).envelope).tx
    channel = genesis.args["channel"]
    assert isinstance(channel, dict)
    trust = Trust()
    for kind, group in ((NOTE, "orderers"), (COSIGNATURE, "peers")):
        for node in channel[group]:  # type: ignore[union-attr]
            assert isinstance(node, dict)
            raw = base64.b64decode(str(node["public_key"]))
            trust.keys.append(NoteKey(str(node["name"]), kind, raw))
    for key, record in store.scan("membership/org/"):
        if key.count("/") == 2 and isinstance(record, dict) and "ca_cert" in record:
            trust.roots.append(x509.load_pem_x509_certificate(str(record["ca_cert"]).encode()))
    return trust.to_text()
