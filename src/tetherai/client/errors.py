"""Errors of the SDK: the server's one error shape, or no answer at all, as a TetherError."""

from __future__ import annotations

from tetherai.errors import IntegrityFailure, InvalidInput, TetherError

__all__ = ["ClientError", "ConfigError", "ServerError", "VerificationMismatch"]


class ClientError(InvalidInput):
    """Something the caller gave is wrong (bad reference, missing file, no key yet)."""

    code = "client.invalid"


class ConfigError(ClientError):
    """The client's configuration is missing or unusable."""

    code = "client.config"
    hint = "run 'tether login SERVER --username NAME' (and 'tether key create' + 'tether key register')"


class ServerError(TetherError):
    """The server answered with an error, or could not be reached (``status`` 0).

    ``code``, ``message``, ``hint`` and ``details`` are the server's own (its one error shape).
    """

    code = "client.server"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        hint: str | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, code=code, hint=hint, details=details)
        self.status = status
        self.http_status = status  # its exit code follows from it (0: no answer, exit 3)

    @property
    def is_input_error(self) -> bool:
        """Whether the request itself was malformed (HTTP 400/413/422): the caller's to fix."""
        return self.status in (400, 413, 422)


class VerificationMismatch(IntegrityFailure):
    """A recomputed digest differs from the registered one (raised only when asked to)."""

    code = "client.verification_mismatch"
