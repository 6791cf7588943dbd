"""Sign-in, sign-out, the language switch and ``/`` (pages anyone may reach)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError

from tetherai.api.auth import SESSION_COOKIE, SIGNING_COOKIE
from tetherai.api.errors import status_for
from tetherai.api.routes.auth import LoginIn, login
from tetherai.errors import TetherError
from tetherai.web.i18n import LANGUAGE_COOKIE, LANGUAGES, gettext
from tetherai.web.pages import (
    ANON_CSRF_COOKIE,
    CSRF_COOKIE,
    AnonymousForm,
    Form,
    MaybeUser,
    optional_user,
    redirect,
    render,
    runtime_of,
)

router = APIRouter()


def safe_next(value: str | None, default: str = "/dashboard") -> str:
    """Only a path on this site (no ``//host`` or scheme): no open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


@router.get("/")
def home(user: MaybeUser, request: Request) -> Response:
    return redirect(request, "/dashboard" if user else "/signin")


@router.get("/signin")
def signin_page(request: Request, user: MaybeUser, next: str = "") -> Response:
    if user is not None:
        return redirect(request, safe_next(next))
    return render(request, "account/signin.html", next=safe_next(next), username="", error=None)


@router.post("/signin")
def signin(request: Request, fields: AnonymousForm) -> Response:
    _ = gettext
    username = fields.get("username", "").strip()
    target = safe_next(fields.get("next"))
    rt = runtime_of(request)
    response = redirect(request, target, flash=_("Signed in."))
    try:
        body = LoginIn(username=username, password=fields.get("password", ""))
        result = login(body, request, response, rt)
    except ValidationError:
        return _signin_error(request, 422, _("Enter your username and password."), username, target)
    except TetherError as error:
        return _signin_error(request, status_for(error), _signin_message(error), username, target)
    response.set_cookie(
        CSRF_COOKIE,
        str(result["csrf_token"]),
        httponly=True,
        samesite="strict",
        secure=rt.settings.secure_cookies,
        max_age=rt.settings.session_hours * 3600,
        path="/",
    )
    response.delete_cookie(ANON_CSRF_COOKIE, path="/")
    return response


def _signin_message(error: TetherError) -> str:
    _ = gettext
    messages = {
        "auth.bad_credentials": _("The username or password is wrong."),
        "auth.locked": _("Too many failed attempts: this account is locked for a while."),
        "auth.disabled": _("This account is disabled. Ask an org admin."),
    }
    return messages.get(error.code, error.message)


def _signin_error(
    request: Request, status: int, message: str, username: str, target: str
) -> Response:
    return render(
        request,
        "account/signin.html",
        http_status=status,
        next=target,
        username=username,
        error=message,
    )


@router.post("/signout")
def signout(request: Request, form: Form) -> Response:
    runtime_of(request).auth.end_session(request.cookies.get(SESSION_COOKIE, ""))
    response = redirect(request, "/signin", flash=gettext("Signed out."))
    for name in (SESSION_COOKIE, SIGNING_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/")
    return response


@router.post("/language")
async def choose_language(
    request: Request, user: Annotated[object, Depends(optional_user)]
) -> Response:
    """The language switch: a preference cookie only (no state changes), so no CSRF token."""
    form = await request.form()
    language = str(form.get("language", ""))
    response = redirect(request, safe_next(str(form.get("next", "")), "/"))
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", path="/"
        )
    return response
