"""Sign-in, sign-out, the language switch and ``/`` (pages anyone may reach)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from tetherai.errors import TetherError
from tetherai.http.auth import SESSION_COOKIE, SIGNING_COOKIE, client_address, set_session_cookies
from tetherai.http.bodies import AcceptIn, LoginIn
from tetherai.http.errors import status_for
from tetherai.services.auth import MIN_PASSWORD_LENGTH
from tetherai.web.i18n import LANGUAGE_COOKIE, LANGUAGES, gettext
from tetherai.web.pages import (
    ANON_CSRF_COOKIE,
    CSRF_COOKIE,
    AnonymousForm,
    AnyForm,
    Form,
    MaybeUser,
    redirect,
    render,
    runtime_of,
)

router = APIRouter(include_in_schema=False)  # pages: not in the API description


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
async def signin(request: Request, fields: AnonymousForm) -> Response:
    _ = gettext
    username = fields.get("username", "").strip()
    target = safe_next(fields.get("next"))
    rt = runtime_of(request)
    response = redirect(request, target, flash=_("Signed in."))
    try:
        body = LoginIn(username=username, password=fields.get("password", ""))
        signed_in = await rt.accounts.sign_in(
            body.username, body.password, ip=client_address(request)
        )
    except ValidationError:
        return _signin_error(request, 422, _("Enter your username and password."), username, target)
    except TetherError as error:
        return _signin_error(request, status_for(error), _signin_message(error), username, target)
    set_session_cookies(response, rt.settings, signed_in.tokens)
    response.set_cookie(
        CSRF_COOKIE,
        signed_in.tokens.csrf_token,
        httponly=True,
        samesite="strict",
        secure=rt.settings.secure_cookies,
        max_age=rt.settings.session_hours * 3600,
        path="/",
    )
    response.delete_cookie(ANON_CSRF_COOKIE, path="/")
    language = signed_in.user.language
    if language in LANGUAGES:  # the person's saved choice follows them to this browser
        set_language_cookie(response, language)
    return response


def set_language_cookie(response: Response, language: str | None) -> None:
    if language is not None and language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", path="/"
        )
    else:
        response.delete_cookie(LANGUAGE_COOKIE, path="/")


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
async def choose_language(request: Request, form: AnyForm) -> Response:
    """The language switch: a preference cookie only, but a form all the same, so it carries
    the CSRF token like every other (another site cannot switch someone's language)."""
    language = form.get("language", "")
    response = redirect(request, safe_next(form.get("next", ""), "/"))
    if language in LANGUAGES:
        set_language_cookie(response, language)
    return response


# --- one-time tokens: accept an invitation, reset a password ---------------------------------

_TOKEN_PAGES = {"/accept": "account/accept.html", "/reset": "account/reset.html"}


def _token_form(
    request: Request, path: str, token: str, error: str | None, status: int = 200
) -> Response:
    template = _TOKEN_PAGES[path]
    return render(
        request,
        template,
        http_status=status,
        token=token,
        error=error,
        min_length=MIN_PASSWORD_LENGTH,
    )


@router.get("/accept")
def accept_page(request: Request, user: MaybeUser, token: str = "") -> Response:
    return _token_form(request, "/accept", token, None)


@router.get("/reset")
def reset_page(request: Request, user: MaybeUser, token: str = "") -> Response:
    return _token_form(request, "/reset", token, None)


async def _redeem(request: Request, fields: dict[str, str], path: str) -> Response:
    """Accept an invitation or reset a password with a one-time token (``services.accounts``
    makes, certifies and enrols the person's new key with their own tx, as for the API)."""
    _ = gettext
    token = fields.get("token", "").strip()
    password = fields.get("password", "")
    if password != fields.get("confirm", ""):
        return _token_form(request, path, token, _("The two passwords differ."), 422)
    accounts = runtime_of(request).accounts
    redeem = accounts.accept if path == "/accept" else accounts.finish_reset
    try:
        body = AcceptIn(token=token, password=password)
        await redeem(body.token, body.password, ip=client_address(request))
    except ValidationError:
        return _token_form(request, path, token, _("Enter the token and a password."), 422)
    except TetherError as error:
        return _token_form(request, path, token, error.message, status_for(error))
    done = (
        _("Your account is ready: sign in with your new password.")
        if path == "/accept"
        else _("Your password is set: sign in with it.")
    )
    return redirect(request, "/signin", flash=done)


@router.post("/accept")
async def accept_invitation(request: Request, fields: AnonymousForm) -> Response:
    return await _redeem(request, fields, "/accept")


@router.post("/reset")
async def reset_password(request: Request, fields: AnonymousForm) -> Response:
    return await _redeem(request, fields, "/reset")
