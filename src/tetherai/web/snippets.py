"""Pieces of markup the pages repeat on many rows (a status badge, a tx link, a digest).

They are Python functions, not Jinja macros: a page lists dozens of rows, and calling a macro
costs several times what filling the same markup in Python does. Each escapes what
it is given, as the template would.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from tetherai.web.escaping import fill
from tetherai.web.wording import name, status_text

__all__ = ["comment", "digest", "short", "status_badge", "tx_link", "when"]


def when(value: Any) -> str:
    """A time (datetime, ISO text, or ledger milliseconds) as ``YYYY-MM-DD HH:MM:SS UTC``."""
    if value is None or value == "":
        return ""
    if isinstance(value, int | float):  # the common case (ledger times), taken quickly
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(value / 1000))
    elif isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return str(value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))
    return str(value)


def short(value: object, length: int = 12) -> str:
    """The start of a digest or id, enough to recognize it (the full value goes in a title)."""
    text = str(value or "")
    return text if len(text) <= length else text[:length] + "…"


def digest(value: object, length: int = 12) -> Markup:
    """A digest, short, with the full value in its title."""
    return fill(
        '<code class="digest" title="{}" translate="no">{}</code>', value, short(value, length)
    )


def tx_link(tx_id: object, length: int = 12) -> Markup:
    """A tx id, short, linked to its page (the full id in the title)."""
    return fill('<a href="/ledger/txs/{}" class="tx-link">{}</a>', tx_id, digest(tx_id, length))


def status_badge(status: str | None) -> Markup:
    """A version status as a badge: its words, and a class per status for its colour."""
    return fill('<span class="badge status-{}">{}</span>', status, status_text(status))


def comment(said: Mapping[str, Any], *, reply: bool, ledger: str) -> Markup:
    """One comment of a thread on the version page: who (``ledger``, the words for the
    ledger itself, on the notes it makes), when, and the text as written."""
    system = bool(said.get("system"))
    who = ledger if system else name(said.get("by"))
    return fill(
        '<div class="comment{}{}" id="c-{}">\n'
        '  <p class="muted">{} · {}</p>\n'
        '  <p translate="no">{}</p>\n'
        "</div>",
        " system" if system else "",
        " reply" if reply else "",
        said.get("id"),
        who,
        when(said.get("at")),
        said.get("text"),
    )
