"""The one rule for names: orgs, participant ids, channels, nodes, contract and model versions.

Names end up in ledger keys (``membership/org/<org>``), file paths (``orgs/<org>/…``),
certificate subjects (``O``, ``CN``) and references (``<org>/<project>/<version>``), so every
layer checks them with this one rule: 1 to 64 of ``[A-Za-z0-9._-]``, starting with a letter or
a digit. Starting with ``_`` is kept for index keys (``model_version/_digest/…``), which no
name can then collide with; starting with ``.`` or ``-`` would make hidden files and options.

This module imports nothing of tetherai, so any layer may use it; each layer raises its own
error type with :func:`name_problem`'s sentence.
"""

from __future__ import annotations

import re

__all__ = ["NAME_PATTERN", "NAME_RULE", "is_name", "name_problem"]

# Written so it is also a valid HTML ``pattern`` (whose regular expressions use the ``v``
# flag, where a literal ``-`` in a class must be escaped); Python reads ``\-`` as ``-`` too.
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}"
NAME_RULE = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or a digit"

_NAME = re.compile(NAME_PATTERN)


def is_name(value: object) -> bool:
    """Whether ``value`` is a string that follows the name rule."""
    return isinstance(value, str) and _NAME.fullmatch(value) is not None


def name_problem(value: object, what: str) -> str | None:
    """``None`` for a valid name, else a sentence saying what is wrong with it.

    Args:
        value: the candidate (any JSON value may come in from outside).
        what: what it names, for the sentence (``"org"``, ``"participant id"``).
    """
    if is_name(value):
        return None
    shown = repr(value) if isinstance(value, str) else f"a {type(value).__name__}"
    return f"invalid {what} {shown:.80}: use {NAME_RULE}"
