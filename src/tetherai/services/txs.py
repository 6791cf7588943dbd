"""Acting on the ledger for a person: build the tx, sign it with *their* key, wait for its block.

Every write is a tx signed by the acting person's own key (DESIGN.md §3): a web user's key is
unsealed for the request by the custody service; a CLI/SDK user signs locally and submits the
envelope instead. A call the contracts would refuse is refused before it is signed (``check``)
or ordered (admission), with the contract's own error, and leaves the ledger as it was; only a
tx that lost a race with one ordered before it is kept on the ledger marked invalid (its error
names it).

Two ways to wait for the block. :func:`submit` and :func:`act` block the calling thread (the
CLI, scripts, tests). :func:`submit_async` and :func:`act_async` are the server's: signing and
admission (signature and state checks, a fraction of a millisecond) run in the server's
admission threads (``services.admission_line``), and the wait for the block holds no thread at
all — the orderer's commit callback resolves a future in the event loop. (A sync route parks
one of the server's 40 worker threads per write in flight, so writes through HTTP were capped
at 40 per block cycle while the ledger commits far more.)
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from tetherai.crypto.signature import PrivateKey
from tetherai.ledger.errors import TxInvalid
from tetherai.ledger.executor import TxResult
from tetherai.ledger.transaction import Creator, Envelope, Transaction, new_nonce, sign_transaction
from tetherai.ordering.base import Orderer
from tetherai.ordering.errors import CommitTimeout
from tetherai.services.admission_line import AdmissionLine

__all__ = ["Signer", "TxRefused", "act", "act_async", "committed", "submit", "submit_async"]

COMMIT_TIMEOUT_S = 30.0
Clock = Callable[[], int]
Check = Callable[[Transaction], object]
"""Runs an unsigned tx against the current state, raising the refusal (``Peer.simulate``)."""
T = TypeVar("T")


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class TxRefused(TxInvalid):
    """The tx is on the ledger, marked invalid (it passed admission, then lost a race with a
    tx ordered before it); ``code`` and ``message`` are the contract's."""


@dataclass(frozen=True, slots=True)
class Signer:
    """A participant able to sign: their identity on the ledger and their private key."""

    org: str
    id: str
    cert_sha256: str
    private_key: PrivateKey


def submit(orderer: Orderer, envelope: Envelope) -> TxResult:
    """Order a signed envelope and wait (blocking this thread) until its block is durable.

    Raises:
        TxRejected: admission refused it (nothing stored).
        TxRefused: it was ordered but is invalid (it stays on the ledger, marked so).
        CommitTimeout: its block was not durable within 30 s (it may still be).
    """
    future = orderer.submit(envelope)
    try:
        result = future.result(timeout=COMMIT_TIMEOUT_S)
    except TimeoutError as error:
        raise _timed_out(envelope) from error
    return _outcome(result)


async def submit_async(
    orderer: Orderer,
    envelope: Envelope,
    *,
    line: AdmissionLine,
    check: Callable[[], object] | None = None,
) -> TxResult:
    """:func:`submit` for the event loop: ``check`` (if any) and admission in one trip to
    ``line``'s threads, then the wait for the block without any thread. Raises as
    :func:`submit` (and what ``check`` raises)."""

    def check_and_admit() -> Future[TxResult]:
        if check is not None:
            check()
        return orderer.submit(envelope)

    future = await line.run(check_and_admit)
    return _outcome(await committed(future, envelope))


def act(
    orderer: Orderer,
    signer: Signer,
    *,
    channel: str,
    contract: str,
    fn: str,
    args: Mapping[str, Any],
    clock: Clock = _wall_clock_ms,
    check: Check | None = None,
) -> TxResult:
    """Sign ``contract.fn(args)`` as ``signer`` and submit it (see :func:`submit`).

    ``check`` runs the unsigned tx first (``Peer.simulate``): a call the contracts refuse
    raises their error before the person's key signs anything.
    """
    return submit(orderer, _signed(signer, channel, contract, fn, args, clock, check))


async def act_async(
    orderer: Orderer,
    signer: Signer,
    *,
    line: AdmissionLine,
    channel: str,
    contract: str,
    fn: str,
    args: Mapping[str, Any],
    clock: Clock = _wall_clock_ms,
    check: Check | None = None,
) -> TxResult:
    """:func:`act` for the event loop: signing and admission in one trip to ``line``'s
    threads, then the wait for the block without any thread (see :func:`submit_async`)."""

    def sign_and_admit() -> tuple[Envelope, Future[TxResult]]:
        envelope = _signed(signer, channel, contract, fn, args, clock, check)
        return envelope, orderer.submit(envelope)

    envelope, future = await line.run(sign_and_admit)
    return _outcome(await committed(future, envelope))


async def committed(future: Future[T], envelope: Envelope | None = None) -> T:
    """Await an orderer's future from the event loop, holding no thread.

    The orderer's thread resolves ``future``; its done-callback hands the outcome to the loop.
    Giving up (the timeout, or the request being cancelled) never cancels ``future`` itself:
    the orderer owns it and still resolves it when the block is durable.

    Raises:
        CommitTimeout: not resolved within 30 s.
    """
    if future.done():
        # Under load the block is often durable before the loop comes back to this request:
        # take the outcome here, without waking the loop through its self-pipe (a syscall that
        # hands the interpreter lock to the ledger's threads and back).
        return future.result()
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[T] = loop.create_future()

    def settle(done: Future[T]) -> None:
        if waiter.done():  # the waiter gave up already
            return
        error = done.exception()
        if error is not None:
            waiter.set_exception(error)
        else:
            waiter.set_result(done.result())

    def hand_over(done: Future[T]) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(settle, done)

    future.add_done_callback(hand_over)
    try:
        return await asyncio.wait_for(waiter, COMMIT_TIMEOUT_S)
    except TimeoutError as error:
        raise _timed_out(envelope) from error


def _outcome(result: TxResult) -> TxResult:
    if not result.valid:
        raise TxRefused(
            result.message or "the tx is invalid",
            code=result.code or "tx.invalid",
            details={"tx_id": result.tx_id, "recorded": True},
        )
    return result


def _timed_out(envelope: Envelope | None) -> CommitTimeout:
    tx_id = envelope.tx_id if envelope is not None else "?"
    return CommitTimeout(
        f"tx {tx_id} was admitted but its block was not durable within {COMMIT_TIMEOUT_S:.0f} s",
        details={"tx_id": tx_id},
    )


def _signed(
    signer: Signer,
    channel: str,
    contract: str,
    fn: str,
    args: Mapping[str, Any],
    clock: Clock,
    check: Check | None,
) -> Envelope:
    tx = Transaction(
        channel=channel,
        contract=contract,
        fn=fn,
        args={key: value for key, value in args.items() if value is not None},
        creator=Creator(signer.org, signer.id, signer.cert_sha256),
        nonce=new_nonce(),
        ts=clock(),
    )
    if check is not None:
        check(tx)
    return sign_transaction(tx, signer.private_key)
