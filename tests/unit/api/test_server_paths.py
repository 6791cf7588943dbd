"""No server path in an error's answer, from the API or the pages."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
from fastapi import FastAPI

from tetherai.http.server_paths import SERVER_PATH, redact


def test_paths_of_this_machine_are_redacted_and_urls_kept() -> None:
    assert redact("cannot write to /tmp/x/home/objects: no") == f"cannot write to {SERVER_PATH}: no"
    assert redact("POST /api/v1/envelopes, see /docs") == "POST /api/v1/envelopes, see /docs"
    assert redact("'file:///etc/passwd' is outside") == "'file:///etc/passwd' is outside"
    assert redact("at https://git.example/tmp/repo") == "at https://git.example/tmp/repo"


def test_a_storage_failure_names_no_server_path(app: FastAPI, client: httpx.Client) -> None:
    rt = app.state.runtime
    root = Path(rt.settings.storage().objects)
    scratch = root / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.write_text("not a directory")  # the store cannot write (root or not)
    try:
        refused = client.post("/api/v1/objects", content=b"some bytes")
    finally:
        scratch.unlink()
    assert refused.status_code >= 400
    text = refused.text
    assert str(root) not in text and "/tmp" not in text, text
    assert SERVER_PATH in refused.json()["error"]["message"]
