"""``/api/v1/auth`` and ``/api/v1/me``: sign-in, one-time links, API tokens, my e-mail.

People's keys are in :mod:`.keys`, what org admins do to people in :mod:`.people`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from tetherai.api._http import Cursor, Limit, offset_page
from tetherai.api.schemas import ERRORS
from tetherai.http.auth import (
    SESSION_COOKIE,
    SIGNING_COOKIE,
    client_address,
    current_session,
    current_user,
    password_session,
    set_session_cookies,
)
from tetherai.http.bodies import AcceptIn, In, LoginIn, TokenIn, issued_token_json, user_json
from tetherai.http.params import RowId
from tetherai.http.runtime import Rt
from tetherai.services.auth import SessionInfo, UserInfo

router = APIRouter(prefix="/api/v1", tags=["people"], responses=ERRORS)
Me = Annotated[UserInfo, Depends(current_user)]
Session = Annotated[SessionInfo, Depends(current_session)]


class EmailIn(In):
    email: str | None = Field(None, max_length=254, description="null removes it")
    password: str = Field(min_length=1, max_length=1024, description="confirms it is you")


@router.post(
    "/auth/login", summary="Sign in: a session cookie, and the CSRF token for unsafe requests"
)
async def login(body: LoginIn, request: Request, response: Response, rt: Rt) -> dict[str, Any]:
    signed_in = await rt.accounts.sign_in(body.username, body.password, ip=client_address(request))
    set_session_cookies(response, rt.settings, signed_in.tokens)
    return {
        "user": user_json(signed_in.user),
        "csrf_token": signed_in.tokens.csrf_token,
        "expires_at": signed_in.tokens.expires_at.isoformat(),
    }


@router.post("/auth/logout", summary="Sign out", response_model=None)
def logout(request: Request, response: Response, rt: Rt, session: Session) -> dict[str, Any]:
    rt.auth.end_session(request.cookies.get(SESSION_COOKIE, ""))
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(SIGNING_COOKIE, path="/")
    return {"signed_out": session.user.username}


@router.get("/auth/me", summary="Who am I", response_model=None)
def me(user: Me) -> dict[str, Any]:
    return user_json(user) | {"email": user.email}


@router.post(
    "/auth/accept",
    summary="Accept an invitation: set a password; your own key is made and enrolled",
)
async def accept(body: AcceptIn, request: Request, rt: Rt) -> dict[str, Any]:
    user, tx_id = await rt.accounts.accept(body.token, body.password, ip=client_address(request))
    return {"user": user_json(user), "enrolled_tx": tx_id}


@router.post(
    "/auth/reset",
    summary="Set a new password with a reset link; a new key of yours replaces the revoked ones",
)
async def reset(body: AcceptIn, request: Request, rt: Rt) -> dict[str, Any]:
    user, tx_id = await rt.accounts.finish_reset(
        body.token, body.password, ip=client_address(request)
    )
    return {"user": user_json(user), "enrolled_tx": tx_id}


@router.post(
    "/me/tokens",
    summary="Create a personal API token (shown once); from a password sign-in only",
    status_code=201,
    response_model=None,
)
def create_token(
    body: TokenIn, session: Annotated[SessionInfo, Depends(password_session)], rt: Rt
) -> dict[str, Any]:
    """A browser session (a password sign-in) is needed: an API token never makes another,
    so no token outlives the password that made it (a change or reset revokes them all)."""
    return issued_token_json(rt.auth.issue_api_token(session.user, body.name, body.expires_in_days))


@router.get(
    "/me/tokens", summary="My API tokens (never the tokens themselves)", response_model=None
)
def list_tokens(user: Me, rt: Rt, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    items = [
        {
            "id": t.id,
            "name": t.name,
            "prefix": t.prefix,
            "created_at": t.created_at.isoformat(),
            "expires_at": t.expires_at.isoformat(),
            "revoked": t.revoked_at is not None,
        }
        for t in rt.auth.list_api_tokens(user)
    ]
    return offset_page(items, limit, cursor)


@router.delete("/me/tokens/{token_id}", summary="Revoke an API token", response_model=None)
def revoke_token(token_id: RowId, user: Me, rt: Rt) -> dict[str, Any]:
    rt.auth.revoke_api_token(token_id, by=user)
    return {"revoked": token_id}


@router.put(
    "/me/email",
    summary="Set my e-mail address (password resets are sent there); my password confirms it",
    response_model=None,
)
def set_email(
    body: EmailIn, session: Annotated[SessionInfo, Depends(password_session)], rt: Rt
) -> dict[str, Any]:
    user = rt.auth.set_email(session.user, body.email or None, body.password)
    return user_json(user) | {"email": user.email}
