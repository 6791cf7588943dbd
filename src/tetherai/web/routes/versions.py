"""The version page and the page that creates a version.

- ``GET /projects/{org}/{slug}/versions/{version}[?compare=<version>|reproduction]``: metadata,
  the artifact table with each artifact's last verification result, experiments with their
  per-epoch charts and a comparison, the newest comments (``?comments=<cursor>``: the older
  ones), votes, ratings, monitoring reports, and a form for each action the contracts allow
  the signed-in person now (``workflow.actions``). It reads what it shows: a page of comments,
  the history entries that moved the version, and counts of the rest.
- ``POST …/versions/{version}/actions``: one action; refused with the contracts' reason when
  ``workflow.actions`` does not allow it (a forged form never reaches the ledger), else signed
  with the person's key. ``verify`` re-hashes the artifacts from the object store first.
- ``GET|POST /projects/{org}/{slug}/versions/new``: register a version from uploaded files
  (hashed while they stream into the object store) or object-store URIs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from tetherai.contracts import calls
from tetherai.contracts.errors import ContractError, InvalidTransition
from tetherai.errors import TetherError
from tetherai.http.auth import require_project_access
from tetherai.http.errors import ApiError, status_for
from tetherai.http.params import LogCursor
from tetherai.services.access import Visibility, filter_version, viewer_of
from tetherai.services.auth import UserInfo
from tetherai.services.history import history_total, lifecycle_history, version_roots
from tetherai.services.reviews import reviews_page
from tetherai.services.runtime import Runtime
from tetherai.services.txs import Signer
from tetherai.vocabulary import NEEDS_REASON, RATING_MAX, RATING_MIN, Status
from tetherai.web.i18n import gettext
from tetherai.web.pages import Form, PageForm, PageUser, error_page, redirect, render, runtime_of
from tetherai.web.routes._abilities import may_register
from tetherai.web.routes.version_create import upload_limit
from tetherai.web.version_view import (
    Comparison,
    allowed_actions,
    artifact_rows,
    comment_threads,
    compare_runs,
    lifecycle,
)

router = APIRouter(include_in_schema=False)  # pages: not in the API description

REPRODUCTION = "reproduction"


def version_url(project: str, version: str) -> str:
    return f"/projects/{project}/versions/{version}"


def _my_actions(rt: Runtime, user: UserInfo, project: str, version: str) -> list[dict[str, Any]]:
    """Every action on the version with whether I may take it now (the contracts' query)."""
    try:
        found = rt.peer.query(
            "workflow",
            "actions",
            {"project": project, "version": version, "org": user.org, "id": user.username},
        )
    except ContractError:  # not a participant of the ledger (e.g. a web-only account)
        return []
    return [a for a in found if isinstance(a, dict)] if isinstance(found, list) else []


def _get(rt: Runtime, project: str, version: str) -> dict[str, Any]:
    found = rt.peer.query("model_version", "get", {"project": project, "version": version})
    assert isinstance(found, dict)
    return found


def _comparison(
    rt: Runtime,
    project: str,
    version: str,
    record: dict[str, Any],
    compare: str,
    got: dict[str, Any],
) -> tuple[Comparison, str]:
    """The comparison asked for, and a notice when it cannot be made."""
    mine = record.get("experiments") or []
    if compare == REPRODUCTION:
        verification = got.get("verification")
        if not isinstance(verification, dict):
            return compare_runs(version, mine), gettext("No verification has been recorded yet.")
        label = gettext("reproduction (%(method)s)") % {"method": verification.get("method")}
        return compare_runs(
            version, mine, other_label=label, other_metrics=verification.get("metrics") or {}
        ), ""
    if compare and compare != version:
        try:
            other = _get(rt, project, compare)
        except TetherError:
            return compare_runs(version, mine), gettext(
                "Project %(project)s has no version %(version)s."
            ) % {"project": project, "version": compare}
        other_record = other.get("version") or {}
        return compare_runs(
            version,
            mine,
            other_label=compare,
            other_experiments=other_record.get("experiments") or [],
        ), ""
    return compare_runs(version, mine), ""


def _compare_choices(record: dict[str, Any], got: dict[str, Any], project: str) -> list[str]:
    """Versions worth comparing with: the one replaced, parents in this project, the replacement."""
    choices: list[str] = []
    if record.get("replaces"):
        choices.append(str(record["replaces"]))
    for parent in record.get("parents") or []:
        ref = str(parent.get("ref", ""))
        if ref.startswith(project + "/"):
            choices.append(ref.rsplit("/", 1)[1])
    replaced_by = got.get("replaced_by")
    if isinstance(replaced_by, dict) and replaced_by.get("version"):
        choices.append(str(replaced_by["version"]))
    return list(dict.fromkeys(choices))


def _comments_url(url: str, compare: str, cursor: int | None) -> str:
    """The page with the comments written before ``cursor`` (``None``: the newest)."""
    query = {"compare": compare} if compare else {}
    if cursor is not None:
        query["comments"] = str(cursor)
    return f"{url}?{urlencode(query)}#comments-title" if query else f"{url}#comments-title"


@router.get("/projects/{org}/{slug}/versions/{version}")
def version_page(
    request: Request,
    user: PageUser,
    org: str,
    slug: str,
    version: str,
    compare: str = "",
    comments: LogCursor = None,
) -> Response:
    rt = runtime_of(request)
    project = f"{org}/{slug}"
    require_project_access(rt, user, project)
    # Shown: references to other projects' versions only where the person may read them.
    got = filter_version(_get(rt, project, version), Visibility(rt.reader(), viewer_of(user)))
    record = got.get("version") or {}
    status = got.get("status") or {}
    verification = got.get("verification")
    # The newest comments (or those older than ``comments``), not every one ever written.
    reviews = reviews_page(rt.reader(), project, version, before=comments)
    comparison, compare_notice = _comparison(rt, project, version, record, compare, got)
    project_record = rt.peer.query("project", "get", {"project": project})
    project_name = project_record.get("name") if isinstance(project_record, dict) else None
    history = [e.to_json() for e in lifecycle_history(rt.reader(), project, version)]
    url = version_url(project, version)
    return render(
        request,
        "versions/version.html",
        project=project,
        project_name=project_name or project,
        version=version,
        record=record,
        status=status,
        verification=verification,
        replaced_by=got.get("replaced_by"),
        artifacts=artifact_rows(record.get("artifacts") or [], verification),
        experiments=record.get("experiments") or [],
        comparison=comparison,
        compare=compare,
        compare_notice=compare_notice,
        compare_choices=_compare_choices(record, got, project),
        threads=comment_threads(reviews.comments[::-1]),  # oldest first
        comment_count=reviews.comment_count,
        shown_comments=len(reviews.comments),
        older_comments=None if reviews.next is None else _comments_url(url, compare, reviews.next),
        newest_comments=None if comments is None else _comments_url(url, compare, None),
        votes=reviews.records.get("vote") or [],
        ratings=reviews.records.get("rating") or [],
        monitoring=reviews.records.get("monitoring") or [],
        documents=reviews.records.get("document") or [],
        actions=allowed_actions(_my_actions(rt, user, project, version)),
        may_register=may_register(rt, user, project)[0],
        url=url,
        life=lifecycle(history),
        history_count=history_total(rt.reader(), version_roots(project, version)),
    )


# --- actions --------------------------------------------------------------------------------


def _required(form: PageForm, name: str, label: str) -> str:
    value = form.get(name)
    if not value:
        raise ApiError(
            422, gettext("Fill in %(field)s.") % {"field": label}, code="request.invalid"
        )
    return value


def _call_for(
    rt: Runtime,
    form: PageForm,
    action: dict[str, Any],
    record: dict[str, Any],
    project: str,
    version: str,
) -> calls.Call:
    """The call of an allowed action with what the person typed into its form, built as the
    API and the SDK build it; the contracts judge what was typed."""
    name = str(action["action"])
    if name == "rollback":
        return calls.rollback(project, form.get("restore"), form.get("reason"))
    if name == "comment":
        reply_to = form.get("reply_to") or None
        return calls.comment(project, version, form.get("text"), reply_to=reply_to)
    if name == "rate":
        stars = form.get("stars")
        if not stars.isdigit():  # a number the contract then judges, as the API's body is
            raise ApiError(
                422,
                gettext("A rating is from %(low)d to %(high)d stars.")
                % {"low": RATING_MIN, "high": RATING_MAX},
                code="request.invalid",
            )
        return calls.rate(project, version, int(stars), note=form.get("note"))
    if name == "monitor":
        return calls.monitor(
            project, version, form.get("status"), note=form.get("note"), other=form.get("other")
        )
    if name.startswith("vote:"):
        approve = form.get("approve") == "yes"
        return calls.vote(project, version, name[5:], approve=approve, comment=form.get("comment"))
    if name == "verify":
        # Re-hash every artifact from the object store; the contract compares the digests.
        manifest = [a for a in record.get("artifacts") or [] if isinstance(a, dict)]
        report = rt.rehash(f"{project}/{version}", manifest)
        return calls.verify(project, version, report.recomputed(), method="store")
    # A step of the workflow (submit, start_review, …, decline): the query names its status.
    to = str(action.get("to") or "")
    details = {"endpoint": form.get("endpoint")} if to == Status.DEPLOYED else None
    reason = form.get("reason") if to in NEEDS_REASON else None
    return calls.transition(project, version, to, reason=reason, details=details)


def _done_message(name: str, tx_id: str, result: Any) -> str:
    if name == "verify" and isinstance(result, dict):
        if result.get("ok"):
            return gettext(
                "Verified: every artifact matches its registered digest (tx %(tx)s)."
            ) % {"tx": tx_id[:12]}
        names = ", ".join(sorted({str(m.get("name")) for m in result.get("mismatches") or []}))
        return gettext(
            "Verification failed: %(names)s differ from the registered digests; the review failed (tx %(tx)s)."
        ) % {"names": names or "-", "tx": tx_id[:12]}
    return gettext("Recorded on the ledger in tx %(tx)s.") % {"tx": tx_id[:12]}


def _allowed(
    request: Request, user: UserInfo, project: str, version: str, name: str
) -> dict[str, Any] | Response:
    """The action ``name`` if the contracts allow it to the person now, else the page saying
    why (a forged or stale form never reaches the ledger)."""
    rt = runtime_of(request)
    listed = {str(a.get("action")): a for a in _my_actions(rt, user, project, version)}
    action = listed.get(name)
    if action is not None and action.get("allowed"):
        return action
    if action is not None:  # refused as the tx would be: the contract's sentence and code
        refusal = TetherError(str(action.get("reason")), code=str(action.get("code")))
        reason = refusal.message
    else:
        refusal = InvalidTransition(
            gettext("there is no action %(action)s on this version now") % {"action": name}
        )
        reason = refusal.message
    return error_page(
        request,
        status_for(refusal),
        gettext("This action is not allowed: %(reason)s") % {"reason": reason},
        hint=gettext("The page shows only the actions you may take now; reload it."),
        code=refusal.code,
        back=version_url(project, version),
    )


@router.post("/projects/{org}/{slug}/versions/{version}/actions")
async def act_on_version(
    request: Request, form: Form, org: str, slug: str, version: str
) -> Response:
    # Async: the checks (ledger queries, re-hashing for "verify") run in the thread pool and
    # the wait for the block holds no worker thread.
    rt = runtime_of(request)
    project = f"{org}/{slug}"
    user = form.user
    await run_in_threadpool(require_project_access, rt, user, project)
    url = version_url(project, version)
    name = form.get("action")
    action = await run_in_threadpool(_allowed, request, user, project, version, name)
    if isinstance(action, Response):
        return action
    try:
        signer, call = await run_in_threadpool(_prepare, rt, form, project, version, action)
        result = await rt.act_async(signer, call.contract, call.fn, call.args)
    except TetherError as error:
        return error_page(
            request, status_for(error), error.message, hint=error.hint, code=error.code, back=url
        )
    failed = name == "verify" and isinstance(result.result, dict) and not result.result.get("ok")
    return redirect(
        request,
        url,
        flash=_done_message(name, result.tx_id, result.result),
        kind="error" if failed else "success",  # recorded, but the review failed: say it loudly
        tx=result.tx_id,
    )


def _prepare(
    rt: Runtime, form: PageForm, project: str, version: str, action: dict[str, Any]
) -> tuple[Signer, calls.Call]:
    """The person's key and the call of an allowed action (``verify`` re-hashes the artifacts)."""
    record = _get(rt, project, version).get("version") or {}
    return form.signer(), _call_for(rt, form, action, record, project, version)


def _document_args(rt: Runtime, form: PageForm, upload: Any) -> dict[str, Any]:
    """A review document: an uploaded file (stored and hashed here), or a digest and URI of
    a file kept elsewhere."""
    if isinstance(upload, UploadFile) and upload.filename:
        upload.file.seek(0)
        stored = rt.artifacts.store.put(upload.file)
        return {
            "name": form.get("name") or upload.filename,
            "sha256": stored.sha256,
            "uri": stored.uri,
        }
    if not form.get("sha256"):
        raise ApiError(
            422,
            gettext("Choose the document's file (or give the SHA-256 of a file stored elsewhere)."),
            code="request.invalid",
        )
    return {
        "name": _required(form, "name", gettext("the document's name")),
        "sha256": form.get("sha256").lower(),
        "uri": form.get("uri"),
    }


@router.post(
    "/projects/{org}/{slug}/versions/{version}/documents", dependencies=[Depends(upload_limit)]
)
async def attach_document(
    request: Request, form: Form, org: str, slug: str, version: str
) -> Response:
    """Attach a review document by uploading it (or by the digest of a file kept elsewhere)."""
    rt = runtime_of(request)
    project = f"{org}/{slug}"
    url = version_url(project, version)
    form_data = await request.form()  # parsed once by the CSRF check; the file included
    try:
        require_project_access(rt, form.user, project)
        action = _allowed(request, form.user, project, version, "attach_document")
        if isinstance(action, Response):
            return action
        document = await run_in_threadpool(_document_args, rt, form, form_data.get("file"))
        call = calls.attach_document(
            project, version, document["name"], document["sha256"], uri=document["uri"]
        )
        result = await rt.act_async(form.signer(), call.contract, call.fn, call.args)
    except TetherError as error:
        return error_page(
            request, status_for(error), error.message, hint=error.hint, code=error.code, back=url
        )
    finally:
        await form_data.close()
    return redirect(
        request,
        url + "#documents",
        flash=gettext("Document %(name)s attached in tx %(tx)s.")
        % {"name": document["name"], "tx": result.tx_id[:12]},
        tx=result.tx_id,
    )
