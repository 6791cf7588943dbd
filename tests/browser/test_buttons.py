"""A page never shows a button the contracts would refuse: in Chromium, each person's version
page at every status offers exactly the actions ``workflow.actions`` allows them."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.browser.conftest import Shots, Site, sign_in
from tests.common.lifecycle import Cast
from tests.common.network import PASSPHRASE
from tetherai.services.network import load_participant

STATUSES = (
    "draft",
    "submitted",
    "reviewing",
    "review_passed",
    "review_failed",
    "deployed",
    "qa",
    "production",
    "monitoring",
    "complete",
    "declined",
)


def test_each_person_sees_only_what_the_contracts_allow(
    chromium: Browser, site: Site, shots: Shots
) -> None:
    people = {
        role: load_participant(site.net.home, "Org1", name, PASSPHRASE)
        for role, name in (("author", "alice"), ("mlops", "bob"), ("stake1", "carol"))
    }
    cast = Cast(site.net, site.project, dict(people))
    for status in STATUSES:
        cast.new_version(f"at-{status}")
        cast.walk(f"at-{status}", status)
    for name in ("alice", "bob", "carol", "admin"):
        context = sign_in(chromium, site, name)
        page = context.new_page()
        for status in STATUSES:
            version = f"at-{status}"
            page.goto(f"/projects/{site.project}/versions/{version}")
            forms = page.locator("form.action-form")
            shown = {str(forms.nth(i).get_attribute("data-action")) for i in range(forms.count())}
            found = site.query(
                "workflow", "actions", project=site.project, version=version, org="Org1", id=name
            )
            assert isinstance(found, list)
            allowed = {a["action"] for a in found if a["allowed"] and a["action"] != "comment"}
            assert shown == allowed, (name, status, shown, allowed)
            if not allowed:
                assert page.locator("#no-actions").is_visible()
        shots(page, f"{name}-declined-version")
        context.close()
