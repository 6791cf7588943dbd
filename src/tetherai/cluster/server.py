"""The node-to-node HTTPS endpoints of cluster peers and orderers (standard library only).

A peer serves ``GET /status``, ``GET /blocks?start=&limit=`` (for peers catching up after
compaction), ``POST /query``, ``GET /proof/inclusion?seq=&size=`` and ``POST /txs`` (forwarded
to the orderer; refused with 409 once the peer has diverged). An orderer serves ``GET /status``
and ``POST /txs`` (the answer comes once the tx's block is stored in etcd). Errors use the
project's one shape ``{"error": {"code", "message", "hint", "details"}}``. The user-facing API
(``tether serve``) stays the FastAPI app; these endpoints are the cluster's plumbing.

Both speak mutual TLS only (``tls``): a caller shows a node certificate of a member org of
one of the node's channels, and each request is held to the channel it names
(``trust.NodeTrust.allows``). A channel the caller may not use is answered exactly as one the
node does not have (a peer: 404 ``cluster.no_channel``; an orderer: 503 ``cluster.standby``),
so a node learns nothing of the channels it is not on, not even that they exist.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from tetherai.cluster.config import NodeSpec
from tetherai.cluster.follower import PeerFollower, stored_block
from tetherai.cluster.tls import Caller, ContextCache, NodeClients, TlsIdentity, caller_of
from tetherai.cluster.trust import NodeTrust
from tetherai.errors import TetherError
from tetherai.ledger.errors import TxRejected
from tetherai.ledger.executor import TxResult
from tetherai.ledger.transaction import Envelope
from tetherai.ordering.errors import OrdererBusy, OrdererClosed
from tetherai.ordering.etcd import EtcdOrderer, encode_block

__all__ = ["HttpError", "serve_orderer", "serve_peer"]

Handler = Callable[[str, dict[str, list[str]], Any, Caller], tuple[int, Any]]
HANDSHAKE_TIMEOUT = 10.0


class HttpError(TetherError):
    code = "cluster.http"

    def __init__(self, status: int, message: str, *, code: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, code=code)
        self.status = status
        self.http_status = status


def error_body(error: TetherError) -> dict[str, Any]:
    return {
        "error": {
            "code": error.code,
            "message": error.message,
            "hint": error.hint or None,
            "details": getattr(error, "details", None) or {},
        }
    }


def result_json(result: TxResult) -> dict[str, Any]:
    return {
        "tx_id": result.tx_id,
        "valid": result.valid,
        "code": result.code,
        "message": result.message,
        "result": result.result,
    }


def _server(address: tuple[str, int], handle: Handler, tls: ContextCache) -> ThreadingHTTPServer:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            # The handshake runs here, in the connection's own thread, so a slow or silent
            # client never holds up the others.
            self.request.settimeout(HANDSHAKE_TIMEOUT)
            self.request.do_handshake()
            self.request.settimeout(None)
            self.caller = caller_of(self.request.getpeercert())
            super().setup()

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: the node's own log says what matters

        def _answer(self, method: str) -> None:
            url = urlparse(self.path)
            body: Any = None
            try:
                if self.caller is None:
                    self.close_connection = True  # its body is not read: no request follows
                    raise HttpError(
                        403,
                        "only a node of a member org may call a node; this certificate is not "
                        "a node's (OU=node, issued by its own org's CA)",
                        code="cluster.not_a_node",
                        hint="people use the API; nodes show their TLS certificate",
                    )
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    body = json.loads(self.rfile.read(length))
                route = f"{method} {url.path}"
                status, payload = handle(route, parse_qs(url.query), body, self.caller)
            except HttpError as error:
                status, payload = error.status, error_body(error)
            except TxRejected as error:
                status, payload = 422, error_body(error)
            except (OrdererBusy, OrdererClosed) as error:
                status, payload = 503, error_body(error)
            except TetherError as error:
                status = 404 if error.code.endswith("not_found") else 400
                payload = error_body(error)
            except (ValueError, KeyError, TypeError) as error:
                status = 400
                payload = error_body(
                    HttpError(400, f"bad request: {error}", code="http.bad_request")
                )
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

    class TlsServer(ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self) -> tuple[socket.socket, Any]:
            connection, address = super().get_request()
            # The member orgs (whose CAs are trusted) are read for each new connection.
            wrapped = tls.current().wrap_socket(
                connection, server_side=True, do_handshake_on_connect=False
            )
            return wrapped, address

        def handle_error(self, request: Any, client_address: Any) -> None:
            return  # a refused handshake or a dropped connection: nothing to report

    server = TlsServer(address, RequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _not_found(route: str) -> HttpError:
    return HttpError(404, f"no such endpoint: {route}", code="http.not_found")


def _int(query: dict[str, list[str]], name: str, default: int | None = None) -> int:
    values = query.get(name)
    if not values:
        if default is None:
            raise HttpError(400, f"query parameter {name} is required", code="http.bad_request")
        return default
    return int(values[0])


def serve_peer(
    followers: dict[str, PeerFollower],
    orderers: Sequence[NodeSpec],
    *,
    identity: TlsIdentity,
    clients: NodeClients,
    trust: NodeTrust,
) -> ThreadingHTTPServer:
    """One endpoint for a peer's channels (a ``channel`` parameter; default: the first of
    them the caller may use)."""
    first = next(iter(followers.values()))

    def follower_of(channel: str | None, caller: Caller) -> PeerFollower:
        """The caller's channel here; one it may not use is answered as one not held."""
        if channel is None:
            mine = (f for f in followers.values() if trust.allows(f.store.reader(), caller))
            found = next(mine, None)
        else:
            found = followers.get(channel)
            if found is not None and not trust.allows(found.store.reader(), caller):
                found = None
        if found is None:
            held = "a channel of yours" if channel is None else f"channel {channel}"
            raise HttpError(
                404,
                f"peer {first.name} does not hold {held}",
                code="cluster.no_channel",
                hint="ask a peer of an org that is a member of that channel",
            )
        return found

    def handle(
        route: str, query: dict[str, list[str]], body: Any, caller: Caller
    ) -> tuple[int, Any]:
        channel = query["channel"][0] if "channel" in query else None
        if route == "GET /status":
            status = follower_of(channel, caller).status()
            status["channels"] = {
                name: f.status()
                for name, f in followers.items()
                if trust.allows(f.store.reader(), caller)
            }
            return 200, status
        if route == "GET /blocks":
            follower = follower_of(channel, caller)
            start = _int(query, "start")
            limit = min(_int(query, "limit", 64), 256)
            blocks = []
            for number in range(start, min(start + limit, follower.peer.head.height)):
                block = stored_block(follower.store, number)
                if block is not None:
                    blocks.append(json.loads(encode_block(block)))
            return 200, {"blocks": blocks}
        if route == "POST /query":
            follower = follower_of(body.get("channel", channel), caller)
            result = follower.peer.query(body["contract"], body["fn"], body.get("args") or {})
            return 200, {"result": result, "height": follower.peer.head.height}
        if route == "GET /proof/inclusion":
            follower = follower_of(channel, caller)
            size = _int(query, "size", 0) or None
            proof = follower.peer.inclusion_proof(_int(query, "seq"), size)
            return 200, {"proof": [node.hex() for node in proof]}
        if route == "POST /txs":
            envelope = Envelope.from_json(body)  # refuse garbage here, not at the orderer
            follower = follower_of(envelope.tx.channel, caller)
            if follower.divergence is not None:
                raise HttpError(
                    409,
                    f"peer {follower.name} diverged at block {follower.divergence.block} of "
                    f"channel {follower.channel}; it accepts no writes",
                    code="cluster.divergent",
                    hint="send writes to another peer; rebuild this peer's ledger from the others",
                )
            return _forward(clients, orderers, body)
        raise _not_found(route)

    return _server(first.spec.host_port, handle, ContextCache(identity, trust.server_cas))


def _forward(clients: NodeClients, orderers: Sequence[NodeSpec], body: Any) -> tuple[int, Any]:
    last: Exception | None = None
    for orderer in orderers:
        try:
            response = clients.client(orderer.org).post(f"{orderer.url}/txs", json=body)
        except httpx.HTTPError as error:
            last = error
            continue
        if response.status_code == 503:  # a standby orderer: try the next one
            last = None
            continue
        return response.status_code, response.json()
    raise HttpError(
        503, f"no orderer took the tx ({last or 'all are standing by'})", code="cluster.no_orderer"
    )


def serve_orderer(
    address: tuple[str, int],
    orderers: Callable[[], dict[str, EtcdOrderer]],
    *,
    identity: TlsIdentity,
    trust: NodeTrust,
    timeout: float = 60,
) -> ThreadingHTTPServer:
    """An orderer process's endpoint: one :class:`EtcdOrderer` per channel it leads; ``trust``
    reads its own copy of each channel's ledger (whose member orgs may call it)."""

    def handle(
        route: str, query: dict[str, list[str]], body: Any, caller: Caller
    ) -> tuple[int, Any]:
        current = orderers()
        if route == "GET /status":
            channels = {
                name: {"leader": o.is_leader, "height": o.peer.head.height}
                for name, o in current.items()
                if trust.allows(o.peer.store.reader(), caller)
            }
            leader = any(c["leader"] for c in channels.values())
            return 200, {"leader": leader, "channels": channels}
        if route == "POST /txs":
            envelope = Envelope.from_json(body)
            orderer = current.get(envelope.tx.channel)
            if (
                orderer is None
                or not orderer.is_leader
                or not trust.allows(orderer.peer.store.reader(), caller)
            ):
                raise HttpError(
                    503,
                    f"this orderer does not lead channel {envelope.tx.channel}",
                    code="cluster.standby",
                )
            result = orderer.submit(envelope).result(timeout=timeout)
            # Which block holds it: a peer's API waits for its own copy of that block.
            stored = orderer.peer.store.reader().tx(result.tx_id)
            answer = result_json(result)
            answer["block"] = None if stored is None else stored.block
            return 200, answer
        raise _not_found(route)

    return _server(address, handle, ContextCache(identity, trust.server_cas))
