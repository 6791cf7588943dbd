"""The version workflow as data: the same table as ``tetherai.contracts.workflow.RULES``.

A test compares the two, so they cannot drift; this copy keeps the verifier standalone.
(source, target, role of the member who may take the step, action, author only)
"""

from __future__ import annotations

__all__ = ["APPROVED", "LIVE", "NEEDS_REASON", "RULES"]

RULES: tuple[tuple[str, str, str, str, bool], ...] = (
    ("draft", "submitted", "ai_engineer", "submit", True),
    ("submitted", "reviewing", "mlops_engineer", "start_review", False),
    ("reviewing", "review_passed", "mlops_engineer", "pass_review", False),
    ("reviewing", "review_failed", "mlops_engineer", "fail_review", False),
    ("review_passed", "deployed", "mlops_engineer", "deploy", False),
    ("deployed", "qa", "stakeholder", "start_qa", False),
    ("qa", "production", "mlops_engineer", "promote", False),
    ("production", "monitoring", "mlops_engineer", "start_monitoring", False),
    ("monitoring", "complete", "stakeholder", "complete", False),
    ("monitoring", "declined", "stakeholder", "decline", False),
    ("qa", "declined", "stakeholder", "decline", False),
    ("deployed", "declined", "stakeholder", "decline", False),
    ("review_passed", "declined", "stakeholder", "decline", False),
)
# A rollback moves the live version to rolled_back and puts an approved one back in production.
LIVE = frozenset({"production", "monitoring"})
APPROVED = frozenset({"review_passed", "deployed", "qa", "monitoring", "complete", "rolled_back"})
NEEDS_REASON = frozenset({"review_failed", "declined", "rolled_back"})
ROLLBACK_ROLE = "mlops_engineer"
