"""Shared fixtures: a real network in a temp dir (real SQLite, real keys, real signatures)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.common.lifecycle import Cast, make_cast
from tests.common.network import Network, make_network

# The PostgreSQL fixtures (a real server, started once for the run when a test asks for it).
pytest_plugins = ["tests.common.postgres"]


@pytest.fixture
def network(tmp_path: Path) -> Iterator[Network]:
    net = make_network(tmp_path)
    try:
        yield net
    finally:
        net.close()


@pytest.fixture
def cast(tmp_path: Path) -> Iterator[Cast]:
    """The demo people and a project on a fresh network that cuts blocks quickly."""
    net = make_network(tmp_path, max_wait=0.002)
    try:
        yield make_cast(net)
    finally:
        net.close()
