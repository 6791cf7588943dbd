"""Where a webhook may point: not at the server's own network (server-side request forgery).

An org admin names a URL and the server POSTs to it; without a check, that lets an admin make
the server reach its own loopback services, the cloud metadata address or the private network.
A webhook's host name is resolved and *every* address it has must be public, unless the host or
the address is in ``Settings.webhook_allow`` (an internal receiver the operator vouches for).
The check runs when the webhook is added and again at each delivery, and the delivery connects
to the very address it checked (the host name stays in ``Host`` and in TLS's SNI and
certificate check), so a name re-pointed after the check (DNS rebinding) reaches nothing new.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from tetherai.errors import InvalidInput

__all__ = [
    "Resolver",
    "WebhookTarget",
    "WebhookTargetRefused",
    "check_target",
    "post_checked",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port) -> addresses``; the system resolver by default."""
TIMEOUT_S = 5.0


class WebhookTargetRefused(InvalidInput):
    code = "notifications.bad_target"
    hint = (
        "Point the webhook at a public http(s) address; an internal receiver must be allowed by "
        "the operator (TETHER_WEBHOOK_ALLOW)."
    )


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    url: str
    host: str
    port: int
    addresses: tuple[str, ...]
    """The checked addresses, in the resolver's order."""


def system_resolver(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise WebhookTargetRefused(f"cannot resolve the webhook's host {host!r}") from error
    return list(dict.fromkeys(str(entry[4][0]) for entry in found))


def _internal(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        not address.is_global
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _allowed(address: IPAddress, allow: Sequence[str]) -> bool:
    for entry in allow:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue  # a host name entry
    return False


def check_target(
    url: str, allow: Sequence[str] = (), resolve: Resolver = system_resolver
) -> WebhookTarget:
    """Parse ``url`` and check where it leads.

    Raises:
        WebhookTargetRefused: not an http(s) URL with a host, credentials in it, a host that
            does not resolve, or an address on loopback, a private, link-local or other
            non-public network that ``allow`` does not name.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise WebhookTargetRefused(f"{url[:100]!r} is not a URL") from error
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise WebhookTargetRefused("a webhook URL must be http:// or https:// with a host name")
    if parts.username is not None or parts.password is not None:
        raise WebhookTargetRefused("a webhook URL must not carry a user name or password")
    port = port or (443 if parts.scheme == "https" else 80)
    if host.lower() in (entry.lower() for entry in allow):
        return WebhookTarget(url, host, port, tuple(resolve(host, port)))
    addresses = tuple(resolve(host, port))
    if not addresses:
        raise WebhookTargetRefused(f"the webhook's host {host!r} has no address")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if _internal(address) and not _allowed(address, allow):
            raise WebhookTargetRefused(
                f"the webhook's host {host!r} leads to {address}, which is not a public "
                "address (loopback, private, link-local or reserved)"
            )
    return WebhookTarget(url, host, port, addresses)


def post_checked(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow: Sequence[str] = (),
    resolve: Resolver = system_resolver,
) -> None:
    """Check the target again and POST to the address just checked (no redirects followed).

    Raises:
        WebhookTargetRefused: the target now leads somewhere refused.
        httpx.HTTPError: the delivery failed or was answered with an error status.
    """
    target = check_target(url, allow, resolve)
    parts = urlsplit(url)
    address = target.addresses[0]
    literal = f"[{address}]" if ":" in address else address
    pinned = urlunsplit(parts._replace(netloc=f"{literal}:{target.port}"))
    default_port = target.port == (443 if parts.scheme == "https" else 80)
    host_header = target.host if default_port else f"{target.host}:{target.port}"
    extensions = {"sni_hostname": target.host} if parts.scheme == "https" else {}
    with httpx.Client(timeout=TIMEOUT_S, trust_env=False, follow_redirects=False) as client:
        response = client.post(
            pinned,
            content=body,
            headers=headers | {"Host": host_header},
            extensions=extensions,
        )
    response.raise_for_status()
