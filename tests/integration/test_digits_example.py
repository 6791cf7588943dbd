"""The digits example end to end: a server started here, three people with their own
CLI keys, the AI engineer's SDK script, the MLOps engineer's re-run, the ledger replayed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.common.server import serve
from tetherai.api.app import create_app
from tetherai.services.demo import build_demo
from tetherai.services.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "example-node-passphrase"

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_digits_example_end_to_end(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert build_demo(home, PASSPHRASE.encode())
    settings = Settings.from_env({"TETHER_PASSPHRASE": PASSPHRASE}, home=home)
    with serve(create_app(settings)) as http:
        done = subprocess.run(
            [
                sys.executable,
                str(ROOT / "examples" / "digits" / "walkthrough.py"),
                "--server",
                str(http.base_url),
                "--home",
                str(home),
                "--work",
                str(tmp_path / "work"),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert done.stdout.strip().splitlines()[-1] == "digits_example: ok", output[-4000:]
    # What the walkthrough checked, visible in its own words:
    for line in (
        "reproduced all four files byte for byte",
        "the mismatch moved v2 to review_failed",
        "is signed with alice's CLI key",
        "is signed with bob's CLI key",
        "is signed with carol's CLI key",
    ):
        assert line in done.stdout
    # The people's configs kept nothing but their own key files and tokens, mode 0600.
    for person in ("alice", "bob", "carol"):
        folder = tmp_path / "work" / "people" / person
        assert sorted(p.name for p in folder.iterdir()) == ["config.json", "key.p12"]
        assert all(p.stat().st_mode & 0o077 == 0 for p in folder.iterdir())
