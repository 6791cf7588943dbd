"""Markup written in Python, with what it shows escaped: the one place pages' Python code makes
HTML from text (so the linter's check of ``Markup(...)`` holds everywhere else)."""

from __future__ import annotations

from typing import LiteralString

from markupsafe import Markup

__all__ = ["fill"]


def fill(template: LiteralString, *values: object) -> Markup:
    """``template``'s ``{}`` fields, each filled with its value escaped.

    ``template`` is markup written in the code, never text from anyone. A page fills some of
    these for each of dozens of rows, so each value is escaped to plain text and only the
    result becomes ``Markup``: ``markupsafe.escape`` makes a ``Markup`` of every value, which
    costs twice the escaping, and ``Markup(template).format(...)`` copies at every step.
    """
    return Markup(template.format(*map(_escaped, values)))  # noqa: S704 (each value is escaped)


def _escaped(value: object) -> str:
    """``value`` as ``markupsafe.escape`` writes it (the same five entities), as plain text;
    markup (anything with ``__html__``) as it is."""
    if type(value) is not str:
        html = getattr(value, "__html__", None)
        if html is not None:
            return str(html())
        value = str(value)
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )
