"""The dashboard's lists drawn in Python (``web.dashboard_rows``): every value they show is
escaped, in text and in attributes, and each row carries what the template's rows carried."""

from __future__ import annotations

import contextvars
from typing import Any

from markupsafe import Markup

from tetherai.services.overview import ActivityRow
from tetherai.web.dashboard_rows import activity_rows, notification_items
from tetherai.web.i18n import use_language

HOSTILE = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
TX = "ab" * 32


def _row(**changes: Any) -> ActivityRow:
    values: dict[str, Any] = {
        "tx_id": TX,
        "ts": 1_700_000_000_000,
        "participant": "bob",
        "org": "Org1",
        "action": "workflow.transition",
        "project": "Org1/fraud",
        "version": "v2",
        "status_before": "submitted",
        "status_after": "reviewing",
        "detail": None,
    }
    return ActivityRow(**(values | changes))


def test_an_activity_row_shows_when_what_where_and_the_statuses() -> None:
    html = str(activity_rows([_row()]))
    assert html.startswith('<tr data-action="workflow.transition">')
    assert "<td>2023-11-14 22:13:20 UTC</td>" in html
    assert '<code class="contract" translate="no">workflow.transition</code>' in html
    assert f'href="/ledger/txs/{TX}"' in html
    assert '<a href="/projects/Org1/fraud">' in html
    assert '<a href="/projects/Org1/fraud/versions/v2">' in html
    assert 'status-submitted">Submitted</span> → <span class="badge status-reviewing">' in html


def test_a_project_row_without_a_version_or_a_move_shows_neither() -> None:
    html = str(activity_rows([_row(version=None, status_before=None, status_after=None)]))
    assert "/versions/" not in html
    assert "badge" not in html
    assert html.endswith("<td></td>\n</tr>")


def test_what_an_activity_row_shows_is_escaped() -> None:
    row = _row(participant=HOSTILE, org=HOSTILE, action=HOSTILE, project=HOSTILE, version=HOSTILE)
    html = str(activity_rows([row, row]))
    assert "<script>" not in html
    assert html.count(ESCAPED) >= 2 * 6  # text and attributes, in both rows
    assert html.count("<tr ") == 2


def _note(**changes: Any) -> dict[str, Any]:
    return {
        "id": 7,
        "at": "2026-12-01T10:00:00+00:00",
        "kind": "commented",
        "project": "Org1/fraud",
        "version": "Org1/fraud/v2",
        "tx_id": TX,
        "text": "bob commented",
        "detail": {"by": "bob", "org": "Org1", "comment": HOSTILE},
        "read": False,
    } | changes


def _in(language: str, made: Any) -> str:
    def run() -> str:
        use_language(language)
        return str(made())

    return contextvars.copy_context().run(run)


def test_a_notification_names_its_version_and_carries_a_form_to_mark_it_read() -> None:
    csrf = Markup('<input type="hidden" name="csrf_token" value="t">')
    html = _in("en", lambda: notification_items([_note()], csrf))
    assert html.startswith('<li data-notification="7">')
    assert '<a href="/projects/Org1/fraud/versions/v2">' in html
    assert f'<q class="said" translate="no">{ESCAPED}</q>' in html  # the comment, escaped
    assert "<script>" not in html
    assert '<span class="muted">2026-12-01 10:00:00 UTC</span>' in html
    assert 'action="/dashboard/notifications/7/read"' in html
    assert str(csrf) in html and ">Mark as read</button>" in html
    assert ">标为已读</button>" in _in("zh", lambda: notification_items([_note()], csrf))


def test_a_notification_about_no_version_links_none_and_escapes_its_text() -> None:
    note = _note(version=None, kind="old", detail=None, text=HOSTILE, id=HOSTILE)
    html = str(notification_items([note], Markup("")))
    assert "/versions/" not in html
    assert "<script>" not in html and f'data-notification="{ESCAPED}"' in html
