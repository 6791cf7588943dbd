"""``/api/v1/admin``: what an org admin does to the people of their org (``services.accounts``).

Each change is signed by the admin's own key on the ledger (invitations, revoked keys), and
one-time links are e-mailed to the person when the server has SMTP (then the answer carries
no token).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from tetherai.api._http import Cursor, Limit
from tetherai.api.schemas import ERRORS
from tetherai.http.auth import acting_signer, current_session, current_user
from tetherai.http.bodies import InviteIn, link_json, user_json
from tetherai.http.params import RowId
from tetherai.http.runtime import Rt
from tetherai.services.auth import SessionInfo, UserInfo
from tetherai.services.txs import Signer

router = APIRouter(prefix="/api/v1/admin", tags=["people"], responses=ERRORS)
Me = Annotated[UserInfo, Depends(current_user)]
Admin = Annotated[Signer, Depends(acting_signer)]
Session = Annotated[SessionInfo, Depends(current_session)]


@router.post(
    "/invitations",
    summary="Invite a person (org admins): the ledger records the invitation; the link is "
    "e-mailed, or returned when the server has no SMTP",
    status_code=201,
)
async def invite(body: InviteIn, rt: Rt, admin: Admin, session: Session) -> dict[str, Any]:
    issued = await rt.accounts.invite(
        admin,
        session.user,
        body.username,
        body.role,
        display_name=body.display_name,
        email=body.email or None,
    )
    return link_json(issued)


@router.post(
    "/users/{user_id}/password-reset",
    summary="Reset a person's password: their sessions and tokens end, their keys are revoked "
    "and one new key is invited; the link is e-mailed (or returned without SMTP)",
    status_code=201,
)
async def password_reset(user_id: RowId, rt: Rt, admin: Admin, session: Session) -> dict[str, Any]:
    return link_json(await rt.accounts.reset(admin, session.user, user_id))


@router.get("/users", summary="People of my org (org admins)", response_model=None)
def users(rt: Rt, user: Me, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    start = int(cursor or 0)
    found = rt.auth.list_users(user.org, viewer=user, limit=limit, offset=start)
    # a full page may be followed by an empty one: cheaper than counting the org's people
    return {
        "items": [user_json(u) | {"email": u.email} for u in found],
        "next": str(start + limit) if len(found) == limit else None,
    }


@router.post(
    "/users/{user_id}/disable",
    summary="Disable a person: their sessions and tokens end and every key of theirs is revoked",
)
async def disable(user_id: RowId, rt: Rt, admin: Admin, session: Session) -> dict[str, Any]:
    return user_json(await rt.accounts.set_enabled(admin, session.user, user_id, False))


@router.post(
    "/users/{user_id}/enable",
    summary="Enable a person again: a new key of theirs is enrolled when they sign in",
)
async def enable(user_id: RowId, rt: Rt, admin: Admin, session: Session) -> dict[str, Any]:
    return user_json(await rt.accounts.set_enabled(admin, session.user, user_id, True))


@router.get(
    "/activity",
    summary="Sign-in and account activity (org admins; others: their own)",
    response_model=None,
)
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
