"""A TensorBoard event file uploaded through the create-version form in Chromium: it is read by
its name or its content (a browser may rename it), charted, and a file that is no log is refused
with a message naming the file, never a server path."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Site, sign_in, upload
from tests.common.tensorboard import write_run

FULL_COMMIT = "fedcba9876543210fedcba9876543210fedcba98"


def fill_form(page: Page, site: Site, version: str, log_name: str, log: bytes) -> None:
    page.goto(f"/projects/{site.project}/versions/new")
    page.get_by_label("Version", exact=True).fill(version)
    page.get_by_label("Code repository").fill("https://git.example/credit")
    page.get_by_label("Commit").fill(FULL_COMMIT)
    page.locator("input[name='file_0']").set_input_files(files=upload("model.bin", b"w" * 100))
    page.get_by_label("Experiment name").fill("tensorboard")
    page.get_by_label("Log file (JSON lines, JSON, CSV, TensorBoard events)").set_input_files(
        files=upload(log_name, log)
    )
    page.get_by_role("button", name="Register the version").click()


def test_an_event_file_uploaded_in_the_form_is_charted(
    chromium: Browser, site: Site, tmp_path: Path
) -> None:
    events = write_run(
        tmp_path / "run", {"loss": [0.9, 0.4, 0.2], "test_accuracy": [0.7, 0.8, 0.9]}
    )
    page = sign_in(chromium, site, "alice").new_page()
    fill_form(page, site, "v-tb", "events.out.tfevents.1700000000.gpu-7.vm", events.read_bytes())
    page.wait_for_url(f"**/projects/{site.project}/versions/v-tb")
    expect(page.locator(".flash.success")).to_contain_text("Version v-tb registered")
    expect(page.locator("svg.chart").first).to_be_visible()
    found = site.query("model_version", "get", project=site.project, version="v-tb")
    (experiment,) = found["version"]["experiments"]
    assert experiment["metrics"] == {"test_accuracy": 0.8999999761581421}  # float32, as written
    assert set(experiment["series"]) == {"loss", "test_accuracy"}
    # Renamed by whoever uploads it, it is still known by its content.
    fill_form(page, site, "v-tb2", "upload.bin", events.read_bytes())
    page.wait_for_url(f"**/projects/{site.project}/versions/v-tb2")
    fill_form(page, site, "v-bad", "notes.vm", b"\x08\x00\x00\x00\x00\x00\x00\x00 not events")
    expect(page.locator("main")).to_contain_text("notes.vm: unknown log format '.vm'")
    assert "/tmp" not in page.content() and "tether-log-" not in page.content()
