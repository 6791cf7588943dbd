"""The Jinja2 environment of the pages: package templates, autoescaping, gettext, filters."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from tetherai import vocabulary
from tetherai.names import NAME_PATTERN
from tetherai.web import dashboard_rows, snippets, wording
from tetherai.web.i18n import gettext, ngettext

__all__ = ["compile_templates", "environment"]


def _size(value: Any) -> str:
    try:
        size = float(value)
    except (TypeError, ValueError):
        return ""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


_TX_ID = re.compile(r"[0-9a-f]{64}")


def _with_tx_link(message: str, tx: str | None) -> Markup:
    """A flash message with its tx linked: the short id in the text becomes the link, or the
    link follows the text when the message does not name it."""
    text = escape(message)
    if not tx or not _TX_ID.fullmatch(tx):
        return text
    short = tx[:12]
    link = Markup(
        '<a href="/ledger/txs/{}" class="tx-link"><code translate="no">{}</code></a>'
    ).format(tx, short)
    if short in text:
        return text.replace(short, link, 1)
    return Markup("{} {}").format(text, escape(gettext("tx %(tx)s")) % {"tx": link})


def _page_gettext(message: str, /, **variables: object) -> Markup:
    """``_()`` in a page, as Jinja's newstyle gettext writes it (the translation is markup,
    its variables escaped into it, ``%%`` a percent sign), without the extension's two calls
    through the template's context: a page says dozens of these, and each cost 5.6 µs that
    way against 2.5 µs here."""
    translated = Markup(gettext(message))  # noqa: S704 - the catalog's words are markup
    return translated % variables if "%" in translated else translated


def _page_ngettext(singular: str, plural: str, num: int, /, **variables: object) -> Markup:
    """``ngettext()`` in a page, as Jinja's newstyle ngettext (``num`` is a variable too)."""
    variables.setdefault("num", num)
    return Markup(ngettext(singular, plural, num)) % variables  # noqa: S704 - as above


environment = Environment(
    loader=PackageLoader("tetherai.web", "templates"),
    autoescape=select_autoescape(["html", "xml"], default_for_string=True),
    undefined=StrictUndefined,
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # packaged templates do not change while the server runs: no stat per page
)
environment.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
environment.globals.update(_=_page_gettext, ngettext=_page_ngettext)
environment.filters["when"] = snippets.when
environment.filters["short"] = snippets.short
environment.filters["size"] = _size
# The domain's words, so a template lists and tests them rather than spelling them out.
environment.globals.update(
    statuses=tuple(vocabulary.Status),
    may_be_replaced=vocabulary.may_be_replaced,
    needs_reason=vocabulary.NEEDS_REASON,
    artifact_kinds=vocabulary.ARTIFACT_KINDS,
    monitoring_statuses=vocabulary.MONITORING_STATUSES,
    rating_min=vocabulary.RATING_MIN,
    rating_max=vocabulary.RATING_MAX,
)
environment.globals["name_pattern"] = NAME_PATTERN  # the one name rule, as an HTML pattern
environment.filters["with_tx_link"] = _with_tx_link
environment.globals.update(
    describe=wording.describe,
    describe_tx=wording.describe_tx,
    label=wording.label,
    digest_role=partial(wording.label, "digest"),
    status_text=wording.status_text,
    role_text=wording.role_text,
    name=wording.name,
    quoted=wording.quoted,
    contract_detail=wording.contract_detail,
    notification_text=wording.notification_text,
    action_text=wording.action_text,
    action_button=wording.action_button,
    status_badge=snippets.status_badge,
    tx_link=snippets.tx_link,
    digest=snippets.digest,
    comment=snippets.comment,
    activity_rows=dashboard_rows.activity_rows,
    notification_items=dashboard_rows.notification_items,
)


def compile_templates() -> None:
    """Compile every template now (once per process; later calls find them cached), so the
    first burst of requests does not compile the same template in every worker thread."""
    for name in environment.list_templates(extensions=["html"]):
        environment.get_template(name)
