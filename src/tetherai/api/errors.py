"""The API's error handlers: every error in the one shape of :mod:`tetherai.http.errors`.

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

from tetherai.errors import TetherError
from tetherai.http.errors import error_body, status_for

__all__ = ["install_error_handlers"]

log = logging.getLogger(__name__)


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
