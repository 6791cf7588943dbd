"""No server path in an answer: a file path in an error tells an outsider how the server is laid
out (its home, its object store, its user). Messages from the layers below may name paths (they
are written for the operator's log and the CLI, where paths help); the API and the pages pass
every error's text through :func:`redact` first.

A path here is an absolute path whose first directory exists at the root of this machine
(``/home/…``, ``/tmp/…``, ``/var/…``): URL paths of the API (``/api/v1/…``) are not, and stay.
"""

from __future__ import annotations

import os
import re
from functools import cache

__all__ = ["SERVER_PATH", "redact", "redact_json"]

SERVER_PATH = "<server path>"
_ABSOLUTE = re.compile(r"(?<![\w.~:/-])/([^\s/'\"<>:,;()\[\]{}]+)(?:/[^\s'\"<>:,;()\[\]{}]*)*")


@cache
def _root_directories() -> frozenset[str]:
    try:
        return frozenset(entry.name for entry in os.scandir("/") if entry.is_dir())
    except OSError:
        return frozenset()


def redact(text: str) -> str:
    """``text`` with every absolute path of this machine replaced by ``<server path>``."""
    roots = _root_directories()

    def replace(match: re.Match[str]) -> str:
        return SERVER_PATH if match.group(1) in roots else match.group(0)

    return _ABSOLUTE.sub(replace, text)


def redact_json(value: object) -> object:
    """:func:`redact` applied to every string of a JSON-like value (an error's details)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(item) for item in value]
    return value
