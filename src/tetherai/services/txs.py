"""Acting on the ledger for a person: build the tx, sign it with *their* key, wait for its block.

Every write is a tx signed by the acting person's own key (DESIGN.md §3): a web user's key is
unsealed for the request by the custody service; a CLI/SDK user signs locally and submits the
envelope instead. A call the contracts would refuse is refused before it is signed (``check``)
or ordered (admission), with the contract's own error, and leaves the ledger as it was; only a
tx that lost a race with one ordered before it is kept on the ledger marked invalid.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tetherai.crypto.signature import PrivateKey
from tetherai.ledger.errors import TxInvalid
from tetherai.ledger.executor import TxResult
from tetherai.ledger.transaction import Creator, Envelope, Transaction, new_nonce, sign_transaction
from tetherai.ordering.base import Orderer

__all__ = ["Signer", "TxRefused", "act", "submit"]

COMMIT_TIMEOUT_S = 30.0


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
    """Order a signed envelope and wait until its block is durable.

    Raises:
        TxRejected: admission refused it (nothing stored).
        TxRefused: it was ordered but is invalid (it stays on the ledger, marked so).
    """
    result = orderer.submit(envelope).result(timeout=COMMIT_TIMEOUT_S)
    if not result.valid:
        raise TxRefused(
            result.message or "the tx is invalid",
            code=result.code or "tx.invalid",
            details={"tx_id": result.tx_id, "recorded": True},
        )
    return result


def act(
    orderer: Orderer,
    signer: Signer,
    *,
    channel: str,
    contract: str,
    fn: str,
    args: Mapping[str, Any],
    clock: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    check: Callable[[Transaction], object] | None = None,
) -> TxResult:
    """Sign ``contract.fn(args)`` as ``signer`` and submit it (see :func:`submit`).

    ``check`` runs the unsigned tx first (``Peer.simulate``): a call the contracts refuse
    raises its error before the person's key signs anything.
    """
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
    return submit(orderer, sign_transaction(tx, signer.private_key))
