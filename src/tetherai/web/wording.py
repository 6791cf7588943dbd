"""What happened, in words people read: "bob passed the review", not ``workflow.transition``.

One home for the plain-language names the pages give to version statuses, roles and the txs
of the ledger (activity lists, audit trails, the version's timeline, notifications). Every
sentence is in the translation catalog; names of people, versions and contract functions are
marked ``translate="no"`` so a reader (and the test that looks for untranslated text) can tell
them from prose. The contract function itself stays on the page as a secondary detail for
auditors (``contract_detail``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from markupsafe import Markup, escape

from tetherai.web.escaping import fill
from tetherai.web.i18n import current_language
from tetherai.web.i18n import gettext as _

__all__ = [
    "action_button",
    "action_text",
    "contract_detail",
    "describe",
    "describe_tx",
    "label",
    "name",
    "notification_text",
    "quoted",
    "role_text",
    "status_text",
]


_Table = TypeVar("_Table")


def _per_language(build: Callable[[], _Table]) -> Callable[[], _Table]:
    """``build``'s table of sentences in the reader's language, built once per language (a
    page words dozens of txs; each table is a few dozen catalog look-ups). Read only."""
    tables: dict[str, _Table] = {}

    def table() -> _Table:
        language = current_language()
        found = tables.get(language)
        if found is None:
            found = tables[language] = build()
        return found

    return table


@_per_language
def _statuses() -> dict[str, str]:
    return {
        "draft": _("Draft"),
        "submitted": _("Submitted"),
        "reviewing": _("In review"),
        "review_passed": _("Review passed"),
        "review_failed": _("Review failed"),
        "deployed": _("Deployed"),
        "qa": _("QA"),
        "production": _("Production"),
        "monitoring": _("Monitoring"),
        "complete": _("Complete"),
        "declined": _("Declined"),
        "rolled_back": _("Rolled back"),
    }


@_per_language
def _roles() -> dict[str, str]:
    return {
        "org_admin": _("Org admin"),
        "ai_engineer": _("AI engineer"),
        "mlops_engineer": _("MLOps engineer"),
        "stakeholder": _("Stakeholder"),
        "auditor": _("Auditor"),
        "operator": _("Operator"),
    }


@_per_language
def _labels() -> dict[str, dict[str, str]]:
    return {
        "kind": {
            "train_dataset": _("training data"),
            "test_dataset": _("test data"),
            "model": _("model"),
            "log": _("log"),
            "code": _("code"),
            "report": _("report"),
            "other": _("other"),
        },
        "digest": {
            "registered": _("registered"),
            "recomputed": _("recomputed"),
            "reproduced": _("reproduced"),
            "document": _("document"),
            "mismatch": _("differs"),
        },
        "monitoring": {
            "active": _("active"),
            "degraded_accuracy": _("degraded accuracy"),
            "data_drift": _("data drift"),
            "bias_detected": _("bias detected"),
            "outage": _("outage"),
            "overfitting": _("overfitting"),
            "underfitting": _("underfitting"),
            "no_longer_used": _("no longer used"),
            "other": _("other"),
        },
        "method": {
            "store": _("re-hashed from the object store"),
            "local": _("re-hashed from a local copy"),
            "rerun": _("re-run and compared"),
        },
        "relation": {
            "replaces": _("replaces"),
            "fine_tuned_from": _("fine-tuned from"),
            "derived_from": _("derived from"),
            "reproduces": _("reproduces"),
        },
    }


def label(group: str, value: object) -> str:
    """A word of a fixed list as people say it: ``label("kind", "train_dataset")`` is
    "training data" (groups: kind, digest, monitoring, method, relation); unknown values
    are shown as they are."""
    return _labels().get(group, {}).get(str(value), str(value or "").replace("_", " "))


def status_text(status: str | None) -> str:
    """A version status as people say it ("In review"); an unknown one as it is."""
    return _statuses().get(str(status), str(status or ""))


def role_text(role: str | None) -> str:
    return _roles().get(str(role), str(role or ""))


# These are called many times a page (see ``escaping.fill``).
def name(value: object, *, title: str = "") -> Markup:
    """A name (a person, a version, a project): shown as it is, never translated."""
    if title:
        return fill('<span class="name" translate="no" title="{}">{}</span>', title, value)
    return fill('<span class="name" translate="no">{}</span>', value)


def quoted(text: object) -> Markup:
    """Words someone wrote (a comment, a reason the ledger recorded): quoted as they are."""
    return fill('<q class="said" translate="no">{}</q>', text)


def contract_detail(action: str) -> Markup:
    """The contract function behind a sentence, for auditors (e.g. ``workflow.transition``)."""
    return fill('<code class="contract" translate="no">{}</code>', action)


@_per_language
def _action_names() -> dict[str, str]:
    return {
        "submit": _("Submit"),
        "start_review": _("Start the review"),
        "pass_review": _("Pass the review"),
        "fail_review": _("Fail the review"),
        "deploy": _("Deploy"),
        "start_qa": _("Start QA"),
        "promote": _("Put into production"),
        "start_monitoring": _("Start monitoring"),
        "complete": _("Complete"),
        "decline": _("Decline"),
        "verify": _("Verify the artifacts"),
    }


def action_text(action: str) -> str:
    """A workflow action in a list of what someone may do ("Start the review"); an unknown
    one as it is."""
    return _action_names().get(action, action)


@_per_language
def _action_buttons() -> dict[str, str]:
    return {
        "submit": _("Submit for review"),
        "start_review": _("Start the review"),
        "verify": _("Verify (re-hash the artifacts from the object store)"),
        "pass_review": _("Pass the review"),
        "fail_review": _("Fail the review"),
        "deploy": _("Deploy"),
        "start_qa": _("Move to QA"),
        "promote": _("Put into production"),
        "start_monitoring": _("Start monitoring"),
        "monitor": _("Report on monitoring"),
        "complete": _("Complete"),
        "decline": _("Decline"),
        "rollback": _("Roll back production"),
        "comment": _("Comment"),
        "rate": _("Rate"),
        "attach_document": _("Attach a document"),
    }


def action_button(action: str) -> str | None:
    """The words on the button of an action's form on the version page (``None``: an action
    without a button of its own, such as a vote)."""
    return _action_buttons().get(action)


# Sentences for a move to each status, whichever tx made it (a transition, a verification
# that failed the review, the vote that reached the quorum, a rollback).
@_per_language
def _moves() -> dict[str, str]:
    return {
        "submitted": _("%(who)s submitted it for review"),
        "reviewing": _("%(who)s started the review"),
        "review_passed": _("%(who)s passed the review"),
        "review_failed": _("%(who)s failed the review"),
        "deployed": _("%(who)s deployed it"),
        "qa": _("%(who)s moved it to QA"),
        "production": _("%(who)s put it into production"),
        "monitoring": _("%(who)s started monitoring it"),
        "complete": _("%(who)s completed it"),
        "declined": _("%(who)s declined it"),
        "rolled_back": _("%(who)s rolled it back"),
    }


@_per_language
def _actions() -> dict[str, str]:
    return {
        "model_version.create": _("%(who)s registered it"),
        "model_version.update": _("%(who)s changed the draft"),
        "model_version.submit": _("%(who)s submitted it for review"),
        "review.verify": _("%(who)s verified the artifacts"),
        "review.comment": _("%(who)s commented"),
        "review.rate": _("%(who)s rated it"),
        "review.vote": _("%(who)s voted"),
        "review.attach_document": _("%(who)s attached a document"),
        "review.monitor": _("%(who)s reported on monitoring"),
        "workflow.rollback": _("%(who)s rolled back production"),
        "project.create": _("%(who)s created the project"),
        "project.update": _("%(who)s changed the project's details"),
        "project.add_member": _("%(who)s added a member"),
        "project.remove_member": _("%(who)s removed a member"),
        "project.set_factsheet": _("%(who)s updated the factsheet"),
        "project.set_policy": _("%(who)s changed the policy"),
        "membership.bootstrap": _("%(who)s set up the network"),
        "membership.invite": _("%(who)s invited someone"),
        "membership.accept_invitation": _("%(who)s accepted an invitation and joined"),
        "membership.enroll": _("%(who)s enrolled a participant"),
        "membership.add_key": _("%(who)s added a signing key"),
        "membership.revoke": _("%(who)s revoked a certificate"),
        "membership.add_org": _("%(who)s added an organisation"),
        "membership.add_peer": _("%(who)s added a peer"),
        "membership.upgrade_contract": _("%(who)s upgraded a contract"),
        "notary.notarize": _("%(who)s notarized a digest"),
    }


# A tx that moved the version as a consequence of something else says both.
@_per_language
def _consequences() -> dict[tuple[str, str], str]:
    return {
        ("model_version.create", "submitted"): _(
            "%(who)s registered it and submitted it for review"
        ),
        ("review.verify", "review_failed"): _(
            "%(who)s verified the artifacts: they differ, so the review failed"
        ),
        ("review.verify", "review_passed"): _(
            "%(who)s verified the artifacts and the review passed by itself"
        ),
        ("workflow.rollback", "production"): _("%(who)s put it back into production in a rollback"),
    }


def describe(
    action: str,
    who: object,
    *,
    org: str = "",
    before: str | None = None,
    after: str | None = None,
) -> Markup:
    """One tx in words: ``describe("workflow.transition", "bob", after="review_passed")`` is
    "bob passed the review". ``before``/``after`` are the version's statuses around the tx
    (``after`` None when it did not move the version)."""
    person = name(who, title=f"{who}@{org}" if org else "")
    template = None
    if after and after != before:
        template = _consequences().get((action, after))
        if template is None and action == "review.vote":
            template = _("%(who)s voted, and the votes moved it to %(status)s")
            return escape(template) % {"who": person, "status": status_text(after)}
        if template is None:
            template = _moves().get(after)
    if template is None:
        template = _actions().get(action)
    if template is None:
        return escape(_("%(who)s called %(function)s")) % {
            "who": person,
            "function": contract_detail(action),
        }
    return escape(template) % {"who": person}


def describe_tx(tx: Mapping[str, object]) -> Markup:
    """A tx as signed (``{contract, fn, args, creator}``), in words, when only the tx is at
    hand (not the statuses it moved): a transition says where it moved to."""
    action = f"{tx.get('contract')}.{tx.get('fn')}"
    args = tx.get("args") if isinstance(tx.get("args"), Mapping) else {}
    creator = tx.get("creator") if isinstance(tx.get("creator"), Mapping) else {}
    assert isinstance(args, Mapping) and isinstance(creator, Mapping)
    after = None
    if action == "workflow.transition":
        after = str(args.get("to") or "") or None
    elif action == "model_version.create" and args.get("submit"):
        after = "submitted"
    return describe(action, creator.get("id", ""), org=str(creator.get("org", "")), after=after)


def notification_text(kind: str, detail: Mapping[str, object] | None, fallback: str) -> Markup:
    """A notification in the reader's language, from its ``detail`` (older rows without one
    keep the English text they were stored with)."""
    if kind == "keys_changed":  # about the reader's own keys (``services.accounts``)
        return keys_changed_text(detail, fallback)
    if not detail:
        return Markup('<span lang="en">{}</span>').format(fallback)
    who = detail.get("by") or ""
    org = str(detail.get("org") or "")
    if kind == "commented":
        if detail.get("system"):
            said = escape(_("The ledger noted on it"))
        else:
            said = escape(_("%(who)s commented")) % {"who": name(who, title=f"{who}@{org}")}
        return said + Markup(": ") + quoted(detail.get("comment") or "")
    before = detail.get("before")
    after = detail.get("after")
    sentence = describe(
        str(detail.get("action") or ""),
        who,
        org=org,
        before=None if before is None else str(before),
        after=None if after is None else str(after),
    )
    reason = detail.get("reason")
    if reason:
        return sentence + Markup(" — ") + quoted(reason)
    return sentence


def keys_changed_text(detail: Mapping[str, object] | None, fallback: str) -> Markup:
    """A notice about the reader's own keys (replaced after a reset, revoked, re-enabled)."""
    event = (detail or {}).get("event")
    by = str((detail or {}).get("by") or "")
    texts = {
        "reset": _(
            "%(who)s reset your password: every key of yours is revoked; set a new password "
            "with the link you were given to get a new one."
        ),
        "replaced": _(
            "A new key of yours was enrolled after a password reset authorized by %(who)s. If "
            "you did not set a new password, tell another org admin now."
        ),
        "enabled": _(
            "%(who)s enabled your account again: a new key is made for you when you sign in; "
            "register your CLI keys again."
        ),
    }
    text = texts.get(str(event))
    if text is None:
        return Markup('<span lang="en">{}</span>').format(fallback)
    return escape(text) % {"who": name(by, title=by)}
