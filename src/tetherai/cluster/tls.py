"""Authenticated cluster transport: mutual TLS between nodes, TLS with client certificates to
etcd (DESIGN.md §7, SECURITY.md).

**Between nodes** (peers, orderers, the API on a peer, the operator's ``tether network``
tools), both ends show a TLS certificate issued by their org's CA with ``OU=node``
(``CertificateAuthority.issue_node_tls``). Mutual TLS rather than signed requests: the blocks,
query answers and txs that cross the network are the channel's confidential records, so they
must be encrypted as well as authenticated; TLS gives both, with replay protection and
standard tools, where signed requests would need a canonical request form, nonces and still
leave the bodies readable on the wire.

Who a node trusts is what its own ledger copy says: the CA certificates of the member orgs of
the channels it holds (``MembershipRules.member_cas``), read at each new connection. An org
the channel's governance added can connect from the next block on, without restarting
anything; a removed org cannot. A participant's certificate (``OU=<role>``) is refused:
people go through the API, where the access rules apply. Each request is then held to the
channel it names: only nodes of that channel's member orgs read its blocks, query it or
submit to it. A client trusts, for each node it calls, the CA of that node's org only.

**To etcd**, the ordering service's storage, every node (and the tools) shows a client
certificate of the etcd cluster's own CA, which its operator issues (``etcd_members``).
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec

from tetherai.identity.ca import NODE_UNIT, CertificateAuthority
from tetherai.identity.keys import write_certificate, write_tls_private_key

__all__ = [
    "Caller",
    "ContextCache",
    "NodeClients",
    "TlsIdentity",
    "caller_of",
    "issue_tls_identity",
]


@dataclass(frozen=True, slots=True)
class TlsIdentity:
    """A TLS certificate and its private key (PEM files; the key encrypted with ``password``,
    or not at all for servers that cannot read encrypted keys, such as etcd)."""

    certificate: Path
    key: Path
    password: bytes | None

    def client_context(self, trusted: Iterable[str]) -> ssl.SSLContext:
        """A client context showing this identity and trusting the CA certificates given."""
        # Not create_default_context: the system's CAs are no authority over a cluster's nodes.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        pems = "\n".join(trusted)
        if pems:
            context.load_verify_locations(cadata=pems)
        context.load_cert_chain(self.certificate, self.key, password=self.password)
        return context

    def server_context(self, trusted: Iterable[str]) -> ssl.SSLContext:
        """A server context showing this identity that requires a client certificate from
        one of the CAs given (none given: no client can connect)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.certificate, self.key, password=self.password)
        context.verify_mode = ssl.CERT_REQUIRED
        pems = "\n".join(trusted)
        if pems:
            context.load_verify_locations(cadata=pems)
        return context


def issue_tls_identity(
    ca: CertificateAuthority,
    directory: Path,
    stem: str,
    *,
    name: str,
    hosts: list[str],
    password: bytes | None,
    now: datetime,
) -> TlsIdentity:
    """A fresh P-256 key and its node certificate from ``ca``, as ``<stem>.pem`` and
    ``<stem>.key`` in ``directory`` (the key 0600, encrypted with ``password`` if given)."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = ca.issue_node_tls(name=name, public_key=key.public_key(), hosts=hosts, now=now)
    identity = TlsIdentity(directory / f"{stem}.pem", directory / f"{stem}.key", password)
    write_tls_private_key(identity.key, key, password)
    write_certificate(identity.certificate, certificate)
    return identity


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is at the other end of a connection: a node of ``org`` named ``name``."""

    org: str
    name: str


def _attribute(name: Any, key: str) -> str | None:
    values = [value for rdn in name or () for attribute, value in rdn if attribute == key]
    return values[0] if len(values) == 1 else None


def caller_of(certificate: dict[str, Any] | None) -> Caller | None:
    """The node a verified peer certificate (``SSLSocket.getpeercert()``) names, or ``None``
    when it is not a node's: not ``OU=node``, or its ``O`` is not its issuing CA's org."""
    if not certificate:
        return None
    subject, issuer = certificate.get("subject"), certificate.get("issuer")
    org = _attribute(subject, "organizationName")
    name = _attribute(subject, "commonName")
    if (
        org is None
        or name is None
        or _attribute(subject, "organizationalUnitName") != NODE_UNIT
        or _attribute(issuer, "organizationName") != org
    ):
        return None
    return Caller(org, name)


class ContextCache:
    """Server contexts by the set of trusted CAs: rebuilt only when the member orgs change."""

    def __init__(self, identity: TlsIdentity, trusted: Callable[[], Iterable[str]]) -> None:
        self._identity = identity
        self._trusted = trusted
        self._lock = threading.Lock()
        self._made: tuple[tuple[str, ...], ssl.SSLContext] | None = None

    def current(self) -> ssl.SSLContext:
        key = tuple(sorted(set(self._trusted())))
        with self._lock:
            if self._made is None or self._made[0] != key:
                self._made = (key, self._identity.server_context(key))
            return self._made[1]


class NodeClients:
    """HTTPS clients to other nodes, showing ``identity``; the client for a node of ``org``
    trusts ``org``'s CA only (``ca_of``), so another org's node cannot stand in for it."""

    def __init__(
        self,
        identity: TlsIdentity,
        ca_of: Callable[[str], str | None],
        *,
        timeout: float = 60.0,
    ) -> None:
        self._identity = identity
        self._ca_of = ca_of
        self._timeout = timeout
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], httpx.Client] = {}

    def client(self, org: str) -> httpx.Client:
        """The client for nodes of ``org``.

        Raises:
            httpx.ConnectError: ``org``'s CA is not known here (not a member, as far as the
                trust source knows).
        """
        ca = self._ca_of(org)
        if ca is None:
            raise httpx.ConnectError(f"the CA of org {org} is not known here")
        with self._lock:
            found = self._clients.get((org, ca))
            if found is None:
                context = self._identity.client_context([ca])
                found = httpx.Client(verify=context, timeout=self._timeout)
                self._clients[(org, ca)] = found
            return found

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
