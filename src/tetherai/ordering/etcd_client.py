"""A small client of etcd v3's JSON gateway (``/v3/kv/...``, ``/v3/lease/...``) over httpx.

Keys and values are base64 on the wire and 64-bit integers are strings. Every call fails over
across the cluster's endpoints: a connection error, a timeout or an etcd "unavailable" answer
(no leader during an election) moves to the next endpoint and tries again until ``deadline``
seconds have passed. A write retried after a timeout may therefore be applied twice: callers
make their writes idempotent (the orderer's append compares what is stored, see
:mod:`tetherai.ordering.etcd`).
"""

from __future__ import annotations

import base64
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from tetherai.ordering.errors import OrderingError

__all__ = ["EtcdClient", "EtcdUnavailable", "KeyValue", "prefix_end"]


class EtcdUnavailable(OrderingError):
    code = "ordering.etcd_unavailable"
    hint = "check that a majority of the etcd cluster's members are running and reachable"


@dataclass(frozen=True, slots=True)
class KeyValue:
    key: str
    value: bytes
    create_revision: int
    mod_revision: int
    lease: int


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.b64encode(raw).decode()


def prefix_end(prefix: str) -> str:
    """The range end that selects every key starting with ``prefix`` (ASCII prefixes)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _kv(item: dict[str, Any]) -> KeyValue:
    return KeyValue(
        base64.b64decode(item["key"]).decode(),
        base64.b64decode(item.get("value", "")),
        int(item.get("create_revision", 0)),
        int(item.get("mod_revision", 0)),
        int(item.get("lease", 0)),
    )


# Read as a whole: put-if-absent, compare value, compare absent.
Compare = dict[str, Any]
Op = dict[str, Any]


class EtcdClient:
    """Thread-safe; one httpx connection pool, endpoints tried in turn."""

    def __init__(
        self,
        endpoints: Sequence[str],
        *,
        tls: ssl.SSLContext | None = None,
        timeout: float = 2.0,
        deadline: float = 30.0,
    ) -> None:
        """``tls``: the client context (its certificate and the etcd CA) for ``https://``
        endpoints, whose members accept only clients with a certificate."""
        if not endpoints:
            raise OrderingError("no etcd endpoints were given", hint="list at least one URL")
        self.endpoints = [endpoint.rstrip("/") for endpoint in endpoints]
        self._current = 0
        self._lock = threading.Lock()
        self._deadline = deadline
        self._http = httpx.Client(timeout=timeout, verify=tls if tls is not None else True)

    def close(self) -> None:
        self._http.close()

    # -- transport ------------------------------------------------------------------------

    def call(self, path: str, body: dict[str, Any], *, deadline: float | None = None) -> Any:
        """POST ``body`` to ``/v3/<path>`` on some member; retried on another until the deadline.

        Raises:
            EtcdUnavailable: no member answered successfully in time.
        """
        stop = time.monotonic() + (self._deadline if deadline is None else deadline)
        delay = 0.02
        last = "no attempt"
        while True:
            with self._lock:
                index = self._current
            endpoint = self.endpoints[index]
            try:
                response = self._http.post(f"{endpoint}/v3/{path}", json=body)
                data = response.json()
                if response.status_code == 200 and "error" not in data:
                    return data
                last = f"{endpoint}: HTTP {response.status_code} {data.get('error', '')}"
            except (httpx.TransportError, ValueError) as error:
                last = f"{endpoint}: {type(error).__name__} {error}"
            with self._lock:  # move on, unless another thread already did
                if self._current == index:
                    self._current = (index + 1) % len(self.endpoints)
            if time.monotonic() + delay > stop:
                raise EtcdUnavailable(f"etcd did not answer {path} in time (last: {last})")
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    # -- key-value ------------------------------------------------------------------------

    def get(self, key: str) -> KeyValue | None:
        kvs = self.range(key)
        return kvs[0] if kvs else None

    def range(
        self, key: str, end: str | None = None, *, limit: int = 0, keys_only: bool = False
    ) -> list[KeyValue]:
        body: dict[str, Any] = {"key": _b64(key)}
        if end is not None:
            body["range_end"] = _b64(end)
        if limit:
            body["limit"] = str(limit)
        if keys_only:
            body["keys_only"] = True
        return [_kv(item) for item in self.call("kv/range", body).get("kvs", [])]

    def put(self, key: str, value: str | bytes, *, lease: int = 0) -> None:
        body: dict[str, Any] = {"key": _b64(key), "value": _b64(value)}
        if lease:
            body["lease"] = str(lease)
        self.call("kv/put", body)

    def delete_range(self, key: str, end: str | None = None) -> int:
        body: dict[str, Any] = {"key": _b64(key)}
        if end is not None:
            body["range_end"] = _b64(end)
        return int(self.call("kv/deleterange", body).get("deleted", 0))

    def txn(
        self, compare: list[Compare], success: list[Op], failure: list[Op]
    ) -> tuple[bool, list[dict[str, Any]]]:
        data = self.call("kv/txn", {"compare": compare, "success": success, "failure": failure})
        return bool(data.get("succeeded", False)), list(data.get("responses", []))

    # -- txn building blocks ---------------------------------------------------------------

    @staticmethod
    def absent(key: str) -> Compare:
        return {"key": _b64(key), "result": "EQUAL", "target": "CREATE", "create_revision": "0"}

    @staticmethod
    def value_is(key: str, value: str | bytes) -> Compare:
        return {"key": _b64(key), "result": "EQUAL", "target": "VALUE", "value": _b64(value)}

    @staticmethod
    def put_op(key: str, value: str | bytes, *, lease: int = 0) -> Op:
        request: dict[str, Any] = {"key": _b64(key), "value": _b64(value)}
        if lease:
            request["lease"] = str(lease)
        return {"request_put": request}

    @staticmethod
    def range_op(key: str) -> Op:
        return {"request_range": {"key": _b64(key)}}

    @staticmethod
    def ranged(responses: list[dict[str, Any]], index: int) -> list[KeyValue]:
        """The key-values of the ``index``-th response of a txn (a range op)."""
        found = responses[index].get("response_range", {}).get("kvs", [])
        return [_kv(item) for item in found]

    # -- leases -----------------------------------------------------------------------------

    def grant(self, ttl: int) -> int:
        return int(self.call("lease/grant", {"TTL": str(ttl)})["ID"])

    def keepalive(self, lease: int) -> bool:
        """Refresh a lease; False once it has expired (or was revoked)."""
        result = self.call("lease/keepalive", {"ID": str(lease)}).get("result", {})
        return int(result.get("TTL", 0)) > 0

    def revoke(self, lease: int) -> None:
        self.call("lease/revoke", {"ID": str(lease)}, deadline=3.0)

    def status(self, endpoint: str) -> dict[str, Any]:
        """One member's status (its id and the leader's id), without failover."""
        response = self._http.post(f"{endpoint.rstrip('/')}/v3/maintenance/status", json={})
        data: dict[str, Any] = response.json()
        return data
