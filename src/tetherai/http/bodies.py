"""Request bodies and answer shapes the API and the pages both use: a form on a page is
validated by the same model as the API's JSON body, and shows what the API would answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tetherai.identity.roles import Role
from tetherai.services.accounts import LinkIssued
from tetherai.services.auth import IssuedApiToken, UserInfo

__all__ = [
    "AcceptIn",
    "In",
    "InviteIn",
    "LoginIn",
    "TokenIn",
    "issued_token_json",
    "link_json",
    "user_json",
]


class In(BaseModel):
    """A request body: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


class LoginIn(In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class AcceptIn(In):
    token: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class TokenIn(In):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(
        None, ge=1, description="at most the server's limit (90 days unless configured)"
    )


class InviteIn(In):
    username: str = Field(min_length=1, max_length=64)
    role: Role
    display_name: str | None = None
    email: str | None = Field(
        None, max_length=254, description="where the link is sent (required with SMTP)"
    )


def user_json(user: UserInfo) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "org": user.org,
        "role": user.role.value,
        "enabled": user.enabled,
        "cert_sha256": user.cert_sha256,
    }


def link_json(issued: LinkIssued) -> dict[str, Any]:
    """An invitation or reset link as the admin who asked may see it."""
    return {
        "token": issued.token,
        "sent_to": issued.sent_to,
        "user": user_json(issued.user),
        "expires_at": issued.expires_at.isoformat(),
        "tx_id": issued.tx_id,
    }


def issued_token_json(issued: IssuedApiToken) -> dict[str, Any]:
    """A new API token: the only time the token itself is shown."""
    return {
        "token": issued.token,
        "id": issued.info.id,
        "name": issued.info.name,
        "expires_at": issued.info.expires_at.isoformat(),
    }
