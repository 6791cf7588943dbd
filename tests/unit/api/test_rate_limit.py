"""Sign-in attempts per client address: a sliding window, and the 429 the API answers with."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.common.lifecycle import Cast
from tests.common.network import PASSPHRASE
from tests.common.server import serve
from tests.unit.api.conftest import FAST_ARGON2
from tetherai.api.app import create_app
from tetherai.errors import http_status
from tetherai.services.rate_limit import SlidingWindow, TooManyAttempts
from tetherai.services.settings import Settings


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_counts_per_key_and_slides() -> None:
    clock = Clock()
    window = SlidingWindow(3, 60, clock=clock)
    for _ in range(3):
        window.hit("192.0.2.1")
    with pytest.raises(TooManyAttempts) as refused:
        window.hit("192.0.2.1")
    assert http_status(refused.value) == 429 and refused.value.details["retry_after_seconds"] == 60
    window.hit("192.0.2.2")  # another address is not affected
    clock.now += 30
    with pytest.raises(TooManyAttempts):
        window.hit("192.0.2.1")  # refused attempts do not count, the first ones still do
    clock.now += 30
    window.hit("192.0.2.1")


def test_one_address_cannot_try_many_usernames(cast: Cast, tmp_path: Path) -> None:
    settings = Settings(
        home=cast.net.home.root,
        database_url=f"sqlite:///{tmp_path / 'limit.sqlite'}",
        secret_key=b"x" * 32,
        passphrase=PASSPHRASE,
        signin_attempts_per_minute=5,
    )
    with serve(create_app(settings, node=cast.net.node, argon2=FAST_ARGON2)) as http:
        codes = [
            http.post(
                "/api/v1/auth/login", json={"username": f"user{i}", "password": "guess guess"}
            )
            for i in range(6)
        ]
        assert [c.status_code for c in codes] == [401] * 5 + [429]
        assert codes[5].json()["error"]["code"] == "auth.rate_limited"
        assert 1 <= int(codes[5].headers["retry-after"]) <= 60
        assert "try again in" in codes[5].json()["error"]["message"]


def _limited(cast: Cast, tmp_path: Path, trusted: tuple[str, ...]) -> Settings:
    return Settings(
        home=cast.net.home.root,
        database_url=f"sqlite:///{tmp_path / f'proxy{len(trusted)}.sqlite'}",
        secret_key=b"x" * 32,
        passphrase=PASSPHRASE,
        signin_attempts_per_minute=3,
        trusted_proxies=trusted,
    )


def test_forwarded_addresses_count_only_from_a_configured_proxy(cast: Cast, tmp_path: Path) -> None:
    def attempts(http: httpx.Client) -> list[int]:
        return [
            http.post(
                "/api/v1/auth/login",
                json={"username": "nobody", "password": "guess guess"},
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
            ).status_code
            for i in range(4)
        ]

    # No proxy configured: the header is anyone's to send, so the real peer is counted.
    with serve(
        create_app(_limited(cast, tmp_path, ()), node=cast.net.node, argon2=FAST_ARGON2)
    ) as http:
        assert attempts(http) == [401, 401, 401, 429]
    # Behind a configured proxy (here: loopback), each forwarded client is counted apart.
    settings = _limited(cast, tmp_path, ("127.0.0.1",))
    with serve(create_app(settings, node=cast.net.node, argon2=FAST_ARGON2)) as http:
        assert attempts(http) == [401, 401, 401, 401]
