"""``/api/v1/me/notifications`` and ``/api/v1/admin/webhooks``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from tetherai.api._http import Cursor, Limit, cached_json, offset_page
from tetherai.api.schemas import ERRORS
from tetherai.http.auth import current_user
from tetherai.http.errors import ApiError
from tetherai.http.params import RowId
from tetherai.http.runtime import runtime
from tetherai.identity.roles import Role
from tetherai.services.access import readable_projects, viewer_of
from tetherai.services.auth import UserInfo
from tetherai.services.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["notifications"], responses=ERRORS)
Rt = Annotated[Runtime, Depends(runtime)]
Me = Annotated[UserInfo, Depends(current_user)]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=2000)


def _admin(user: UserInfo) -> None:
    if user.role != Role.ORG_ADMIN:
        raise ApiError(
            403,
            f"only an org admin manages webhooks; you are {user.role.value}",
            code="auth.not_permitted",
        )


@router.get("/me/notifications", summary="My notifications, newest first")
def notifications(
    request: Request,
    rt: Rt,
    user: Me,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: RowId | None = None,
    unread: bool = False,
) -> Response:
    visible = readable_projects(rt.reader(), viewer_of(user))
    items = rt.notifications.notifications(
        user.id, visible, limit=limit, before=before, unread_only=unread
    )
    return cached_json(
        request, {"items": items, "next": str(items[-1]["id"]) if len(items) == limit else None}
    )


@router.post(
    "/me/notifications/{notification_id}/read",
    summary="Mark a notification read",
    response_model=None,
)
def mark_read(notification_id: RowId, rt: Rt, user: Me) -> dict[str, Any]:
    if not rt.notifications.mark_read(user.id, notification_id):
        raise ApiError(
            404, f"no unread notification {notification_id}", code="notifications.not_found"
        )
    return {"read": notification_id}


@router.post(
    "/me/notifications/read", summary="Mark all my unread notifications read", response_model=None
)
def mark_all_read(rt: Rt, user: Me, up_to: RowId | None = None) -> dict[str, Any]:
    """Every unread one, or (``up_to``) those up to the newest one the caller has seen."""
    return {"marked": rt.notifications.mark_all_read(user.id, up_to=up_to)}


@router.post(
    "/admin/webhooks",
    summary="Register a webhook for my org; the HMAC secret is shown once",
    status_code=201,
    response_model=None,
)
def add_webhook(body: WebhookIn, rt: Rt, user: Me) -> dict[str, Any]:
    _admin(user)
    webhook_id, secret = rt.notifications.add_webhook(user.org, body.url, user.id)
    return {
        "id": webhook_id,
        "url": body.url,
        "secret": secret,
        "signature": "X-Tether-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>",
    }


@router.get(
    "/admin/webhooks", summary="My org's webhooks (never their secrets)", response_model=None
)
def webhooks(rt: Rt, user: Me, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    _admin(user)
    return offset_page(rt.notifications.list_webhooks(user.org), limit, cursor)


@router.delete("/admin/webhooks/{webhook_id}", summary="Disable a webhook", response_model=None)
def disable_webhook(webhook_id: RowId, rt: Rt, user: Me) -> dict[str, Any]:
    _admin(user)
    if not rt.notifications.disable_webhook(user.org, webhook_id):
        raise ApiError(
            404, f"no webhook {webhook_id} in {user.org}", code="notifications.not_found"
        )
    return {"disabled": webhook_id}
