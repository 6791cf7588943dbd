"""The pages under the site-wide Content-Security-Policy, in Chromium: no page (nor /docs under
its own policy) has anything refused, and the in-page proof check and the upload script still
run. A page that drifted to inline code or a CDN would be reported here."""

from __future__ import annotations

from playwright.sync_api import Browser, ConsoleMessage

from tests.browser.conftest import Site, sign_in
from tests.browser.test_proof import _prove, _register
from tests.common.waiting import PATIENCE


def test_no_page_breaks_the_security_policy(chromium: Browser, site: Site) -> None:
    tx_id = _register(site)
    context = sign_in(chromium, site, "alice")
    page = context.new_page()
    refused: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", watch)
    for path in (
        "/dashboard",
        "/projects",
        f"/projects/{site.project}",
        f"/projects/{site.project}/versions/v1",
        f"/projects/{site.project}/versions/new",
        f"/projects/{site.project}/audit",
        "/ledger",
        "/profile",
    ):
        answer = page.goto(path)
        assert answer is not None and answer.ok, (path, answer and answer.status)
        policy = answer.headers["content-security-policy"]
        for directive in ("script-src 'self';", "style-src 'self';", "frame-ancestors 'none'"):
            assert directive in policy, (path, policy)
    # The HTML audit report: its one inline style allowed by its hash, and applied.
    answer = page.goto(f"/api/v1/projects/{site.project}/audit-report.html")
    assert answer is not None and answer.ok
    assert "style-src 'self' 'sha256-" in answer.headers["content-security-policy"]
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).fontSize") == "24px"
    page.goto(f"/projects/{site.project}/versions/v1/audit")
    state, text = _prove(page, tx_id)  # proof.js: fetch + WebCrypto allowed by 'self'
    assert state == "proved", text
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=PATIENCE * 1000)
    assert "tetherai" in page.locator(".swagger-ui .info .title").inner_text()
    assert not refused, refused
    context.close()
