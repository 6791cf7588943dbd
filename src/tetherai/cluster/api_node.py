"""The user-facing API (``create_app`` / ``create_web_app``) on top of a cluster peer.

The app works with a :class:`~tetherai.services.network.Node`: a peer to read and an orderer
to submit to. On a cluster peer the reads are the follower's own ledger copy, and the
"orderer" is :class:`RemoteOrderer`, which sends each envelope to the orderer that leads the
channel and answers only once **this** peer has executed the tx's block — so a page that
writes and then reads sees its own write. Admission refusals come back as the same
``TxRejected`` the solo orderer raises, so the API's errors do not change.

Each org's API runs in its own home (``<cluster home>/api/<peer>/``: ``network.json`` naming
the org, the service database, the server secret; ``orgs/`` is the cluster's).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx

from tetherai.cluster.config import ClusterConfig, NodeSpec
from tetherai.cluster.follower import PeerFollower
from tetherai.cluster.setup import ClusterHome
from tetherai.cluster.tls import NodeClients
from tetherai.ledger.errors import TxRejected
from tetherai.ledger.executor import TxResult
from tetherai.ledger.transaction import Envelope
from tetherai.ordering.batching import Clock, wall_clock_ms
from tetherai.ordering.errors import OrdererBusy, OrderingError
from tetherai.services.home import CONFIG_VERSION, NetworkHome
from tetherai.services.network import Node

__all__ = ["RemoteOrderer", "api_home", "cluster_node"]


ROUND_TRIPS = 64
"""Txs a peer may have on their way at once: each holds one of the peer's round-trip threads
while it waits for the orderer's answer and for this peer's copy of the block."""
MAX_WAITING = 10_000
"""Txs a peer keeps on their way (in a round trip or queued for one); more are refused at once
with ``ordering.busy`` instead of waiting in memory without bound."""


class RemoteOrderer:
    """Submits to the channel's leading orderer over HTTP; the tx's future is resolved once
    this peer has executed its block."""

    def __init__(
        self,
        follower: PeerFollower,
        orderers: Sequence[NodeSpec],
        clients: NodeClients,
        *,
        clock: Clock = wall_clock_ms,
        timeout: float = 60.0,
        round_trips: int = ROUND_TRIPS,
        max_waiting: int = MAX_WAITING,
    ) -> None:
        """``clients``: the peer's own clients of other nodes (mutual TLS, its certificate)."""
        self._follower = follower
        self._orderers = orderers
        self._clients = clients
        self._clock = clock
        self._timeout = timeout
        # The round trips wait in threads of their own, never in the caller's: the server
        # checks and signs its writes in a short line of threads (services.admission_line),
        # which must not sit out a network round trip and a block.
        self._trips = ThreadPoolExecutor(round_trips, thread_name_prefix="tether-remote-order")
        self._max_waiting = max_waiting
        self._waiting = 0
        self._count = threading.Lock()

    @property
    def clock(self) -> Clock:
        return self._clock

    def submit(self, envelope: Envelope) -> Future[TxResult]:
        """Send ``envelope`` to the leading orderer in the background.

        Raises:
            OrderingError: this peer diverged from the others; it accepts no writes.

        The future raises TxRejected (admission refused), OrdererBusy (no orderer took it), or
        OrderingError (ordered, but this peer has not executed its block in time).
        """
        divergence = self._follower.divergence
        if divergence is not None:
            raise OrderingError(
                f"this peer diverged at block {divergence.block}; it accepts no writes",
                hint="use another org's peer; rebuild this peer's ledger from the others",
            )
        with self._count:
            if self._waiting >= self._max_waiting:
                raise OrdererBusy(
                    f"this peer has {self._waiting} txs on their way to the orderer; "
                    "it takes no more until some are answered"
                )
            self._waiting += 1
        return self._trips.submit(self._counted_trip, envelope)

    def _counted_trip(self, envelope: Envelope) -> TxResult:
        try:
            return self._round_trip(envelope)
        finally:  # before the future resolves: its caller may submit again at once
            with self._count:
                self._waiting -= 1

    def _round_trip(self, envelope: Envelope) -> TxResult:
        body = self._send(envelope.to_json())
        result = TxResult(
            str(body["tx_id"]),
            bool(body["valid"]),
            body.get("code"),
            body.get("message"),
            result=body.get("result"),
        )
        if not self._follower.wait_for(int(body["block"]) + 1, self._timeout):
            raise OrderingError(
                f"tx {result.tx_id} is ordered (block {body['block']}) but this peer has not "
                "executed it yet",
                hint="it will appear here once the peer catches up",
            )
        return result

    def _send(self, document: Any) -> dict[str, Any]:
        last = "no orderer is configured"
        for orderer in self._orderers:
            try:
                client = self._clients.client(orderer.org)
                answer = client.post(f"{orderer.url}/txs", json=document, timeout=self._timeout)
                body: dict[str, Any] = answer.json()
            except (httpx.HTTPError, ValueError) as error:
                last = f"{orderer.name}: {error}"
                continue
            if answer.status_code == 200:
                return body
            error_doc = body.get("error") or {}
            if answer.status_code == 422:
                raise TxRejected(
                    str(error_doc.get("message")),
                    code=str(error_doc.get("code")),
                    hint=error_doc.get("hint"),
                )
            last = f"{orderer.name}: {error_doc.get('message')}"
        raise OrdererBusy(f"no orderer took the tx ({last})")

    def close(self) -> None:
        """Stop taking txs; a tx already on its way finishes (or fails once the peer's
        clients close: they are the peer's, closed with it)."""
        self._trips.shutdown(wait=False, cancel_futures=True)


def api_home(home: ClusterHome, config: ClusterConfig, peer: str) -> NetworkHome:
    """The API home of ``peer``'s org (created on first use)."""
    spec = config.peer(peer)
    org = next(o for o in config.orgs if o.name == spec.org)
    root = home.root / "api" / peer
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    orgs = root / "orgs"
    if not orgs.exists():
        os.symlink(os.path.relpath(home.root / "orgs", root), orgs)
    channel = config.channels_of(spec.org)[0]
    document = {
        "version": CONFIG_VERSION,
        "org": spec.org,
        "channel": channel,
        "admin": org.admin,
        "orderer": config.orderers[0].name,
        "peer": peer,
    }
    (root / "network.json").write_text(json.dumps(document, indent=2) + "\n")
    return NetworkHome(root)


def cluster_node(home: NetworkHome, follower: PeerFollower, orderer: RemoteOrderer) -> Node:
    """A node for ``create_app``: the follower's peer, and the cluster's orderer."""
    return Node(home, follower.channel, follower.peer, orderer)
