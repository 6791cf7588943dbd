"""A server that stops closes its admission line: its threads end, and a write that would
still come is refused (``ordering.closed``), never left waiting."""

from __future__ import annotations

import asyncio
import threading

import pytest
from fastapi import FastAPI

from tests.common.accounts import web_account
from tests.common.lifecycle import Cast
from tests.common.server import serve
from tests.unit.api.conftest import ADMIN_PASSWORD
from tetherai.identity.roles import Role
from tetherai.ordering.errors import OrdererClosed


def _admission_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("tether-admission")}


def test_stopping_the_server_ends_its_admission_threads(app: FastAPI, cast: Cast) -> None:
    before = _admission_threads()
    with serve(app) as http:
        rt = app.state.runtime
        admin = web_account(app, cast.net.home, "admin", Role.ORG_ADMIN, ADMIN_PASSWORD)
        http.headers["Authorization"] = f"Bearer {rt.auth.issue_api_token(admin, 't').token}"
        envelope = cast.net.sign(cast["author"], "project", "create", {"name": "Last words"})
        answer = http.post("/api/v1/envelopes", json=envelope.to_json())
        assert answer.status_code == 200, answer.text
        line = _admission_threads() - before
        assert line  # the server's own
    assert not any(thread.is_alive() for thread in line)
    with pytest.raises(OrdererClosed):
        asyncio.run(rt.admission.run(lambda: None))
