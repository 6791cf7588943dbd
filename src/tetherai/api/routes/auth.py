"""``/api/v1/auth``, ``/api/v1/me`` and ``/api/v1/admin``: sign-in, API tokens, people."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from tetherai.api._http import Cursor, Limit, offset_page
from tetherai.api.auth import (
    SESSION_COOKIE,
    SIGNING_COOKIE,
    acting_signer,
    current_session,
    current_user,
)
from tetherai.api.errors import ApiError
from tetherai.api.limits import RowId
from tetherai.api.runtime import Runtime, runtime
from tetherai.api.schemas import ERRORS
from tetherai.crypto.signature import Algorithm, generate_private_key
from tetherai.identity.certificate import certificate_to_pem
from tetherai.identity.roles import Role
from tetherai.services.auth import SessionInfo, UserInfo
from tetherai.services.custody import NoSigningKey
from tetherai.services.txs import Signer

router = APIRouter(prefix="/api/v1", tags=["people"], responses=ERRORS)
Rt = Annotated[Runtime, Depends(runtime)]
Me = Annotated[UserInfo, Depends(current_user)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class AcceptIn(_In):
    token: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class TokenIn(_In):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class InviteIn(_In):
    username: str = Field(min_length=1, max_length=64)
    role: Role
    display_name: str | None = None


def _user(user: UserInfo) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "org": user.org,
        "role": user.role.value,
        "enabled": user.enabled,
        "cert_sha256": user.cert_sha256,
    }


def _cookie(response: Response, rt: Runtime, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=rt.settings.secure_cookies,
        max_age=rt.settings.session_hours * 3600,
        path="/",
    )


@router.post(
    "/auth/login", summary="Sign in: a session cookie, and the CSRF token for unsafe requests"
)
def login(body: LoginIn, request: Request, response: Response, rt: Rt) -> dict[str, Any]:
    ip = request.client.host if request.client else None
    rt.signin_attempts.hit(ip or "unknown")
    user = rt.auth.login(body.username, body.password, ip)
    try:
        key = rt.custody.unseal_key(user.id, body.password)
    except NoSigningKey:
        key = None  # auditors, and people who have not enrolled a key, only read
    tokens = rt.auth.start_session(user, signing_key=key, ip=ip)
    _cookie(response, rt, SESSION_COOKIE, tokens.session_token)
    if tokens.signing_key_token:
        _cookie(response, rt, SIGNING_COOKIE, tokens.signing_key_token)
    return {
        "user": _user(user),
        "csrf_token": tokens.csrf_token,
        "expires_at": tokens.expires_at.isoformat(),
    }


@router.post("/auth/logout", summary="Sign out")
def logout(
    request: Request,
    response: Response,
    rt: Rt,
    session: Annotated[SessionInfo, Depends(current_session)],
) -> dict[str, Any]:
    rt.auth.end_session(request.cookies.get(SESSION_COOKIE, ""))
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(SIGNING_COOKIE, path="/")
    return {"signed_out": session.user.username}


@router.get("/auth/me", summary="Who am I")
def me(user: Me) -> dict[str, Any]:
    return _user(user)


def _enrol_new_key(rt: Runtime, user: UserInfo, password: str) -> str:
    """Make the person a key, have the org CA certify it, seal it, and enrol it with their own
    first tx (against the invitation their admin recorded on the ledger). Returns the tx id."""
    from datetime import UTC, datetime

    key = generate_private_key(Algorithm.ED25519)
    now = datetime.fromtimestamp(rt.orderer.clock() / 1000, tz=UTC)
    certificate = rt.ca.issue(
        participant_id=user.username, role=user.role, public_key=key.public_key(), now=now
    )
    pem = certificate_to_pem(certificate).decode()
    sealed = rt.custody.store_key(user.id, key, password=password, certificate_pem=pem)
    signer = Signer(org=user.org, id=user.username, cert_sha256=sealed.cert_sha256, private_key=key)
    result = rt.act(signer, "membership", "accept_invitation", {"certificate": pem})
    return result.tx_id


@router.post(
    "/auth/accept",
    summary="Accept an invitation: set a password; your own key is made and enrolled",
)
def accept(body: AcceptIn, request: Request, rt: Rt) -> dict[str, Any]:
    ip = request.client.host if request.client else None
    user = rt.auth.accept_invitation(body.token, body.password, ip=ip)
    if user.role == Role.AUDITOR:  # auditors never sign, so they get no key
        return {"user": _user(user), "enrolled_tx": None}
    tx_id = _enrol_new_key(rt, user, body.password)
    return {"user": _user(rt.auth.get_user(user.id)), "enrolled_tx": tx_id}


@router.post(
    "/auth/reset", summary="Set a new password with a reset token; a new key replaces the lost one"
)
def reset(body: AcceptIn, request: Request, rt: Rt) -> dict[str, Any]:
    ip = request.client.host if request.client else None
    done = rt.auth.reset_password(body.token, body.password, ip=ip)
    tx_id = None
    if done.signing_key_retired and done.user.role != Role.AUDITOR:
        tx_id = _enrol_new_key(rt, done.user, body.password)
    return {"user": _user(rt.auth.get_user(done.user.id)), "enrolled_tx": tx_id}


@router.post(
    "/admin/users/{user_id}/password-reset",
    summary="Give a person a one-time reset token; their old key is revoked and they are re-invited",
    status_code=201,
)
def password_reset(
    user_id: RowId,
    rt: Rt,
    admin: Annotated[Signer, Depends(acting_signer)],
    session: Annotated[SessionInfo, Depends(current_session)],
) -> dict[str, Any]:
    target = rt.auth.get_user(user_id)
    issued = rt.auth.create_password_reset(target, by_admin=session.user)
    if target.cert_sha256 and target.role != Role.AUDITOR:
        rt.act(
            admin,
            "membership",
            "revoke",
            {
                "cert_sha256": target.cert_sha256,
                "reason": "password reset: the old key is lost",
            },
        )
        rt.act(
            admin,
            "membership",
            "invite",
            {"org": target.org, "id": target.username, "role": target.role.value},
        )
    return {
        "token": issued.token,
        "user": _user(target),
        "expires_at": issued.expires_at.isoformat(),
    }


@router.post("/me/tokens", summary="Create a personal API token (shown once)", status_code=201)
def create_token(body: TokenIn, user: Me, rt: Rt) -> dict[str, Any]:
    issued = rt.auth.issue_api_token(user, body.name, body.expires_in_days)
    return {
        "token": issued.token,
        "id": issued.info.id,
        "name": issued.info.name,
        "expires_at": issued.info.expires_at.isoformat(),
    }


@router.get("/me/tokens", summary="My API tokens (never the tokens themselves)")
def list_tokens(user: Me, rt: Rt, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    items = [
        {
            "id": t.id,
            "name": t.name,
            "prefix": t.prefix,
            "created_at": t.created_at.isoformat(),
            "revoked": t.revoked_at is not None,
        }
        for t in rt.auth.list_api_tokens(user)
    ]
    return offset_page(items, limit, cursor)


@router.delete("/me/tokens/{token_id}", summary="Revoke an API token")
def revoke_token(token_id: RowId, user: Me, rt: Rt) -> dict[str, Any]:
    rt.auth.revoke_api_token(token_id, by=user)
    return {"revoked": token_id}


@router.post(
    "/admin/invitations",
    summary="Invite a person (org admins): the ledger records the invitation",
    status_code=201,
)
def invite(
    body: InviteIn,
    rt: Rt,
    admin: Annotated[Signer, Depends(acting_signer)],
    session: Annotated[SessionInfo, Depends(current_session)],
) -> dict[str, Any]:
    issued = rt.auth.invite(
        session.user.org, body.username, body.role, session.user, display_name=body.display_name
    )
    if body.role != Role.AUDITOR:
        rt.act(
            admin,
            "membership",
            "invite",
            {"org": session.user.org, "id": body.username, "role": body.role.value},
        )
    return {
        "token": issued.token,
        "user": _user(issued.user),
        "expires_at": issued.expires_at.isoformat(),
    }


@router.get("/admin/users", summary="People of my org (org admins)")
def users(rt: Rt, user: Me, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    start = int(cursor or 0)
    found = rt.auth.list_users(user.org, viewer=user, limit=limit, offset=start)
    # a full page may be followed by an empty one: cheaper than counting the org's people
    return {
        "items": [_user(u) for u in found],
        "next": str(start + limit) if len(found) == limit else None,
    }


@router.post("/admin/users/{user_id}/disable", summary="Disable a person (ends their sessions)")
def disable(
    user_id: RowId, rt: Rt, session: Annotated[SessionInfo, Depends(current_session)]
) -> dict[str, Any]:
    return _user(rt.auth.set_enabled(user_id, False, by_admin=session.user))


@router.post("/admin/users/{user_id}/enable", summary="Enable a person again")
def enable(
    user_id: RowId, rt: Rt, session: Annotated[SessionInfo, Depends(current_session)]
) -> dict[str, Any]:
    return _user(rt.auth.set_enabled(user_id, True, by_admin=session.user))


@router.get("/admin/activity", summary="Sign-in and account activity (org admins)")
def activity(rt: Rt, user: Me, limit: Limit = 50, before: RowId | None = None) -> dict[str, Any]:
    page = rt.auth.list_activity(user, limit=limit, before=before)
    return {
        "items": [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "event": e.event,
                "username": e.username,
                "ip": e.ip,
                "detail": e.detail,
            }
            for e in page.entries
        ],
        "next": page.next_before,
    }


class KeyIn(_In):
    name: str = Field(min_length=1, max_length=100)
    public_key_pem: str = Field(min_length=1, max_length=4000)


@router.post(
    "/me/keys",
    summary="Register a public key you hold (CLI/SDK): certified and enrolled, signed by you",
    status_code=201,
)
def register_key(
    body: KeyIn,
    rt: Rt,
    me: Annotated[Signer, Depends(acting_signer)],
    session: Annotated[SessionInfo, Depends(current_session)],
) -> dict[str, Any]:
    from datetime import UTC, datetime

    from tetherai.crypto.errors import CryptoError
    from tetherai.crypto.signature import load_public_key_pem

    try:
        public_key = load_public_key_pem(body.public_key_pem.encode())
    except CryptoError as error:
        raise ApiError(
            422, "not a PEM Ed25519 or P-256 public key", code="custody.bad_key"
        ) from error
    user = session.user
    certificate = rt.ca.issue(
        participant_id=user.username,
        role=user.role,
        public_key=public_key,
        now=datetime.fromtimestamp(rt.orderer.clock() / 1000, tz=UTC),
    )
    pem = certificate_to_pem(certificate).decode()
    info = rt.custody.register_public_key(
        user.id, body.public_key_pem, name=body.name, certificate_pem=pem
    )
    result = rt.act(me, "membership", "add_key", {"certificate": pem})
    return {
        "id": info.id,
        "name": info.name,
        "cert_sha256": info.cert_sha256,
        "certificate_pem": pem,
        "enrolled_tx": result.tx_id,
    }


@router.get("/me/keys", summary="Public keys I registered")
def list_keys(rt: Rt, user: Me, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    items = [
        {
            "id": k.id,
            "name": k.name,
            "algorithm": k.algorithm,
            "fingerprint": k.fingerprint,
            "cert_sha256": k.cert_sha256,
            "retired": k.retired_at is not None,
        }
        for k in rt.custody.list_public_keys(user.id)
    ]
    return offset_page(items, limit, cursor)
