"""Replay a whole ledger and name the first place it differs (DESIGN.md §3, "Verifier").

:func:`verify_ledger` re-reads every block from the store and re-derives everything from the
envelopes alone — tx ids, signatures, certificates and roles of the time, block links and
orderer signatures, Merkle roots, every tx's validity and writes, the state-root chain — with
the same executor the peers use, then compares the stored results, state, history, Merkle
nodes and signed checkpoints with what the replay produced. It stops at the first difference
and reports it with evidence (expected vs found), like tessera's ``fsck``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
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
from tetherai.ledger.checkpoint import CosignatureVerifier, NoteVerifier, open_checkpoint
from tetherai.ledger.contract import ChannelRules, ContractRegistry, NodeKey
from tetherai.ledger.executor import TxResult, execute_block
from tetherai.ledger.legacy import same_legacy_value, v1_crashed_result
from tetherai.ledger.merkle import CompactRange
from tetherai.ledger.peer import verify_orderer_signature
from tetherai.ledger.results import LEDGER_FORMATS, chain_state_root, results_commitment
from tetherai.ledger.signatures import PendingChecks, SignatureChecker
from tetherai.ledger.sqlite_store import SqliteLedgerStore, StoredBlock, encode_value, write_text
from tetherai.ledger.state import BlockState, MemoryState
from tetherai.ledger.transaction import Envelope
from tetherai.ledger.tree_head import LedgerCheckpoint, origin_for

__all__ = ["Problem", "VerificationReport", "verify_ledger"]

Progress = Callable[[int, int], None]  # (blocks done, blocks in all)
PROCESS_POOL_FROM_TXS = 20_000


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
        }


class _Found(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _fail(code: str, message: str, **evidence: object) -> _Found:
    return _Found(Problem(code, message, **evidence))  # type: ignore[arg-type]


@dataclass
class _Replay:
    state: MemoryState = field(default_factory=MemoryState)
    tree: CompactRange = field(default_factory=CompactRange)
    levels: list[bytearray] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    keys: dict[str, PublicKey] = field(default_factory=dict)
    heads: dict[int, tuple[int, bytes, str]] = field(
        default_factory=dict
    )  # block -> size, root, state
    prev_hash: str = GENESIS_PREV_HASH
    prev_ts: int = 0
    state_root: str = GENESIS_STATE_ROOT
    ledger_format: int = 1  # fixed by the genesis block's configuration
    last_seq: dict[str, int] = field(default_factory=dict)
    blocks: int = 0
    txs: int = 0
    valid: int = 0
    history_rows: int = 0


def verify_ledger(
    store: SqliteLedgerStore,
    *,
    channel: str,
    registry: ContractRegistry,
    rules: ChannelRules,
    trusted_checkpoints: Sequence[str] = (),
    workers: int = 2,
    progress: Progress | None = None,
) -> VerificationReport:
    """Replay ``store`` from block 0 and compare everything it holds with the replay.

    ``trusted_checkpoints`` are signed checkpoint notes held outside the store (e.g. by an
    auditor); they catch a tail cut even when the store's own checkpoints were removed too.
    """
    started = time.perf_counter()
    replay = _Replay()
    # A process pool pays for its start-up only on a large ledger (see ledger.signatures).
    checker = SignatureChecker(workers=workers, processes=store.tx_count >= PROCESS_POOL_FROM_TXS)
    try:
        _replay_blocks(store, replay, channel, registry, rules, checker, progress)
        _compare_state(store, replay)
        _compare_merkle(store, replay)
        checkpoints = _check_checkpoints(store, replay, channel, rules, trusted_checkpoints)
    except _Found as found:
        return _report(replay, started, found.problem, 0)
    finally:
        checker.close()
    return _report(replay, started, None, checkpoints)


def _report(
    replay: _Replay, started: float, problem: Problem | None, checkpoints: int
) -> VerificationReport:
    return VerificationReport(
        ok=problem is None,
        blocks=replay.blocks,
        txs=replay.txs,
        valid_txs=replay.valid,
        tree_size=replay.tree.size,
        root=replay.tree.root().hex(),
        state_root=replay.state_root,
        checkpoints=checkpoints,
        seconds=time.perf_counter() - started,
        problem=problem,
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
    expected_number = expected_seq = 0
    for stored in store.blocks():
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
    progress: Progress | None,
) -> None:
    total = store.height
    if total == 0:
        raise _fail("ledger.empty", "the ledger has no blocks", block=0)
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
        for envelope in envelopes:
            for level, index, node in replay.tree.append(envelope.leaf_hash):
                _remember_node(replay, level, index, node)
        log_root = replay.tree.root().hex()
        if header.log_size != replay.tree.size or header.log_root != log_root:
            raise _fail(
                "ledger.log_root",
                f"block {number}: the Merkle log does not match the header",
                block=number,
                expected=f"{header.log_size} {header.log_root}",
                found=f"{replay.tree.size} {log_root}",
            )
        seen = replay.seen
        outcome = execute_block(
            envelopes,
            channel=channel,
            block_number=number,
            block_ts=header.ts,
            state=replay.state,
            rules=rules,
            registry=registry,
            signatures=pending,
            known_tx_ids=seen.intersection,
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
        replay.state.apply(outcome.writes)
        replay.keys.update(outcome.keys)
        seen.update(envelope.tx_id for envelope in envelopes)
        replay.state_root = state_root
        replay.prev_hash = header.hash
        replay.prev_ts = header.ts
        replay.heads[number] = (replay.tree.size, replay.tree.root(), state_root)
        replay.blocks += 1
        replay.txs += len(envelopes)
        replay.valid += sum(1 for result in outcome.results if result.valid)
        if progress is not None:
            progress(replay.blocks, total)


def _keys(nodes: Sequence[NodeKey]) -> list[PublicKey]:
    return [node.public_key for node in nodes]


def _remember_node(replay: _Replay, level: int, index: int, node: bytes) -> None:
    while len(replay.levels) <= level:
        replay.levels.append(bytearray())
    replay.levels[level] += node


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
    expected: list[tuple[str, int, str | None]] = []
    for index, result in enumerate(results):
        seq = stored.first_seq + index
        for key, value in result.writes.items():
            expected.append((key, seq, None if value is None else write_text(result, value)))
            replay.last_seq[key] = seq
    expected.sort(key=lambda row: (row[1], row[0]))
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
    stored_rows = store.state_rows()
    for key, value in replay.state.items():
        row = next(stored_rows, None)
        encoded = encode_value(value)
        if (
            row is None
            or row[0] != key
            or row[2] != replay.last_seq[key]
            or (
                row[1] != encoded
                and not (replay.ledger_format == 1 and same_legacy_value(encoded, row[1]))
            )
        ):
            found_key = None if row is None else row[0]
            if found_key is not None and found_key < key:
                raise _fail(
                    "ledger.state",
                    f"state holds key {found_key!r} that no tx wrote",
                    found=found_key,
                )
            raise _fail(
                "ledger.state",
                f"state of key {key!r} differs from the replay (last written by tx {replay.last_seq[key]})",
                expected=encoded[:200],
                found=None if row is None or row[0] != key else row[1][:200],
            )
    extra = next(stored_rows, None)
    if extra is not None:
        raise _fail(
            "ledger.state", f"state holds key {extra[0]!r} that no tx wrote", found=extra[0]
        )
    if store.history_count() != replay.history_rows:
        raise _fail(
            "ledger.history",
            "the history table holds rows no tx wrote",
            expected=str(replay.history_rows),
            found=str(store.history_count()),
        )


def _compare_merkle(store: SqliteLedgerStore, replay: _Replay) -> None:
    count = 0
    for level, index, node in store.merkle_rows():
        count += 1
        known = replay.levels[level] if level < len(replay.levels) else b""
        if known[index * 32 : index * 32 + 32] != bytes(node):
            raise _fail(
                "ledger.merkle_node",
                f"stored Merkle node ({level}, {index}) differs from the replay",
                expected=known[index * 32 : index * 32 + 32].hex() or None,
                found=bytes(node).hex(),
            )
    expected = sum(len(level) // 32 for level in replay.levels)
    if count != expected:
        raise _fail(
            "ledger.merkle_node",
            "Merkle nodes are missing from the store",
            expected=str(expected),
            found=str(count),
        )


def _check_checkpoints(
    store: SqliteLedgerStore,
    replay: _Replay,
    channel: str,
    rules: ChannelRules,
    trusted: Sequence[str],
) -> int:
    orderers = rules.orderers(replay.state)
    verifiers: list[NoteVerifier | CosignatureVerifier] = [
        NoteVerifier(o.name, o.public_key) for o in orderers
    ]
    verifiers += [CosignatureVerifier(p.name, p.public_key) for p in rules.peers(replay.state)]
    orderer_names = {orderer.name for orderer in orderers}
    notes = [
        (f"stored checkpoint of block {block}", note) for _, block, note in store.checkpoints()
    ]
    notes += [(f"trusted checkpoint {n + 1}", note) for n, note in enumerate(trusted)]
    last_block = replay.blocks - 1
    for label, note in notes:
        try:
            checkpoint, opened = open_checkpoint(note, verifiers, origin=origin_for(channel))
            head = LedgerCheckpoint.from_checkpoint(checkpoint)
        except TetherError as error:
            raise _fail("ledger.checkpoint", f"{label}: {error.message}") from error
        if not orderer_names & set(opened.verified):
            raise _fail("ledger.checkpoint", f"{label} is not signed by the channel's orderer")
        if head.block > last_block:
            raise _fail(
                "ledger.tail_missing",
                f"{label} covers block {head.block} ({head.size} txs) but the ledger ends at block "
                f"{last_block} ({replay.tree.size} txs): blocks were removed from the tail",
                block=last_block + 1,
                expected=str(head.size),
                found=str(replay.tree.size),
            )
        size, root, state_root = replay.heads[head.block]
        if (head.size, head.root_hash, head.state_root) != (size, root, state_root):
            raise _fail(
                "ledger.checkpoint",
                f"{label} disagrees with the replayed ledger at block {head.block}",
                block=head.block,
                expected=f"{size} {root.hex()} {state_root}",
                found=f"{head.size} {head.root_hash.hex()} {head.state_root}",
            )
    return len(notes)
