"""tetherai: tether the life cycle of AI models to a tamper-evident, permissioned ledger.

The stable surface is the SDK, ``tetherai.Client`` (``tetherai.client``), loaded on first use
so that ``import tetherai`` stays light; the layers below it are laid out in DESIGN.md §2 and
may change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tetherai.client import Client

__version__ = "0.1.0"

__all__ = ["Client", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Client":
        from tetherai.client import Client

        return Client
    raise AttributeError(f"module 'tetherai' has no attribute {name!r}")
