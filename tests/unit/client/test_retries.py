"""A write whose answer is lost is retried with its Idempotency-Key: one tx, the same tx id.

The server is real; only the answer to the first POST is thrown away on its way back (as a
timeout would), after the server handled the request.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.common.lifecycle import Cast
from tetherai.client import Client, ServerError
from tetherai.client._http import IDEMPOTENCY_HEADER

KEY_PASSPHRASE = b"my own key passphrase"  # as in conftest.py


class LosesFirstAnswers(httpx.HTTPTransport):
    """Forwards every request; the answers to the first ``lose`` envelopes POSTed become read
    timeouts (the check before signing is answered)."""

    def __init__(self, lose: int) -> None:
        super().__init__()
        self.lose = lose
        self.posts: list[tuple[str, str | None, str | None]] = []
        """(path, Idempotency-Key sent, Idempotent-Replayed answered) of each POST."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method != "POST" or request.url.path != "/api/v1/envelopes":
            return response
        response.read()
        self.posts.append(
            (
                request.url.path,
                request.headers.get(IDEMPOTENCY_HEADER),
                response.headers.get("Idempotent-Replayed"),
            )
        )
        if len(self.posts) <= self.lose:
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def _client(person: Callable[[str], Client], cast: Cast, tmp_path: Path, lose: int) -> Client:
    person("alice")  # logs alice in and registers her key in tmp_path/alice
    transport = LosesFirstAnswers(lose)
    client = Client.from_config(
        tmp_path / "alice",
        passphrase=KEY_PASSPHRASE,
        clock=cast.net.node.orderer.clock,
        transport=transport,
    )
    client.http.backoff = 0.01
    return client


def _projects_named(cast: Cast, name: str) -> list[object]:
    return [p for p in cast.query("project", "list_projects", org="") if p["name"] == name]


def test_a_retried_write_answers_the_same_tx_and_makes_one(
    person: Callable[[str], Client], cast: Cast, tmp_path: Path
) -> None:
    with _client(person, cast, tmp_path, lose=2) as client:
        answer = client.create_project("Retried twice")
        posts = client.http._http._transport.posts  # type: ignore[attr-defined]
        stored = client.http.get(f"/ledger/txs/{answer['tx_id']}")
    assert answer["valid"] and (stored["tx_id"], stored["valid"]) == (answer["tx_id"], True)
    assert [path for path, _, _ in posts] == ["/api/v1/envelopes"] * 3
    keys = {key for _, key, _ in posts}
    assert len(keys) == 1 and None not in keys  # one key, sent every time
    assert [replayed for _, _, replayed in posts] == [None, "true", "true"]
    assert len(_projects_named(cast, "Retried twice")) == 1


def test_when_every_answer_is_lost_the_error_says_the_server_cannot_be_reached(
    person: Callable[[str], Client], cast: Cast, tmp_path: Path
) -> None:
    with _client(person, cast, tmp_path, lose=3) as client, pytest.raises(ServerError) as raised:
        client.create_project("Never answered")
    assert raised.value.status == 0 and raised.value.code == "client.unreachable"
    # The server did its work once; the three attempts made one tx.
    assert len(_projects_named(cast, "Never answered")) == 1
