"""tetherai: tether the life cycle of AI models to a tamper-evident, permissioned ledger.

The stable surface grows with the SDK (``tetherai.sdk``); the layers below it are laid out in
DESIGN.md §2 and may change.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
