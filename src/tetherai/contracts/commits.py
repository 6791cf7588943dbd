"""What a version's ``commit`` may say, and when it is a git commit id (DESIGN.md §5).

The model_version contract records ``commit`` as the author gives it (a tag, a notebook
revision, a git commit). Provenance formats accept only a *full* git object id as a digest
(in-toto's DigestSet: ``gitCommit`` is 40 hex digits for SHA-1 repositories, 64 for SHA-256
ones), so exports state a digest only for those and carry anything else as an annotation.

An abbreviated id (``git log --oneline``'s ``4f2a9c1``) names no object for certain and can
stop naming one as a repository grows: the SDK, the CLI and the web form refuse it before
anything is signed (:func:`check_commit`), asking for the full id. Older ledger records may hold
one; they stay as they are.
"""

from __future__ import annotations

import re

from tetherai.contracts.errors import InvalidArgument

__all__ = ["check_commit", "full_git_commit"]

_FULL = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}", re.ASCII)
# git abbreviates to at least 7 hex digits by default (core.abbrev); shorter hex words are
# as likely to be names ("cafe") as ids.
_ABBREVIATED = re.compile(r"[0-9a-fA-F]{7,63}", re.ASCII)


def full_git_commit(commit: str) -> str | None:
    """The commit as a full git object id in lowercase hex, or ``None`` if it is not one."""
    return commit.lower() if _FULL.fullmatch(commit) else None


def check_commit(commit: str) -> str:
    """Return ``commit`` (stripped) unless it is an abbreviated or truncated git commit id.

    Raises:
        InvalidArgument: 7 to 63 hex digits that are not a full 40- or 64-digit id.
    """
    value = commit.strip()
    if full_git_commit(value) is None and _ABBREVIATED.fullmatch(value):
        raise InvalidArgument(
            f"commit {value!r} is an abbreviated git commit id ({len(value)} hex digits); "
            "give the full id (40 hex digits, or 64 in a SHA-256 repository)",
            hint="Run `git rev-parse HEAD` in the code's repository; provenance exports "
            "(in-toto, SLSA) name the code by its full commit id.",
        )
    return value
