"""Shared fixtures: a real network in a temp dir (real SQLite, real keys, real signatures).

What every test would otherwise build again is made once per run and copied: a network home
(its CA, admin, node keys and genesis), the cast's network (people enrolled, the project made)
and a service database at the newest schema. A copy is a test's own, as fresh as one made for it:
the same keys and records, made by the same code, without paying for it in every test.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.common.lifecycle import Cast, copy_cast, make_cast
from tests.common.network import Network, copy_network, make_network
from tetherai.services.db import migrate

# The PostgreSQL fixtures (a real server, started once for the run when a test asks for it).
pytest_plugins = ["tests.common.postgres"]

# Hypothesis judges no example by how long it took: its default 200 ms deadline and its
# "too slow" health check fail a correct test on a busy machine. Example counts stay as set.
settings.register_profile("tetherai", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("tetherai")


@pytest.fixture(scope="session")
def network_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The home of a fresh network (closed), made once for the run."""
    net = make_network(tmp_path_factory.mktemp("network-template"))
    net.close()
    return net.home.root


@pytest.fixture(scope="session")
def cast_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The home of the cast's network (closed), made once for the run."""
    net = make_network(tmp_path_factory.mktemp("cast-template"), max_wait=0.002)
    make_cast(net)
    net.close()
    return net.home.root


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite service database at the newest schema, migrated once for the run."""
    path = tmp_path_factory.mktemp("sqlite-template") / "service.sqlite"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A test's own SQLite service database at the newest schema (a copy of the template)."""
    path = tmp_path / "service.sqlite"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def network(tmp_path: Path, network_template: Path) -> Iterator[Network]:
    net = copy_network(network_template, tmp_path)
    try:
        yield net
    finally:
        net.close()


@pytest.fixture
def cast(tmp_path: Path, cast_template: Path) -> Iterator[Cast]:
    """The demo people and a project on a fresh network that cuts blocks quickly."""
    made = copy_cast(cast_template, tmp_path, max_wait=0.002)
    try:
        yield made
    finally:
        made.net.close()
