"""Loads tests/vectors/*.json (each file's "source" fields say where the values come from)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS_DIR = Path(__file__).resolve().parents[2] / "vectors"


def load_rfc6962() -> dict[str, Any]:
    with (VECTORS_DIR / "rfc6962.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


RFC6962 = load_rfc6962()
LEAVES: list[bytes] = [bytes.fromhex(leaf) for leaf in RFC6962["leaves"]]
ROOTS: list[bytes] = [bytes.fromhex(root) for root in RFC6962["roots"]]
NODE_HASHES: dict[tuple[int, int], bytes] = {
    (level, index): bytes.fromhex(digest)
    for level, row in enumerate(RFC6962["node_hashes"])
    for index, digest in enumerate(row)
}


def load_signed_note() -> dict[str, Any]:
    with (VECTORS_DIR / "signed_note.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


SIGNED_NOTE = load_signed_note()
