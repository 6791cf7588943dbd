"""A damaged object in the server's store: an upload of its bytes is refused as the server's
problem (HTTP 500, CLI exit 3) without naming where the server keeps files, and the operator's
``tether objects repair`` puts the good bytes back, keeping the damaged copy."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import httpx

from tests.common.lifecycle import Cast


def test_a_damaged_object_is_repaired_on_the_node_and_uploads_work_again(
    terminal: Any, cast: Cast, server: httpx.Client, tmp_path: Path
) -> None:
    alice = terminal("alice")
    alice.onboard()
    model = tmp_path / "model.bin"
    model.write_bytes(b"good weights " * 500)
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    create = ["version", "create", "--code-repo", "r", "--commit", "c", "--model", str(model)]
    alice(*create[:2], f"{cast.project}/v1", *create[2:])
    home = cast.net.home.root
    stored = home / "objects" / "objects" / "sha256" / digest[:2] / digest[2:]
    os.chmod(stored, 0o600)
    stored.write_bytes(b"bad weights! " * 500)  # same size, other bytes
    refused = alice(*create[:2], f"{cast.project}/v2", *create[2:], expect=3)
    assert "not what its address says" in refused and "tether objects repair" in refused
    assert str(home) not in refused
    raw = server.post(
        "/api/v1/objects", content=model.read_bytes(), headers={"Authorization": "Bearer x"}
    )
    assert str(home) not in raw.text
    # The operator, on the node: the file is the good copy; the damaged one is kept.
    first = alice.json("objects", "repair", str(model), "--home", str(home))
    assert first["replaced"] is True and first["object"] == f"tether-obj:sha256/{digest}"
    assert first["damaged_copy_kept_at"] == f"quarantine/sha256/{digest}.1"
    again = alice.json("objects", "repair", str(model), "--home", str(home))
    assert again["replaced"] is False  # intact now: nothing to do
    kept = home / "objects" / "quarantine" / "sha256" / f"{digest}.1"
    assert kept.read_bytes() == b"bad weights! " * 500
    assert stored.read_bytes() == model.read_bytes()
    alice(*create[:2], f"{cast.project}/v2", *create[2:])  # uploads work again
    wrong = tmp_path / "other.bin"
    wrong.write_bytes(b"other")
    text = alice("objects", "repair", str(wrong), "--sha256", digest, "--home", str(home), expect=2)
    assert "not the object's content" in text and stored.read_bytes() == model.read_bytes()
