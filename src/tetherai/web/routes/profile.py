"""My profile: who I am, my keys (the web key and my CLI/SDK keys, as the ledger records
them), my API tokens, my e-mail address, my language."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from tetherai.errors import TetherError
from tetherai.http.bodies import TokenIn, issued_token_json
from tetherai.http.errors import status_for
from tetherai.http.params import RowId
from tetherai.services import keys
from tetherai.services.auth import MIN_PASSWORD_LENGTH, UserInfo
from tetherai.web.i18n import LANGUAGES, language_for, use_language
from tetherai.web.i18n import gettext as _
from tetherai.web.pages import (
    Form,
    PageUser,
    attempt,
    attempt_write,
    error_page,
    redirect,
    render,
    runtime_of,
)
from tetherai.web.routes.account import set_language_cookie

router = APIRouter(include_in_schema=False)  # pages: not in the API description


def _profile(request: Request, user: UserInfo, *, status: int = 200, **extra: Any) -> Response:
    rt = runtime_of(request)
    return render(
        request,
        "account/profile.html",
        http_status=status,
        keys=keys.list_keys(rt, rt.custody, user),
        tokens=rt.auth.list_api_tokens(user),
        new_token=extra.get("new_token"),
        min_length=MIN_PASSWORD_LENGTH,
        max_token_days=rt.settings.api_token_days,
    )


@router.get("/profile")
def profile(request: Request, user: PageUser) -> Response:
    return _profile(request, user)


@router.post("/profile/tokens")
def new_token(request: Request, form: Form) -> Response:
    """Create an API token; it is shown in this answer only (never stored, never redirected)."""
    days = form.get("expires_in_days")
    try:
        body = TokenIn(name=form.get("name"), expires_in_days=int(days) if days else None)
        issued = issued_token_json(
            runtime_of(request).auth.issue_api_token(
                form.session.user, body.name, body.expires_in_days
            )
        )
    except (ValidationError, ValueError):
        return error_page(
            request,
            422,
            _("Give the token a name (1-100 characters) and a lifetime in days."),
            code="request.invalid",
            back="/profile#tokens",
        )
    except TetherError as error:
        return error_page(
            request, status_for(error), error.message, hint=error.hint, back="/profile#tokens"
        )
    return _profile(request, form.user, status=201, new_token=issued)


@router.post("/profile/tokens/{token_id}/revoke")
def revoke(request: Request, form: Form, token_id: RowId) -> Response:
    return attempt(
        request,
        lambda: runtime_of(request).auth.revoke_api_token(token_id, by=form.user),
        done="/profile#tokens",
        message=_("Token revoked."),
        back="/profile#tokens",
    )


@router.post("/profile/language")
def save_language(request: Request, form: Form) -> Response:
    """Save the person's language (it follows them to every browser they sign in from)."""
    chosen = form.get("language")
    language = chosen if chosen in LANGUAGES else None  # "": the browser's language
    runtime_of(request).auth.set_language(form.user, language)
    use_language(language or language_for(None, request.headers.get("accept-language")))
    response = redirect(request, "/profile", flash=_("Language saved."))
    set_language_cookie(response, language)
    return response


@router.post("/profile/password")
def change_password(request: Request, form: Form) -> Response:
    """Change my password knowing the old one: my key is re-sealed under the new one and every
    session of mine ends, so I sign in again."""
    new = form.fields.get("password", "")
    if new != form.fields.get("confirm", ""):
        return error_page(
            request, 422, _("The two passwords differ."), code="request.invalid", back="/profile"
        )
    ip = request.client.host if request.client else None
    rt = runtime_of(request)
    return attempt(
        request,
        lambda: rt.auth.change_password(form.user, form.fields.get("old_password", ""), new, ip=ip),
        done="/signin",
        message=_("Your password is changed: sign in with the new one."),
        back="/profile#password",
    )


@router.post("/profile/keys/{cert_sha256}/revoke")
async def revoke_key(request: Request, form: Form, cert_sha256: str) -> Response:
    """Revoke one of my CLI/SDK keys (signed with my web key); my other keys keep working."""
    rt = runtime_of(request)
    reason = form.get("reason") or "revoked by its holder"

    async def revoke() -> str:
        signer = await run_in_threadpool(form.signer)
        return await keys.revoke_key(rt, rt.custody, signer, form.user, cert_sha256, reason)

    return await attempt_write(
        request,
        revoke,
        done="/profile#keys",
        message=_("Key revoked."),
        back="/profile#keys",
    )


@router.post("/profile/email")
def save_email(request: Request, form: Form) -> Response:
    """Set my e-mail address (password resets go there), confirmed with my password."""
    rt = runtime_of(request)
    return attempt(
        request,
        lambda: rt.auth.set_email(
            form.user, form.get("email") or None, form.fields.get("password", "")
        ),
        done="/profile",
        message=_("E-mail address saved."),
        back="/profile#email",
    )
