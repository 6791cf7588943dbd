"""Every page works with JavaScript disabled: forms post, redirect and show their
message; charts are server-drawn SVG, so they show too; only the in-page proof check needs
JavaScript, and its buttons stay hidden (a link to the proof's JSON is offered instead)."""

from __future__ import annotations

import json

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Shots, Site, sign_in, upload

LOG = "\n".join(json.dumps({"epoch": e, "loss": 1.0 / e}) for e in range(1, 4)).encode()


def visit(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, (path, response and response.status)
    expect(page.locator("main")).to_be_visible()


def test_key_pages_and_forms_without_javascript(
    chromium: Browser, site: Site, shots: Shots
) -> None:
    alice = sign_in(chromium, site, "alice", javascript=False)  # the sign-in form itself, too
    page = alice.new_page()
    for path in ("/dashboard", "/projects", f"/projects/{site.project}"):
        visit(page, path)
    visit(page, f"/projects/{site.project}/versions/new")
    page.get_by_label("Version", exact=True).fill("v1")
    page.get_by_label("Code repository").fill("https://git.example/credit")
    page.get_by_label("Commit").fill("abc")
    page.locator("input[name='file_0']").set_input_files(
        files=upload("model.bin", b"m" * 5000, "application/octet-stream")
    )
    page.get_by_label("Log file (JSON lines, JSON, CSV, TensorBoard events)").set_input_files(
        files=upload("train.jsonl", LOG, "application/json")
    )
    page.get_by_label("Submit it for review now").check()
    page.get_by_role("button", name="Register the version").click()
    page.wait_for_url(f"**/projects/{site.project}/versions/v1")
    expect(page.locator(".flash.success")).to_contain_text("Version v1 registered")
    expect(page.locator("svg.chart").first).to_be_visible()  # drawn by the server
    assert site.status("v1") == "submitted"
    shots(page, "no-js-version-page")

    bob = sign_in(chromium, site, "bob", javascript=False)
    page = bob.new_page()
    visit(page, f"/projects/{site.project}/versions/v1")
    page.locator("form.action-form[data-action='start_review'] button").click()
    expect(page.locator(".flash")).to_contain_text("Recorded on the ledger")
    page.locator("form.action-form[data-action='verify'] button").click()
    expect(page.locator(".flash")).to_contain_text("every artifact matches")
    # An HTML5-checked form: the browser refuses an empty reason before anything is sent.
    page.locator("form.action-form[data-action='fail_review'] button").click()
    assert site.status("v1") == "reviewing"
    page.get_by_label("Reason").fill("overfits the test set")
    page.locator("form.action-form[data-action='fail_review'] button").click()
    expect(page.locator("h1 .badge")).to_have_text("Review failed")
    page.get_by_label("New comment").fill("see the validation curve")
    page.locator("#comment-form button").click()
    expect(page.locator(".thread").last).to_contain_text("see the validation curve")

    visit(page, f"/projects/{site.project}/versions/v1/audit")
    expect(page.locator("button.prove").first).to_be_hidden()  # needs JavaScript
    expect(page.get_by_role("link", name="proof (JSON)").first).to_be_visible()
    shots(page, "no-js-audit-trail")
    visit(page, f"/projects/{site.project}/audit")
    visit(page, "/ledger")
    page.locator("#blocks tbody tr a").first.click()
    expect(page.locator("#block-txs")).to_be_visible()
    page.locator("#block-txs tbody tr a").first.click()
    expect(page.locator("#tx-facts")).to_be_visible()
    visit(page, "/ledger/checkpoints")
    expect(page.locator("tr[data-state='verified']").first).to_be_visible()
    shots(page, "no-js-checkpoints")
    alice.close()
    bob.close()
