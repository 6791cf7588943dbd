"""Everyday use in Chromium, at a laptop's width (1280 px) and a phone's (390 px): the version
page tells its life cycle in words, tx ids are short and linked, proofs and notifications are
one click for all, documents are attached by upload, the author is not asked to rate their
own work, the policy form is compact, every main page fits a phone, a big registration says
what it is doing, and charts answer the pointer.

One server and one browser serve the whole module: the versions are made once (on the ledger,
as their people), and each test opens its own signed-in browser contexts.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from tests.browser.conftest import LAPTOP, PHONE, Site, sign_in, upload
from tests.common.lifecycle import manifest
from tests.common.network import PASSPHRASE
from tetherai.services.network import ParticipantKey, load_participant
from tetherai.storage import LocalObjectStore

ENDPOINT = "https://models.example/credit"
WIDTHS = pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280px", "390px"])


@dataclass
class Lived:
    """The module's site with v1 (walked to QA) and v2 (submitted), each with training curves."""

    site: Site
    keys: dict[str, ParticipantKey]

    def url(self, version: str, tail: str = "") -> str:
        return f"/projects/{self.site.project}/versions/{version}{tail}"


def _experiment(scale: float) -> dict[str, object]:
    return {
        "name": "final",
        "metrics": {"test_accuracy": round(0.9 + scale / 100, 4)},
        "hyperparameters": {"C": scale},
        "series": {
            "loss": [round(1 / (e * scale), 4) for e in range(1, 6)],
            "fairness_gap": [0.01] * 5,  # flat: its axis must still read
        },
    }


@pytest.fixture(scope="module")
def lived(shared_site: Site) -> Lived:
    site = shared_site
    net = site.net
    keys = {name: _key(site, name) for name in ("alice", "bob", "carol")}

    def ok(who: str, contract: str, fn: str, **args: object) -> None:
        result = net.submit(keys[who], contract, fn, dict(args))
        assert result.valid, (fn, result.message)

    project = site.project
    for version, scale in (("v1", 1.0), ("v2", 2.0)):
        ok("alice", "model_version", "create", project=project, version=version,
           code_repo="https://git.example/credit", commit=f"{int(scale):040x}",
           artifacts=manifest(), experiments=[_experiment(scale)], submit=True)  # fmt: skip
    step = {"project": project, "version": "v1"}
    ok("bob", "workflow", "transition", **step, to="reviewing")
    digests = [{"name": a["name"], "sha256": a["sha256"]} for a in manifest()]
    ok("bob", "review", "verify", **step, artifacts=digests)
    ok("bob", "workflow", "transition", **step, to="review_passed")
    ok("bob", "workflow", "transition", **step, to="deployed", details={"endpoint": ENDPOINT})
    ok("carol", "workflow", "transition", **step, to="qa")
    return Lived(site, keys)


def _key(site: Site, name: str) -> ParticipantKey:
    return load_participant(site.net.home, "Org1", name, PASSPHRASE)


@pytest.fixture
def browser(shared_chromium: Browser) -> Browser:
    return shared_chromium


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def open_as(
    browser: Browser,
    lived: Lived,
    contexts: list[BrowserContext],
    who: str,
    viewport: ViewportSize = LAPTOP,
    *,
    locale: str = "en-US",
) -> Page:
    context = sign_in(browser, lived.site, who, viewport=viewport, locale=locale)
    contexts.append(context)
    return context.new_page()


def fits(page: Page, viewport: ViewportSize) -> None:
    """Nothing sticks out sideways: the page is no wider than the window."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{page.url} is {width} px wide at {viewport['width']} px"


@WIDTHS
def test_the_version_page_tells_its_life_cycle(
    browser: Browser, lived: Lived, contexts: list[BrowserContext], viewport: ViewportSize
) -> None:
    page = open_as(browser, lived, contexts, "carol", viewport)
    page.goto(lived.url("v1"))
    steps = page.locator("#lifecycle ol.timeline li")
    expect(steps).to_have_count(6)  # submitted, review started, verified, passed, deployed, QA
    expect(steps.nth(0)).to_contain_text("alice registered it and submitted it for review")
    expect(steps.nth(3)).to_contain_text("bob passed the review")
    expect(steps.nth(4)).to_contain_text("bob deployed it")
    expect(steps.nth(4)).to_contain_text(ENDPOINT)
    expect(steps.nth(5)).to_contain_text("carol moved it to QA")
    # The outcome of the review and the endpoint stay in view after the version moved on.
    expect(page.locator("#review-outcome")).to_contain_text("bob passed the review")
    expect(page.locator("#endpoint")).to_contain_text(ENDPOINT)
    # Each step links to its tx, whose proof is checked right there.
    step = steps.nth(3)
    step.get_by_role("button", name="Prove").click()
    expect(step.locator(".proof-result[data-state='proved']")).to_contain_text("Proven")
    fits(page, viewport)
    step.locator("a.tx-link").click()
    expect(page.locator("h1")).to_contain_text("Tx")
    expect(page.locator("#tx-facts")).to_contain_text("bob passed the review")
    fits(page, viewport)


@WIDTHS
def test_tx_ids_are_links_and_a_short_id_finds_its_tx(
    browser: Browser, lived: Lived, contexts: list[BrowserContext], viewport: ViewportSize
) -> None:
    page = open_as(browser, lived, contexts, "carol", viewport)
    page.goto(lived.url("v1"))
    page.get_by_label("New comment").fill("The endpoint answers.")
    page.locator("#comment-form").get_by_role("button", name="Comment").click()
    link = page.locator(".flash a.tx-link")
    expect(link).to_be_visible()  # "Recorded on the ledger in tx 1a2b3c…": the id is a link
    tx_id = str(link.get_attribute("href")).rsplit("/", 1)[1]
    link.click()
    expect(page.locator("#tx-facts")).to_contain_text(tx_id)
    page.goto("/ledger")
    page.get_by_label("Find a tx by its id").fill(tx_id[:8].upper())
    page.get_by_role("button", name="Find").click()
    expect(page).to_have_url(re.compile(f"/ledger/txs/{tx_id}$"))
    expect(page.locator("#tx-facts")).to_contain_text("carol commented")
    fits(page, viewport)


@WIDTHS
def test_prove_all_proves_every_row_of_an_audit_trail(
    browser: Browser, lived: Lived, contexts: list[BrowserContext], viewport: ViewportSize
) -> None:
    lived.site.net.notarize(lived.site.net.admin)  # a checkpoint beyond the trail's last tx
    page = open_as(browser, lived, contexts, "carol", viewport)
    page.goto(lived.url("v1", "/audit"))
    rows = page.locator("#audit-trail tbody tr")
    count = rows.count()
    assert count >= 6
    page.locator("#prove-all").click()
    summary = page.locator("#prove-all-result[data-state]")
    expect(summary).to_have_attribute("data-state", "proved", timeout=30_000)
    expect(summary).to_have_text(f"{count} of {count} proven")
    expect(page.locator("#audit-trail .proof-result[data-state='proved']")).to_have_count(count)
    fits(page, viewport)


@WIDTHS
def test_mark_all_read_empties_the_unread_notifications(
    browser: Browser, lived: Lived, contexts: list[BrowserContext], viewport: ViewportSize
) -> None:
    # A person each: once read, a person's notifications are read at the other width too.
    who = "bob" if viewport is LAPTOP else "alice"
    page = open_as(browser, lived, contexts, who, viewport)
    page.goto("/dashboard")
    notes = page.locator("#notification-list li[data-notification]")
    expect(notes.first).to_be_visible()
    assert notes.count() >= 2
    expect(notes.first).to_contain_text(re.compile(r"(alice|bob|carol) \w+"))  # who did what
    page.locator("#mark-all-read").get_by_role("button", name="Mark all as read").click()
    expect(page.locator(".flash")).to_contain_text("marked as read")
    expect(page.locator("#notification-list")).to_contain_text("No unread notifications.")
    fits(page, viewport)


@WIDTHS
def test_a_document_is_attached_by_uploading_it(
    browser: Browser, lived: Lived, contexts: list[BrowserContext], viewport: ViewportSize
) -> None:
    page = open_as(browser, lived, contexts, "carol", viewport)
    page.goto(lived.url("v1"))
    name = f"fairness-{viewport['width']}.txt"
    body = f"Fairness review of v1 ({name}): gap 0.01 across groups.\n".encode()
    form = page.locator("#attach-document")
    form.get_by_label("Document to attach").set_input_files(upload(name, body))
    form.get_by_role("button", name="Attach a document").click()
    digest = hashlib.sha256(body).hexdigest()
    expect(page.locator(".flash")).to_contain_text(f"Document {name} attached")
    expect(page.locator(f"#document-list li[data-sha256='{digest}']")).to_contain_text(name)
    fits(page, viewport)
    stored = LocalObjectStore(lived.site.settings.storage().objects)
    with stored.open(f"tether-obj:sha256/{digest}") as source:
        assert source.read() == body  # the file itself is kept, by its digest


@WIDTHS
def test_the_author_is_not_offered_a_rating(
    browser: Browser, lived: Lived, contexts: list[BrowserContext], viewport: ViewportSize
) -> None:
    author = open_as(browser, lived, contexts, "alice", viewport)
    author.goto(lived.url("v1"))
    expect(author.locator("form.action-form[data-action='comment']")).to_have_count(0)
    expect(author.locator("#comment-form")).to_be_visible()
    expect(author.locator("form.action-form[data-action='rate']")).to_have_count(0)
    reviewer = open_as(browser, lived, contexts, "carol", viewport)
    reviewer.goto(lived.url("v1"))
    expect(reviewer.locator("form.action-form[data-action='rate']")).to_have_count(1)
    fits(reviewer, viewport)


@WIDTHS
def test_the_policy_form_is_compact_and_saves(
    browser: Browser, lived: Lived, contexts: list[BrowserContext], viewport: ViewportSize
) -> None:
    page = open_as(browser, lived, contexts, "alice", viewport)
    page.goto(f"/projects/{lived.site.project}")
    page.locator("#policy summary").click()
    form = page.locator("#policy form")
    box = form.bounding_box()
    assert box is not None and box["height"] < 1600, box  # it was 4,800 px: ten blocks
    fits(page, viewport)
    rows = page.locator("#policy-votes tbody tr")
    expect(rows).to_have_count(len(set(rows.evaluate_all("rs => rs.map(r => r.dataset.target)"))))
    if viewport is LAPTOP:
        row = page.locator("#policy-votes tr[data-target='complete']")
        row.locator("select").select_option("stakeholder")
        row.locator("input.count").fill("1")
        form.get_by_role("button", name="Save the policy").click()
        expect(page.locator(".flash")).to_contain_text("Policy saved")
        policy = lived.site.query("project", "get", project=lived.site.project)["policy"]
        assert policy["approvals"]["complete"] == {"role": "stakeholder", "count": 1}


@WIDTHS
def test_every_main_page_fits_the_window(
    browser: Browser, lived: Lived, contexts: list[BrowserContext], viewport: ViewportSize
) -> None:
    project = lived.site.project
    tx_id = lived.site.query("workflow", "status", project=project, version="v1")["tx_id"]
    pages = {
        "carol": [
            "/dashboard",
            "/projects",
            f"/projects/{project}",
            lived.url("v1"),
            lived.url("v2", "?compare=v1"),
            lived.url("v1", "/audit"),
            f"/projects/{project}/audit",
            "/ledger",
            f"/ledger/txs/{tx_id}",
            "/ledger/checkpoints",
            "/profile",
        ],
        "alice": [f"/projects/{project}/versions/new"],
    }
    for who, paths in pages.items():
        page = open_as(browser, lived, contexts, who, viewport)
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            fits(page, viewport)


def test_a_big_registration_says_it_is_registering(
    browser: Browser, lived: Lived, contexts: list[BrowserContext]
) -> None:
    """Once every byte is sent, the page says the server is registering (hashing and signing)
    and the button cannot send it twice; then the version's page opens."""
    page = open_as(browser, lived, contexts, "alice", PHONE)
    page.goto(f"/projects/{lived.site.project}/versions/new")
    page.get_by_label("Version", exact=True).fill("v9")
    page.get_by_label("Code repository").fill("https://git.example/credit")
    page.get_by_label("Commit").fill("9" * 40)
    model = bytes(range(256)) * (24 * 1024)  # 6 MiB
    page.get_by_label("File of artifact 1").set_input_files(upload("model.bin", model))
    fits(page, PHONE)
    # Record every state the form goes through, with whether its button was live then.
    page.evaluate(
        """() => {
          const form = document.getElementById("create-version");
          const button = form.querySelector("button[type=submit]");
          new MutationObserver(() => {
            const seen = JSON.parse(sessionStorage.getItem("states") || "[]");
            seen.push([form.dataset.state, button.disabled,
                       document.getElementById("upload-status").textContent]);
            sessionStorage.setItem("states", JSON.stringify(seen));
          }).observe(form, {attributes: true, attributeFilter: ["data-state"]});
        }"""
    )
    page.get_by_role("button", name="Register the version").click()
    expect(page.locator("h1")).to_contain_text("Version v9", timeout=60_000)
    states = json.loads(page.evaluate("sessionStorage.getItem('states')"))
    registering = [s for s in states if s[0] == "registering"]
    assert registering, states
    assert all(disabled for _, disabled, _ in states), states  # never clickable twice
    assert "Registering: the server is hashing" in registering[0][2]
    digest = hashlib.sha256(model).hexdigest()
    expect(page.locator("#artifacts")).to_contain_text(digest[:16])


@WIDTHS
def test_a_refused_registration_keeps_the_form_and_its_files(
    browser: Browser, lived: Lived, contexts: list[BrowserContext], viewport: ViewportSize
) -> None:
    """The contracts refuse a taken version name: the reason shows above the form, which keeps
    what was typed and the file picked; corrected, the same form registers the version."""
    page = open_as(browser, lived, contexts, "alice", viewport)
    page.goto(f"/projects/{lived.site.project}/versions/new")
    height = lived.site.net.node.peer.head.height
    page.get_by_label("Version", exact=True).fill("v1")  # taken
    page.get_by_label("Code repository").fill("https://git.example/credit")
    page.get_by_label("Commit").fill("7" * 40)
    model = b"kept across a refusal" * 1000
    page.get_by_label("File of artifact 1").set_input_files(upload("model.bin", model))
    page.get_by_role("button", name="Register the version").click()
    refusal = page.locator("#refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("already has a version v1")
    assert lived.site.net.node.peer.head.height == height  # nothing was signed or ordered
    assert page.get_by_label("Commit").input_value() == "7" * 40
    assert page.get_by_label("File of artifact 1").evaluate("input => input.files.length") == 1
    expect(page.get_by_role("button", name="Register the version")).to_be_enabled()
    fits(page, viewport)
    version = "v-kept-" + str(viewport["width"])
    page.get_by_label("Version", exact=True).fill(version)
    page.get_by_role("button", name="Register the version").click()
    expect(page.locator("#refusal")).to_be_hidden(timeout=60_000)
    expect(page.locator("h1")).to_contain_text(f"Version {version}", timeout=60_000)
    expect(page.locator("#artifacts")).to_contain_text(hashlib.sha256(model).hexdigest()[:16])


@WIDTHS
def test_charts_answer_the_pointer_and_overlay_two_versions(
    browser: Browser, lived: Lived, contexts: list[BrowserContext], viewport: ViewportSize
) -> None:
    page = open_as(browser, lived, contexts, "carol", viewport)
    page.goto(lived.url("v2", "?compare=v1"))
    loss = page.locator("figure.chart-box").filter(has=page.locator("svg title", has_text="loss"))
    expect(loss.locator(".series")).to_have_count(2)  # v2 and v1 on the same axes
    ticks = loss.locator("text.y-tick").all_text_contents()
    assert len(ticks) >= 3 and len(set(ticks)) == len(ticks)
    svg = loss.locator("svg")
    box = svg.bounding_box()
    assert box is not None
    svg.hover(position={"x": box["width"] * 0.55, "y": box["height"] * 0.4})
    readout = loss.locator(".chart-readout")
    expect(readout).to_contain_text(
        re.compile(r"epoch \d: v2 · final = [\d.]+ · v1 · final = [\d.]+")
    )
    expect(loss.locator("g.hover")).to_have_attribute("visibility", "visible")
    # The keyboard moves along the epochs too.
    svg.focus()
    page.keyboard.press("ArrowLeft")
    epoch = readout.get_attribute("data-epoch")
    assert epoch is not None and 1 <= int(epoch) <= 5
    # A flat series reads its value on distinct ticks, not "0.01–0.01".
    flat = page.locator("figure.chart-box").filter(
        has=page.locator("svg title", has_text="fairness_gap")
    )
    labels = flat.locator("text.y-tick").all_text_contents()
    assert "0.01" in labels and len(set(labels)) == len(labels) >= 3
    fits(page, viewport)
