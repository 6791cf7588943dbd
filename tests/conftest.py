"""Shared fixtures: a real network in a temp dir (real SQLite, real keys, real signatures)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.common.lifecycle import Cast, make_cast
from tests.common.network import Network, make_network

# The PostgreSQL fixtures (a real server, started once for the run when a test asks for it).
pytest_plugins = ["tests.common.postgres"]

# Hypothesis judges no example by how long it took: its default 200 ms deadline and its
# "too slow" health check fail a correct test on a busy machine. Example counts stay as set.
settings.register_profile("tetherai", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("tetherai")


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
