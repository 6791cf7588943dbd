"""The whole life cycle through the pages, as three people, in Chromium.

alice (AI engineer) registers and submits a version by uploading its files; someone changes a
byte of its model in the object store; bob (MLOps engineer) re-hashes it from the page and the
contracts fail the review. alice registers a corrected version that replaces it; bob verifies
it (all digests match), passes the review and deploys it; carol (stakeholder) moves it to QA;
bob puts it into production and starts monitoring; carol completes it. At every stop the page
shows exactly the actions the contracts allow that person; screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import json
import re

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import Shots, Site, sign_in, upload
from tetherai.storage import LocalObjectStore


def training_log(quality: float) -> bytes:
    """A JSON-lines training log whose loss falls and accuracy rises with ``quality``."""
    return "\n".join(
        json.dumps(
            {
                "epoch": e,
                "loss": round(1.0 / (e * quality), 4),
                "test_accuracy": round(0.85 + quality * e / 100, 4),
            }
        )
        for e in range(1, 6)
    ).encode()


def version_url(site: Site, version: str) -> str:
    return f"/projects/{site.project}/versions/{version}"


def shown_actions(page: Page) -> set[str]:
    forms = page.locator("form.action-form")
    return {str(forms.nth(i).get_attribute("data-action")) for i in range(forms.count())}


def allowed(site: Site, who: str, version: str) -> set[str]:
    found = site.query(
        "workflow", "actions", project=site.project, version=version, org="Org1", id=who
    )
    assert isinstance(found, list)
    return {a["action"] for a in found if a["allowed"] and a["action"] != "comment"}


def open_version(context: BrowserContext, site: Site, who: str, version: str) -> Page:
    page = context.new_page()
    page.goto(version_url(site, version))
    expect(page.locator("h1")).to_contain_text(f"Version {version}")
    assert shown_actions(page) == allowed(site, who, version), who
    return page


def act(page: Page, action: str, **fields: str) -> None:
    """Fill and send the form of ``action``; expect the success message on the page after."""
    form = page.locator(f"form.action-form[data-action='{action}']")
    for name, value in fields.items():
        field = form.locator(f"[name='{name}']")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    with page.expect_navigation():  # the POST, then the redirect back to the version page
        form.get_by_role("button").click()
    expect(page.locator(".flash")).to_contain_text("tx ")


def register(
    page: Page, site: Site, version: str, model: bytes, *, quality: float = 1.0, replaces: str = ""
) -> None:
    page.goto(
        f"/projects/{site.project}/versions/new" + (f"?replaces={replaces}" if replaces else "")
    )
    page.get_by_label("Version", exact=True).fill(version)
    page.get_by_label("Code repository").fill("https://git.example/credit")
    page.get_by_label("Commit").fill(f"commit-of-{version}")
    page.locator("input[name='file_0']").set_input_files(
        files=upload("model.bin", model, "application/octet-stream")
    )
    page.locator("input[name='file_1']").set_input_files(
        files=upload("train.csv", b"x,y\n1,0\n2,1\n", "text/csv")
    )
    page.get_by_label("Experiment name").fill("baseline")
    page.get_by_label("Log file (JSON lines, JSON, CSV, TensorBoard events)").set_input_files(
        files=upload("train.jsonl", training_log(quality), "application/json")
    )
    page.get_by_label("Submit it for review now").check()
    page.get_by_role("button", name="Register the version").click()
    page.wait_for_url(f"**{version_url(site, version)}")
    expect(page.locator(".flash.success")).to_contain_text(f"Version {version} registered")


def test_the_life_cycle_through_the_pages(chromium: Browser, site: Site, shots: Shots) -> None:
    alice = sign_in(chromium, site, "alice")
    bob = sign_in(chromium, site, "bob")
    carol = sign_in(chromium, site, "carol")

    # alice registers v1 by upload and submits it.
    page = alice.new_page()
    register(page, site, "v1", b"weights of the first model" * 1000)
    assert site.status("v1") == "submitted"
    expect(page.locator("h1 .badge")).to_have_text("Submitted")
    expect(page.locator("svg.chart").first).to_be_visible()  # per-epoch loss and accuracy
    assert page.locator("#artifacts tr[data-result='unverified']").count() == 3
    assert shown_actions(page) == allowed(site, "alice", "v1")
    shots(page, "alice-submitted-v1")

    # One byte of the model changes in the object store.
    found = site.query("model_version", "get", project=site.project, version="v1")
    model = next(a for a in found["version"]["artifacts"] if a["name"] == "model.bin")
    path = LocalObjectStore(site.settings.storage().objects).path_of(model["sha256"])
    tampered = bytearray(path.read_bytes())
    tampered[100] ^= 0x20
    path.write_bytes(bytes(tampered))

    # bob reviews v1: start, verify from the store -> the contracts fail it.
    page = open_version(bob, site, "bob", "v1")
    assert "start_review" in shown_actions(page)
    act(page, "start_review")
    assert site.status("v1") == "reviewing"
    assert shown_actions(page) == allowed(site, "bob", "v1")
    act(page, "verify")
    expect(page.locator(".flash.error")).to_contain_text("Verification failed: model.bin")
    expect(page.locator("h1 .badge")).to_have_text("Review failed")
    expect(page.locator("#artifacts tr[data-artifact='model.bin']")).to_have_attribute(
        "data-result", "differs"
    )
    expect(page.locator("#artifacts tr[data-artifact='train.csv']")).to_have_attribute(
        "data-result", "matches"
    )
    expect(page.locator(".comment.system")).to_contain_text("mismatching artifact")
    assert site.status("v1") == "review_failed"
    assert shown_actions(page) == allowed(site, "bob", "v1")
    shots(page, "bob-review-failed-v1")

    expect(page.get_by_role("link", name="Register a corrected version")).to_have_count(0)

    # alice answers with a corrected version that replaces v1.
    page = open_version(alice, site, "alice", "v1")
    page.get_by_role("link", name="Register a corrected version").click()
    expect(page.get_by_label("Replaces a version whose review failed")).to_have_value("v1")
    register(page, site, "v2", b"weights of the retrained model" * 1000, quality=2, replaces="v1")
    expect(page.locator("dl.facts").first).to_contain_text("Replaces")
    assert site.status("v2") == "submitted"
    page.goto(version_url(site, "v2") + "?compare=v1")
    expect(page.locator("#metric-deltas tr[data-metric='test_accuracy'] .delta")).to_have_text(
        "+0.05"
    )
    shots(page, "alice-v2-compared-with-v1")

    # bob: review, verify (all match), pass, deploy.
    page = open_version(bob, site, "bob", "v2")
    act(page, "start_review")
    act(page, "verify")
    expect(page.locator(".flash.success")).to_contain_text("every artifact matches")
    assert page.locator("#artifacts tr[data-result='matches']").count() == 3
    assert shown_actions(page) == allowed(site, "bob", "v2")
    act(page, "pass_review")
    assert site.status("v2") == "review_passed"
    assert shown_actions(page) == allowed(site, "bob", "v2")
    act(page, "deploy", endpoint="https://models.example/credit/v2")
    assert site.status("v2") == "deployed"
    shots(page, "bob-deployed-v2")

    # carol: QA.
    page = open_version(carol, site, "carol", "v2")
    assert {"start_qa", "decline"} <= shown_actions(page)
    assert "deploy" not in shown_actions(page)  # an MLOps step
    act(page, "start_qa")
    assert site.status("v2") == "qa"
    shots(page, "carol-qa-v2")

    # bob: production, monitoring.
    page = open_version(bob, site, "bob", "v2")
    act(page, "promote")
    assert site.status("v2") == "production"
    act(page, "start_monitoring")
    act(page, "monitor", status="active", note="accuracy stable on live traffic")
    expect(page.locator("#monitoring")).to_contain_text("accuracy stable on live traffic")
    assert site.status("v2") == "monitoring"

    # carol completes it, with a comment.
    page = open_version(carol, site, "carol", "v2")
    page.get_by_label("New comment").fill("Fit for purpose; completing.")
    page.locator("#comment-form").get_by_role("button", name="Comment").click()
    expect(page.locator(".thread").last).to_contain_text("Fit for purpose")
    act(page, "complete")
    assert site.status("v2") == "complete"
    expect(page.locator("h1 .badge")).to_have_text("Complete")
    assert shown_actions(page) == allowed(site, "carol", "v2")
    shots(page, "carol-complete-v2")

    # The audit trail of v2, with a proof checked in the page.
    page.goto(version_url(site, "v2") + "/audit")
    rows = page.locator("#audit-trail tbody tr")
    actions = [rows.nth(i).get_attribute("data-action") for i in range(rows.count())]
    assert actions[0] == "model_version.create" and actions.count("workflow.transition") == 7
    expect(page.locator("#audit-trail")).to_contain_text("Monitoring")
    first = rows.first
    first.get_by_role("button", name="Prove").click()
    expect(first.locator(".proof-result[data-state='proved']")).to_contain_text(
        re.compile(r"Proven: this tx is entry \d+ of \d+")
    )
    shots(page, "audit-trail-v2-proved")

    # The ledger explorer.
    page.goto("/ledger")
    expect(page.locator("#blocks tbody tr").first).to_be_visible()
    page.locator("#blocks tbody tr a").first.click()
    expect(page.locator("#block-txs")).to_be_visible()
    page.goto("/ledger/checkpoints")
    expect(page.locator("tr[data-state='verified']").first).to_be_visible()
    shots(page, "ledger-checkpoints")
    # Readable on a phone: nothing wider than the screen (tables scroll inside their box).
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(version_url(site, "v2") + "?compare=v1")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shots(page, "phone-version-page")
    for context in (alice, bob, carol):
        context.close()
