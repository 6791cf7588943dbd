"""The words of the domain, written once (DESIGN.md §1, §5): roles, version statuses and their
groups, artifact kinds, lineage relations, monitoring statuses, the rating range.

The contracts judge with these, the services and pages list and filter by them, the client
and the CLI offer them, and the templates get them as globals (``web/templating.py``), so a new
kind or status is one edit here. Changing a value that a contract checks changes what its
txs accept, so it needs a new contract version, as any rule change does.

The standalone audit verifier keeps its own copy of the workflow words
(``auditverify/workflow_table.py``); a test compares the two.

This module imports nothing of tetherai, so any layer may use it.
"""

from __future__ import annotations

import enum

__all__ = [
    "APPROVED",
    "ARTIFACT_KINDS",
    "LIVE",
    "MONITORING_STATUSES",
    "NEEDS_REASON",
    "OPEN_STATUSES",
    "PROJECT_ROLES",
    "RATING_MAX",
    "RATING_MIN",
    "RELATIONS",
    "REPLACEABLE",
    "VERIFICATION_METHODS",
    "WRITER_ROLES",
    "Role",
    "Status",
    "kind_problem",
    "may_be_replaced",
    "or_list",
]


class Role(enum.StrEnum):
    """A participant's role; the value is written in the certificate's OU and on the ledger."""

    AI_ENGINEER = "ai_engineer"
    MLOPS_ENGINEER = "mlops_engineer"
    STAKEHOLDER = "stakeholder"
    AUDITOR = "auditor"
    ORG_ADMIN = "org_admin"
    OPERATOR = "operator"


PROJECT_ROLES = (Role.AI_ENGINEER, Role.MLOPS_ENGINEER, Role.STAKEHOLDER, Role.AUDITOR)
"""The roles a project member may have (org admins and operators are not project members)."""
WRITER_ROLES = (Role.AI_ENGINEER, Role.MLOPS_ENGINEER, Role.STAKEHOLDER)
"""Project members who comment, rate, attach documents and vote (auditors only read)."""


class Status(enum.StrEnum):
    """A model version's status (DESIGN.md §5); ``contracts.workflow`` says who moves it where."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    REVIEWING = "reviewing"
    REVIEW_PASSED = "review_passed"
    REVIEW_FAILED = "review_failed"
    DEPLOYED = "deployed"
    QA = "qa"
    PRODUCTION = "production"
    MONITORING = "monitoring"
    COMPLETE = "complete"
    DECLINED = "declined"
    ROLLED_BACK = "rolled_back"


OPEN_STATUSES = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.REVIEWING,
    Status.REVIEW_PASSED,
    Status.DEPLOYED,
    Status.QA,
    Status.PRODUCTION,
    Status.MONITORING,
)
"""Statuses in which a version still waits for someone; the others are final."""
LIVE = frozenset({Status.PRODUCTION, Status.MONITORING})
"""A live version serves; a rollback replaces it."""
APPROVED = frozenset(
    {
        Status.REVIEW_PASSED,
        Status.DEPLOYED,
        Status.QA,
        Status.MONITORING,
        Status.COMPLETE,
        Status.ROLLED_BACK,
    }
)
"""Versions that passed a review and were not declined: what a rollback may restore."""
NEEDS_REASON = frozenset({Status.REVIEW_FAILED, Status.DECLINED, Status.ROLLED_BACK})
"""Moving a version to one of these needs a reason."""
REPLACEABLE = frozenset({Status.REVIEW_FAILED})
"""Only a version whose review failed may be replaced by a correction (``replaces``)."""


def may_be_replaced(status: str) -> bool:
    """Whether a version in ``status`` may be replaced by a new version (once)."""
    return status in REPLACEABLE


ARTIFACT_KINDS = ("train_dataset", "test_dataset", "model", "log", "code", "report", "other")
"""What an artifact of a version is; in this order in forms and messages."""


def kind_problem(kind: object, artifact: str | None = None) -> str | None:
    """``None`` for an artifact kind, else a sentence saying what is wrong (naming the
    ``artifact`` when given; the model_version contract's refusal is this sentence)."""
    if kind in ARTIFACT_KINDS:
        return None
    kinds = ", ".join(ARTIFACT_KINDS)
    if artifact is None:
        return f"{kind!r} is not an artifact kind; kinds are {kinds}"
    return f"artifact {artifact!r} has kind {kind!r}; kinds are {kinds}"


RELATIONS = ("fine_tuned_from", "reproduces", "replaces", "derived_from")
"""How a version relates to a parent version."""
VERIFICATION_METHODS = ("store", "local", "rerun")
"""How a verification recomputed the digests: from the object store, a local copy, a re-run."""
MONITORING_STATUSES = (
    "active",
    "degraded_accuracy",
    "data_drift",
    "bias_detected",
    "outage",
    "overfitting",
    "underfitting",
    "no_longer_used",
    "other",
)
"""What a monitoring report says of a live version (``other`` is described in words)."""

RATING_MIN = 1
RATING_MAX = 5
"""A rating is from ``RATING_MIN`` to ``RATING_MAX`` stars."""


def or_list(words: tuple[str, ...] | list[str]) -> str:
    """``"a, b or c"``: the words a sentence offers as choices."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
