"""One error shape for the whole API.

Body: ``{"error": {"code", "message", "hint", "details"}}`` (STYLE.md "Errors"). The status of
a :class:`TetherError` is the one its class declares (:func:`tetherai.errors.http_status`);
FastAPI's own validation errors are reshaped; anything unexpected is a 500 with a request id,
its traceback only in the server log.
"""

from __future__ import annotations

import logging
import secrets

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tetherai.api.server_paths import redact, redact_json
from tetherai.errors import TetherError, http_status

__all__ = ["ApiError", "error_body", "install_error_handlers", "status_for"]

log = logging.getLogger(__name__)


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
        self.http_status = status


def status_for(error: TetherError) -> int:
    """The HTTP status of ``error``: the error table of :mod:`tetherai.errors`, nothing else."""
    return http_status(error)


def error_body(
    code: str, message: str, hint: str = "", details: dict[str, object] | None = None
) -> dict[str, object]:
    """The one error shape; no server path survives in it (``api.server_paths``)."""
    return {
        "error": {
            "code": code,
            "message": redact(message),
            "hint": redact(hint),
            "details": redact_json(details or {}),
        }
    }


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
