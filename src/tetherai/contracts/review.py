"""The review contract (DESIGN.md §5): verification, comments, ratings, votes, documents, monitoring.

Verification is where the ledger judges training results by itself: an MLOps engineer submits
the digests they recomputed; any difference from what the author registered moves the version
to ``review_failed`` in the same tx, lists the mismatching artifacts in the tx's result and
opens a discussion thread. The project's acceptance criteria are checked on the metrics, and
when everything holds and the policy says so, the review passes in the same tx.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tetherai.contracts import arguments, calls
from tetherai.contracts._common import (
    Actor,
    Record,
    Result,
    digest,
    require_member,
    require_version,
    review_kind,
    review_prefix,
    role_plural,
    stamp,
    version_ref,
)
from tetherai.contracts._common import text as check_text
from tetherai.contracts.access import confidential
from tetherai.contracts.errors import (
    Conflict,
    ContractError,
    InvalidArgument,
    InvalidTransition,
    NotPermitted,
)
from tetherai.contracts.model_version import final_metrics
from tetherai.contracts.transitions import (
    RULES,
    apply_transition,
    approvals,
    check_transition,
    project_policy,
    version_status,
)
from tetherai.crypto.jcs import JSONValue
from tetherai.identity.roles import Role
from tetherai.ledger.contract import Context, Contract, Identity, QueryContext, query, transaction
from tetherai.ledger.state import StateReader
from tetherai.vocabulary import (
    LIVE,
    WRITER_ROLES,
    Status,
)

__all__ = ["Review", "ReviewV2", "action_probes"]

WRITERS = WRITER_ROLES


def _digests(value: Any, what: str) -> dict[str, str | None]:
    if not isinstance(value, list) or len(value) > 10_000:
        raise InvalidArgument(f"{what} must be a list of {{name, sha256}}")
    found: dict[str, str | None] = {}
    for entry in value:
        if (
            not isinstance(entry, dict)
            or set(entry) - {"name", "sha256", "reason"}
            or "name" not in entry
        ):
            raise InvalidArgument(
                f"each entry of {what} must be {{name, sha256}} (sha256 null when unreadable)"
            )
        name = check_text(entry["name"], "an artifact name", limit=200, required=True)
        if name in found:
            raise InvalidArgument(f"{what} lists {name!r} twice")
        found[name] = (
            None
            if entry.get("sha256") is None
            else digest(entry["sha256"], f"the digest of {name!r}")
        )
    return found


def _compare(
    registered: dict[str, str], recomputed: dict[str, str | None], what: str
) -> list[dict[str, JSONValue]]:
    unknown = sorted(set(recomputed) - set(registered))
    if unknown:
        raise InvalidArgument(
            f"{what} names artifacts the version does not have: {', '.join(unknown)}"
        )
    mismatches: list[dict[str, JSONValue]] = []
    for name, expected in sorted(registered.items()):
        found = recomputed.get(name)
        if name not in recomputed and what == "reproduction":
            continue  # a reproduction checks only the outputs it produced
        if found != expected:
            mismatches.append(
                {
                    "name": name,
                    "registered": expected,
                    "recomputed": found,
                    "source": what,
                    "problem": "not recomputed" if found is None else "digest differs",
                }
            )
    return mismatches


def _open_thread(ctx: Context, project: str, version: str, message: str) -> str:
    """A discussion thread the contract opens itself, as the author's place to answer."""
    ctx.state.put(
        f"{review_prefix(project, version)}comment/{ctx.tx_id}",
        {"id": ctx.tx_id, "thread": ctx.tx_id, "reply_to": None, "text": message, "system": True}
        | stamp(ctx),
    )
    return ctx.tx_id


def check_can_verify(state: StateReader, project: str, version: str, who: Actor | Identity) -> None:
    """Who may record a verification, and when (the tx and the "actions" query both ask this)."""
    require_member(state, project, who, doing="record a verification", roles=(Role.MLOPS_ENGINEER,))
    status = version_status(state, project, version)
    if status is not Status.REVIEWING:
        raise InvalidTransition(
            f"version {version} is {status.value}; a verification is recorded during its review"
            + (" — start the review first" if status is Status.SUBMITTED else "")
        )


def check_can_monitor(
    state: StateReader, project: str, version: str, who: Actor | Identity
) -> None:
    """Who may report on monitoring, and when."""
    require_member(state, project, who, doing="report on monitoring", roles=(Role.MLOPS_ENGINEER,))
    current = version_status(state, project, version)
    if current not in LIVE:
        raise InvalidTransition(
            f"version {version} is {current.value}; only a live version is monitored"
        )


def check_can_rate(state: StateReader, project: str, version: str, who: Actor | Identity) -> None:
    """Who may rate a version: a writing member other than its author (a rating is someone
    else's judgement of the work; the tx and the "actions" query both ask this)."""
    record = require_version(state, project, version)
    require_member(state, project, who, doing="rate versions", roles=WRITERS)
    if record.get("author") == f"{who.id}@{who.org}":
        raise NotPermitted(f"you are the author of version {version}; others rate it")


def check_can_vote(
    state: StateReader, project: str, version: str, who: Actor | Identity, target: Status
) -> str:
    """Who may vote on moving a version to ``target``, and when; returns the vote's state key."""
    quorum = project_policy(state, project).approvals.get(target.value)
    if quorum is None:
        raise InvalidArgument(
            f"project {project} takes no votes on moving a version to {target.value}"
        )
    require_member(
        state,
        project,
        who,
        doing=f"vote on moving a version to {target.value}",
        roles=(quorum.role,),
    )
    current = version_status(state, project, version)
    if not any(rule.source == current and rule.target == target for rule in RULES):
        raise InvalidTransition(
            f"version {version} is {current.value}; it cannot move to {target.value}"
        )
    key = f"{review_prefix(project, version)}vote/{target.value}/{who.org}/{who.id}"
    if state.get(key) is not None:
        raise Conflict(f"you already voted on moving version {version} to {target.value}")
    return key


class Review(Contract):
    name = "review"
    version = "1"
    legacy = True  # channels on it keep it; none may switch back to it from version 2
    namespaces = ("review", "workflow")

    @transaction
    def verify(
        self,
        ctx: Context,
        project: str,
        version: str,
        artifacts: list[Any],
        reproduction: list[Any] | None = None,
        metrics: dict[str, Any] | None = None,
        method: str = "store",
    ) -> Result:
        """Record the digests an MLOps engineer recomputed; judge them and the criteria."""
        record = require_version(ctx.state, project, version)
        check_can_verify(ctx.state, project, version, ctx.creator)
        arguments.check_method(method)
        registered = {str(a["name"]): str(a["sha256"]) for a in record["artifacts"]}
        mismatches = _compare(registered, _digests(artifacts, "artifacts"), "artifacts")
        if reproduction is not None:
            mismatches += _compare(
                registered, _digests(reproduction, "reproduction"), "reproduction"
            )
        measured = final_metrics(record)
        if metrics is not None:
            if not isinstance(metrics, dict) or len(metrics) > 200:
                raise InvalidArgument("metrics must be an object of at most 200 numbers")
            measured = measured | metrics
        policy = project_policy(ctx.state, project)
        criteria = [
            {"ok": ok, "text": sentence} | c.to_json()
            for c in policy.criteria
            for ok, sentence in [c.holds(measured)]
        ]
        failed_criteria = [str(c["text"]) for c in criteria if not c["ok"]]
        ok = not mismatches and not failed_criteria
        verification: Record = {
            "ok": ok,
            "method": method,
            "mismatches": mismatches,
            "criteria": criteria,
            "metrics": measured,
            "artifacts": len(registered),
        } | stamp(ctx)
        ctx.state.put(f"{review_prefix(project, version)}verification", verification)
        result: dict[str, JSONValue] = {"ok": ok, "mismatches": mismatches, "criteria": criteria}  # type: ignore[dict-item]
        if mismatches:
            names = ", ".join(sorted({str(m["name"]) for m in mismatches}))
            reason = f"digest mismatch: {names}"
            result["transition"] = apply_transition(
                ctx, project, version, Status.REVIEW_FAILED, reason=reason
            )
            result["thread"] = _open_thread(
                ctx,
                project,
                version,
                f"Verification found {len(mismatches)} mismatching artifact(s): {names}. "
                "The author may answer here and register a corrected version that replaces this one.",
            )
        elif failed_criteria:
            reason = "acceptance criteria not met: " + "; ".join(failed_criteria)
            result["transition"] = apply_transition(
                ctx, project, version, Status.REVIEW_FAILED, reason=reason
            )
            result["thread"] = _open_thread(ctx, project, version, reason.capitalize() + ".")
        elif policy.auto_pass:
            try:
                check_transition(
                    ctx.state, project, version, Status.REVIEW_PASSED, Actor.of(ctx.creator)
                )
            except ContractError as error:
                result["waiting"] = error.message
            else:
                result["transition"] = apply_transition(
                    ctx,
                    project,
                    version,
                    Status.REVIEW_PASSED,
                    reason="verification and acceptance criteria hold",
                )
        return result

    @transaction
    def comment(
        self, ctx: Context, project: str, version: str, text: str, reply_to: str | None = None
    ) -> Result:
        """Comment on a version, or answer a comment (threads)."""
        require_version(ctx.state, project, version)
        require_member(ctx.state, project, ctx.creator, doing="comment", roles=WRITERS)
        body = arguments.COMMENT.check(text)
        thread = ctx.tx_id
        if reply_to is not None:
            parent = ctx.state.get(f"{review_prefix(project, version)}comment/{reply_to}")
            if not isinstance(parent, dict):
                raise InvalidArgument(f"there is no comment {reply_to} on version {version}")
            thread = str(parent["thread"])
        ctx.state.put(
            f"{review_prefix(project, version)}comment/{ctx.tx_id}",
            {"id": ctx.tx_id, "thread": thread, "reply_to": reply_to, "text": body, "system": False}
            | stamp(ctx),
        )
        return {"comment": ctx.tx_id, "thread": thread}

    @transaction
    def rate(self, ctx: Context, project: str, version: str, stars: int, note: str = "") -> Result:
        """Rate a version (``vocabulary.RATING_MIN`` to ``RATING_MAX`` stars); a later rating by
        the same member replaces theirs."""
        self._check_rater(ctx, project, version)
        arguments.check_stars(stars)
        key = f"{review_prefix(project, version)}rating/{ctx.creator.org}/{ctx.creator.id}"
        ctx.state.put(key, {"stars": stars, "note": arguments.RATING_NOTE.check(note)} | stamp(ctx))
        return {"version": version_ref(project, version), "stars": stars}

    def _check_rater(self, ctx: Context, project: str, version: str) -> None:
        # Version 1 let the author rate their own version: the blocks it ran must replay as
        # they ran, so that rule is version 2's (ReviewV2).
        require_version(ctx.state, project, version)
        require_member(ctx.state, project, ctx.creator, doing="rate versions", roles=WRITERS)

    @transaction
    def vote(
        self, ctx: Context, project: str, version: str, to: str, approve: bool, comment: str = ""
    ) -> Result:
        """Vote on moving a version to ``to``; the vote that completes the quorum moves it."""
        require_version(ctx.state, project, version)
        target = arguments.status_named(to)
        key = check_can_vote(ctx.state, project, version, ctx.creator, target)
        quorum = project_policy(ctx.state, project).approvals[target.value]
        ctx.state.put(
            key,
            {
                "approve": approve,
                "to": target.value,
                "comment": arguments.VOTE_COMMENT.check(comment),
            }
            | stamp(ctx),
        )
        approvers = approvals(ctx.state, project, version, target.value)
        count = len(approvers)
        result: dict[str, JSONValue] = {"approvals": count, "needed": quorum.count}
        missing = quorum.missing_orgs({org for org, _ in approvers})
        if quorum.orgs:
            result["orgs_needed"] = list(quorum.orgs)
        if approve and count >= quorum.count and missing:
            result["waiting"] = f"quorum waits for an approval from {', '.join(missing)}"
        elif approve and count >= quorum.count:
            try:
                check_transition(
                    ctx.state,
                    project,
                    version,
                    target,
                    Actor.of(ctx.creator),
                    reason=f"approved by {count} {role_plural(quorum.role)}",
                    by_vote=True,
                    details={"endpoint": "(by vote)"},
                )
            except ContractError as error:
                result["waiting"] = f"quorum reached; the move waits: {error.message}"
            else:
                result["transition"] = apply_transition(
                    ctx,
                    project,
                    version,
                    target,
                    reason=f"approved by {count} of {quorum.count} votes",
                )
        return result

    @transaction
    def attach_document(
        self, ctx: Context, project: str, version: str, name: str, sha256: str, uri: str = ""
    ) -> Result:
        """Attach a review document by its digest (the file stays in object storage)."""
        require_version(ctx.state, project, version)
        require_member(ctx.state, project, ctx.creator, doing="attach documents", roles=WRITERS)
        digest(sha256, "sha256")
        key = f"{review_prefix(project, version)}document/{sha256}"
        if ctx.state.get(key) is not None:
            raise Conflict(f"a document with digest {sha256[:12]}… is already attached")
        ctx.state.put(
            key,
            {
                "name": arguments.DOCUMENT_NAME.check(name),
                "sha256": sha256,
                "uri": arguments.DOCUMENT_URI.check(uri),
            }
            | stamp(ctx),
        )
        return {"document": sha256}

    @transaction
    def monitor(
        self,
        ctx: Context,
        project: str,
        version: str,
        status: str,
        metrics: dict[str, Any] | None = None,
        note: str = "",
        other: str = "",
    ) -> Result:
        """A monitoring report on a live version: a status from a fixed list, metrics and a note."""
        require_version(ctx.state, project, version)
        check_can_monitor(ctx.state, project, version, ctx.creator)
        arguments.check_monitoring(status, other)
        numbers = metrics or {}
        if not isinstance(numbers, dict) or any(
            isinstance(v, bool) or not isinstance(v, (int, float)) for v in numbers.values()
        ):
            raise InvalidArgument("metrics must map names to numbers")
        ctx.state.put(
            f"{review_prefix(project, version)}monitoring/{ctx.tx_id}",
            {
                "status": status,
                "other": other,
                "metrics": numbers,
                "note": arguments.MONITORING_NOTE.check(note),
            }
            | stamp(ctx),
        )
        return {"report": ctx.tx_id, "status": status}

    @query
    def reviews(self, ctx: QueryContext, project: str, version: str) -> Result:
        """Everything recorded in a version's review, grouped by kind."""
        require_version(ctx.state, project, version)
        grouped: dict[str, list[JSONValue]] = {}
        prefix = review_prefix(project, version)
        for key, value in ctx.state.scan(prefix):
            grouped.setdefault(review_kind(prefix, key), []).append(value)
        return grouped


Probe = Callable[[StateReader, str, str], None]


def action_probes(
    state: StateReader, project: str, version: str, who: Actor, current: Status
) -> list[tuple[str, calls.Call, Probe]]:
    """The review actions with checks mirroring the functions above, for "what may P do now?"."""

    def member_of(roles: tuple[str, ...], doing: str) -> Probe:
        def probe(state: StateReader, project: str, version: str) -> None:
            require_member(state, project, who, doing=doing, roles=roles)

        return probe

    def verify_probe(state: StateReader, project: str, version: str) -> None:
        check_can_verify(state, project, version, who)

    def rate_probe(state: StateReader, project: str, version: str) -> None:
        check_can_rate(state, project, version, who)

    def monitor_probe(state: StateReader, project: str, version: str) -> None:
        check_can_monitor(state, project, version, who)

    # Each action's call as far as it is known before the person fills in its form.
    args: dict[str, JSONValue] = {"project": project, "version": version}
    probes: list[tuple[str, calls.Call, Probe]] = [
        ("verify", calls.Call("review", "verify", args), verify_probe),
        ("comment", calls.Call("review", "comment", args), member_of(WRITERS, "comment")),
        ("rate", calls.Call("review", "rate", args), rate_probe),
        (
            "attach_document",
            calls.Call("review", "attach_document", args),
            member_of(WRITERS, "attach documents"),
        ),
        ("monitor", calls.Call("review", "monitor", args), monitor_probe),
    ]
    policy = project_policy(state, project)
    for rule in RULES:
        quorum = policy.approvals.get(rule.target.value)
        if rule.source != current or quorum is None:
            continue

        def vote_probe(
            state: StateReader, project: str, version: str, target: Status = rule.target
        ) -> None:
            check_can_vote(state, project, version, who, target)

        probes.append(
            (
                f"vote:{rule.target.value}",
                calls.Call("review", "vote", args | {"to": rule.target.value}),
                vote_probe,
            )
        )
    return probes


@confidential
class ReviewV2(Review):
    """Version 2: confidential (``contracts.access``: a tx naming a project its creator may
    not read is refused exactly as one naming a project that does not exist), and the author
    does not rate their own version (``check_can_rate``, which the "actions" query asks too).
    Channels made before keep version 1."""

    version = "2"
    legacy = False

    def _check_rater(self, ctx: Context, project: str, version: str) -> None:
        check_can_rate(ctx.state, project, version, ctx.creator)
