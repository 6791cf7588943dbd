"""What a bundle is about, and which ledger keys belong to it (shared with the exporter)."""

from __future__ import annotations

__all__ = ["FORMAT", "FORMATS", "history_roots", "in_scope"]

FORMAT = "tetherai-audit-bundle/v2"
"""Bundles of format-2 ledgers: each result proven alone, by inclusion in its block's results."""

FORMATS = {"tetherai-audit-bundle/v1": 1, FORMAT: 2}
"""Each bundle format and the ledger format it is exported from."""


def history_roots(project: str, version: str | None) -> tuple[str, ...]:
    """The keys whose writes (the key itself and the keys below it) concern the scope."""
    if version is None:
        return (
            f"project/{project}",
            f"model_version/{project}",
            f"workflow/{project}",
            f"review/{project}",
        )
    return (
        f"project/{project}",
        f"model_version/{project}/{version}",
        f"workflow/{project}/{version}",
        f"review/{project}/{version}",
    )


def in_scope(key: str, project: str, version: str | None) -> bool:
    return any(
        key == root or key.startswith(root + "/") for root in history_roots(project, version)
    )
