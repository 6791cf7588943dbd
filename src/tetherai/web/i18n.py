"""Translations of the pages: gettext catalogs (``locale/<lang>/LC_MESSAGES/messages.po``).

The ``.po`` files are the source of truth and are read once at start-up (no compiled ``.mo``
in the repository, so a catalog cannot drift from its compiled copy). The language of a request
is the person's choice (the ``tether_lang`` cookie set by the profile page and the language
switch), else the browser's ``Accept-Language``, else English. It is kept in a context variable
for the request, so ``_()`` works in route code and ``{% trans %}`` / ``_()`` in templates.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_COOKIE",
    "current_language",
    "gettext",
    "language_for",
    "ngettext",
    "translations",
    "use_language",
]

LANGUAGE_COOKIE = "tether_lang"
DEFAULT_LANGUAGE = "en"
LANGUAGES: Mapping[str, str] = {"en": "English", "zh": "简体中文"}
"""Language code → its own name (shown in the language switch)."""
LOCALE_DIR = Path(__file__).parent / "locale"

_current: ContextVar[str] = ContextVar("tether_language", default=DEFAULT_LANGUAGE)


@cache
def translations(language: str) -> NullTranslations:
    """The catalog of ``language``, compiled in memory from its ``.po`` file (once)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not po.is_file():
        return NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def _match(tag: str) -> str | None:
    """``zh-CN`` / ``zh-Hans`` / ``zh`` → ``zh``; ``en-GB`` → ``en``; unknown → None."""
    primary = tag.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in LANGUAGES else None


def language_for(cookie: str | None, accept_language: str | None) -> str:
    """The person's choice, else the best language of the browser we have, else English."""
    if cookie is not None and cookie in LANGUAGES:
        return cookie
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        found = _match(tag)
        if found and quality > 0:
            ranked.append((-quality, position, found))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def use_language(language: str) -> None:
    """Set the language of the current request (its context)."""
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)
