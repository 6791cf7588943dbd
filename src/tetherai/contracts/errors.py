"""Errors contracts raise to refuse a call (DESIGN.md §5).

Each is a :class:`~tetherai.ledger.errors.ContractError`: inside a tx it becomes the tx's
invalid reason (``code`` + ``message``) in its block. Each is also of one kind of
:mod:`tetherai.errors`, which gives its HTTP status and exit code.

    ContractError
    ├── NotPermitted       contract.not_permitted   PermissionDenied (this participant may not)
    ├── InvalidArgument    contract.bad_argument    InvalidInput (out of range or malformed)
    ├── NotFound           contract.not_found       NotFound (the thing named does not exist)
    ├── Conflict           contract.conflict        Conflict (exists already / forbidden now)
    └── InvalidTransition  workflow.invalid_transition  Conflict (the version's state forbids it)
"""

from __future__ import annotations

from tetherai import errors
from tetherai.ledger.errors import ContractError

__all__ = [
    "Conflict",
    "ContractError",
    "InvalidArgument",
    "InvalidTransition",
    "NotFound",
    "NotPermitted",
]


class NotPermitted(errors.PermissionDenied, ContractError):
    code = "contract.not_permitted"
    hint = "Ask an org admin for the role this action needs."


class InvalidArgument(errors.InvalidInput, ContractError):
    code = "contract.bad_argument"


class NotFound(errors.NotFound, ContractError):
    code = "contract.not_found"


class Conflict(errors.Conflict, ContractError):
    code = "contract.conflict"


class InvalidTransition(errors.Conflict, ContractError):
    code = "workflow.invalid_transition"
