"""The throw-away PostgreSQL 15 of the test suite, and the service database on it."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, text

from tests.common.waiting import PATIENCE
from tetherai.services.db import (
    Base,
    SchemaOutdated,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    require_current_schema,
)

if TYPE_CHECKING:
    from tests.common.postgres import PostgresServer

# The fixtures come from the plugin; import it only through pytest (an earlier import would
# stop pytest from rewriting its asserts), hence the imports inside the tests below.
pytest_plugins = ["tests.common.postgres"]
pytestmark = pytest.mark.integration


def _connect(server: PostgresServer, **overrides: object) -> psycopg.Connection[tuple[object, ...]]:
    options: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "user": server.user,
        "password": server.password,
        "dbname": "postgres",
        "connect_timeout": 5,
    } | overrides
    return psycopg.connect(**options)  # type: ignore[arg-type]


def test_the_server_is_postgresql_15_on_loopback_only(postgres_server: PostgresServer) -> None:
    with _connect(postgres_server) as connection:
        settings = {
            name: connection.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
            for name in ("server_version", "listen_addresses", "unix_socket_directories", "fsync")
        }
    assert str(settings["server_version"]).startswith("15.")
    assert settings["listen_addresses"] == "127.0.0.1"
    assert Path(str(settings["unix_socket_directories"])).parent == postgres_server.root
    assert settings["fsync"] == "off"  # a test server: speed over durability


def test_the_server_wants_its_password(postgres_server: PostgresServer) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _connect(postgres_server, password="not the password")


def test_each_test_can_have_its_own_database(postgres_server: PostgresServer) -> None:
    first, second = postgres_server.create_database(), postgres_server.create_database()
    assert first != second
    postgres_server.drop_database(first)
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        _connect(postgres_server, dbname=first)
    _connect(postgres_server, dbname=second).close()


def test_migrating_an_empty_postgresql_database(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        with pytest.raises(SchemaOutdated):
            require_current_schema(engine)
        migrate(postgres_url)
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_a_server_is_stopped_and_its_files_removed_afterwards() -> None:
    from tests.common.postgres import run_postgres

    with run_postgres() as server:
        root, port = server.root, server.port
        assert (root / "data" / "postmaster.pid").exists()
        _connect(server).close()
    assert not root.exists()
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


def test_a_server_is_stopped_even_when_the_tests_fail() -> None:
    from tests.common.postgres import run_postgres

    roots: list[Path] = []

    def failing_test() -> None:
        with run_postgres() as server:
            roots.append(server.root)
            raise RuntimeError("a failing test")

    with pytest.raises(RuntimeError, match="a failing test"):
        failing_test()
    assert roots and not roots[0].exists()


def test_forty_worker_threads_keep_their_connections(migrated_postgres_url: str) -> None:
    """A server's 40 worker threads, each holding a session at once, again and again, open 40
    connections once: none waits for another's, and none is opened (a backend process and a
    SCRAM exchange) and closed again for each use past the pool."""
    engine = make_engine(migrated_postgres_url)
    opened: list[object] = []
    event.listen(engine, "connect", lambda connection, _record: opened.append(connection))
    together = threading.Barrier(40, timeout=PATIENCE)
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                with engine.connect() as connection:
                    together.wait()  # all 40 hold a connection at this moment
                    connection.execute(text("SELECT 1"))
        except BaseException as error:
            failures.append(error)
            together.abort()

    threads = [threading.Thread(target=worker) for _ in range(40)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        engine.dispose()
    assert not failures, failures[:3]
    assert len(opened) == 40
