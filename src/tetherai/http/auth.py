"""Who is calling: browser sessions (cookies + CSRF header) and API tokens (bearer).

- Reads accept either. Writes through the use-case routes need a browser session, whose
  cookie carries the key that unwraps the person's signing key for this request only (the
  database alone cannot sign), and the ``X-CSRF-Token`` header on every unsafe method.
- CLI/SDK callers sign locally and post envelopes: their bearer token identifies them, the
  signature in the envelope is what the ledger checks.
"""

from __future__ import annotations

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from tetherai.http.errors import ApiError
from tetherai.http.runtime import Rt
from tetherai.services.auth import AuthService, SessionInfo, SessionTokens, UserInfo
from tetherai.services.runtime import Runtime
from tetherai.services.settings import Settings
from tetherai.services.txs import Signer

__all__ = [
    "SESSION_COOKIE",
    "SIGNING_COOKIE",
    "acting_signer",
    "client_address",
    "current_session",
    "current_user",
    "password_session",
    "require_project_access",
    "session_of",
    "set_session_cookies",
]

SESSION_COOKIE = "tether_session"
SIGNING_COOKIE = "tether_signing"
CSRF_HEADER = "X-CSRF-Token"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def client_address(request: Request) -> str | None:
    """The caller's address (a trusted proxy's forwarded one, see ``api.proxies``)."""
    return request.client.host if request.client else None


def set_session_cookies(response: Response, settings: Settings, tokens: SessionTokens) -> None:
    """The cookies of a new browser session: the session, and the key that unwraps the
    person's signing key for a request (when they have one)."""
    cookies = {SESSION_COOKIE: tokens.session_token}
    if tokens.signing_key_token:
        cookies[SIGNING_COOKIE] = tokens.signing_key_token
    for name, value in cookies.items():
        response.set_cookie(
            name,
            value,
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookies,
            max_age=settings.session_hours * 3600,
            path="/",
        )


def _unauthenticated() -> ApiError:
    return ApiError(
        401,
        "sign in first",
        code="auth.required",
        hint="POST /api/v1/auth/login, or send 'Authorization: Bearer <API token>'",
    )


def current_session(request: Request, rt: Rt) -> SessionInfo:
    """The browser session of this request; unsafe methods must carry its CSRF token."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise _unauthenticated()
    return _checked(request, rt.auth.resolve_session(token))


def _checked(request: Request, session: SessionInfo) -> SessionInfo:
    if request.method not in _SAFE:
        AuthService.check_csrf(session, request.headers.get(CSRF_HEADER, ""))
    return session


async def current_user(request: Request, rt: Rt) -> UserInfo:
    """The caller, by API token or by browser session.

    Async so that a credential resolved a moment ago costs no worker thread; otherwise the
    database is read in the thread pool, never on the event loop.
    """
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        found = rt.auth.cached_api_token(token)
        if found is None:
            found = await run_in_threadpool(rt.auth.resolve_api_token, token)
        return found.user
    return (await _current_session(request, rt)).user


async def _current_session(request: Request, rt: Runtime) -> SessionInfo:
    """:func:`current_session` without a worker thread when the session was resolved a
    moment ago."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise _unauthenticated()
    return _checked(request, await session_of(rt, token))


async def session_of(rt: Runtime, token: str) -> SessionInfo:
    """The session of a session cookie's token: without a worker thread when it was resolved
    a moment ago (``AuthService.cached_session``, the memory ``resolve_session`` also answers
    from: any change of a person's credentials in this process forgets it all), else read
    from the database in the thread pool, never on the event loop.

    Raises:
        TetherError: as ``AuthService.resolve_session`` (unknown, expired or ended).
    """
    session = rt.auth.cached_session(token)
    if session is None:
        session = await run_in_threadpool(rt.auth.resolve_session, token)
    return session


def _bearer(request: Request) -> bool:
    return request.headers.get("authorization", "").lower().startswith("bearer ")


def password_session(request: Request, rt: Rt) -> SessionInfo:
    """A browser session, which only a password sign-in makes: what changes credentials (a
    new API token, an e-mail address) needs one, so an API token never makes another."""
    if _bearer(request):
        raise ApiError(
            403,
            "an API token cannot do this: sign in with your password",
            code="auth.password_required",
            hint="tether login (or POST /api/v1/auth/login) makes a session that may",
        )
    return current_session(request, rt)


async def acting_signer(request: Request, rt: Rt) -> Signer:
    """The signed-in person, able to sign with their own key for this request (async, as
    :func:`current_user`: no worker thread when the session was resolved a moment ago)."""
    if _bearer(request):
        raise ApiError(
            403,
            "API tokens do not sign txs on the server",
            code="auth.sign_locally",
            hint="sign the tx with your own key (tether CLI or SDK) and POST /api/v1/envelopes",
        )
    session = await _current_session(request, rt)
    user = session.user
    signing = request.cookies.get(SIGNING_COOKIE)
    if not signing or not user.cert_sha256:
        raise ApiError(
            403,
            f"{user.username} has no signing key on this server",
            code="auth.no_signing_key",
            hint="if your password was reset, set the new one with the link you were given",
        )
    key = rt.auth.session_signing_key(session, signing)
    return Signer(org=user.org, id=user.username, cert_sha256=user.cert_sha256, private_key=key)


def require_project_access(rt: Runtime, user: UserInfo, project: str) -> None:
    """Refuse (as "not found", so nothing leaks) a project the user may not read."""
    from tetherai.services.access import require_readable_project, viewer_of

    require_readable_project(rt.reader(), project, viewer_of(user))
