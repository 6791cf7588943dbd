"""Every table of the service database, importable from one place (DESIGN.md §6)."""

from __future__ import annotations

from tetherai.services.db.keys import RegisteredKey, SealedKey
from tetherai.services.db.notification_tables import Notification, Webhook
from tetherai.services.db.people import (
    USER_ROLES,
    ActivityLogEntry,
    ApiToken,
    BrowserSession,
    Invitation,
    LoginThrottle,
    Org,
    PasswordReset,
    User,
)
from tetherai.services.db.projection_tables import (
    HistoryProjection,
    ProjectionCursor,
    ProjectProjection,
    VersionProjection,
)

__all__ = [
    "USER_ROLES",
    "ActivityLogEntry",
    "ApiToken",
    "BrowserSession",
    "HistoryProjection",
    "Invitation",
    "LoginThrottle",
    "Notification",
    "Org",
    "PasswordReset",
    "ProjectProjection",
    "ProjectionCursor",
    "RegisteredKey",
    "SealedKey",
    "User",
    "VersionProjection",
    "Webhook",
]
