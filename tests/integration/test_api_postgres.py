"""The service on PostgreSQL: sign-in, invitations with the invitee's own key, writes, projections
and notifications, end to end under uvicorn (the same flows the SQLite tests run)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.common.accounts import web_account
from tests.common.lifecycle import make_cast
from tests.common.network import PASSPHRASE, make_network
from tests.common.server import serve
from tests.common.waiting import PATIENCE
from tetherai.api.app import create_app
from tetherai.identity.roles import Role
from tetherai.services.custody import Argon2Parameters
from tetherai.services.db import ProjectProjection, make_engine, make_session_factory, transaction
from tetherai.services.settings import Settings

pytest_plugins = ["tests.common.postgres"]

FAST = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.mark.integration
def test_web_flow_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    net = make_network(tmp_path, max_wait=0.002)
    try:
        cast = make_cast(net)
        settings = Settings(
            home=net.home.root,
            database_url=postgres_url,
            secret_key=b"y" * 32,
            passphrase=PASSPHRASE,
        )
        app = create_app(settings, node=net.node, argon2=FAST)
        with serve(app) as http:
            web_account(app, net.home, "admin", Role.ORG_ADMIN, "postgres admin pw")
            csrf = http.post(
                "/api/v1/auth/login", json={"username": "admin", "password": "postgres admin pw"}
            ).json()["csrf_token"]
            invited = http.post(
                "/api/v1/admin/invitations",
                json={"username": "erin", "role": "ai_engineer"},
                headers={"X-CSRF-Token": csrf},
            )
            assert invited.status_code == 201, invited.text
            with httpx.Client(base_url=http.base_url, timeout=PATIENCE) as erin:
                accepted = erin.post(
                    "/api/v1/auth/accept",
                    json={"token": invited.json()["token"], "password": "erin's passphrase"},
                )
                assert accepted.status_code == 200, accepted.text
                erin_csrf = erin.post(
                    "/api/v1/auth/login", json={"username": "erin", "password": "erin's passphrase"}
                ).json()["csrf_token"]
                created = erin.post(
                    "/api/v1/projects",
                    json={"name": "On Postgres"},
                    headers={"X-CSRF-Token": erin_csrf},
                )
                assert created.status_code == 201, created.text
                erin.post(
                    "/api/v1/projects/Org1/on-postgres/versions",
                    headers={"X-CSRF-Token": erin_csrf},
                    json={"version": "v1", "code_repo": "r", "commit": "c"},
                )
                erin.post(
                    "/api/v1/projects/Org1/on-postgres/versions/v1/comments",
                    headers={"X-CSRF-Token": erin_csrf},
                    json={"text": "first!"},
                )
                deadline = time.monotonic() + PATIENCE
                items: list[dict[str, object]] = []
                while time.monotonic() < deadline and not items:
                    items = erin.get("/api/v1/me/notifications").json()["items"]
                    time.sleep(0.05)
                assert any("commented" in str(item["text"]) for item in items)
            engine = make_engine(postgres_url)
            try:
                with transaction(make_session_factory(engine, for_writes=False)) as session:
                    refs = set(session.scalars(select(ProjectProjection.ref)))
            finally:
                engine.dispose()
            assert {"Org1/on-postgres", cast.project} <= refs
    finally:
        net.close()
