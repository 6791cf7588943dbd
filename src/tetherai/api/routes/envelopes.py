"""``POST /api/v1/envelopes``: submit a tx signed elsewhere (CLI, SDK) — the key never leaves its owner."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from tetherai.api.errors import ApiError, status_for
from tetherai.api.runtime import Runtime, runtime
from tetherai.api.schemas import ERRORS, EnvelopeIn, TxOutcome
from tetherai.ledger.errors import TxInvalid
from tetherai.ledger.transaction import Envelope

router = APIRouter(prefix="/api/v1", tags=["txs"], responses=ERRORS)

# How long a request waits for its block; the solo orderer cuts within milliseconds.
COMMIT_TIMEOUT_S = 30


@router.post(
    "/envelopes",
    summary="Submit a pre-signed tx and wait until its block is durable",
    response_model=TxOutcome,
)
def submit(body: EnvelopeIn, rt: Annotated[Runtime, Depends(runtime)]) -> dict[str, Any]:
    envelope = Envelope.from_json(body.model_dump())
    result = rt.orderer.submit(envelope).result(timeout=COMMIT_TIMEOUT_S)
    if not result.valid:
        # The tx is on the ledger, marked invalid: say why with the contract's own words.
        error = TxInvalid(
            result.message or "the tx is invalid",
            code=result.code or "tx.invalid",
            details={"tx_id": result.tx_id},
        )
        raise ApiError(
            _refusal_status(error),
            error.message,
            code=error.code,
            details={"tx_id": result.tx_id, "recorded": True},
        )
    return {"tx_id": result.tx_id, "valid": True, "result": result.result}


def _refusal_status(error: TxInvalid) -> int:
    if error.code == "contract.not_permitted":
        return 403
    if error.code in ("contract.not_found",):
        return 404
    if error.code in ("contract.bad_argument", "tx.bad_args", "contract.bad_output"):
        return 422
    if error.code.startswith(("contract.", "workflow.")):
        return 409
    return status_for(error)
