"""The error shape both HTTP adapters (the API and the pages) answer with.

Body: ``{"error": {"code", "message", "hint", "details"}}`` (STYLE.md "Errors"). The status of
a :class:`TetherError` is the one its class declares (:func:`tetherai.errors.http_status`).
"""

from __future__ import annotations

from tetherai.errors import TetherError, http_status
from tetherai.http.server_paths import redact, redact_json

__all__ = ["ApiError", "error_body", "status_for"]


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
    """The one error shape; no server path survives in it (``http.server_paths``)."""
    return {
        "error": {
            "code": code,
            "message": redact(message),
            "hint": redact(hint),
            "details": redact_json(details or {}),
        }
    }
