"""An org's operator tools asking the cluster's peers: submit a tx, run a query, read status.

``tether network`` commands talk to the nodes' endpoints (``POST /txs``, ``POST /query``,
``GET /status``) over mutual TLS, showing the org's tools certificate
(``ClusterHome.tools_clients``), trying the given peers in turn until one answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from tetherai.cluster.config import ConfigError, NodeSpec
from tetherai.cluster.setup import ClusterHome
from tetherai.cluster.tls import NodeClients
from tetherai.ledger.transaction import Envelope

__all__ = ["Operator", "node_status"]


def node_status(
    clients: NodeClients, node: NodeSpec, timeout: float = 2.0
) -> dict[str, Any] | None:
    """A node's ``GET /status``, or ``None`` when it does not answer (down, or refusing us)."""
    try:
        data: dict[str, Any] = (
            clients.client(node.org).get(f"{node.url}/status", timeout=timeout).json()
        )
    except (httpx.HTTPError, ValueError):
        return None
    # A refusal has the error shape; a peer's status has an ``error`` field of its own.
    return None if isinstance(data.get("error"), dict) else data


class Operator:
    """``org``'s tools, as a TLS client of the network's nodes (close it when done)."""

    def __init__(self, home: ClusterHome, org: str, passphrase: bytes) -> None:
        self.org = org
        self.clients = home.tools_clients(org, passphrase)

    def __enter__(self) -> Operator:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.clients.close()

    def ask(
        self, peers: Sequence[NodeSpec], path: str, payload: object
    ) -> tuple[int, dict[str, Any]]:
        """POST to the first of ``peers`` that answers.

        Raises:
            ConfigError: none of them answered.
        """
        errors = []
        for peer in peers:
            try:
                answer = self.clients.client(peer.org).post(f"{peer.url}{path}", json=payload)
                body = answer.json()
            except (httpx.HTTPError, ValueError) as error:
                errors.append(f"{peer.name}: {error}")
                continue
            return answer.status_code, body if isinstance(body, dict) else {"error": body}
        raise ConfigError(
            f"no peer answered ({'; '.join(errors) or 'none in the channel'})",
            hint="start the network",
        )

    def submit(self, peers: Sequence[NodeSpec], envelope: Envelope, what: str) -> dict[str, Any]:
        """Send a tx through the first of ``peers`` that answers; its result once committed.

        Raises:
            ConfigError: no peer answered, or the ledger refused the tx (its message says why).
        """
        status, body = self.ask(peers, "/txs", envelope.to_json())
        if status != 200 or not body.get("valid"):
            refusal = body.get("error") or body
            raise ConfigError(
                f"the ledger refused to {what}: {refusal.get('message')}",
                hint=refusal.get("hint") or None,
            )
        return body

    def query(
        self, peers: Sequence[NodeSpec], channel: str, fn: str, args: dict[str, Any] | None = None
    ) -> Any:
        """A membership query on a running peer of ``channel``.

        Raises:
            ConfigError: no peer answered, or the query failed.
        """
        payload = {"channel": channel, "contract": "membership", "fn": fn, "args": args or {}}
        status, body = self.ask(peers, "/query", payload)
        if status != 200 or "result" not in body:
            refusal = body.get("error") or {}
            raise ConfigError(
                f"cannot read membership.{fn} of channel {channel}: "
                f"{refusal.get('message', status)}"
            )
        return body["result"]
