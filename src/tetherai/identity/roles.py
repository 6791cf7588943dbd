"""Participant roles (DESIGN.md §1, §4): what a certificate's OU says a participant may do.

The words themselves are in :mod:`tetherai.vocabulary`, with the rest of the domain's words.
"""

from __future__ import annotations

from tetherai.vocabulary import Role

__all__ = ["Role"]
