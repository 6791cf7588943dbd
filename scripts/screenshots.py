"""Screenshots of the main pages (``make screenshots``): docs/screenshots/<page>-<width>.png.

Builds the demo network of ``make run`` in a temporary home, serves it on 127.0.0.1, and walks
the demo version through its review in headless Chromium as its people would (bob starts the
review, verifies the artifacts, passes and deploys it; carol comments and moves it to QA),
then photographs each main page at a laptop's width (1280 px) and a phone's (390 px). Nothing
is fetched from the internet; the pictures change only when the pages do.

    .venv/bin/python scripts/screenshots.py [OUTPUT_DIR]
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from tetherai.server import create_web_app
from tetherai.services.demo import build_demo, demo_password
from tetherai.services.settings import Settings

CHROMIUM = "/usr/bin/chromium"
PASSPHRASE = "screenshots-passphrase"  # noqa: S105 - a throw-away demo network's
PROJECT = "/projects/Org1/credit-scoring"
WIDTHS = {"1280": {"width": 1280, "height": 800}, "390": {"width": 390, "height": 844}}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(home: Path) -> tuple[uvicorn.Server, threading.Thread, str]:
    env = {
        "TETHER_PASSPHRASE": PASSPHRASE,
        "TETHER_SECRET_KEY_FILE": str(home / "secrets" / "server.key"),
    }
    settings = Settings.from_env(env, home=home)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_web_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise SystemExit("the demo server did not start")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def _page(
    browser: Browser, url: str, who: str, viewport: dict[str, int], locale: str = "en-US"
) -> Page:
    context = browser.new_context(base_url=url, viewport=viewport, locale=locale)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto("/signin")
    page.locator("main [name=username]").fill(who)
    page.locator("main [name=password]").fill(demo_password(who))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/dashboard")
    return page


def _act(page: Page, action: str, **fields: str) -> None:
    form = page.locator(f"form.action-form[data-action='{action}']")
    for name, value in fields.items():
        form.locator(f"[name='{name}']").fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".flash")


def _review(browser: Browser, url: str) -> None:
    """Walk the demo version through its review, through the pages."""
    version = f"{PROJECT}/versions/v1"
    bob = _page(browser, url, "bob", WIDTHS["1280"])
    bob.goto(version)
    for action, fields in (
        ("start_review", {}),
        ("verify", {}),
        ("pass_review", {}),
        ("deploy", {"endpoint": "https://models.example/credit"}),
    ):
        _act(bob, action, **fields)
    carol = _page(browser, url, "carol", WIDTHS["1280"])
    carol.goto(version)
    carol.get_by_label("New comment").fill("Checked the fairness report; fine for QA.")
    carol.locator("#comment-form button[type=submit]").click()
    carol.wait_for_selector(".flash")
    _act(carol, "start_qa")
    bob.context.close()
    carol.context.close()


def _shoot(browser: Browser, url: str, out: Path) -> list[Path]:
    shots = []
    pages = {
        "carol": [
            ("dashboard", "/dashboard"),
            ("projects", "/projects"),
            ("project", PROJECT),
            ("version", f"{PROJECT}/versions/v1"),
            ("audit-trail", f"{PROJECT}/versions/v1/audit"),
            ("ledger", "/ledger"),
        ],
        "alice": [("register-version", f"{PROJECT}/versions/new")],
        "admin": [("admin", "/admin")],
    }
    for width, viewport in WIDTHS.items():
        for who, paths in pages.items():
            page = _page(browser, url, who, viewport)
            for name, path in paths:
                page.goto(path)
                page.wait_for_load_state("networkidle")
                target = out / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=True)
                shots.append(target)
            page.context.close()
    chinese = _page(browser, url, "carol", WIDTHS["1280"], locale="zh-CN")
    chinese.goto(f"{PROJECT}/versions/v1")
    target = out / "version-zh-1280.png"
    chinese.screenshot(path=str(target), full_page=True)
    shots.append(target)
    chinese.context.close()
    return shots


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tether-shots-") as folder:
        home = Path(folder) / "demo"
        os.environ["TETHER_PASSPHRASE"] = PASSPHRASE
        build_demo(home, PASSPHRASE.encode())
        server, thread, url = _serve(home)
        try:
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True)
                try:
                    _review(browser, url)
                    shots = _shoot(browser, url, out)
                finally:
                    browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    for shot in shots:
        print(f"wrote {shot}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots")))
