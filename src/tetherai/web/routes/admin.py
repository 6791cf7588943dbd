"""Admin pages (org admins only): orgs, people and roles, invitations, enable/disable,
password resets, the activity log. Every change is the API's own use case
(``services.accounts``), so the same checks and the same ledger txs (invite, revoke) happen."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from tetherai.contracts.transitions import RULES
from tetherai.errors import TetherError
from tetherai.http.bodies import InviteIn, link_json
from tetherai.http.errors import status_for
from tetherai.http.params import RowId
from tetherai.identity.roles import Role
from tetherai.web.i18n import gettext as _
from tetherai.web.pages import (
    AdminForm,
    PageAdmin,
    PageForm,
    attempt_write,
    error_page,
    render,
    runtime_of,
)

router = APIRouter(include_in_schema=False)  # pages: not in the API description
USERS_PAGE = 100


def _channel_orgs(request: Request) -> list[dict[str, Any]]:
    """The orgs enrolled on the channel and how many participants of each role they have."""
    counts: dict[str, Counter[str]] = {}
    for key, value in runtime_of(request).reader().scan("membership/participant/"):
        org = key.split("/")[2]
        role = str(value.get("role", "")) if isinstance(value, dict) else ""
        counts.setdefault(org, Counter())[role] += 1
    return [{"org": org, "roles": dict(sorted(c.items()))} for org, c in sorted(counts.items())]


@router.get("/admin")
def admin_home(request: Request, admin: PageAdmin, offset: int = 0) -> Response:
    rt = runtime_of(request)
    offset = max(offset, 0)
    users = rt.auth.list_users(admin.org, viewer=admin, limit=USERS_PAGE + 1, offset=offset)
    return render(
        request,
        "admin/index.html",
        users=users[:USERS_PAGE],
        more=len(users) > USERS_PAGE,
        offset=offset,
        page_size=USERS_PAGE,
        orgs=_channel_orgs(request),
        roles=[r.value for r in Role],
        role_actions=_role_actions(),
    )


def _role_actions() -> dict[str, list[str]]:
    """Which version moves each role makes, read from the workflow's rules themselves."""
    found: dict[str, list[str]] = {role.value: [] for role in Role}
    for rule in RULES:
        if rule.action not in found[rule.role]:
            found[rule.role].append(rule.action)
    return found


@router.get("/admin/activity")
def activity(request: Request, admin: PageAdmin, before: RowId | None = None) -> Response:
    page = runtime_of(request).auth.list_activity(admin, limit=50, before=before)
    return render(
        request, "admin/activity.html", entries=page.entries, next_before=page.next_before
    )


async def _secret(
    request: Request, form: PageForm, run: Callable[[], Awaitable[dict[str, Any]]], kind: str
) -> Response:
    """Run an admin action that hands out a one-time token and show the token once (201);
    the wait for its tx's block holds no worker thread."""
    try:
        issued = await run()
    except ValidationError:
        return error_page(
            request,
            422,
            _("Give a username (1-64 characters), one of the roles and an e-mail address."),
            code="request.invalid",
            back="/admin#invite",
        )
    except TetherError as error:
        return error_page(
            request,
            status_for(error),
            error.message,
            hint=error.hint,
            code=error.code,
            back="/admin",
        )
    path = "/accept" if kind == "invitation" else "/reset"
    token = issued["token"]
    return render(
        request,
        "admin/token.html",
        http_status=201,
        kind=kind,
        token=token,
        sent_to=issued["sent_to"],
        person=issued["user"],
        expires_at=issued["expires_at"],
        # shown to the admin who asked, on this very site (e-mailed links use TETHER_PUBLIC_URL)
        link=None if token is None else f"{str(request.base_url).rstrip('/')}{path}?token={token}",
    )


@router.post("/admin/invitations")
async def invite_person(request: Request, form: AdminForm) -> Response:
    async def run() -> dict[str, Any]:
        body = InviteIn.model_validate(
            {
                "username": form.get("username"),
                "role": form.get("role"),
                "display_name": form.get("display_name") or None,
                "email": form.get("email") or None,
            }
        )
        issued = await runtime_of(request).accounts.invite(
            await run_in_threadpool(form.signer),
            form.session.user,
            body.username,
            body.role,
            display_name=body.display_name,
            email=body.email or None,
        )
        return link_json(issued)

    return await _secret(request, form, run, "invitation")


@router.post("/admin/users/{user_id}/password-reset")
async def reset_person(request: Request, form: AdminForm, user_id: RowId) -> Response:
    async def run() -> dict[str, Any]:
        signer = await run_in_threadpool(form.signer)
        return link_json(await runtime_of(request).accounts.reset(signer, form.user, user_id))

    return await _secret(request, form, run, "reset")


async def _set_enabled(request: Request, form: PageForm, user_id: int, enabled: bool) -> object:
    signer = await run_in_threadpool(form.signer)
    return await runtime_of(request).accounts.set_enabled(signer, form.user, user_id, enabled)


@router.post("/admin/users/{user_id}/disable")
async def disable_person(request: Request, form: AdminForm, user_id: RowId) -> Response:
    return await attempt_write(
        request,
        lambda: _set_enabled(request, form, user_id, False),
        done="/admin#people",
        message=_("Account disabled: its sessions and tokens ended and its keys are revoked."),
        back="/admin#people",
    )


@router.post("/admin/users/{user_id}/enable")
async def enable_person(request: Request, form: AdminForm, user_id: RowId) -> Response:
    return await attempt_write(
        request,
        lambda: _set_enabled(request, form, user_id, True),
        done="/admin#people",
        message=_("Account enabled: a new key is made when the person signs in."),
        back="/admin#people",
    )
