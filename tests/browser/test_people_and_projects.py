"""Part A's pages in a real browser, JavaScript off: an admin invites a person, who accepts
with the one-time link, signs in, creates a project, writes its factsheet, adds a member and
makes an API token; the pages in Chinese; the admin pages refused to others."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.browser.conftest import Shots, Site, sign_in


def test_invite_accept_and_run_a_project(chromium: Browser, site: Site, shots: Shots) -> None:
    admin = sign_in(chromium, site, "admin", javascript=False).new_page()
    admin.goto("/admin")
    shots(admin, "admin")
    admin.get_by_label("Username", exact=True).fill("erin")
    admin.get_by_label("Name", exact=True).fill("Erin")
    admin.get_by_label("Role", exact=True).select_option("stakeholder")
    admin.get_by_role("button", name="Invite", exact=True).click()
    expect(admin.locator("h1")).to_have_text("erin is invited")
    link = admin.locator("code.secret").nth(1).inner_text()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/accept\?token=\S+", link)
    shots(admin, "invitation-token")

    erin = chromium.new_context(base_url=site.url, java_script_enabled=False).new_page()
    erin.goto(link)
    erin.get_by_label("New password", exact=True).fill("erin's long password")
    erin.get_by_label("The new password again").fill("erin's long password")
    erin.get_by_role("button", name="Accept and set my password").click()
    expect(erin.locator(".flash.success")).to_contain_text("Your account is ready")
    erin.get_by_label("Username").fill("erin")
    erin.get_by_label("Password").fill("erin's long password")
    erin.locator("main").get_by_role("button", name="Sign in").click()
    erin.wait_for_url("**/dashboard")

    erin.goto("/projects")
    erin.get_by_label("Name", exact=True).fill("Fraud Watch")
    erin.get_by_label("Domain").fill("payments")
    erin.get_by_role("button", name="Create", exact=True).click()
    erin.wait_for_url("**/projects/Org1/fraud-watch")
    expect(erin.locator(".flash.success")).to_contain_text("Project created.")
    erin.get_by_text("Edit the factsheet").click()
    erin.get_by_label("Purpose", exact=True).fill("Flag fraudulent payments")
    erin.get_by_role("button", name="Save the factsheet").click()
    expect(erin.locator("#factsheet")).to_contain_text("Flag fraudulent payments")
    erin.get_by_label("Add a member").select_option("Org1/bob")
    erin.get_by_role("button", name="Add", exact=True).click()
    expect(erin.locator("#members")).to_contain_text("bob@Org1")
    members = site.query("project", "get", project="Org1/fraud-watch")["members"]
    assert {m["id"] for m in members} == {"erin", "bob"}
    shots(erin, "project-page")

    erin.goto("/profile")
    erin.get_by_label("Token name").fill("laptop")
    erin.get_by_role("button", name="Create a token").click()
    token = erin.locator("#new-token").inner_text()
    assert token.startswith("tth_")
    shots(erin, "token-shown-once")
    erin.goto("/profile")
    expect(erin.locator("#new-token")).to_have_count(0)


def test_chinese_pages_and_admin_refused(chromium: Browser, site: Site, shots: Shots) -> None:
    bob = sign_in(chromium, site, "bob", javascript=False).new_page()
    bob.goto("/dashboard")
    bob.get_by_label("Language", exact=True).select_option("zh")
    bob.get_by_role("button", name="Switch").click()
    expect(bob.locator("h1")).to_have_text("仪表板")
    expect(bob.locator("nav")).not_to_contain_text("管理")
    shots(bob, "dashboard-zh")
    response = bob.goto("/admin")
    assert response is not None and response.status == 403
    expect(bob.locator(".error-message")).to_have_text("只有组织管理员可以查看管理页面。")
    bob.set_viewport_size({"width": 390, "height": 800})
    bob.goto(f"/projects/{site.project}")
    shots(bob, "project-zh-phone")
