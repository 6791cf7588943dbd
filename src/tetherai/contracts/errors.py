"""Errors contracts raise to refuse a call (DESIGN.md §5).

Each is a :class:`~tetherai.ledger.errors.ContractError`: inside a tx it becomes the tx's
invalid reason (``code`` + ``message``) in its block; front ends map them to HTTP statuses.

    ContractError
    ├── NotPermitted       contract.not_permitted   (this participant may not do this)
    ├── InvalidArgument    contract.bad_argument    (an argument is out of range or malformed)
    ├── NotFound           contract.not_found       (the thing named does not exist)
    ├── Conflict           contract.conflict        (it exists already / the state forbids it now)
    └── InvalidTransition  workflow.invalid_transition (the version's state does not allow it)
"""

from __future__ import annotations

from tetherai.ledger.errors import ContractError

__all__ = [
    "Conflict",
    "ContractError",
    "InvalidArgument",
    "InvalidTransition",
    "NotFound",
    "NotPermitted",
]


class NotPermitted(ContractError):
    code = "contract.not_permitted"
    hint = "Ask an org admin for the role this action needs."


class InvalidArgument(ContractError):
    code = "contract.bad_argument"


class NotFound(ContractError):
    code = "contract.not_found"


class Conflict(ContractError):
    code = "contract.conflict"


class InvalidTransition(ContractError):
    code = "workflow.invalid_transition"
