"""The in-page proof check (static/proof.js) in Chromium: a real tx is proved; a proof altered
on its way to the browser is not, and the page says which check failed."""

from __future__ import annotations

import base64
import json

from playwright.sync_api import Browser, Page, Route

from tests.browser.conftest import Shots, Site, sign_in
from tests.common.network import PASSPHRASE
from tetherai.services.network import load_participant

SETTLED = (
    ".proof-result[data-state='proved']:not(:text('checking')), .proof-result[data-state='failed']"
)


def _register(site: Site) -> str:
    alice = load_participant(site.net.home, "Org1", "alice", PASSPHRASE)
    result = site.net.submit(
        alice,
        "model_version",
        "create",
        {
            "project": site.project,
            "version": "v1",
            "code_repo": "https://git.example/credit",
            "commit": "c0ffee",
            "artifacts": [
                {
                    "kind": "model",
                    "name": "m.bin",
                    "uri": "s3://b/m",
                    "size": 1,
                    "sha256": "ab" * 32,
                }
            ],
        },
    )
    assert result.valid, result.message
    site.net.notarize(site.net.admin)  # one more block: a checkpoint beyond the tx
    return result.tx_id


def _prove(page: Page, tx_id: str) -> tuple[str, str]:
    row = page.locator(f"tr[data-tx='{tx_id}']")
    button = row.get_by_role("button", name="Prove")
    button.click()
    result = row.locator(".proof-result")
    page.wait_for_function(
        "el => el && el.textContent && !el.textContent.startsWith('checking')",
        arg=result.element_handle(),
    )
    return str(result.get_attribute("data-state")), result.inner_text()


def test_a_real_tx_is_proved_and_a_tampered_proof_is_not(
    chromium: Browser, site: Site, shots: Shots
) -> None:
    tx_id = _register(site)
    context = sign_in(chromium, site, "alice")
    page = context.new_page()
    page.goto(f"/projects/{site.project}/versions/v1/audit")
    state, text = _prove(page, tx_id)
    assert state == "proved", text
    assert text.startswith("Proven: this tx is entry ")  # in words; the detail for auditors:
    detail = page.locator(f"tr[data-tx='{tx_id}'] .proof-result").get_attribute("title") or ""
    assert "root " in detail and "orderer" in detail
    shots(page, "proved")

    def flip_a_path_hash(route: Route) -> None:
        body = route.fetch().json()
        first = body["proof"][0]
        body["proof"][0] = ("0" if first[0] != "0" else "1") + first[1:]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/v1/ledger/txs/*/proof", flip_a_path_hash)
    state, text = _prove(page, tx_id)
    assert state == "failed", text
    assert "audit path does not lead to the checkpoint" in text
    shots(page, "tampered-path")
    page.unroute("**/api/v1/ledger/txs/*/proof")

    def other_leaf(route: Route) -> None:
        body = route.fetch().json()
        body["leaf"] = body["leaf"].replace("c0ffee", "c0ffef")
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/v1/ledger/txs/*/proof", other_leaf)
    state, text = _prove(page, tx_id)
    assert state == "failed" and "not about this tx" in text, text
    page.unroute("**/api/v1/ledger/txs/*/proof")

    def forged_signature(route: Route) -> None:
        body = route.fetch().json()
        note, _, signatures = body["checkpoint"].rpartition("\n\n")
        lines = signatures.splitlines()
        name, encoded = lines[0].removeprefix("— ").split(" ")
        raw = bytearray(base64.b64decode(encoded))
        raw[-1] ^= 1
        lines[0] = f"— {name} {base64.b64encode(bytes(raw)).decode()}"
        body["checkpoint"] = note + "\n\n" + "\n".join(lines) + "\n"
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/v1/ledger/txs/*/proof", forged_signature)
    state, text = _prove(page, tx_id)
    assert state == "failed" and "signature" in text, text
    shots(page, "forged-signature")
    page.unroute("**/api/v1/ledger/txs/*/proof")
    state, _ = _prove(page, tx_id)
    assert state == "proved"
    context.close()
