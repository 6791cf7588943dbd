"""A peer: executes ordered blocks against its own copy of a channel's ledger (DESIGN.md §3).

The peer checks what the orderer signed (number, link, Merkle commitments, signature),
executes the block with :func:`~tetherai.ledger.executor.execute_block`, chains the state
root and writes everything in one durable store transaction. It also serves admission
checks for the solo orderer, queries, proofs and history.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from hashlib import sha256

from tetherai.crypto.errors import SignatureError
from tetherai.crypto.jcs import JSONValue
from tetherai.crypto.signature import PublicKey, verify
from tetherai.ledger.block import (
    GENESIS_PREV_HASH,
    GENESIS_STATE_ROOT,
    Block,
    BlockCommit,
    BlockHeader,
    txs_root,
)
from tetherai.ledger.checkpoint import CosignatureSigner, NoteSigner, sign_checkpoint
from tetherai.ledger.contract import (
    ChannelRules,
    ContractRegistry,
    Identity,
    QueryContext,
    StateReader,
)
from tetherai.ledger.errors import BlockRejected, TxInvalid, TxNotEndorsed, TxRejected
from tetherai.ledger.executor import TxResult, execute_block, run_contract, validate_envelope
from tetherai.ledger.merkle import CompactRange
from tetherai.ledger.proofs import consistency_proof, inclusion_proof
from tetherai.ledger.replays import SeenTxIds
from tetherai.ledger.results import LEDGER_FORMATS, chain_state_root
from tetherai.ledger.signatures import SignatureChecker
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.state import BlockState, CachedReads
from tetherai.ledger.transaction import Envelope, Transaction
from tetherai.ledger.tree_head import LedgerCheckpoint

__all__ = ["Head", "LogGrowth", "Peer", "verify_orderer_signature"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Head:
    """Where the chain ends: what the next block must link to."""

    height: int
    block_hash: str
    ts: int
    log_size: int
    log_root: bytes
    state_root: str


@dataclass(frozen=True, slots=True)
class LogGrowth:
    """The Merkle log after a block's txs are appended to the committed log (not stored)."""

    base: CompactRange
    """The committed log it grew from."""
    envelopes: tuple[Envelope, ...]
    tree: CompactRange
    nodes: list[tuple[int, int, bytes]]
    """The nodes completed by the txs, as the store keeps them."""
    txs_root: str
    """The root over the block's txs alone (``ledger.block.txs_root``)."""
    root: bytes
    """The log's root after the block (``tree.root()``, folded once: the header, the check,
    the checkpoint and the head all use it)."""

    @property
    def log_root(self) -> str:
        return self.root.hex()


def verify_orderer_signature(header: BlockHeader, sig: bytes, keys: Sequence[PublicKey]) -> bool:
    data = header.canonical_bytes()
    for key in keys:
        try:
            verify(key, sig, data)
        except SignatureError:
            continue
        return True
    return False


class Peer:
    """Executes blocks of one channel and keeps the results durably."""

    def __init__(
        self,
        *,
        store: SqliteLedgerStore,
        channel: str,
        registry: ContractRegistry,
        rules: ChannelRules,
        signatures: SignatureChecker | None = None,
    ) -> None:
        self.store = store
        self.channel = channel
        self.registry = registry
        self.rules = rules
        self._own_checker = signatures is None
        self.signatures = signatures or SignatureChecker()
        self._lock = threading.RLock()
        self._keys: dict[str, PublicKey] = {}
        self._admission = threading.local()
        self._seen = SeenTxIds(store.tx_ids())
        store.track_state_keys()
        self._tree = CompactRange.from_reader(store.tx_count, store.node)
        self._growth: LogGrowth | None = None
        last = store.block(store.height - 1) if store.height else None
        if last is None:
            self._head = Head(0, GENESIS_PREV_HASH, 0, 0, self._tree.root(), GENESIS_STATE_ROOT)
        else:
            header = BlockHeader.from_json(_loads(last.header))
            self._head = Head(
                last.number + 1,
                last.hash,
                header.ts,
                header.log_size,
                bytes.fromhex(header.log_root),
                last.state_root,
            )

    @property
    def head(self) -> Head:
        return self._head

    @property
    def tree(self) -> CompactRange:
        """The Merkle log's frontier after the last committed block (do not modify)."""
        return self._tree

    def grow_log(self, envelopes: Sequence[Envelope]) -> LogGrowth:
        """The Merkle log after appending ``envelopes`` to the committed one: what an orderer
        cutting the next block signs. The peer keeps the last growth, so committing the block
        cut from it hashes each tx into the log once, not twice (its checks then compare the
        header with the same hashes)."""
        growth = self._growth = _grow(self._tree, tuple(envelopes))
        return growth

    def close(self) -> None:
        if self._own_checker:
            self.signatures.close()

    # -- admission ------------------------------------------------------------------------

    def admit(
        self, envelope: Envelope, *, now_ms: int, pending: set[str] | frozenset[str] = frozenset()
    ) -> None:
        """Check a tx against the current state before it is ordered: every validity check,
        then its contract run once against the state as it is now (endorsement). A tx the
        contracts would refuse now is never ordered; only one that loses a race with another
        tx ordered first can still end up on the ledger marked invalid. A tx this thread has
        just :meth:`simulate`-d against the same committed state keeps that run's verdict.

        Raises:
            TxRejected: the tx would be invalid now, with the check's or the contract's own
                code and reason (:class:`TxNotEndorsed`: the contract's); nothing is stored.
        """
        # Admission reads the last committed state through this thread's own read-only
        # connection (WAL lets it run beside a commit), and checks the signature without any
        # lock, so admissions use every core while the orderer commits.
        state = self.store.reader()
        if envelope.tx_id in pending or self._known(state, envelope):
            raise TxRejected(
                f"tx {envelope.tx_id} is already on the ledger or waiting to be ordered",
                code="tx.replayed",
                hint="sign a new tx (a fresh nonce) to repeat an action",
            )
        # A tx this thread just simulated against the same committed state needs no second
        # run of its contract (a write signed by the server: check, sign, admit); every check
        # that involves the signature still runs.
        simulated: tuple[str, int, TxResult] | None = getattr(self._admission, "simulated", None)
        self._admission.simulated = None
        reuse = None
        if simulated is not None and simulated[:2] == (envelope.tx_id, self.store.version):
            reuse = simulated[2]
        self._endorse(
            envelope,
            now_ms,
            state,
            lambda identity: self.signatures.check_now(envelope, identity.public_key),
            reuse=reuse,
        )

    def simulate(self, tx: Transaction, *, now_ms: int) -> TxResult:
        """Run an unsigned tx as admission would, with every check but its signature: what
        the contracts would make of it now. Nothing is signed, ordered or stored, so a caller
        learns a refusal before signing (or uploading anything).

        Raises:
            TxRejected: as :meth:`admit` (:class:`TxNotEndorsed` when the contract refused).
        """
        tx_bytes = tx.canonical_bytes()
        unsigned = Envelope(tx=tx, tx_bytes=tx_bytes, sig=b"", tx_id=sha256(tx_bytes).hexdigest())
        self._admission.simulated = None
        version = self.store.version  # read first: a commit during the run makes it stale
        result = self._endorse(unsigned, now_ms, self.store.reader(), lambda _identity: True)
        self._admission.simulated = (unsigned.tx_id, version, result)
        return result

    def _endorse(
        self,
        envelope: Envelope,
        now_ms: int,
        state: SqliteLedgerStore,
        signature_valid: Callable[[Identity], bool],
        *,
        reuse: TxResult | None = None,
    ) -> TxResult:
        try:
            return self._run_checks(envelope, now_ms, state, signature_valid, reuse)
        except TxRejected as refused:
            # A refused attempt leaves no tx on the ledger, so the peer's log keeps it.
            tx = envelope.tx
            log.info(
                "%s %s.%s by %s@%s refused: %s (%s)",
                "admission of tx " + envelope.tx_id if envelope.sig else "simulation of",
                tx.contract,
                tx.fn,
                tx.creator.id,
                tx.creator.org,
                refused.code,
                refused.message,
            )
            raise

    def _run_checks(
        self,
        envelope: Envelope,
        now_ms: int,
        state: SqliteLedgerStore,
        signature_valid: Callable[[Identity], bool],
        reuse: TxResult | None,
    ) -> TxResult:
        try:
            identity, version = validate_envelope(
                envelope,
                channel=self.channel,
                block_ts=now_ms,
                state=self._admission_reads(state),
                rules=self.rules,
                registry=self.registry,
                signature_valid=signature_valid,
            )
            tx = envelope.tx
            self.registry.function(tx.contract, version, tx.fn, "transaction").bind(tx.args)
        except TxInvalid as error:
            raise TxRejected(error.message, code=error.code, hint=error.hint or None) from error
        if reuse is not None:
            return reuse  # its contract accepted this tx against this very state
        result = run_contract(
            envelope.tx,
            envelope.tx_id,
            identity,
            version,
            block_number=self._head.height,
            block_ts=now_ms,
            state=BlockState(state),
            registry=self.registry,
            kept=False,  # the block runs the tx again to commit it
        )
        if not result.valid:
            raise TxNotEndorsed(result.message or "the contract refused the tx", code=result.code)
        return result

    def _known(self, state: SqliteLedgerStore, envelope: Envelope) -> bool:
        """Whether the tx is on the ledger: in memory, unless the filter says "maybe"."""
        return self._seen.maybe(envelope.tx_id) and bool(state.known_tx_ids([envelope.tx_id]))

    def _known_ids(self, tx_ids: Iterable[str]) -> set[str]:
        maybe = [tx_id for tx_id in tx_ids if self._seen.maybe(tx_id)]
        return self.store.known_tx_ids(maybe) if maybe else set()

    def _admission_reads(self, state: SqliteLedgerStore) -> CachedReads:
        """This thread's decoded reads of the committed state, kept until the next commit
        (what admission's rules read is the same few membership records for every tx)."""
        version = self.store.version
        found: tuple[int, CachedReads] | None = getattr(self._admission, "reads", None)
        if found is None or found[0] != version:
            found = (version, CachedReads(state))
            self._admission.reads = found
        return found[1]

    # -- committing -----------------------------------------------------------------------

    def commit(
        self,
        block: Block,
        *,
        checkpoint_signers: Sequence[NoteSigner | CosignatureSigner] = (),
    ) -> list[TxResult]:
        """Check, execute and durably store the next block; return each tx's result.

        With ``checkpoint_signers``, the checkpoint after the block is signed and stored in
        the block's own store transaction (one durable write per block, not two).

        Raises:
            BlockRejected: the block does not follow the chain or is not the orderer's.
        """
        with self._lock:
            return self._commit(block, checkpoint_signers)

    def _commit(
        self, block: Block, checkpoint_signers: Sequence[NoteSigner | CosignatureSigner] = ()
    ) -> list[TxResult]:
        header = block.header
        head = self._head
        if header.number != head.height:
            raise BlockRejected(f"expected block {head.height}, got block {header.number}")
        if header.prev_hash != head.block_hash:
            raise BlockRejected(f"block {header.number} does not link to block {head.height - 1}")
        if header.ts < head.ts:
            raise BlockRejected(f"block {header.number} is older than its predecessor")
        growth, self._growth = self._growth, None
        if (
            growth is None
            or growth.base is not self._tree
            or growth.envelopes is not block.envelopes
        ):
            growth = _grow(self._tree, tuple(block.envelopes))  # a block cut elsewhere
        if header.tx_count != len(block.envelopes) or header.txs_root != growth.txs_root:
            raise BlockRejected(f"block {header.number}: txs_root does not match its txs")
        if header.number > 0 and not verify_orderer_signature(
            header, block.orderer_sig, [o.public_key for o in self.rules.orderers(self.store)]
        ):
            raise BlockRejected(f"block {header.number} is not signed by the channel's orderer")
        tree, nodes = growth.tree, growth.nodes
        leaves = [envelope.leaf_data for envelope in block.envelopes]
        if header.log_size != tree.size or header.log_root != growth.log_root:
            raise BlockRejected(f"block {header.number}: log_root does not match the log")
        outcome = execute_block(
            block.envelopes,
            channel=self.channel,
            block_number=header.number,
            block_ts=header.ts,
            state=self.store,
            rules=self.rules,
            registry=self.registry,
            signatures=self.signatures.start(block.envelopes, self._keys.get),
            known_tx_ids=self._known_ids,
        )
        ledger_format = self.store.ledger_format
        if header.number == 0:
            # The genesis block installs the orderer's key, so it is checked against its own
            # result; its configuration also fixes the channel's ledger format.
            after = BlockState(self.store)
            after.apply(outcome.writes)
            if not verify_orderer_signature(
                header, block.orderer_sig, [o.public_key for o in self.rules.orderers(after)]
            ):
                raise BlockRejected("the genesis block is not signed by the orderer it names")
            ledger_format = self.rules.ledger_format(after)
            if ledger_format not in LEDGER_FORMATS:
                raise BlockRejected(
                    f"the genesis block sets ledger format {ledger_format}; this peer reads "
                    f"formats {', '.join(map(str, LEDGER_FORMATS))}"
                )
        results_hash = outcome.results_hash(ledger_format)
        commit = BlockCommit(
            header.number, results_hash, chain_state_root(head.state_root, results_hash)
        )
        checkpoint = None
        if checkpoint_signers:
            signed = LedgerCheckpoint(
                self.channel, header.number, tree.size, growth.root, commit.state_root
            )
            note = sign_checkpoint(signed.to_checkpoint(), checkpoint_signers)
            checkpoint = (tree.size, header.number, note)
        self.store.append_block(
            header,
            block.orderer_sig,
            leaves,
            outcome,
            commit,
            nodes,
            meta={"ledger_format": str(ledger_format)} if header.number == 0 else None,
            checkpoint=checkpoint,
        )
        self._seen.add_all(envelope.tx_id for envelope in block.envelopes)
        self._tree = tree
        self._keys.update(outcome.keys)
        self._head = Head(
            header.number + 1, header.hash, header.ts, tree.size, growth.root, commit.state_root
        )
        if log.isEnabledFor(logging.DEBUG):
            invalid = sum(1 for result in outcome.results if not result.valid)
            log.debug(
                "%s: block %d committed, %d txs (%d invalid), state root %s",
                self.channel,
                header.number,
                len(outcome.results),
                invalid,
                commit.state_root,
            )
        return outcome.results

    # -- checkpoints, proofs, queries ------------------------------------------------------

    def checkpoint(self) -> LedgerCheckpoint:
        """The unsigned checkpoint of the current head."""
        head = self._head
        return LedgerCheckpoint(
            self.channel, head.height - 1, head.log_size, head.log_root, head.state_root
        )

    def store_checkpoint(
        self, checkpoint: LedgerCheckpoint, signers: Sequence[NoteSigner | CosignatureSigner]
    ) -> str:
        """Sign the checkpoint with ``signers`` and keep the note."""
        note = sign_checkpoint(checkpoint.to_checkpoint(), signers)
        self.store.add_checkpoint(checkpoint.size, checkpoint.block, note)
        return note

    def inclusion_proof(self, seq: int, size: int | None = None) -> list[bytes]:
        with self._lock:
            return inclusion_proof(seq, size or self._tree.size, self.store.node)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        with self._lock:
            return consistency_proof(old_size, new_size or self._tree.size, self.store.node)

    def query(
        self,
        contract: str,
        fn: str,
        args: Mapping[str, JSONValue],
        *,
        state: StateReader | None = None,
    ) -> JSONValue:
        """Run a read-only contract query against the last committed state.

        Runs on the calling thread's read-only connection, so queries never wait for a commit.
        A caller asking many queries at once may pass ``state``: a view of that connection
        (``ledger.state.CachedReads`` over ``store.reader()``) that reads each key once.

        Raises:
            TxInvalid: unknown contract or function, or bad arguments.
            ContractError: the query refused.
        """
        if state is None:
            state = self.store.reader()
        version = self.rules.contract_version(contract, state)
        function = self.registry.function(contract, version, fn, "query")
        head = self._head
        context = QueryContext(state, head.height - 1, head.ts)
        result: JSONValue = function.method(context, **function.bind(args))
        return result


def _loads(data: bytes) -> dict[str, JSONValue]:
    value = json.loads(data)
    if not isinstance(value, dict):
        raise BlockRejected("a stored block header is not a JSON object")
    return value


def _grow(base: CompactRange, envelopes: tuple[Envelope, ...]) -> LogGrowth:
    tree = copy_tree(base)
    nodes: list[tuple[int, int, bytes]] = []
    for envelope in envelopes:
        nodes.extend(tree.append(envelope.leaf_hash))
    return LogGrowth(base, envelopes, tree, nodes, txs_root(envelopes), tree.root())


def copy_tree(tree: CompactRange) -> CompactRange:
    """An independent copy of a compact range (its frontier is all it holds)."""
    frontier = {(level, index): node for level, index, node in tree.frontier()}
    return CompactRange.from_reader(tree.size, lambda level, index: frontier[(level, index)])
