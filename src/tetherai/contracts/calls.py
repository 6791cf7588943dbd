"""What each use case asks of the contracts, built once (DESIGN.md §5, §6).

A write is one contract call. Its function and arguments are built here, and only here: the
API's routes, the pages and the SDK all build their txs with these functions, so the three
front ends send the same call for the same request, and a change to what a use case sends is
one edit.

The builders are pure (no state, clock or I/O). Before anything is uploaded or signed they
check the rules of the arguments that need no state — the very rules the contracts check
when the tx runs (:mod:`tetherai.contracts.arguments`: texts and their lengths, the rating
range, status words), raising the contract's own error — so every front end refuses bad
input alike and a refused text never becomes an invalid tx on the ledger. Everything that
needs the ledger's state (who may, what exists, which status) the contracts decide. Two
checks are the front ends' alone: a version's commit must be a full git commit id
(:func:`tetherai.contracts.commits.check_commit`; the contracts record any text) and an
artifact's kind, checked before its file is uploaded (:func:`check_artifact_kind`).

Arguments given as ``None`` are left out, so the contract's default applies (the server drops
them before signing too, ``services.txs.act``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tetherai.vocabulary import Status, kind_problem

__all__ = [
    "Call",
    "add_member",
    "attach_document",
    "check_artifact_kind",
    "comment",
    "create_project",
    "create_version",
    "monitor",
    "rate",
    "remove_member",
    "rollback",
    "set_factsheet",
    "set_policy",
    "submit_version",
    "transition",
    "update_project",
    "update_version",
    "verify",
    "vote",
]


@dataclass(frozen=True, slots=True)
class Call:
    """One contract call: ``contract.fn(**args)``, the arguments JSON values."""

    contract: str
    fn: str
    args: dict[str, Any]

    @property
    def project(self) -> str | None:
        """The project the call names (the front ends check the caller may read it first)."""
        found = self.args.get("project")
        return found if isinstance(found, str) else None

    def to_json(self) -> dict[str, Any]:
        return {"contract": self.contract, "fn": self.fn, "args": dict(self.args)}


def _call(contract: str, fn: str, **args: Any) -> Call:
    return Call(contract, fn, {key: value for key, value in args.items() if value is not None})


def _dicts(items: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]] | None:
    return None if items is None else [dict(item) for item in items]


def check_artifact_kind(kind: str, name: str | None = None) -> str:
    """``kind``, if it is an artifact kind; checked before a file is uploaded for it.

    Raises:
        InvalidArgument: the sentence the model_version contract refuses it with.
    """
    problem = kind_problem(kind, name)
    if problem is not None:
        from tetherai.contracts.errors import InvalidArgument

        raise InvalidArgument(problem)
    return kind


# --- projects -----------------------------------------------------------------------------


def create_project(name: str, *, domain: str = "", details: str = "") -> Call:
    """A new project of the creator's org (its reference comes back in the result)."""
    from tetherai.contracts import arguments as rule

    rule.PROJECT_NAME.check(name)
    rule.PROJECT_DOMAIN.check(domain)
    rule.PROJECT_DETAILS.check(details)
    return _call("project", "create", name=name, domain=domain, details=details)


def update_project(
    project: str,
    *,
    name: str | None = None,
    domain: str | None = None,
    details: str | None = None,
) -> Call:
    """Change a project's name, domain or details (``None``: unchanged)."""
    from tetherai.contracts import arguments as rule

    changes = {"name": name, "domain": domain, "details": details}
    rule.check_changes(rule.PROJECT_CHANGES, changes)
    return _call("project", "update", project=project, name=name, domain=domain, details=details)


def add_member(project: str, org: str, id: str) -> Call:
    """Add participant ``id@org`` to the project, in the role their certificate gives."""
    return _call("project", "add_member", project=project, org=org, id=id)


def remove_member(project: str, org: str, id: str, reason: str) -> Call:
    from tetherai.contracts import arguments as rule

    rule.MEMBER_REMOVAL_REASON.check(reason)
    return _call("project", "remove_member", project=project, org=org, id=id, reason=reason)


def set_factsheet(project: str, factsheet: Mapping[str, Any]) -> Call:
    """The project's purpose and AI factsheet (purpose, intended_use, out_of_scope_uses, risks,
    key_contacts [{name, role, contact?}], documents [{name, sha256, uri?}])."""
    return _call("project", "set_factsheet", project=project, factsheet=dict(factsheet))


def set_policy(project: str, policy: Mapping[str, Any]) -> Call:
    """The project's workflow policy (approvals, required artifacts, criteria, auto-pass)."""
    return _call("project", "set_policy", project=project, policy=dict(policy))


# --- versions -----------------------------------------------------------------------------


def create_version(
    project: str,
    version: str,
    *,
    code_repo: str,
    commit: str,
    notebook_version: str = "",
    comment: str = "",
    artifacts: Sequence[Mapping[str, Any]] = (),
    experiments: Sequence[Mapping[str, Any]] = (),
    parents: Sequence[Mapping[str, Any]] = (),
    replaces: str | None = None,
    submit: bool = False,
) -> Call:
    """Register a version: a draft, or submitted for review when ``submit``.

    Raises:
        InvalidArgument: ``commit`` is an abbreviated git commit id (give the full one).
    """
    from tetherai.contracts import arguments as rule
    from tetherai.contracts.commits import check_commit  # the contracts load on first use

    rule.CODE_REPO.check(code_repo)
    rule.COMMIT.check(commit)
    rule.NOTEBOOK_VERSION.check(notebook_version)
    rule.VERSION_COMMENT.check(comment)
    return _call(
        "model_version",
        "create",
        project=project,
        version=version,
        code_repo=code_repo,
        commit=check_commit(commit),
        notebook_version=notebook_version,
        comment=comment,
        artifacts=_dicts(artifacts),
        experiments=_dicts(experiments),
        parents=_dicts(parents),
        replaces=replaces,
        submit=submit,
    )


def update_version(
    project: str,
    version: str,
    *,
    code_repo: str | None = None,
    commit: str | None = None,
    notebook_version: str | None = None,
    comment: str | None = None,
    artifacts: Sequence[Mapping[str, Any]] | None = None,
    experiments: Sequence[Mapping[str, Any]] | None = None,
) -> Call:
    """Change a draft (``None``: unchanged).

    Raises:
        InvalidArgument: ``commit`` is an abbreviated git commit id.
    """
    from tetherai.contracts import arguments as rule
    from tetherai.contracts.commits import check_commit

    texts = {
        "code_repo": code_repo,
        "commit": commit,
        "notebook_version": notebook_version,
        "comment": comment,
    }
    rule.check_changes(rule.VERSION_CHANGES, texts)
    if commit is not None:
        commit = check_commit(commit)
    return _call(
        "model_version",
        "update",
        project=project,
        version=version,
        code_repo=code_repo,
        commit=commit,
        notebook_version=notebook_version,
        comment=comment,
        artifacts=_dicts(artifacts),
        experiments=_dicts(experiments),
    )


def submit_version(project: str, version: str) -> Call:
    """Submit a draft for review: it is frozen and its lineage indexed."""
    return _call("model_version", "submit", project=project, version=version)


def transition(
    project: str,
    version: str,
    to: str,
    *,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> Call:
    """Move a version to status ``to`` (``reviewing``, ``review_passed``, ``deployed`` with
    ``details.endpoint``, ``production``, …). Moving a draft to ``submitted`` is submitting it,
    which freezes and indexes it: that is :func:`submit_version`'s call."""
    from tetherai.contracts import arguments as rule

    if rule.status_named(to) is Status.SUBMITTED:
        return submit_version(project, version)
    if reason is not None:
        rule.TRANSITION_REASON.check(reason)
    return _call(
        "workflow",
        "transition",
        project=project,
        version=version,
        to=to,
        reason=reason,
        details=None if details is None else dict(details),
    )


def rollback(project: str, version: str, reason: str) -> Call:
    """Put the earlier approved ``version`` back into production; the live one is rolled back."""
    from tetherai.contracts import arguments as rule

    rule.ROLLBACK_REASON.check(reason)
    return _call("workflow", "rollback", project=project, version=version, reason=reason)


# --- reviews ------------------------------------------------------------------------------


def verify(
    project: str,
    version: str,
    artifacts: Sequence[Mapping[str, Any]],
    *,
    reproduction: Sequence[Mapping[str, Any]] | None = None,
    metrics: Mapping[str, Any] | None = None,
    method: str = "store",
) -> Call:
    """Record the digests recomputed of the version's artifacts (``[{name, sha256}]``, and of
    a reproduction's outputs); a mismatch fails the review in the same tx."""
    from tetherai.contracts import arguments as rule

    rule.check_method(method)
    return _call(
        "review",
        "verify",
        project=project,
        version=version,
        artifacts=_dicts(artifacts),
        reproduction=_dicts(reproduction),
        metrics=None if metrics is None else dict(metrics),
        method=method,
    )


def comment(project: str, version: str, text: str, *, reply_to: str | None = None) -> Call:
    """Comment on a version, or answer the comment ``reply_to``."""
    from tetherai.contracts import arguments as rule

    rule.COMMENT.check(text)
    return _call(
        "review", "comment", project=project, version=version, text=text, reply_to=reply_to
    )


def rate(project: str, version: str, stars: int, *, note: str = "") -> Call:
    """Rate a version (``vocabulary.RATING_MIN`` to ``RATING_MAX`` stars)."""
    from tetherai.contracts import arguments as rule

    rule.check_stars(stars)
    rule.RATING_NOTE.check(note)
    return _call("review", "rate", project=project, version=version, stars=stars, note=note)


def vote(project: str, version: str, to: str, *, approve: bool, comment: str = "") -> Call:
    """Vote on moving a version to ``to``, where the project's policy asks for votes."""
    from tetherai.contracts import arguments as rule

    rule.status_named(to)
    rule.VOTE_COMMENT.check(comment)
    return _call(
        "review", "vote", project=project, version=version, to=to, approve=approve, comment=comment
    )


def attach_document(project: str, version: str, name: str, sha256: str, *, uri: str = "") -> Call:
    """Attach a review document by its digest (the file stays in object storage)."""
    from tetherai.contracts import arguments as rule

    rule.DOCUMENT_NAME.check(name)
    rule.DOCUMENT_URI.check(uri)
    return _call(
        "review",
        "attach_document",
        project=project,
        version=version,
        name=name,
        sha256=sha256,
        uri=uri,
    )


def monitor(
    project: str,
    version: str,
    status: str,
    *,
    metrics: Mapping[str, Any] | None = None,
    note: str = "",
    other: str = "",
) -> Call:
    """A monitoring report on a live version (``status``: a word of
    ``vocabulary.MONITORING_STATUSES``; ``other`` describes the status ``other``)."""
    from tetherai.contracts import arguments as rule

    rule.check_monitoring(status, other)
    rule.MONITORING_NOTE.check(note)
    return _call(
        "review",
        "monitor",
        project=project,
        version=version,
        status=status,
        metrics=None if metrics is None else dict(metrics),
        note=note,
        other=other,
    )
