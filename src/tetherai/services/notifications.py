"""Tell project members what happened: in-app notifications and org webhooks.

Events come from committed blocks, through the projector, so a notification exists exactly when
its tx is on the ledger: when a version changes state and when someone comments, each member of
the project who has an account here gets a notification (written in the same database
transaction as the projection of its block), and each enabled webhook of the orgs whose admins
may read the project (``services.access.reader_orgs``: its own org and its members' orgs)
receives the event as JSON with an ``X-Tether-Signature: sha256=<HMAC of the body>`` header.
A person's notifications are listed only for projects they may read now (a removed member no
longer sees the project's).
Webhooks are delivered after the block's transaction commits, with a short timeout; a failed
delivery is logged, never retried into the past (the notifications in the API are the record).
A webhook reaches only public addresses unless the operator allows more
(:mod:`tetherai.services.webhook_targets`), checked when it is added and at every delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Select, bindparam, func, select, tuple_, update
from sqlalchemy.orm import Session

from tetherai.errors import InvalidInput
from tetherai.ledger.state import StateReader
from tetherai.services.access import reader_orgs
from tetherai.services.db import Notification, SessionFactory, User, Webhook, transaction
from tetherai.services.db.bulk import insert_rows
from tetherai.services.db.engine import reading
from tetherai.services.webhook_targets import (
    Resolver,
    WebhookTargetRefused,
    check_target,
    post_checked,
    system_resolver,
)

__all__ = ["Event", "NotificationService", "deliver_webhooks", "signature"]

log = logging.getLogger(__name__)


class NotificationError(InvalidInput):
    code = "notifications.invalid"


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # "status_changed" | "commented"
    project_ref: str
    version_ref: str | None
    tx_id: str
    text: str
    ts: int
    detail: dict[str, Any] | None = None
    """The event as data (who, which move, the comment): see ``Notification.detail``."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "project": self.project_ref,
            "version": self.version_ref,
            "tx_id": self.tx_id,
            "text": self.text,
            "ts": self.ts,
            "detail": self.detail,
        }


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def members_of(state: StateReader, project: str) -> list[tuple[str, str]]:
    return [
        (str(v["org"]), str(v["id"]))
        for _, v in state.scan(f"project/{project}/member/")
        if isinstance(v, dict)
    ]


def record_events(
    session: Session, state: StateReader, events: Sequence[Event]
) -> list[tuple[Event, set[str]]]:
    """Add one notification per member account per event; return each event with its members' orgs.

    Each project's members and reader orgs are read once and the accounts found in one query, however many
    events there are (a projection catching up passes many blocks' events at once).
    """
    members: dict[str, list[tuple[str, str]]] = {}
    orgs: dict[str, set[str]] = {}
    for event in events:
        if event.project_ref not in members:
            members[event.project_ref] = members_of(state, event.project_ref)
            orgs[event.project_ref] = reader_orgs(state, event.project_ref)
    people = {person for found in members.values() for person in found}
    accounts: dict[tuple[str, str], int] = {}
    if people:
        rows = session.execute(
            select(User.id, User.org_id, User.username).where(
                tuple_(User.org_id, User.username).in_(sorted(people))
            )
        )
        accounts = {(org, username): user_id for user_id, org, username in rows}
    delivered: list[tuple[Event, set[str]]] = []
    notifications = []
    for event in events:
        found = members[event.project_ref]
        created_at = datetime.fromtimestamp(event.ts / 1000, tz=UTC)
        for person in found:
            user_id = accounts.get(person)
            if user_id is not None:
                notifications.append(
                    {
                        "user_id": user_id,
                        "created_at": created_at,
                        "kind": event.kind,
                        "project_ref": event.project_ref,
                        "version_ref": event.version_ref,
                        "tx_id": event.tx_id,
                        "text": event.text,
                        "read_at": None,
                        "detail": event.detail,
                    }
                )
        delivered.append((event, orgs[event.project_ref]))
    insert_rows(session.connection(), Notification, notifications)
    return delivered


def deliver_webhooks(
    sessions: SessionFactory,
    events: Sequence[tuple[Event, set[str]]],
    post: Callable[[str, bytes, dict[str, str]], None] | None = None,
    *,
    allow: Sequence[str] = (),
) -> int:
    """POST each event to the enabled webhooks of its orgs; return how many deliveries succeeded.

    ``allow``: the non-public hosts and networks a webhook may reach (``Settings.webhook_allow``).
    """
    if not events:
        return 0
    with transaction(sessions) as session:
        hooks = [
            (h.org_id, h.url, h.secret)
            for h in session.scalars(select(Webhook).where(Webhook.enabled))
        ]
    sent = 0
    for event, orgs in events:
        targets = [(url, secret) for org, url, secret in hooks if org in orgs]
        if not targets:
            continue
        body = json.dumps(event.to_json(), sort_keys=True).encode()
        for url, secret in targets:
            headers = {
                "Content-Type": "application/json",
                "X-Tether-Event": event.kind,
                "X-Tether-Signature": signature(secret, body),
            }
            try:
                if post is None:
                    post_checked(url, body, headers, allow=allow)
                else:
                    post(url, body, headers)
                sent += 1
            except (httpx.HTTPError, WebhookTargetRefused) as error:
                log.warning(
                    "webhook %s failed for tx %s: %s", url, event.tx_id, type(error).__name__
                )
    return sent


# The person's notifications a reader of some projects sees: those of these projects and those
# about their own account (of no project, ""); a removed member no longer counts theirs. The
# statements are built once and bound per call: a list is read on every dashboard view, and
# building a statement costs more than running it.
_OF_PERSON = (
    Notification.user_id == bindparam("user"),
    Notification.project_ref.in_(bindparam("projects", expanding=True)),
)
_LISTED = (
    Notification.id,
    Notification.created_at,
    Notification.kind,
    Notification.project_ref,
    Notification.version_ref,
    Notification.tx_id,
    Notification.text,
    Notification.detail,
    Notification.read_at,
)
_NEWEST = select(*_LISTED).where(*_OF_PERSON).order_by(Notification.id.desc())


def _list_query(before: bool, unread_only: bool) -> Select[*tuple[Any, ...]]:
    query = _NEWEST
    if before:
        query = query.where(Notification.id < bindparam("before"))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.limit(bindparam("limit"))


_LISTS = {(b, u): _list_query(b, u) for b in (False, True) for u in (False, True)}
_UNREAD = select(Notification.id).where(*_OF_PERSON, Notification.read_at.is_(None))
_COUNT_UNREAD = select(func.count()).select_from(_UNREAD.subquery())
_COUNT_UNREAD_UP_TO = select(func.count()).select_from(
    # The count stops there: it costs a row of the index each.
    _UNREAD.limit(bindparam("up_to")).subquery()
)


def _person(user_id: int, readable: Collection[str]) -> dict[str, Any]:
    return {"user": user_id, "projects": [*readable, ""]}


def _listed(
    session: Session,
    user_id: int,
    readable: Collection[str],
    limit: int,
    before: int | None,
    unread_only: bool,
) -> list[dict[str, Any]]:
    # The columns, not ORM objects, read through the connection (no ORM loading).
    params = _person(user_id, readable) | {"limit": limit}
    if before is not None:
        params["before"] = before
    rows = session.connection().execute(_LISTS[before is not None, unread_only], params).all()
    return [
        {
            "id": row_id,
            "at": created_at.isoformat(),
            "kind": kind,
            "project": project,
            "version": version,
            "tx_id": tx_id,
            "text": text,
            "detail": detail,
            "read": read_at is not None,
        }
        for row_id, created_at, kind, project, version, tx_id, text, detail, read_at in rows
    ]


def _unread_count(
    session: Session, user_id: int, readable: Collection[str], up_to: int | None = None
) -> int:
    params = _person(user_id, readable)
    if up_to is None:
        found = session.connection().execute(_COUNT_UNREAD, params).scalar()
    else:
        found = (
            session.connection().execute(_COUNT_UNREAD_UP_TO, params | {"up_to": up_to}).scalar()
        )
    return int(found or 0)


class NotificationService:
    """People's notifications and their orgs' webhooks, for the API."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        clock: Callable[[], datetime],
        webhook_allow: Sequence[str] = (),
        resolve: Resolver = system_resolver,
    ) -> None:
        """``webhook_allow``: non-public hosts and networks webhooks may reach; ``resolve``
        turns a host name into its addresses (the system's resolver)."""
        self._sessions = sessions
        self._allow = tuple(webhook_allow)
        self._resolve = resolve
        # Listing only reads: on SQLite a write session's BEGIN IMMEDIATE would queue every
        # page view behind the projection follower's writes (db.unavailable under load).
        self._reads = reading(sessions)
        self._clock = clock

    def notifications(
        self,
        user_id: int,
        readable: Collection[str],
        *,
        limit: int = 50,
        before: int | None = None,
        unread_only: bool = False,
    ) -> list[dict[str, Any]]:
        """The person's notifications of the projects in ``readable`` and those about their
        own account (:meth:`notify_person`, of no project), newest first."""
        with transaction(self._reads) as session:
            return _listed(session, user_id, readable, limit, before, unread_only)

    def unread(
        self, user_id: int, readable: Collection[str], *, limit: int, count_up_to: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The newest ``limit`` unread notifications (as :meth:`notifications` lists them)
        and how many are unread (:meth:`unread_count`), counted up to ``count_up_to`` only
        (a page shows "99+"; counting them all grew with every unread one), in one
        transaction."""
        with transaction(self._reads) as session:
            return (
                _listed(session, user_id, readable, limit, None, True),
                _unread_count(session, user_id, readable, count_up_to),
            )

    def notify_person(
        self, user_id: int, kind: str, text: str, tx_id: str, detail: dict[str, Any] | None = None
    ) -> None:
        """Tell one person something about their own account (their keys), tied to the tx
        that did it; it belongs to no project. ``text`` is the English record, ``detail`` what
        the pages word in the reader's language."""
        with transaction(self._sessions) as session:
            session.add(
                Notification(
                    user_id=user_id,
                    created_at=self._clock(),
                    kind=kind,
                    project_ref="",
                    version_ref=None,
                    tx_id=tx_id,
                    text=text[:2000],
                    read_at=None,
                    detail=detail,
                )
            )

    def unread_count(self, user_id: int, readable: Collection[str]) -> int:
        """How many of the notifications :meth:`notifications` lists are unread."""
        with transaction(self._reads) as session:
            return _unread_count(session, user_id, readable)

    def mark_read(self, user_id: int, notification_id: int) -> bool:
        with transaction(self._sessions) as session:
            result = session.execute(
                update(Notification)
                .where(
                    Notification.id == notification_id,
                    Notification.user_id == user_id,
                    Notification.read_at.is_(None),
                )
                .values(read_at=self._clock())
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def mark_all_read(self, user_id: int, *, up_to: int | None = None) -> int:
        """Mark every unread notification of the person read (only those with an id up to
        ``up_to`` when given: what the person saw, not one that arrived since); return how many."""
        where = [Notification.user_id == user_id, Notification.read_at.is_(None)]
        if up_to is not None:
            where.append(Notification.id <= up_to)
        with transaction(self._sessions) as session:
            result = session.execute(
                update(Notification).where(*where).values(read_at=self._clock())
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def add_webhook(self, org: str, url: str, created_by: int) -> tuple[int, str]:
        """Register an org webhook; returns its id and the HMAC secret (shown once).

        Raises:
            NotificationError: the URL is too long.
            WebhookTargetRefused: not http(s), or it leads to a non-public address.
        """
        if len(url) > 2000:
            raise NotificationError("a webhook URL must be at most 2000 characters")
        check_target(url, self._allow, self._resolve)
        secret = secrets.token_urlsafe(32)
        with transaction(self._sessions) as session:
            hook = Webhook(
                org_id=org,
                url=url,
                secret=secret,
                created_by=created_by,
                created_at=self._clock(),
                enabled=True,
            )
            session.add(hook)
            session.flush()
            return hook.id, secret

    def list_webhooks(self, org: str) -> list[dict[str, Any]]:
        with transaction(self._reads) as session:
            return [
                {
                    "id": h.id,
                    "url": h.url,
                    "enabled": h.enabled,
                    "created_at": h.created_at.isoformat(),
                }
                for h in session.scalars(select(Webhook).where(Webhook.org_id == org))
            ]

    def disable_webhook(self, org: str, webhook_id: int) -> bool:
        with transaction(self._sessions) as session:
            result = session.execute(
                update(Webhook)
                .where(Webhook.id == webhook_id, Webhook.org_id == org)
                .values(enabled=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]
