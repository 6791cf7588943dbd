"""Webhooks reach public addresses only (unless the operator allows more), checked when added
and again at delivery, which connects to the address it checked."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

from tetherai.services.webhook_targets import WebhookTargetRefused, check_target, post_checked


def resolving(*addresses: str) -> Any:
    """A resolver that answers with ``addresses`` (what a DNS name may point at, or be
    re-pointed to between two looks)."""
    return lambda host, port: list(addresses)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",  # the cloud metadata service
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    with pytest.raises(WebhookTargetRefused, match="not a public address"):
        check_target("https://hooks.example/x", resolve=resolving(address))


def test_every_address_of_a_name_must_be_public() -> None:
    with pytest.raises(WebhookTargetRefused):
        check_target("https://hooks.example/x", resolve=resolving("93.184.215.14", "10.0.0.1"))
    found = check_target("https://hooks.example:8443/x", resolve=resolving("93.184.215.14"))
    assert (found.host, found.port, found.addresses) == ("hooks.example", 8443, ("93.184.215.14",))


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example/x",
        "file:///etc/passwd",
        "https://user:pw@hooks.example/",
        "http:///x",
        "https://hooks.example:99999/",
    ],
)
def test_only_plain_http_urls_with_a_host(url: str) -> None:
    with pytest.raises(WebhookTargetRefused):
        check_target(url, resolve=resolving("93.184.215.14"))


def test_the_operator_may_allow_a_host_or_a_network() -> None:
    check_target("http://receiver.internal/x", ["receiver.internal"], resolving("10.0.0.5"))
    check_target("http://hooks.example/x", ["10.0.0.0/8"], resolving("10.0.0.5"))
    with pytest.raises(WebhookTargetRefused):
        check_target("http://hooks.example/x", ["10.0.0.0/8"], resolving("192.168.0.5"))


def test_a_real_name_of_this_machine_is_refused() -> None:
    with pytest.raises(WebhookTargetRefused):
        check_target("http://localhost:8000/x")  # the system resolver


class _Receiver(BaseHTTPRequestHandler):
    hosts: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.hosts.append(self.headers["Host"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[int]:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()


def test_delivery_checks_again_and_connects_to_the_checked_address(receiver: int) -> None:
    url = f"http://hooks.example:{receiver}/x"
    # Re-pointed to a private address after it was added: refused, nothing is sent.
    with pytest.raises(WebhookTargetRefused):
        post_checked(url, b"{}", {}, resolve=resolving("127.0.0.1"))
    assert _Receiver.hosts == []
    # Allowed: the POST goes to the address checked, under the webhook's own host name.
    post_checked(url, b"{}", {}, allow=["127.0.0.0/8"], resolve=resolving("127.0.0.1"))
    assert _Receiver.hosts == [f"hooks.example:{receiver}"]
