"""Browser tests: the real web app under uvicorn, driven by Debian's headless Chromium.

- ``site``: a real single-org network with three people of one org — alice (AI engineer),
  bob (MLOps engineer), carol (stakeholder) — and the org admin, each with a web account whose
  key the server keeps sealed; a project the three are members of; the web app served on
  127.0.0.1 by uvicorn (stopped at the end of the test).
- ``chromium``: ``/usr/bin/chromium`` launched through Playwright's own driver (the pip wheel
  ships it; nothing is downloaded, ``playwright install`` is never run), closed by the test.
- ``shots``: saves full-page screenshots under ``tests/artifacts/<test>/`` (git-ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    FilePayload,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)

from tests.common.accounts import web_account
from tests.common.network import PASSPHRASE, Network, make_network
from tests.common.server import serve
from tests.common.waiting import PATIENCE
from tetherai.identity.roles import Role
from tetherai.server import create_web_app
from tetherai.services.custody import Argon2Parameters
from tetherai.services.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FAST_ARGON2 = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)
PEOPLE = {
    "alice": Role.AI_ENGINEER,
    "bob": Role.MLOPS_ENGINEER,
    "carol": Role.STAKEHOLDER,
}
PROJECT = "Org1/credit-scoring"


def password(name: str) -> str:
    return f"browser-{name}-password"


@dataclass
class Site:
    """The running app and what the tests need to reach into (the ledger, the object store)."""

    net: Network
    url: str
    http: httpx.Client
    settings: Settings
    project: str = PROJECT
    people: dict[str, Role] = field(default_factory=lambda: dict(PEOPLE))

    def query(self, contract: str, fn: str, /, **args: Any) -> Any:
        return self.net.node.peer.query(contract, fn, dict(args))

    def status(self, version: str) -> str:
        found = self.query("workflow", "status", project=self.project, version=version)
        assert isinstance(found, dict)
        return str(found["status"])

    def object_path(self, sha256: str) -> Path:
        """Where the local content-addressed store keeps an object (to tamper with it)."""
        root = Path(self.settings.storage().objects)
        return root / "objects" / "sha256" / sha256[:2] / sha256[2:]


@contextmanager
def open_site(tmp_path: Path) -> Iterator[Site]:
    """The network, the web app under uvicorn and the people's web accounts, for a block."""
    net = make_network(tmp_path, max_wait=0.002)
    try:
        keys = {name: net.participant(name, role) for name, role in PEOPLE.items()}
        created = net.submit(
            keys["alice"], "project", "create", {"name": "Credit Scoring", "domain": "finance"}
        )
        assert created.valid, created.message
        for member in ("bob", "carol"):
            added = net.submit(
                keys["alice"],
                "project",
                "add_member",
                {"project": PROJECT, "org": "Org1", "id": member},
            )
            assert added.valid, added.message
        settings = Settings(
            home=net.home.root,
            database_url=f"sqlite:///{tmp_path / 'service.sqlite'}",
            secret_key=b"b" * 32,
            passphrase=PASSPHRASE,
            objects_url=str(tmp_path / "objects"),
        )
        app = create_web_app(settings, node=net.node, argon2=FAST_ARGON2)
        with serve(app) as http:
            for name, role in {"admin": Role.ORG_ADMIN, **PEOPLE}.items():
                web_account(app, net.home, name, role, password(name))
            yield Site(net, str(http.base_url).rstrip("/"), http, settings)
    finally:
        net.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with open_site(tmp_path) as opened:
        yield opened


@pytest.fixture(scope="module")
def shared_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One site for every test of a module (tests that do not need a fresh ledger)."""
    with open_site(tmp_path_factory.mktemp("site")) as opened:
        yield opened


@pytest.fixture(scope="module")
def shared_chromium() -> Iterator[Browser]:
    """One Chromium for every test of a module (each test opens its own contexts)."""
    assert CHROMIUM.exists(), "install the Debian package chromium (make test does)"
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def chromium(playwright: Playwright) -> Iterator[Browser]:
    """Debian's headless Chromium; closed when the test ends, whatever happened."""
    assert CHROMIUM.exists(), "install the Debian package chromium (make test does)"
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
    # A busy machine is slow, not wrong: expectations wait as long as every other wait.
    expect.set_options(timeout=PATIENCE * 1000)
    try:
        yield browser
    finally:
        browser.close()


class Shots:
    """Numbered full-page screenshots of one test under tests/artifacts/<test>/."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def __call__(self, page: Page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return Shots(folder)


PHONE: ViewportSize = {"width": 390, "height": 844}
"""A phone's viewport (the narrow width every page must fit)."""
LAPTOP: ViewportSize = {"width": 1280, "height": 800}


def sign_in(
    browser: Browser,
    site: Site,
    name: str,
    *,
    javascript: bool = True,
    viewport: ViewportSize | None = None,
    locale: str = "en-US",
) -> BrowserContext:
    """A fresh browser context (own cookies) signed in as ``name`` through the sign-in page."""
    context = browser.new_context(
        base_url=site.url,
        java_script_enabled=javascript,
        locale=locale,
        viewport=viewport or LAPTOP,
    )
    context.set_default_timeout(PATIENCE * 1000)
    page = context.new_page()
    page.goto("/signin")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password(name))
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")
    page.close()
    return context


def upload(name: str, data: bytes, mime: str = "application/octet-stream") -> list[FilePayload]:
    """A file for ``set_input_files``, made in memory."""
    return [{"name": name, "mimeType": mime, "buffer": data}]
