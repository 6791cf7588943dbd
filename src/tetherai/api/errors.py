"""One error shape for the whole API, and the one place where errors become HTTP statuses.

Body: ``{"error": {"code", "message", "hint", "details"}}`` (STYLE.md "Errors"). Contract
refusals, ledger rejections and bad input map to 4xx by their class; FastAPI's own validation
errors are reshaped; anything unexpected is a 500 with a request id, its traceback only in the
server log.
"""

from __future__ import annotations

import logging
import secrets

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tetherai.contracts.errors import (
    Conflict,
    InvalidArgument,
    InvalidTransition,
    NotFound,
    NotPermitted,
)
from tetherai.errors import TetherError
from tetherai.ledger.errors import (
    ContractError,
    MalformedTx,
    ProofError,
    StoreError,
    TxInvalid,
    TxRejected,
)
from tetherai.ordering.errors import OrdererBusy, OrdererClosed
from tetherai.services.txs import TxRefused

__all__ = ["ApiError", "error_body", "install_error_handlers", "status_for"]

log = logging.getLogger("tetherai.api")


class ApiError(TetherError):
    """An error raised by the API layer itself, with its HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str,
        hint: str | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, code=code, hint=hint, details=details)
        self.status = status


# Most specific first: the first class that matches decides the status.
_STATUS: tuple[tuple[type[TetherError], int], ...] = (
    (MalformedTx, 422),
    (InvalidArgument, 422),
    (NotPermitted, 403),
    (NotFound, 404),
    (InvalidTransition, 409),
    (Conflict, 409),
    (ContractError, 409),
    (OrdererBusy, 503),
    (OrdererClosed, 503),
    (StoreError, 503),
    (ProofError, 409),
)
_REFUSAL_CODES = {
    "contract.not_permitted": 403,
    "contract.not_found": 404,
    "contract.bad_argument": 422,
    "contract.bad_output": 422,
    "tx.bad_args": 422,
}
_TX_CODES = {
    "tx.unknown_certificate": 403,
    "tx.revoked_certificate": 403,
    "tx.expired_certificate": 403,
    "tx.creator_mismatch": 403,
    "tx.bad_signature": 403,
    "tx.auditor_cannot_write": 403,
    "tx.replayed": 409,
    "tx.unknown_contract": 404,
    "tx.unknown_function": 404,
}


_AUTH_CODES = {
    "auth.bad_credentials": 401,
    "auth.token_invalid": 401,
    "auth.token_expired": 401,
    "auth.locked": 423,
    "auth.disabled": 403,
    "auth.csrf": 403,
    "auth.not_permitted": 403,
    "auth.weak_password": 422,
    "auth.invalid": 422,
    "auth.not_found": 404,
    "auth.conflict": 409,
    "storage.digest_mismatch": 409,
    "objects.not_held": 403,
    "objects.not_read_here": 403,
    "storage.not_found": 404,
    "storage.bad_input": 422,
    "storage.bad_manifest": 422,
    "storage.unsupported_uri": 422,
    "storage.path_escapes_root": 422,
    "storage.access_denied": 503,
    "storage.unavailable": 503,
    "storage.bucket_not_found": 503,
    "db.unavailable": 503,  # locked past the busy timeout or unreachable: retry, not "bad request"
    "custody.unseal_failed": 401,
    "custody.session_key": 401,
    "custody.no_key": 403,
}


def status_for(error: TetherError) -> int:
    if isinstance(error, ApiError):
        return error.status
    if error.code in _AUTH_CODES:
        return _AUTH_CODES[error.code]
    if isinstance(error, TxRefused):  # on the ledger, marked invalid: the contract's reason decides
        return (
            _REFUSAL_CODES.get(error.code)
            or _TX_CODES.get(error.code)
            or (409 if error.code.startswith(("contract.", "workflow.")) else 422)
        )
    if isinstance(error, (TxRejected, TxInvalid)):
        return _TX_CODES.get(error.code, 422)
    if error.code.endswith(".not_found"):
        return 404
    for cls, status in _STATUS:
        if isinstance(error, cls):
            return status
    return 400


def error_body(
    code: str, message: str, hint: str = "", details: dict[str, object] | None = None
) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "hint": hint, "details": details or {}}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TetherError)
    async def tether_error(request: Request, error: TetherError) -> JSONResponse:
        status = status_for(error)
        headers = {"Retry-After": "1"} if status == 503 else None
        if status == 429:
            headers = {"Retry-After": str(error.details.get("retry_after_seconds", 60))}
        return JSONResponse(
            error_body(error.code, error.message, error.hint, error.details),
            status,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "where": ".".join(str(part) for part in item.get("loc", ())),
                "problem": item.get("msg", ""),
            }
            for item in error.errors()
        ]
        first = problems[0] if problems else {"where": "request", "problem": "invalid"}
        return JSONResponse(
            error_body(
                "request.invalid",
                f"{first['where']}: {first['problem']}",
                "fix the request as the API description says",
                {"problems": problems},
            ),
            422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {
            404: "request.not_found",
            405: "request.method_not_allowed",
            401: "auth.required",
        }.get(error.status_code, "request.error")
        return JSONResponse(
            error_body(code, str(error.detail)), error.status_code, headers=error.headers
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        request_id = secrets.token_hex(8)
        log.exception("unexpected error, request %s", request_id)
        return JSONResponse(
            error_body(
                "server.error",
                "the server failed to handle this request",
                f"report request id {request_id} to the operator",
                {"request_id": request_id},
            ),
            500,
        )
