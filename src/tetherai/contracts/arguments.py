"""The rules of a call's arguments that need no state, written once (DESIGN.md §5).

The contracts check them when a tx runs; the call builders (:mod:`tetherai.contracts.calls`)
check the same rules before anything is signed, so the API, the pages and the SDK refuse bad
input with the contract's own code and sentence, and a refused text (up to the size of a
request) never becomes an invalid tx on the ledger. Changing a rule here changes what the
contracts accept: it needs a new contract version, as any rule change does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tetherai.contracts._common import text
from tetherai.contracts.errors import InvalidArgument
from tetherai.vocabulary import (
    MONITORING_STATUSES,
    RATING_MAX,
    RATING_MIN,
    VERIFICATION_METHODS,
    Status,
    or_list,
)

__all__ = [
    "CODE_REPO",
    "COMMENT",
    "COMMIT",
    "DOCUMENT_NAME",
    "DOCUMENT_URI",
    "MEMBER_REMOVAL_REASON",
    "MONITORING_NOTE",
    "NOTEBOOK_VERSION",
    "PROJECT_CHANGES",
    "PROJECT_DETAILS",
    "PROJECT_DOMAIN",
    "PROJECT_NAME",
    "RATING_NOTE",
    "ROLLBACK_REASON",
    "TRANSITION_REASON",
    "VERSION_CHANGES",
    "VERSION_COMMENT",
    "VOTE_COMMENT",
    "Text",
    "check_changes",
    "check_method",
    "check_monitoring",
    "check_stars",
    "status_named",
]


@dataclass(frozen=True, slots=True)
class Text:
    """A text argument: at most ``limit`` characters, and not blank when ``required``."""

    what: str  # how the refusal names it ("a comment", "reason")
    limit: int
    required: bool = False

    def check(self, value: Any) -> str:
        """``value``, if it is such a text.

        Raises:
            InvalidArgument: "<what> must be a (non-empty) text of at most <limit> characters".
        """
        return text(value, self.what, limit=self.limit, required=self.required)


PROJECT_NAME = Text("the project name", 200, required=True)
PROJECT_DOMAIN = Text("domain", 200)
PROJECT_DETAILS = Text("details", 10000)
PROJECT_CHANGES = {
    "name": Text("name", 200, required=True),
    "domain": Text("domain", 200),
    "details": Text("details", 10000),
}
"""What ``project.update`` may change (each named by its field)."""
MEMBER_REMOVAL_REASON = Text("reason", 2000, required=True)

CODE_REPO = Text("code_repo", 2000, required=True)
COMMIT = Text("commit", 200, required=True)
NOTEBOOK_VERSION = Text("notebook_version", 200)
VERSION_COMMENT = Text("comment", 10000)
VERSION_CHANGES = {
    "code_repo": CODE_REPO,
    "commit": COMMIT,
    "notebook_version": NOTEBOOK_VERSION,
    "comment": VERSION_COMMENT,
}
"""The texts ``model_version.update`` may change."""

TRANSITION_REASON = Text("reason", 2000)
ROLLBACK_REASON = Text("reason", 2000, required=True)

COMMENT = Text("a comment", 10000, required=True)
RATING_NOTE = Text("note", 2000)
VOTE_COMMENT = Text("comment", 2000)
DOCUMENT_NAME = Text("name", 200, required=True)
DOCUMENT_URI = Text("uri", 2000)
MONITORING_NOTE = Text("note", 5000)
_OTHER = Text("the description of 'other'", 500, required=True)


def check_changes(rules: Mapping[str, Text], changes: Mapping[str, Any]) -> dict[str, str]:
    """The texts given (not ``None``) among ``changes``, each checked by its field's rule."""
    return {
        field: rule.check(changes[field])
        for field, rule in rules.items()
        if changes.get(field) is not None
    }


def status_named(to: Any) -> Status:
    """The version status ``to`` names.

    Raises:
        InvalidArgument: it names none.
    """
    try:
        return Status(to)
    except ValueError:
        raise InvalidArgument(f"{to!r} is not a version status") from None


def check_stars(stars: int) -> int:
    if not RATING_MIN <= stars <= RATING_MAX:
        raise InvalidArgument(f"a rating is from {RATING_MIN} to {RATING_MAX} stars")
    return stars


def check_method(method: str) -> str:
    """How a verification recomputed the digests (a word of the vocabulary)."""
    if method not in VERIFICATION_METHODS:
        raise InvalidArgument(f"method must be {or_list(VERIFICATION_METHODS)}")
    return method


def check_monitoring(status: str, other: str) -> str:
    """A monitoring report's status; ``other`` describes the status ``other``."""
    if status not in MONITORING_STATUSES:
        raise InvalidArgument(f"a monitoring status is one of {', '.join(MONITORING_STATUSES)}")
    if status == "other":
        _OTHER.check(other)
    return status
