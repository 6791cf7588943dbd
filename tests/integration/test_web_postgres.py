"""The pages on PostgreSQL: the listings read the projections through SQL that SQLite and
PostgreSQL must both run (case-insensitive search with escaped wildcards, counts by status)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.common.accounts import web_account
from tests.common.lifecycle import make_cast
from tests.common.network import PASSPHRASE, make_network
from tests.common.server import serve
from tetherai.identity.roles import Role
from tetherai.server import create_web_app
from tetherai.services.custody import Argon2Parameters
from tetherai.services.overview import wait_for_projections
from tetherai.services.settings import Settings

pytest_plugins = ["tests.common.postgres"]

FAST = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found
    return found.group(1)


@pytest.mark.integration
def test_pages_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    net = make_network(tmp_path, max_wait=0.002)
    try:
        cast = make_cast(net)
        cast.new_version("v1")
        cast.walk("v1", "submitted")
        settings = Settings(
            home=net.home.root,
            database_url=postgres_url,
            secret_key=b"z" * 32,
            passphrase=PASSPHRASE,
        )
        app = create_web_app(settings, node=net.node, argon2=FAST)
        with serve(app) as http:
            rt = app.state.runtime
            web_account(app, net.home, "bob", Role.MLOPS_ENGINEER, "bob's postgres password")
            assert wait_for_projections(
                rt.projections, rt.node.channel, net.node.peer.head.height - 1
            )
            form = http.get("/signin")
            signed = http.post(
                "/signin",
                data={
                    "username": "bob",
                    "password": "bob's postgres password",
                    "csrf_token": _csrf(form),
                },
            )
            assert signed.status_code == 303
            link = f'href="/projects/{cast.project}"'
            assert link in http.get("/projects", params={"q": "SCORING"}).text
            assert link in http.get("/projects", params={"status": "submitted"}).text
            assert link not in http.get("/projects", params={"q": "%"}).text
            dashboard = http.get("/dashboard")
            assert f"/projects/{cast.project}/versions/v1" in dashboard.text
            assert "Start the review" in dashboard.text
            project = http.get(f"/projects/{cast.project}")
            assert "status-submitted" in project.text
            # The language choice is kept in the PostgreSQL users table too.
            saved = http.post(
                "/profile/language", data={"language": "zh", "csrf_token": _csrf(project)}
            )
            assert saved.status_code == 303
            assert rt.auth.get_user_by_username("bob").language == "zh"
    finally:
        net.close()
