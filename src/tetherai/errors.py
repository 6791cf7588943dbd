"""The one error base of tetherai, and the one table of what each error means to a front end.

Every error a user can meet is a :class:`TetherError` with a stable dotted ``code``
(``ledger.chain_broken``), a ``message`` saying what was wrong and a ``hint`` saying what to do.
Each class also knows what it means to the front ends: ``http_status`` (the API and the pages)
and ``exit_code`` (the ``tether`` command). A subclass inherits both; a class says what kind of
failure it is by naming one *kind* below first among its bases (``class ObjectNotFound(NotFound,
StorageError)``), or, for a layer's base class, by setting the two attributes itself. No front
end keeps a table of codes: the API asks :func:`http_status`, the CLI :func:`exit_code`.

Kinds, their HTTP status and exit code (0 ok, 1 a verification found a difference, 2 bad usage
or input, 3 server, network or permission error):

    TetherError               500  3   unclassified: something failed on our side
    ├── InvalidInput          422  2   the caller's input is wrong; fix it and retry
    ├── NotFound              404  2   the thing named does not exist (or is not yours to see)
    ├── Unauthenticated       401  3   who is calling is unknown: sign in again
    ├── PermissionDenied      403  3   known, but not allowed to do this
    ├── Conflict              409  3   the current state does not allow it (exists, wrong status)
    ├── RateLimited           429  3   too many attempts: wait, then retry
    ├── Unavailable           503  3   busy, shutting down or unreachable: retry later
    └── IntegrityFailure      409  1   what was found differs from what was recorded (tampering)

The layers' own classes, in each layer's ``errors.py``:

    TetherError
    ├── crypto.errors.CryptoError             500 3
    │   ├── CanonicalizationError ── NotCanonicalError    InvalidInput
    │   ├── SignatureError                                IntegrityFailure
    │   └── UnsupportedKeyError                           InvalidInput
    ├── identity.errors.IdentityError         InvalidInput (bad names, certificates, key files)
    ├── storage.errors.StorageError           500 3
    │   ├── BadInput (PathEscapesRoot, UnsupportedURI, ManifestError)   InvalidInput
    │   ├── ObjectNotFound, BucketNotFound                              NotFound
    │   ├── Unreadable, AccessDenied, StorageUnavailable                Unavailable
    │   ├── StoreCorrupted (the server's own stored copy is damaged)     500 3
    │   └── DigestMismatch                                              IntegrityFailure
    ├── ledger.errors.LedgerError             500 3
    │   ├── ProofError, CheckpointError, BlockRejected, VerificationFailed   IntegrityFailure
    │   ├── MalformedTx                                   InvalidInput
    │   ├── TxInvalid, TxRejected                 422 2   (each tx.* code has its class)
    │   ├── ContractError                         409 3   (contracts.errors: one per kind)
    │   └── StoreError                                    Unavailable
    ├── ordering.errors.OrderingError                     Unavailable
    └── services', api's, client's and web's own (auth, db, custody, audit, ...)

A code given at a raise site (``TxInvalid(..., code="tx.replayed")``) or carried by a refused
tx is looked up: the class that declares that code decides (:func:`declared_class`). This
module imports nothing on purpose, so any layer may depend on it.
"""

from __future__ import annotations

__all__ = [
    "EXIT_DIFFERENCE",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "KINDS",
    "Conflict",
    "IntegrityFailure",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "TetherError",
    "Unauthenticated",
    "Unavailable",
    "declared_class",
    "exit_code",
    "exit_code_for_status",
    "http_status",
]

EXIT_OK = 0
EXIT_DIFFERENCE = 1  # a verification found a difference: tampering or corruption
EXIT_USAGE = 2  # bad usage or input (also Typer's own usage errors)
EXIT_FAILURE = 3  # server, network, storage or permission error


class TetherError(Exception):
    """Base of every error tetherai raises on purpose.

    ``code`` is stable and machine-readable; ``message`` and ``hint`` are for people.
    ``details`` holds structured evidence (expected vs found, the block number, ...).
    ``http_status`` and ``exit_code`` say what the error means to the API and the CLI; an
    instance may carry its own ``http_status`` (an error relayed from a server).
    """

    code: str = "tether.error"
    hint: str = ""
    http_status: int = 500
    exit_code: int = EXIT_FAILURE

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        code: str | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint
        if code is not None:
            self.code = code
        self.details: dict[str, object] = dict(details or {})

    def __str__(self) -> str:
        return self.message


class InvalidInput(TetherError):
    """The caller's input is wrong (malformed, out of range, refused by a policy)."""

    code = "input.invalid"
    http_status = 422
    exit_code = EXIT_USAGE


class NotFound(TetherError):
    """The thing named does not exist, or the caller may not know that it does."""

    code = "not_found"
    http_status = 404
    exit_code = EXIT_USAGE


class Unauthenticated(TetherError):
    """Who is calling is unknown: no, wrong or expired credentials."""

    code = "auth.required"
    http_status = 401
    exit_code = EXIT_FAILURE


class PermissionDenied(TetherError):
    """The caller is known but may not do this."""

    code = "permission.denied"
    http_status = 403
    exit_code = EXIT_FAILURE


class Conflict(TetherError):
    """The current state does not allow it: it exists already, or its status forbids it now."""

    code = "conflict"
    http_status = 409
    exit_code = EXIT_FAILURE


class RateLimited(TetherError):
    """Too many attempts in a short time: wait (``details["retry_after_seconds"]``), retry."""

    code = "rate_limited"
    http_status = 429
    exit_code = EXIT_FAILURE


class Unavailable(TetherError):
    """A part the request needs is busy, shutting down or unreachable: retry later."""

    code = "unavailable"
    http_status = 503
    exit_code = EXIT_FAILURE


class IntegrityFailure(TetherError):
    """What was found differs from what was recorded: tampering or corruption."""

    code = "integrity.failure"
    http_status = 409
    exit_code = EXIT_DIFFERENCE


# In this order a status names its kind (409 is Conflict's before IntegrityFailure's).
KINDS: tuple[type[TetherError], ...] = (
    InvalidInput,
    NotFound,
    Unauthenticated,
    PermissionDenied,
    Conflict,
    RateLimited,
    Unavailable,
    IntegrityFailure,
)


def _classes() -> list[type[TetherError]]:
    """Every subclass of TetherError imported so far, parents before children."""
    found: list[type[TetherError]] = []
    stack = [TetherError]
    while stack:
        cls = stack.pop()
        if cls not in found:
            found.append(cls)
            stack.extend(reversed(cls.__subclasses__()))
    return found


def declared_class(code: str) -> type[TetherError] | None:
    """The class whose own ``code`` is ``code`` (among the classes imported), if any."""
    for cls in _classes():
        if cls.__dict__.get("code") == code:
            return cls
    return None


def _instance_status(error: TetherError) -> int | None:
    status = vars(error).get("http_status")
    return status if isinstance(status, int) else None


def http_status(error: TetherError) -> int:
    """The HTTP status of ``error``: its own (relayed from a server, or set by the API layer),
    else the one of the class declaring its code, else its class's."""
    own = _instance_status(error)
    if own is not None:
        return own
    return (declared_class(error.code) or type(error)).http_status


def exit_code_for_status(status: int) -> int:
    """The exit code for an HTTP status a server answered with (0: no answer at all)."""
    for kind in KINDS:
        if kind.http_status == status:
            return kind.exit_code
    for cls in _classes():
        if cls.http_status == status:
            return cls.exit_code
    return EXIT_USAGE if 400 <= status < 500 else EXIT_FAILURE


def exit_code(error: TetherError) -> int:
    """The ``tether`` exit code of ``error``: the one of the class declaring its code, else its
    own HTTP status's (an error relayed from a server), else its class's."""
    declared = declared_class(error.code)
    if declared is not None and declared is not TetherError:
        return declared.exit_code
    own = _instance_status(error)
    if own is not None:
        return exit_code_for_status(own)
    return type(error).exit_code
