"""Asking a cluster's peers from the operator's tools: submit a tx, run a query.

``tether network`` commands talk to the peers' node endpoints (``POST /txs``,
``POST /query``), trying the given peers in turn until one answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from tetherai.ledger.transaction import Envelope
from tetherai.services.cluster.config import ConfigError, NodeSpec

__all__ = ["ask", "query", "submit"]


def ask(peers: Sequence[NodeSpec], path: str, payload: object) -> tuple[int, dict[str, Any]]:
    """POST to the first of ``peers`` that answers.

    Raises:
        ConfigError: none of them answered.
    """
    errors = []
    for peer in peers:
        try:
            answer = httpx.post(f"{peer.url}{path}", json=payload, timeout=60)
            body = answer.json()
        except (httpx.HTTPError, ValueError) as error:
            errors.append(f"{peer.name}: {error}")
            continue
        return answer.status_code, body if isinstance(body, dict) else {"error": body}
    raise ConfigError(
        f"no peer answered ({'; '.join(errors) or 'none in the channel'})",
        hint="start the network",
    )


def submit(peers: Sequence[NodeSpec], envelope: Envelope, what: str) -> dict[str, Any]:
    """Send a tx through the first of ``peers`` that answers; return its result once committed.

    Raises:
        ConfigError: no peer answered, or the ledger refused the tx (its message says why).
    """
    status, body = ask(peers, "/txs", envelope.to_json())
    if status != 200 or not body.get("valid"):
        refusal = body.get("error") or body
        raise ConfigError(
            f"the ledger refused to {what}: {refusal.get('message')}",
            hint=refusal.get("hint") or None,
        )
    return body


def query(
    peers: Sequence[NodeSpec], channel: str, fn: str, args: dict[str, Any] | None = None
) -> Any:
    """A membership query on a running peer of ``channel``.

    Raises:
        ConfigError: no peer answered, or the query failed.
    """
    payload = {"channel": channel, "contract": "membership", "fn": fn, "args": args or {}}
    status, body = ask(peers, "/query", payload)
    if status != 200 or "result" not in body:
        refusal = body.get("error") or {}
        raise ConfigError(
            f"cannot read membership.{fn} of channel {channel}: {refusal.get('message', status)}"
        )
    return body["result"]
