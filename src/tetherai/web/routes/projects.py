"""Projects: the list (search and filters), a project's page, and its forms.

A form is shown only when the contracts would accept it from this person (``project.abilities``
and the creators of ``project.create``); the server still lets the contracts decide every post.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from tetherai.contracts import calls
from tetherai.contracts.policy import DEFAULT_POLICY
from tetherai.contracts.project import CREATORS, FACTSHEET_TEXTS
from tetherai.http.auth import require_project_access
from tetherai.http.errors import ApiError
from tetherai.ledger.executor import TxResult
from tetherai.services.access import readable_projects, viewer_of
from tetherai.services.auth import UserInfo
from tetherai.services.db import SessionFactory
from tetherai.services.overview import project_rows, project_versions
from tetherai.services.runtime import Runtime
from tetherai.vocabulary import PROJECT_ROLES, Status
from tetherai.web.i18n import gettext as _
from tetherai.web.pages import Form, PageUser, attempt_write, render, runtime_of
from tetherai.web.policy_form import policy_from_form, policy_rows

router = APIRouter(include_in_schema=False)  # pages: not in the API description
PAGE_SIZE = 50


def projections(rt: Runtime) -> SessionFactory:
    if rt.projections is None:
        raise ApiError(503, "the service database is not open", code="server.unavailable")
    return rt.projections


def readable(rt: Runtime, user: UserInfo) -> set[str]:
    return readable_projects(rt.reader(), viewer_of(user))


def _ref(org: str, slug: str) -> str:
    return f"{org}/{slug}"


def _url(org: str, slug: str) -> str:
    return f"/projects/{org}/{slug}"


@router.get("/projects")
def project_list(
    request: Request,
    user: PageUser,
    org: str = "",
    status: str = "",
    q: str = "",
) -> Response:
    rt = runtime_of(request)
    visible = readable(rt, user)
    rows = project_rows(
        projections(rt),
        visible,
        org=org.strip(),
        status=status if status in set(Status) else "",
        text=q.strip(),
    )
    orgs = sorted({ref.split("/", 1)[0] for ref in visible})
    return render(
        request,
        "projects/list.html",
        projects=rows,
        orgs=orgs,
        filters={"org": org, "status": status, "q": q},
        can_create=user.role in CREATORS,
    )


@router.post("/projects")
async def create_project(request: Request, form: Form) -> Response:
    call = calls.create_project(
        form.get("name"), domain=form.get("domain"), details=form.get("details")
    )
    created: dict[str, Any] = {}

    async def run() -> TxResult:
        result = await form.act(call)
        created.update(result.result if isinstance(result.result, dict) else {})
        return result

    response = await attempt_write(
        request, run, done="/projects", message=_("Project created."), back="/projects"
    )
    ref = created.get("project")
    if isinstance(ref, str) and response.status_code == 303:
        response.headers["location"] = "/projects/" + ref
    return response


def _abilities(rt: Runtime, user: UserInfo, ref: str) -> dict[str, bool]:
    found = rt.peer.query(
        "project", "abilities", {"project": ref, "org": user.org, "id": user.username}
    )
    if not isinstance(found, dict):
        return {}
    return {
        name: bool(isinstance(value, dict) and value.get("allowed"))
        for name, value in found.items()
    }


def _candidates(rt: Runtime, members: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Enrolled participants who could be added (project roles, not members yet)."""
    taken = {(m.get("org"), m.get("id")) for m in members}
    found = rt.peer.query("membership", "participants", {})
    people: dict[tuple[str, str], dict[str, str]] = {}
    for record in found if isinstance(found, list) else []:
        if not isinstance(record, dict) or record.get("revoked"):
            continue
        key = (str(record.get("org", "")), str(record.get("id", "")))
        if key in taken or record.get("role") not in PROJECT_ROLES:
            continue
        people[key] = {"org": key[0], "id": key[1], "role": str(record.get("role"))}
    return sorted(people.values(), key=lambda p: (p["org"], p["id"]))


@router.get("/projects/{org}/{slug}")
def project_page(
    request: Request, user: PageUser, org: str, slug: str, status: str = "", page: int = 1
) -> Response:
    rt = runtime_of(request)
    ref = _ref(org, slug)
    require_project_access(rt, user, ref)
    found = rt.peer.query("project", "get", {"project": ref})
    assert isinstance(found, dict)
    listed = found.get("members")
    members = [m for m in listed if isinstance(m, dict)] if isinstance(listed, list) else []
    page = max(page, 1)
    chosen = status if status in set(Status) else ""
    versions, total = project_versions(
        projections(rt), ref, status=chosen, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    abilities = _abilities(rt, user, ref)
    stored = found.get("policy")
    policy: dict[str, Any] = stored if isinstance(stored, dict) else DEFAULT_POLICY.to_json()
    me = next(
        (m for m in members if m.get("org") == user.org and m.get("id") == user.username), None
    )

    def page_url(number: int) -> str:
        return f"{_url(org, slug)}?" + urlencode({"status": chosen, "page": number})

    return render(
        request,
        "projects/project.html",
        ref=ref,
        url=_url(org, slug),
        project=found.get("project") or {},
        factsheet=found.get("factsheet") or {},
        policy=policy,
        policy_form=policy_rows(policy),
        default_policy=not found.get("policy"),
        members=members,
        versions=versions,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        page_url=page_url,
        status=chosen,
        can_manage=abilities.get("manage", False),
        can_edit_factsheet=abilities.get("set_factsheet", False),
        can_create_version=bool(me and me.get("role") == "ai_engineer"),
        candidates=_candidates(rt, members) if abilities.get("manage") else [],
        factsheet_fields=list(FACTSHEET_TEXTS),
    )


@router.post("/projects/{org}/{slug}/edit")
async def edit_project(request: Request, form: Form, org: str, slug: str) -> Response:
    call = calls.update_project(
        _ref(org, slug),
        name=form.optional("name"),
        domain=form.optional("domain"),
        details=form.optional("details"),
    )
    url = _url(org, slug)
    return await attempt_write(
        request,
        lambda: form.act(call),
        done=url,
        message=_("Project changed."),
        back=url,
    )


@router.post("/projects/{org}/{slug}/members")
async def add_member(request: Request, form: Form, org: str, slug: str) -> Response:
    member = form.get("member")  # "<org>/<id>" from the list, or the two fields
    member_org, _sep, member_id = (
        member.partition("/") if member else (form.get("org"), "", form.get("id"))
    )
    call = calls.add_member(_ref(org, slug), member_org, member_id)
    url = _url(org, slug)
    return await attempt_write(
        request,
        lambda: form.act(call),
        done=url + "#members",
        message=_("Member added."),
        back=url,
    )


@router.post("/projects/{org}/{slug}/members/remove")
async def remove_member(request: Request, form: Form, org: str, slug: str) -> Response:
    call = calls.remove_member(_ref(org, slug), form.get("org"), form.get("id"), form.get("reason"))
    url = _url(org, slug)
    return await attempt_write(
        request,
        lambda: form.act(call),
        done=url + "#members",
        message=_("Member removed."),
        back=url,
    )


@router.post("/projects/{org}/{slug}/factsheet")
async def set_factsheet(request: Request, form: Form, org: str, slug: str) -> Response:
    rt = runtime_of(request)
    ref = _ref(org, slug)
    url = _url(org, slug)

    def factsheet() -> dict[str, Any]:
        # Contacts and documents are kept as they are: this form edits the texts.
        require_project_access(rt, form.user, ref)
        current = rt.peer.query("project", "get", {"project": ref})
        found = current.get("factsheet") if isinstance(current, dict) else None
        kept = {"key_contacts", "documents"}
        sheet: dict[str, Any] = (
            {k: v for k, v in found.items() if k in kept} if isinstance(found, dict) else {}
        )
        sheet.update({name: form.get(name) for name in FACTSHEET_TEXTS})
        return sheet

    async def run() -> TxResult:
        sheet = await run_in_threadpool(factsheet)
        return await form.act(calls.set_factsheet(ref, sheet))

    return await attempt_write(
        request, run, done=url + "#factsheet", message=_("Factsheet saved."), back=url
    )


@router.post("/projects/{org}/{slug}/policy")
async def set_policy(request: Request, form: Form, org: str, slug: str) -> Response:
    ref = _ref(org, slug)
    url = _url(org, slug)
    return await attempt_write(
        request,
        lambda: form.act(calls.set_policy(ref, policy_from_form(form))),
        done=url + "#policy",
        message=_("Policy saved."),
        back=url + "#policy",
    )
