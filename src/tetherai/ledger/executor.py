"""Validate and execute one block, in order, deterministically (DESIGN.md §3).

Peers and the verifier both run blocks through :func:`execute_block`, so the rule for what
makes a tx valid is written once. A tx that fails a check or whose contract refuses it stays
in the block, marked invalid with a reason, and changes no state: keeping it means every
peer (and an auditor) can see what was attempted and why it was refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from tetherai.crypto.errors import CanonicalizationError
from tetherai.crypto.jcs import JSONValue, canonical_form, canonicalize
from tetherai.crypto.signature import PublicKey
from tetherai.ledger.contract import (
    ChannelRules,
    Context,
    ContractRegistry,
    ContractStateView,
    Identity,
    StateReader,
)
from tetherai.ledger.errors import ContractError, TxInvalid
from tetherai.ledger.results import results_commitment
from tetherai.ledger.signatures import PendingChecks
from tetherai.ledger.state import BlockState, CachedReads
from tetherai.ledger.transaction import Envelope, Transaction

__all__ = [
    "CRASHED",
    "BlockOutcome",
    "TxResult",
    "crashed_message",
    "execute_block",
    "run_contract",
    "validate_envelope",
]

MAX_RESULT_BYTES = 256 * 1024
CRASHED = "contract.crashed"
"""The code of a tx whose contract raised something other than a refusal (a contract bug)."""

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TxResult:
    """What execution made of one tx. Part of the state-root chain, so every peer agrees."""

    tx_id: str
    valid: bool
    code: str | None = None
    message: str | None = None
    contract_version: str | None = None
    writes: dict[str, JSONValue | None] = field(default_factory=dict)
    result: JSONValue = None
    encoded: bytes = b""  # JCS of to_json(), set once by the executor
    plain: bool = False
    """The result holds no float and no character above U+D7FF, so ``json.dumps`` writes each
    of its values canonically (``crypto.jcs.CanonicalForm.plain``)."""

    def to_json(self) -> dict[str, JSONValue]:
        if not self.valid:
            return _invalid_document(self.tx_id, self.code or "", self.message or "")
        return _valid_document(self.tx_id, self.contract_version, self.writes, self.result)


def _valid_document(
    tx_id: str, version: str | None, writes: dict[str, JSONValue | None], result: JSONValue
) -> dict[str, JSONValue]:
    return {
        "tx_id": tx_id,
        "valid": True,
        "version": version,
        "writes": dict(writes),
        "result": result,
    }


def _invalid_document(tx_id: str, code: str, message: str) -> dict[str, JSONValue]:
    return {"tx_id": tx_id, "valid": False, "code": code, "message": message}


@dataclass(frozen=True, slots=True)
class BlockOutcome:
    results: list[TxResult]
    writes: dict[str, JSONValue | None]
    keys: dict[str, PublicKey]  # cert_sha256 -> public key of every creator authenticated

    def results_hash(self, ledger_format: int) -> str:
        """The block's results commitment in ``ledger_format`` (see ``ledger.results``)."""
        return results_commitment([result.encoded for result in self.results], ledger_format)


def validate_envelope(
    envelope: Envelope,
    *,
    channel: str,
    block_ts: int,
    state: StateReader,
    rules: ChannelRules,
    registry: ContractRegistry,
    signature_valid: Callable[[Identity], bool],
) -> tuple[Identity, str]:
    """Every check a tx must pass before its contract runs; shared by admission and execution.

    Returns the creator's identity and the active contract version.

    Raises:
        TxInvalid: the first check that failed, with a stable code.
    """
    tx = envelope.tx
    if tx.channel != channel:
        raise TxInvalid(
            f"tx is for channel '{tx.channel}', not '{channel}'", code="tx.wrong_channel"
        )
    skew = rules.max_skew_ms(state)
    if abs(tx.ts - block_ts) > skew:
        raise TxInvalid(
            f"tx time {tx.ts} is {abs(tx.ts - block_ts) / 1000:.1f}s from the orderer's clock "
            f"(allowed: {skew / 1000:.0f}s)",
            code="tx.clock_skew",
            hint="check the clock of the machine that signed the tx, then sign it again",
        )
    identity = rules.authenticate(tx, state)
    if not signature_valid(identity):
        raise TxInvalid(
            f"signature does not verify with the certificate of {identity.id}@{identity.org}",
            code="tx.bad_signature",
        )
    version = rules.contract_version(tx.contract, state)
    registry.function(tx.contract, version, tx.fn, "transaction")
    assert version is not None  # registry.function raised otherwise
    return identity, version


def execute_block(
    envelopes: Sequence[Envelope],
    *,
    channel: str,
    block_number: int,
    block_ts: int,
    state: StateReader,
    rules: ChannelRules,
    registry: ContractRegistry,
    signatures: PendingChecks,
    known_tx_ids: Callable[[Iterable[str]], set[str]],
    log_crashes: bool = True,
) -> BlockOutcome:
    """Run a block's envelopes in order against ``state`` (which is not modified).

    ``known_tx_ids`` answers which of the given ids are already on the ledger, so a replayed
    envelope is refused; duplicates inside the block are caught here. ``log_crashes``: log the
    exception of a crashing contract (a replay of an old block leaves it out: it was logged
    when the block was first executed).
    """
    overlay = BlockState(state)
    # The rules read the same membership records for every tx: decoded once per block (and
    # again only after a tx of the block wrote them).
    rules_view = CachedReads(overlay)
    seen = known_tx_ids([envelope.tx_id for envelope in envelopes])
    results: list[TxResult] = []
    keys: dict[str, PublicKey] = {}
    for index, envelope in enumerate(envelopes):
        tx_id = envelope.tx_id
        if tx_id in seen:
            results.append(
                _invalid(tx_id, "tx.replayed", "a tx with this id is already on the ledger")
            )
            continue
        seen.add(tx_id)
        result = _execute_one(
            envelope,
            index,
            block_number,
            block_ts,
            channel,
            overlay,
            rules_view,
            rules,
            registry,
            signatures,
            keys,
            log_crashes,
        )
        if result.valid:
            overlay.apply(result.writes)
            rules_view.forget(result.writes)
        results.append(result)
    return BlockOutcome(results, overlay.writes, keys)


def _execute_one(
    envelope: Envelope,
    index: int,
    block_number: int,
    block_ts: int,
    channel: str,
    state: BlockState,
    rules_view: StateReader,
    rules: ChannelRules,
    registry: ContractRegistry,
    signatures: PendingChecks,
    keys: dict[str, PublicKey],
    log_crashes: bool,
) -> TxResult:
    tx = envelope.tx
    tx_id = envelope.tx_id

    def signature_valid(identity: Identity) -> bool:
        keys[identity.cert_sha256] = identity.public_key
        return signatures.valid(index, identity.public_key)

    try:
        identity, version = validate_envelope(
            envelope,
            channel=channel,
            block_ts=block_ts,
            state=rules_view,
            rules=rules,
            registry=registry,
            signature_valid=signature_valid,
        )
    except (TxInvalid, ContractError) as error:
        return _invalid(tx_id, error.code, error.message)
    return run_contract(
        tx,
        tx_id,
        identity,
        version,
        block_number=block_number,
        block_ts=block_ts,
        state=state,
        registry=registry,
        log_crashes=log_crashes,
    )


def run_contract(
    tx: Transaction,
    tx_id: str,
    creator: Identity,
    version: str,
    *,
    block_number: int,
    block_ts: int,
    state: StateReader,
    registry: ContractRegistry,
    log_crashes: bool = True,
    kept: bool = True,
) -> TxResult:
    """Run the contract function ``tx`` calls, as ``creator`` at contract ``version``, against
    ``state`` (only read: the writes are in the result). A block runs each of its valid txs
    through it; admission runs a tx through it once before ordering, so a tx the contracts
    would refuse now is never ordered (what Fabric calls endorsement).

    ``kept``: the result's writes and value are the peer's to keep, so they share no object
    with what the contract returned (``crypto.jcs.canonical_form``'s copy); admission keeps
    nothing of a result and passes ``False``.
    """
    try:
        function = registry.function(tx.contract, version, tx.fn, "transaction")
        args = function.bind(tx.args)
        view = ContractStateView(state, function.namespaces)
        context = Context(tx_id, creator, block_number, block_ts, view, registry.installed)
        returned = function.method(context, **args)
    except (TxInvalid, ContractError) as error:
        return _invalid(tx_id, error.code, error.message)
    except Exception:  # a bug in contract code
        # The exception's text (and sometimes its type) differs between Python versions, so
        # it stays in this peer's log: the result, and so the state root, must be the same
        # on every interpreter that replays this block.
        if log_crashes:
            _log.warning(
                "tx %s: %s.%s raised an unexpected error", tx_id, tx.contract, tx.fn, exc_info=True
            )
        return _invalid(tx_id, CRASHED, crashed_message(tx.contract, tx.fn))
    try:
        form = canonical_form(_valid_document(tx_id, version, view.writes, returned), copy=kept)
    except CanonicalizationError as error:
        return _invalid(
            tx_id, "contract.bad_output", f"contract output is not canonical JSON: {error}"
        )
    if len(form.data) > MAX_RESULT_BYTES:
        message = f"contract output is {len(form.data)} bytes; the limit is {MAX_RESULT_BYTES}"
        return _invalid(tx_id, "contract.output_too_large", message)
    # What peers keep and later txs read is the value the canonical bytes denote (a float
    # 2.0 a contract computed reads back as 2), the same on a live peer and in a replay.
    document = cast(dict[str, JSONValue], form.value)
    writes = cast(dict[str, JSONValue | None], document["writes"])
    return TxResult(
        tx_id, True, None, None, version, writes, document["result"], form.data, form.plain
    )


def crashed_message(contract: str, fn: str) -> str:
    """The recorded reason of a crashed tx: stable, whatever the interpreter said."""
    return (
        f"contract {contract} failed in {fn} with an unexpected error (a bug in the contract); "
        "the tx changed nothing"
    )


def _invalid(tx_id: str, code: str, message: str) -> TxResult:
    encoded = canonicalize(_invalid_document(tx_id, code, message))
    return TxResult(tx_id, False, code, message, encoded=encoded)
