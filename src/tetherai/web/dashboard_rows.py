"""The dashboard's two long lists, recent activity and unread notifications, drawn in Python.

The dashboard is the page viewed most, and these are most of its markup: in Jinja, each of
their rows cost a dozen escapes and calls through the template's context (see
``snippets``). Each value is escaped here as the template would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup

from tetherai.services.overview import ActivityRow
from tetherai.web.escaping import fill
from tetherai.web.i18n import gettext as _
from tetherai.web.snippets import status_badge, tx_link, when
from tetherai.web.wording import contract_detail, describe, name, notification_text

__all__ = ["activity_rows", "notification_items"]

_NOTHING = Markup("")


def activity_rows(activity: Iterable[ActivityRow]) -> Markup:
    """The activity table's rows: when, what happened (and the contract function), where,
    and the version's statuses around it."""
    return Markup("\n").join(_activity_row(row) for row in activity)


def _activity_row(a: ActivityRow) -> Markup:
    version = _NOTHING
    if a.version:
        version = fill(
            ' · <a href="/projects/{}/versions/{}">{}</a>', a.project, a.version, name(a.version)
        )
    statuses = _NOTHING
    if a.status_after:
        statuses = status_badge(a.status_after)
        if a.status_before:
            statuses = fill("{} → {}", status_badge(a.status_before), statuses)
    said = describe(
        a.action, a.participant, org=a.org, before=a.status_before, after=a.status_after
    )
    return fill(
        '<tr data-action="{}">\n'
        "  <td>{}</td>\n"
        '  <td>{}<br><span class="muted small">{} · {}</span></td>\n'
        '  <td><a href="/projects/{}">{}</a>{}</td>\n'
        "  <td>{}</td>\n"
        "</tr>",
        a.action,
        when(a.ts),
        said,
        contract_detail(a.action),
        tx_link(a.tx_id),
        a.project,
        name(a.project),
        version,
        statuses,
    )


def notification_items(notifications: Iterable[Mapping[str, Any]], csrf_field: Markup) -> Markup:
    """The unread notifications' items: about which version, what happened, when, its tx, and
    a form (carrying ``csrf_field``) to mark it read."""
    button = _("Mark as read")
    return Markup("\n").join(_notification_item(n, csrf_field, button) for n in notifications)


def _notification_item(n: Mapping[str, Any], csrf_field: Markup, button: str) -> Markup:
    about = _NOTHING
    if n.get("version"):
        version = str(n["version"])
        about = fill(
            '<a href="/projects/{}/versions/{}">{}</a>: ',
            n["project"],
            version.rsplit("/", 1)[-1],
            name(version),
        )
    return fill(
        '<li data-notification="{}">\n'
        "  {}{}\n"
        '  <br><span class="muted">{}</span> · {}\n'
        '  <form method="post" action="/dashboard/notifications/{}/read" class="inline">\n'
        "    {}\n"
        '    <button type="submit" class="small secondary">{}</button>\n'
        "  </form>\n"
        "</li>",
        n["id"],
        about,
        notification_text(n["kind"], n.get("detail"), n["text"]),
        when(n["at"]),
        tx_link(n["tx_id"]),
        n["id"],
        csrf_field,
        button,
    )
