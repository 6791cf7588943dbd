"""Replay a whole ledger and name the first place it differs (DESIGN.md §3, "Verifier").

:func:`verify_ledger` re-reads every block from the store and re-derives everything from the
envelopes alone — tx ids, signatures, certificates and roles of the time, block links and
orderer signatures, Merkle roots, every tx's validity and writes, the state-root chain — with
the same executor the peers use, then compares the stored results, state, history, Merkle
nodes and signed checkpoints with what the replay produced. It stops at the first difference
and reports it with evidence (expected vs found), like tessera's ``fsck``.

It streams: each block is compared (its history, Merkle nodes and checkpoint) before the next
is read, and the state it replays against is the part of the store's history already compared
(:mod:`tetherai.ledger.verified_state`), so memory stays flat whatever the ledger's length.
Given a checkpoint the caller trusts (one a previous run verified), it resumes after that
checkpoint's block and verifies only what came since: the Merkle frontier, the state root and
the block hash are taken from the store where the checkpoint vouches for them.
"""

from __future__ import annotations

import functools
import gc
import json
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from tetherai.crypto.jcs import JSONValue
from tetherai.crypto.signature import PublicKey
from tetherai.errors import TetherError
from tetherai.ledger.block import (
    GENESIS_PREV_HASH,
    GENESIS_STATE_ROOT,
    BlockHeader,
    txs_root,
)
from tetherai.ledger.checkpoint import (
    Checkpoint,
    CosignatureVerifier,
    NoteVerifier,
    open_checkpoint,
)
from tetherai.ledger.contract import ChannelRules, ContractRegistry, NodeKey
from tetherai.ledger.executor import TxResult, execute_block
from tetherai.ledger.legacy import same_legacy_value, v1_crashed_result
from tetherai.ledger.merkle import CompactRange, node_count
from tetherai.ledger.peer import verify_orderer_signature
from tetherai.ledger.replays import SeenTxIds
from tetherai.ledger.results import LEDGER_FORMATS, chain_state_root, results_commitment
from tetherai.ledger.signatures import PendingChecks, SignatureChecker
from tetherai.ledger.sqlite_store import SqliteLedgerStore, StoredBlock, write_text
from tetherai.ledger.state import BlockState
from tetherai.ledger.transaction import Envelope
from tetherai.ledger.tree_head import LedgerCheckpoint, origin_for
from tetherai.ledger.verified_state import VerifiedHistory, compare_state

__all__ = ["Problem", "VerificationReport", "verify_ledger"]

Progress = Callable[[int, int], None]  # (blocks done, blocks in all)
PROCESS_POOL_FROM_TXS = 20_000
REPLAY_YOUNG_THRESHOLD = 20_000
"""Allocations between young collections while a replay runs (as in a server process)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """The first difference found, with evidence."""

    code: str
    message: str
    block: int | None = None
    tx_index: int | None = None
    tx_id: str | None = None
    expected: str | None = None
    found: str | None = None

    def to_json(self) -> dict[str, JSONValue]:
        names = ("code", "message", "block", "tx_index", "tx_id", "expected", "found")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


@dataclass(frozen=True, slots=True)
class VerificationReport:
    ok: bool
    blocks: int
    txs: int
    valid_txs: int
    tree_size: int
    root: str
    state_root: str
    checkpoints: int
    seconds: float
    problem: Problem | None = None
    notes: tuple[str, ...] = field(default=())
    last_checkpoint: str | None = None
    """The signed note of the newest checkpoint that matched the replay: keep it to verify
    only what comes after it next time (``resume_from``)."""

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "ok": self.ok,
            "blocks": self.blocks,
            "txs": self.txs,
            "valid_txs": self.valid_txs,
            "tree_size": self.tree_size,
            "root": self.root,
            "state_root": self.state_root,
            "checkpoints": self.checkpoints,
            "seconds": round(self.seconds, 3),
            "problem": None if self.problem is None else self.problem.to_json(),
            "notes": list(self.notes),
            "last_checkpoint": self.last_checkpoint,
        }


class _Found(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _fail(code: str, message: str, **evidence: object) -> _Found:
    return _Found(Problem(code, message, **evidence))  # type: ignore[arg-type]


@dataclass
class _Replay:
    state: VerifiedHistory
    tree: CompactRange = field(default_factory=CompactRange)
    seen: SeenTxIds = field(default_factory=SeenTxIds)
    keys: dict[str, PublicKey] = field(default_factory=dict)
    prev_hash: str = GENESIS_PREV_HASH
    prev_ts: int = 0
    state_root: str = GENESIS_STATE_ROOT
    ledger_format: int = 1  # fixed by the genesis block's configuration
    first_block: int = 0  # 0, or the block after a trusted checkpoint to resume from
    first_seq: int = 0
    blocks: int = 0
    txs: int = 0
    valid: int = 0
    history_rows: int = 0
    checkpoints: int = 0
    last_checkpoint: str | None = None


def verify_ledger(
    store: SqliteLedgerStore,
    *,
    channel: str,
    registry: ContractRegistry,
    rules: ChannelRules,
    trusted_checkpoints: Sequence[str] = (),
    resume_from: str | None = None,
    workers: int = 2,
    progress: Progress | None = None,
) -> VerificationReport:
    """Replay ``store`` from block 0 and compare everything it holds with the replay.

    ``trusted_checkpoints`` are signed checkpoint notes held outside the store (e.g. by an
    auditor); they catch a tail cut even when the store's own checkpoints were removed too.
    ``resume_from`` is a signed checkpoint note the caller trusts (a previous verification
    covered it): the replay starts after its block, so only what came since is verified; the
    report's figures count those blocks and txs.
    """
    # What the process held before (a server's or a benchmark's objects) is not the replay's
    # to scan for cycles again at every full collection its garbage triggers: frozen for the
    # run, collected as usual afterwards (with three million objects held, a tenth to a quarter
    # of the replay's own CPU). The replay's own garbage is freed by reference counting; at
    # CPython's default of a young collection every 700 allocations, the collector still took
    # ~6 % of the replay's CPU (walking the values the replay caches), so it runs less often.
    gc.freeze()
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], REPLAY_YOUNG_THRESHOLD), *threshold[1:])
    try:
        return _verify(
            store, channel, registry, rules, trusted_checkpoints, resume_from, workers, progress
        )
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _verify(
    store: SqliteLedgerStore,
    channel: str,
    registry: ContractRegistry,
    rules: ChannelRules,
    trusted_checkpoints: Sequence[str],
    resume_from: str | None,
    workers: int,
    progress: Progress | None,
) -> VerificationReport:
    started = time.perf_counter()
    replay = _Replay(VerifiedHistory(store))
    # A process pool pays for its start-up only on a large ledger (see ledger.signatures).
    checker = SignatureChecker(workers=workers, processes=store.tx_count >= PROCESS_POOL_FROM_TXS)
    checkpoints: _Checkpoints | None = None
    try:
        if resume_from is not None:
            _resume(store, replay, channel, rules, resume_from)
        checkpoints = _Checkpoints(store, replay, channel, rules, trusted_checkpoints)
        _replay_blocks(store, replay, channel, registry, rules, checker, checkpoints, progress)
        checkpoints.finish()
        _compare_state(store, replay)
        _compare_merkle_count(store, replay)
    except _Found as found:
        return _report(replay, started, found.problem)
    finally:
        checker.close()
        if checkpoints is not None:
            checkpoints.close()
    return _report(replay, started, None)


def _report(replay: _Replay, started: float, problem: Problem | None) -> VerificationReport:
    return VerificationReport(
        ok=problem is None,
        blocks=replay.blocks,
        txs=replay.txs,
        valid_txs=replay.valid,
        tree_size=replay.tree.size,
        root=replay.tree.root().hex(),
        state_root=replay.state_root,
        checkpoints=replay.checkpoints,
        seconds=time.perf_counter() - started,
        problem=problem,
        last_checkpoint=replay.last_checkpoint if problem is None else None,
    )


# -- blocks ------------------------------------------------------------------------------


def _parsed_blocks(
    store: SqliteLedgerStore, replay: _Replay, checker: SignatureChecker
) -> Iterator[tuple[StoredBlock, BlockHeader, list[Envelope], PendingChecks]]:
    """Parse each stored block and start its signature checks one block ahead of execution.

    A problem found while parsing ahead is raised only when its block's turn comes, so the
    report still names the first bad block.
    """
    ahead: tuple[StoredBlock, BlockHeader, list[Envelope], PendingChecks] | _Found | None = None
    expected_number, expected_seq = replay.first_block, replay.first_seq
    for stored in store.blocks(replay.first_block):
        try:
            header, envelopes = _parse_block(stored, expected_number, expected_seq)
            current: tuple[StoredBlock, BlockHeader, list[Envelope], PendingChecks] | _Found = (
                stored,
                header,
                envelopes,
                checker.start(envelopes, replay.keys.get),
            )
        except _Found as found:
            current = found
        if ahead is not None:
            if isinstance(ahead, _Found):
                raise ahead
            yield ahead
        if isinstance(current, _Found) and ahead is None:
            raise current
        ahead = current
        expected_number = stored.number + 1
        expected_seq = stored.first_seq + len(stored.txs)
    if isinstance(ahead, _Found):
        raise ahead
    if ahead is not None:
        yield ahead


def _parse_block(
    stored: StoredBlock, expected_number: int, expected_seq: int
) -> tuple[BlockHeader, list[Envelope]]:
    if stored.number != expected_number:
        raise _fail(
            "ledger.block_missing",
            f"block {expected_number} is missing (the next stored block is {stored.number})",
            block=expected_number,
        )
    header = _parse_header(stored)
    if stored.first_seq != expected_seq:
        raise _fail(
            "ledger.tx_sequence",
            f"block {stored.number} starts at tx {stored.first_seq}, expected {expected_seq}",
            block=stored.number,
            expected=str(expected_seq),
            found=str(stored.first_seq),
        )
    if header.tx_count != len(stored.txs):
        raise _fail(
            "ledger.tx_count",
            f"block {stored.number} holds {len(stored.txs)} txs; its header says {header.tx_count}",
            block=stored.number,
            expected=str(header.tx_count),
            found=str(len(stored.txs)),
        )
    envelopes = []
    for index, tx in enumerate(stored.txs):
        if tx.index != index or tx.seq != expected_seq + index:
            raise _fail(
                "ledger.tx_order",
                f"block {stored.number}: tx rows are out of order or missing at position {index}",
                block=stored.number,
                tx_index=index,
            )
        try:
            envelope = Envelope.from_bytes(tx.envelope)
        except TetherError as error:
            raise _fail(
                "ledger.tx_malformed",
                f"block {stored.number}, tx {index}: stored envelope is malformed: {error.message}",
                block=stored.number,
                tx_index=index,
                tx_id=tx.tx_id,
            ) from error
        if envelope.tx_id != tx.tx_id:
            raise _fail(
                "ledger.tx_id",
                f"block {stored.number}, tx {index}: stored tx id does not match the envelope",
                block=stored.number,
                tx_index=index,
                expected=envelope.tx_id,
                found=tx.tx_id,
            )
        envelopes.append(envelope)
    return header, envelopes


def _parse_header(stored: StoredBlock) -> BlockHeader:
    try:
        value = json.loads(stored.header)
        header = BlockHeader.from_json(value)
        if header.canonical_bytes() != stored.header:
            raise ValueError("header is not in canonical form")
    except (ValueError, KeyError, TypeError) as error:
        raise _fail(
            "ledger.header_malformed",
            f"block {stored.number}: header is malformed: {error}",
            block=stored.number,
        ) from error
    if header.number != stored.number:
        raise _fail(
            "ledger.header_number",
            f"block {stored.number}: its header says block {header.number}",
            block=stored.number,
            expected=str(stored.number),
            found=str(header.number),
        )
    return header


def _replay_blocks(
    store: SqliteLedgerStore,
    replay: _Replay,
    channel: str,
    registry: ContractRegistry,
    rules: ChannelRules,
    checker: SignatureChecker,
    checkpoints: _Checkpoints,
    progress: Progress | None,
) -> None:
    total = store.height
    if total == 0:
        raise _fail("ledger.empty", "the ledger has no blocks", block=0)
    total -= replay.first_block
    for stored, header, envelopes, pending in _parsed_blocks(store, replay, checker):
        number = stored.number
        if header.hash != stored.hash:
            raise _fail(
                "ledger.block_hash",
                f"block {number}: stored hash is not the header's hash",
                block=number,
                expected=header.hash,
                found=stored.hash,
            )
        if header.prev_hash != replay.prev_hash:
            raise _fail(
                "ledger.chain_broken",
                f"block {number} does not link to block {number - 1}",
                block=number,
                expected=replay.prev_hash,
                found=header.prev_hash,
            )
        if header.ts < replay.prev_ts:
            raise _fail(
                "ledger.time", f"block {number} is dated before block {number - 1}", block=number
            )
        root = txs_root(envelopes)
        if root != header.txs_root:
            raise _fail(
                "ledger.txs_root",
                f"block {number}: its txs do not match the txs_root the orderer "
                "signed (a tx was edited, inserted, removed or reordered)",
                block=number,
                expected=header.txs_root,
                found=root,
            )
        if number > 0 and not verify_orderer_signature(
            header, stored.orderer_sig, _keys(rules.orderers(replay.state))
        ):
            raise _fail(
                "ledger.orderer_signature",
                f"block {number}: the orderer's signature does not verify",
                block=number,
            )
        nodes = [node for e in envelopes for node in replay.tree.append(e.leaf_hash)]
        log_root = replay.tree.root().hex()
        if header.log_size != replay.tree.size or header.log_root != log_root:
            raise _fail(
                "ledger.log_root",
                f"block {number}: the Merkle log does not match the header",
                block=number,
                expected=f"{header.log_size} {header.log_root}",
                found=f"{replay.tree.size} {log_root}",
            )
        first_seq = stored.first_seq
        outcome = execute_block(
            envelopes,
            channel=channel,
            block_number=number,
            block_ts=header.ts,
            state=replay.state,
            rules=rules,
            registry=registry,
            signatures=pending,
            known_tx_ids=functools.partial(_known, store, replay.seen, first_seq),
            log_crashes=False,
        )
        if number == 0:
            after = BlockState(replay.state)
            after.apply(outcome.writes)
            if not verify_orderer_signature(
                header, stored.orderer_sig, _keys(rules.orderers(after))
            ):
                raise _fail(
                    "ledger.orderer_signature",
                    "the genesis block is not signed by the orderer it names",
                    block=0,
                )
            replay.ledger_format = _ledger_format(store, rules.ledger_format(after))
        encoded = _compare_results(stored, outcome.results, replay.ledger_format)
        results_hash = results_commitment(encoded, replay.ledger_format)
        state_root = chain_state_root(replay.state_root, results_hash)
        if results_hash != stored.results_hash or state_root != stored.state_root:
            raise _fail(
                "ledger.state_root",
                f"block {number}: the state root differs from the replay",
                block=number,
                expected=state_root,
                found=stored.state_root,
            )
        _compare_history(store, stored, outcome.results, replay)
        _compare_nodes(store, nodes)
        replay.state.advance(first_seq + len(envelopes), outcome.writes)
        replay.keys.update(outcome.keys)
        replay.seen.add_all(envelope.tx_id for envelope in envelopes)
        replay.state_root = state_root
        replay.prev_hash = header.hash
        replay.prev_ts = header.ts
        checkpoints.at(number, replay.tree.size, replay.tree.root(), state_root)
        replay.blocks += 1
        replay.txs += len(envelopes)
        replay.valid += sum(1 for result in outcome.results if result.valid)
        if progress is not None:
            progress(replay.blocks, total)


def _known(
    store: SqliteLedgerStore, seen: SeenTxIds, first_seq: int, tx_ids: Iterable[str]
) -> set[str]:
    """Which ids an earlier tx already has: in memory, unless the filter says "maybe"."""
    maybe = [tx_id for tx_id in tx_ids if seen.maybe(tx_id)]
    return store.known_before(maybe, first_seq) if maybe else set()


def _keys(nodes: Sequence[NodeKey]) -> list[PublicKey]:
    return [node.public_key for node in nodes]


def _compare_nodes(store: SqliteLedgerStore, nodes: list[tuple[int, int, bytes]]) -> None:
    """The Merkle nodes a block's leaves completed must be stored, each with its hash."""
    by_level: dict[int, list[tuple[int, bytes]]] = {}
    for level, index, node in nodes:
        by_level.setdefault(level, []).append((index, node))
    for level, expected in by_level.items():
        found = store.merkle_range(level, expected[0][0], expected[-1][0])
        if found != expected:
            for want, got in zip([*expected, None], [*found, None], strict=False):
                if want != got:
                    index = (want or got)[0]  # type: ignore[index]
                    raise _fail(
                        "ledger.merkle_node",
                        f"stored Merkle node ({level}, {index}) differs from the replay",
                        expected=None if want is None else want[1].hex(),
                        found=None if got is None else got[1].hex(),
                    )


def _ledger_format(store: SqliteLedgerStore, chosen: int) -> int:
    """The format the genesis configuration chose, which the store's metadata must repeat."""
    recorded = store.meta("ledger_format") or "1"
    if chosen not in LEDGER_FORMATS or recorded != str(chosen):
        raise _fail(
            "ledger.format",
            f"the genesis configuration sets ledger format {chosen}; the store records "
            f"format {recorded}",
            block=0,
            expected=str(chosen),
            found=recorded,
        )
    return chosen


def _compare_results(
    stored: StoredBlock, results: list[TxResult], ledger_format: int
) -> list[bytes]:
    """Compare each stored result with the replay's; return the results the block commits to.

    Those are the replay's, except in format 1 for a tx whose contract crashed: results then
    kept the interpreter's exception text, which no other interpreter reproduces, so the
    stored result is taken when it says the same (crashed, nothing written) in other words.
    """
    encoded: list[bytes] = []
    for index, (tx, result) in enumerate(zip(stored.txs, results, strict=True)):
        legacy = v1_crashed_result(tx, result) if ledger_format == 1 else None
        if legacy is not None:
            encoded.append(legacy)
            continue
        encoded.append(result.encoded)
        expected = (
            result.valid,
            result.code,
            result.message,
            result.contract_version,
            result.encoded.decode(),
        )
        found = (tx.valid, tx.code, tx.message, tx.contract_version, tx.result)
        if expected != found:
            raise _fail(
                "ledger.tx_result",
                f"block {stored.number}, tx {index}: the stored result differs from the replay"
                + ("" if result.valid else f" (replay: invalid, {result.code}: {result.message})"),
                block=stored.number,
                tx_index=index,
                tx_id=tx.tx_id,
                expected=json.dumps(expected),
                found=json.dumps(found),
            )
    return encoded


def _compare_history(
    store: SqliteLedgerStore, stored: StoredBlock, results: list[TxResult], replay: _Replay
) -> None:
    # In (seq, key) order as the store returns them: txs are in seq order already, so only
    # each tx's own keys need sorting.
    expected: list[tuple[str, int, str | None]] = []
    for seq, result in enumerate(results, stored.first_seq):
        writes = result.writes
        for key in sorted(writes) if len(writes) > 1 else writes:
            value = writes[key]
            expected.append((key, seq, None if value is None else write_text(result, value)))
    if not results:
        return
    found = store.history_rows(stored.first_seq, stored.first_seq + len(results) - 1)
    if found != expected:
        for want, got in zip([*expected, None], [*found, None], strict=False):
            if want != got and not (
                replay.ledger_format == 1
                and want is not None
                and got is not None
                and want[:2] == got[:2]
                and same_legacy_value(want[2], got[2])
            ):
                seq = (want or got)[1]  # type: ignore[index]
                raise _fail(
                    "ledger.history",
                    f"block {stored.number}: the key history differs from the replay at tx {seq}",
                    block=stored.number,
                    tx_index=seq - stored.first_seq,
                    expected=json.dumps(want),
                    found=json.dumps(got),
                )
    replay.history_rows += len(expected)


# -- state, Merkle nodes, checkpoints -------------------------------------------------------


def _compare_state(store: SqliteLedgerStore, replay: _Replay) -> None:
    """The state table must hold each key's last write, the history no row no tx wrote."""

    def same(history: str, state: str) -> bool:
        return replay.ledger_format == 1 and same_legacy_value(history, state)

    def mismatch(key: str, expected: str | None, found: str | None, seq: int | None) -> Exception:
        if expected is None:
            return _fail("ledger.state", f"state holds key {key!r} that no tx wrote", found=key)
        return _fail(
            "ledger.state",
            f"state of key {key!r} differs from the replay (last written by tx {seq})",
            expected=expected[:200],
            found=None if found is None else found[:200],
        )

    compare_state(store, same_text=same, mismatch=mismatch)
    stored_rows = store.history_count(replay.first_seq)
    if stored_rows != replay.history_rows:
        raise _fail(
            "ledger.history",
            "the history table holds rows no tx wrote",
            expected=str(replay.history_rows),
            found=str(stored_rows),
        )


def _compare_merkle_count(store: SqliteLedgerStore, replay: _Replay) -> None:
    """Each node was compared as its block was replayed; none may be missing or extra."""
    expected, found = node_count(replay.tree.size), store.merkle_count()
    if found != expected:
        raise _fail(
            "ledger.merkle_node",
            "Merkle nodes are missing from the store"
            if found < expected
            else "the store holds Merkle nodes no tx made",
            expected=str(expected),
            found=str(found),
        )


class _Checkpoints:
    """Each checkpoint (the store's, one per block, and the caller's) checked when the replay
    reaches its block; those of blocks the ledger no longer has mean a cut tail."""

    def __init__(
        self,
        store: SqliteLedgerStore,
        replay: _Replay,
        channel: str,
        rules: ChannelRules,
        trusted: Sequence[str],
    ) -> None:
        self._replay = replay
        self._origin = origin_for(channel)
        self._rules = rules
        self._stored: Generator[tuple[int, int, str], None, None] = store.checkpoints_after(
            replay.first_block - 1
        )
        self._next_stored = next(self._stored, None)
        self._trusted: dict[int, list[tuple[str, str]]] = {}
        self._unreadable: list[tuple[str, str]] = []
        for number, note in enumerate(trusted):
            label = f"trusted checkpoint {number + 1}"
            try:
                block = LedgerCheckpoint.from_checkpoint(Checkpoint.parse(_body(note))).block
            except TetherError:
                self._unreadable.append((label, note))
                continue
            if block >= replay.first_block:
                self._trusted.setdefault(block, []).append((label, note))
        self._verifiers: tuple[tuple[object, ...], list[NoteVerifier | CosignatureVerifier]]
        self._verifiers = ((), [])

    def at(self, block: int, size: int, root: bytes, state_root: str) -> None:
        """Check every checkpoint of ``block``, the replay's head being (size, root, state)."""
        notes = list(self._trusted.pop(block, []))
        while self._next_stored is not None and self._next_stored[1] <= block:
            _, number, note = self._next_stored
            notes.insert(0, (f"stored checkpoint of block {number}", note))
            self._next_stored = next(self._stored, None)
        for label, note in notes:
            head = self._open(label, note)
            if head.block != block or (head.size, head.root_hash, head.state_root) != (
                size,
                root,
                state_root,
            ):
                raise _fail(
                    "ledger.checkpoint",
                    f"{label} disagrees with the replayed ledger at block {head.block}",
                    block=head.block,
                    expected=f"{size} {root.hex()} {state_root}",
                    found=f"{head.size} {head.root_hash.hex()} {head.state_root}",
                )
            self._replay.checkpoints += 1
            self._replay.last_checkpoint = note

    def finish(self) -> None:
        """After the last block: a checkpoint of a later block means the tail was cut."""
        for label, note in self._unreadable:
            self._open(label, note)  # raises: it is not a checkpoint this channel signed
        later = [(f"stored checkpoint of block {s[1]}", s[2]) for s in self._rest()]
        later += [entry for block in sorted(self._trusted) for entry in self._trusted[block]]
        replay = self._replay
        last_block = replay.first_block + replay.blocks - 1
        for label, note in later:
            head = self._open(label, note)
            raise _fail(
                "ledger.tail_missing",
                f"{label} covers block {head.block} ({head.size} txs) but the ledger ends at block "
                f"{last_block} ({replay.tree.size} txs): blocks were removed from the tail",
                block=last_block + 1,
                expected=str(head.size),
                found=str(replay.tree.size),
            )

    def close(self) -> None:
        """Stop reading the store's checkpoints (a run that stopped early leaves some)."""
        self._stored.close()

    def _rest(self) -> Iterator[tuple[int, int, str]]:
        if self._next_stored is not None:
            yield self._next_stored
        yield from self._stored

    def _open(self, label: str, note: str) -> LedgerCheckpoint:
        """The checkpoint of a note the channel's orderer signed (its nodes as of now)."""
        try:
            checkpoint, opened = open_checkpoint(note, self._current(), origin=self._origin)
            head = LedgerCheckpoint.from_checkpoint(checkpoint)
        except TetherError as error:
            raise _fail("ledger.checkpoint", f"{label}: {error.message}") from error
        orderer_names = {o.name for o in self._rules.orderers(self._replay.state)}
        if not orderer_names & set(opened.verified):
            raise _fail("ledger.checkpoint", f"{label} is not signed by the channel's orderer")
        return head

    def _current(self) -> list[NoteVerifier | CosignatureVerifier]:
        """Verifiers of the channel's orderers and peers after the replayed blocks (rebuilt
        only when those change)."""
        state = self._replay.state
        orderers, peers = self._rules.orderers(state), self._rules.peers(state)
        key = tuple(
            tuple((n.name, n.public_key.public_bytes_raw()) for n in nodes)
            for nodes in (orderers, peers)
        )
        if key != self._verifiers[0]:
            verifiers: list[NoteVerifier | CosignatureVerifier] = [
                NoteVerifier(o.name, o.public_key) for o in orderers
            ]
            verifiers += [CosignatureVerifier(p.name, p.public_key) for p in peers]
            self._verifiers = (key, verifiers)
        return self._verifiers[1]


def _body(note: str) -> str:
    """A signed note's text before its signatures (what :class:`Checkpoint` parses)."""
    return note.partition("\n\n")[0] + "\n"


# -- resuming from a trusted checkpoint ----------------------------------------------------


def _resume(
    store: SqliteLedgerStore, replay: _Replay, channel: str, rules: ChannelRules, note: str
) -> None:
    """Set the replay up as it stood after the checkpoint's block, from what the store holds
    where the checkpoint vouches for it."""
    try:
        head = LedgerCheckpoint.from_checkpoint(Checkpoint.parse(_body(note)))
    except TetherError as error:
        raise _fail("ledger.checkpoint", f"checkpoint to resume from: {error.message}") from error
    stored = store.block(head.block) if head.block < store.height else None
    if stored is None:
        raise _fail(
            "ledger.tail_missing",
            f"the checkpoint to resume from covers block {head.block}, which the ledger does "
            "not hold: blocks were removed from the tail",
            block=head.block,
        )
    header = _parse_header(stored)
    size = stored.first_seq + len(stored.txs)
    replay.state = VerifiedHistory(store, verified_below=size)
    try:
        tree = CompactRange.from_reader(size, store.node)
    except TetherError as error:
        raise _fail("ledger.merkle_node", f"block {head.block}: {error.message}") from error
    if (
        (header.log_size, bytes.fromhex(header.log_root), stored.state_root)
        != (size, head.root_hash, head.state_root)
        or tree.root() != head.root_hash
        or head.size != size
        or header.hash != stored.hash
    ):
        raise _fail(
            "ledger.checkpoint",
            f"the checkpoint to resume from disagrees with the ledger at block {head.block}",
            block=head.block,
            expected=f"{head.size} {head.root_hash.hex()} {head.state_root}",
            found=f"{size} {tree.root().hex()} {stored.state_root}",
        )
    replay.tree = tree
    replay.prev_hash, replay.prev_ts = header.hash, header.ts
    replay.state_root = head.state_root
    replay.ledger_format = store.ledger_format
    replay.first_block, replay.first_seq = head.block + 1, size
    replay.seen = SeenTxIds(store.tx_ids_before(size))
    _Checkpoints(store, replay, channel, rules, ())._open("checkpoint to resume from", note)
