"""Pieces of markup the pages repeat on many rows (a status badge, a tx link, a digest).

They are Python functions, not Jinja macros: a page lists dozens of rows, and calling a macro
costs several times what filling the same markup in Python does. Each escapes what
it is given, as the template would.
"""

from __future__ import annotations

from markupsafe import Markup

from tetherai.web.escaping import fill
from tetherai.web.wording import status_text

__all__ = ["digest", "short", "status_badge", "tx_link"]


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
