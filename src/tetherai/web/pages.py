"""What every page module uses: ``render``, ``redirect`` with a flash message, the signed-in
person (:data:`PageUser`, :data:`PageAdmin`) and checked form posts (:data:`Form`).

Forms work without JavaScript: a plain POST carrying the hidden ``csrf_token`` field
(``{{ csrf_field() }}`` in the template), answered by a redirect (post/redirect/get) with a
flash message, or by an error page with the HTTP status the API would have given.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from tetherai.contracts.calls import Call
from tetherai.errors import TetherError, Unauthenticated
from tetherai.http.auth import SESSION_COOKIE, SIGNING_COOKIE, require_project_access, session_of
from tetherai.http.errors import ApiError, status_for
from tetherai.http.server_paths import redact
from tetherai.identity.roles import Role
from tetherai.ledger.executor import TxResult
from tetherai.services.auth import SessionInfo, UserInfo
from tetherai.services.runtime import Runtime
from tetherai.services.txs import Signer
from tetherai.web.i18n import LANGUAGES, current_language, gettext
from tetherai.web.templating import environment

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "AdminForm",
    "AnonymousForm",
    "AnyForm",
    "Form",
    "MaybeUser",
    "PageAdmin",
    "PageForm",
    "PageUser",
    "SignInRequired",
    "attempt",
    "attempt_write",
    "error_page",
    "redirect",
    "render",
    "runtime_of",
    "sign_in_url",
]

CSRF_COOKIE = "tether_csrf"
"""The session's CSRF token, for the server to put into its forms (httponly, same-site)."""
ANON_CSRF_COOKIE = "tether_form"
"""Double-submit token of the forms shown before sign-in (sign-in, reset, invitation)."""
CSRF_FIELD = "csrf_token"
FLASH_COOKIE = "tether_flash"
PAGE_HEADERS = {
    "Cache-Control": "no-store",  # pages show personal data and one-time secrets
    "Referrer-Policy": "same-origin",  # /accept?token=... must not leak to other sites
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
"""Headers of every page; the Content-Security-Policy is the site's (``api.security_headers``):
no inline script or style, nothing from another site."""


def runtime_of(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


# --- flash messages: one signed cookie, read (and cleared) by the next page -----------------


def _sign(rt: Runtime, payload: bytes) -> str:
    return hmac.new(rt.settings.secret_key, b"flash:" + payload, hashlib.sha256).hexdigest()[:32]


def _set_flash(response: Response, rt: Runtime, kind: str, message: str, tx: str | None) -> None:
    payload = base64.urlsafe_b64encode(json.dumps([kind, message, tx]).encode())
    value = payload.decode() + "." + _sign(rt, payload)
    response.set_cookie(FLASH_COOKIE, value, httponly=True, samesite="lax", path="/", max_age=300)


def _read_flash(request: Request) -> tuple[str, str, str | None] | None:
    """(kind, message, the tx the message is about or None)."""
    raw = request.cookies.get(FLASH_COOKIE, "")
    payload, _, mac = raw.rpartition(".")
    if not payload or not hmac.compare_digest(mac, _sign(runtime_of(request), payload.encode())):
        return None
    try:
        kind, message, tx = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, TypeError):
        return None
    return str(kind), str(message), tx if isinstance(tx, str) else None


# --- rendering ------------------------------------------------------------------------------


def _csrf_token(request: Request) -> str:
    """The token this page's forms carry: the session's, or (signed out) a double-submit one."""
    if getattr(request.state, "user", None) is not None:
        return request.cookies.get(CSRF_COOKIE, "")
    token = request.cookies.get(ANON_CSRF_COOKIE) or getattr(request.state, "anon_csrf", "")
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.anon_csrf = token
    return token


def render(
    request: Request, template: str, *, http_status: int = 200, **context: Any
) -> HTMLResponse:
    """Render ``template`` with the layout's context: ``user``, ``csrf_field()``, ``flash``,
    ``language`` and ``languages``, ``path`` (for the language switch's return)."""
    user: UserInfo | None = getattr(request.state, "user", None)
    token = _csrf_token(request)
    flash = _read_flash(request)

    field = Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)

    def csrf_field() -> Markup:  # made once: a page may hold a form for each of many rows
        return field

    html = environment.get_template(template).render(
        request=request,
        user=user,
        is_admin=user is not None and user.role == Role.ORG_ADMIN,
        csrf_field=csrf_field,
        flash=flash,
        language=current_language(),
        languages=LANGUAGES,
        path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **context,
    )
    response = HTMLResponse(html, status_code=http_status)
    if flash is not None or FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/")
    if user is None and getattr(request.state, "anon_csrf", None):
        response.set_cookie(ANON_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
    response.headers.update(PAGE_HEADERS)
    return response


def redirect(
    request: Request,
    url: str,
    *,
    flash: str | None = None,
    kind: str = "success",
    tx: str | None = None,
) -> RedirectResponse:
    """A 303 to ``url`` (post/redirect/get), with a message for the next page; ``tx``: the tx
    the message is about, linked on the next page."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        _set_flash(response, runtime_of(request), kind, flash, tx)
    return response


def error_page(
    request: Request, status: int, message: str, *, hint: str = "", code: str = "", back: str = ""
) -> HTMLResponse:
    if not hasattr(request.state, "session"):  # e.g. a 404 before any page dependency ran
        token = _session_token(request)
        session = None
        if token:
            with contextlib.suppress(TetherError):
                session = runtime_of(request).auth.resolve_session(token)
        _remember(request, session)
    return render(
        request,
        "error.html",
        http_status=status,
        status_code=status,
        message=redact(message),
        hint=redact(hint),
        code=code,
        back=back,
    )


def attempt(
    request: Request,
    action: Callable[[], object],
    *,
    done: str,
    message: str,
    back: str,
) -> Response:
    """Run a form's action: on success redirect to ``done`` with ``message`` (and a link to the
    tx when the action returned one); a refusal (bad input, the contracts saying no) answers
    its HTTP status with the reason and a way back."""
    try:
        outcome = action()
    except TetherError as error:
        return _refused(request, error, back)
    tx = outcome.tx_id if isinstance(outcome, TxResult) else None
    return redirect(request, done, flash=message, tx=tx)


async def attempt_write(
    request: Request,
    action: Callable[[], Awaitable[object]],
    *,
    done: str,
    message: str,
    back: str,
) -> Response:
    """:func:`attempt` for a form whose action writes to the ledger (:meth:`PageForm.act`;
    the redirect links the tx it returns): the route is async, so the wait for the block
    holds no worker thread."""
    try:
        outcome = await action()
    except TetherError as error:
        return _refused(request, error, back)
    tx = outcome.tx_id if isinstance(outcome, TxResult) else None
    return redirect(request, done, flash=message, tx=tx)


def _refused(request: Request, error: TetherError, back: str) -> HTMLResponse:
    return error_page(
        request, status_for(error), error.message, hint=error.hint, code=error.code, back=back
    )


# --- who is asking --------------------------------------------------------------------------


class SignInRequired(Unauthenticated):
    """Raised by :func:`page_user` when nobody (or an expired session) is signed in."""

    def __init__(self, next_url: str) -> None:
        super().__init__("sign in first")
        self.next_url = next_url


def sign_in_url(next_url: str) -> str:
    return "/signin?next=" + quote(next_url, safe="/")


def _session_token(request: Request) -> str | None:
    """The session cookie's token, if the pages may use it. A session started through the API
    (JSON sign-in) has no CSRF cookie for the pages' forms: the pages treat it as signed out,
    so signing in on the page starts a usable session."""
    if not request.cookies.get(CSRF_COOKIE):
        return None
    return request.cookies.get(SESSION_COOKIE) or None


def _remember(request: Request, session: SessionInfo | None) -> UserInfo | None:
    request.state.user = session.user if session else None
    request.state.session = session
    return request.state.user  # type: ignore[no-any-return]


async def optional_user(request: Request) -> UserInfo | None:
    """The signed-in person, if any (pages that anyone may see, e.g. sign-in).

    Async, as the API's ``current_user``: a session resolved a moment ago costs no trip
    through the thread pool (a page's route then makes the only one)."""
    token = _session_token(request)
    session = None
    if token:
        with contextlib.suppress(TetherError):
            session = await session_of(runtime_of(request), token)
    return _remember(request, session)


async def page_user(request: Request) -> UserInfo:
    """The signed-in person; anyone else is sent to the sign-in page (and back afterwards)."""
    user = await optional_user(request)
    if user is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path)
    return user


async def page_admin(user: Annotated[UserInfo, Depends(page_user)]) -> UserInfo:
    """An org admin; others get the 403 page."""
    if user.role != Role.ORG_ADMIN:
        raise ApiError(
            403,
            gettext("Only org admins may see the admin pages."),
            code="auth.not_permitted",
            hint=gettext("Ask an org admin of your organisation."),
        )
    return user


PageUser = Annotated[UserInfo, Depends(page_user)]
PageAdmin = Annotated[UserInfo, Depends(page_admin)]
MaybeUser = Annotated[UserInfo | None, Depends(optional_user)]


@dataclass(frozen=True)
class PageForm:
    """A posted form whose CSRF token matched the session: the person and the fields."""

    request: Request
    session: SessionInfo
    fields: dict[str, str]
    repeated: dict[str, list[str]] = field(default_factory=dict)
    """Every value of each field (checkboxes of one name), in the order sent."""

    @property
    def user(self) -> UserInfo:
        return self.session.user

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default).strip()

    def optional(self, name: str) -> str | None:
        """The field's value, or ``None`` when the form did not send it (``""`` is a value:
        a field the person emptied)."""
        found = self.fields.get(name)
        return None if found is None else found.strip()

    def get_all(self, name: str) -> list[str]:
        return [value.strip() for value in self.repeated.get(name, [])]

    def signer(self) -> Signer:
        """The person, able to sign with their own key for this request (as the API's writes)."""
        rt = runtime_of(self.request)
        signing = self.request.cookies.get(SIGNING_COOKIE)
        user = self.user
        if not signing or not user.cert_sha256:
            raise ApiError(
                403,
                gettext("%(name)s has no signing key on this server")
                % {"name": self.user.username},
                code="auth.no_signing_key",
                hint=gettext("Auditors only read; others accept their invitation to get a key."),
            )
        key = rt.auth.session_signing_key(self.session, signing)
        return Signer(org=user.org, id=user.username, cert_sha256=user.cert_sha256, private_key=key)

    async def act(self, call: Call) -> TxResult:
        """Sign a use case's call (built by :mod:`tetherai.contracts.calls`, as the API's writes
        are) with the person's key: first the project access check (a non-member learns
        nothing), then the contracts decide.

        The checks run in the thread pool (database reads); the waits for the block and for
        the projections (the next page lists what was just written) hold no thread."""
        rt = runtime_of(self.request)

        def check() -> Signer:
            if call.project is not None:
                require_project_access(rt, self.user, call.project)
            return self.signer()

        signer = await run_in_threadpool(check)
        result = await rt.act_async(signer, call.contract, call.fn, call.args)
        await rt.projected()
        return result


def _csrf_refused() -> ApiError:
    return ApiError(
        403,
        gettext("This form was refused: its security token is missing or does not match."),
        code="auth.csrf",
        hint=gettext("Reload the page and send the form again."),
    )


async def _fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def _repeated(request: Request) -> dict[str, list[str]]:
    form = await request.form()  # parsed once per request (Starlette keeps it)
    found: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            found.setdefault(key, []).append(value)
    return found


async def page_form(request: Request) -> PageForm:
    """A form posted by a signed-in person, its CSRF token checked against the session."""
    user = await page_user(request)
    session: SessionInfo = request.state.session
    fields = await _fields(request)
    token = fields.pop(CSRF_FIELD, "")
    try:
        runtime_of(request).auth.check_csrf(session, token)
    except TetherError as error:
        raise _csrf_refused() from error
    request.state.user = user
    return PageForm(request, session, fields, await _repeated(request))


async def anonymous_form(request: Request) -> dict[str, str]:
    """A form posted before sign-in: its token must match the double-submit cookie."""
    fields = await _fields(request)
    token = fields.pop(CSRF_FIELD, "")
    expected = request.cookies.get(ANON_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise _csrf_refused()
    return fields


async def any_form(request: Request) -> dict[str, str]:
    """A form anyone may post (the language switch): checked against the session's token when
    signed in, against the double-submit cookie otherwise."""
    if await optional_user(request) is not None:
        return (await page_form(request)).fields
    return await anonymous_form(request)


async def admin_form(request: Request) -> PageForm:
    """A form posted by an org admin (others get the 403 page; the services check again)."""
    form = await page_form(request)
    await page_admin(form.user)
    return form


Form = Annotated[PageForm, Depends(page_form)]
AdminForm = Annotated[PageForm, Depends(admin_form)]
AnonymousForm = Annotated[dict[str, str], Depends(anonymous_form)]
AnyForm = Annotated[dict[str, str], Depends(any_form)]
