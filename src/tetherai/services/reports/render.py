"""HTML from a Jinja2 template, and PDF from that HTML with WeasyPrint."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from tetherai.extras import require
from tetherai.services.reports.charts import bar_chart, line_chart
from tetherai.services.reports.content import ReportContent, utc

__all__ = ["render_html", "render_pdf"]


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("tetherai.services.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    environment.globals.update(bar_chart=bar_chart, line_chart=line_chart, utc=utc)
    return environment


def render_html(content: ReportContent) -> str:
    verdict = content.verdict
    context: dict[str, Any] = {
        "c": content,
        "v": verdict,
        "checkpoint": verdict.checkpoint,
        "scope_kind": "version" if verdict.version else "project",
    }
    return _environment().get_template("report.html.j2").render(context)


def render_pdf(content: ReportContent) -> bytes:
    # Imported here: it loads pango, which a CLI verify never needs (the [reports] extra).
    weasyprint = require("weasyprint", "reports")
    pdf: bytes = weasyprint.HTML(string=render_html(content)).write_pdf()
    return pdf
