"""Participant roles (DESIGN.md §1, §4): what a certificate's OU says a participant may do."""

from __future__ import annotations

import enum

__all__ = ["Role"]


class Role(enum.StrEnum):
    """A participant's role; the value is written in the certificate's OU and on the ledger."""

    AI_ENGINEER = "ai_engineer"
    MLOPS_ENGINEER = "mlops_engineer"
    STAKEHOLDER = "stakeholder"
    AUDITOR = "auditor"
    ORG_ADMIN = "org_admin"
    OPERATOR = "operator"
