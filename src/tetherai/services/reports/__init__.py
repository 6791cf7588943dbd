"""Audit reports (HTML and PDF) and interop exports of a project or version.

Everything here is built from a verified audit bundle (``tetherai.auditverify``), never from
the server's own read models: what a report shows is what anyone can check offline.
"""

from tetherai.services.reports.content import ReportContent, report_content
from tetherai.services.reports.render import render_html, render_pdf

__all__ = ["ReportContent", "render_html", "render_pdf", "report_content"]
