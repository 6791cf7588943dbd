"""A real PostgreSQL 15 server for the test session (a pytest plugin: fixtures below).

Use it from a test module with ``pytest_plugins = ["tests.common.postgres"]``; the plugin is
registered once, so every module shares one server. The server is started with ``initdb`` and
``pg_ctl`` from the PostgreSQL installation (``make system-deps`` installs it) in a fresh temp
directory, listens on 127.0.0.1 on a free port and on a socket in that directory only, requires a
random password, and is always stopped (``pg_ctl stop -m immediate``, then a kill if that fails).
When the tests run as root, the server runs as the ``postgres`` user (``runuser``), because
PostgreSQL refuses to run as root. A missing installation fails the tests: never a silent skip.

Fixtures:
    postgres_server        (session)  the running :class:`PostgresServer`
    postgres_url           (function) a fresh, empty database: ``postgresql+psycopg://…``
    migrated_postgres_url  (function) a fresh database at the newest service schema (a copy
                                      of a template migrated once per session: fast)
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tetherai.services.db import migrate

POSTGRES_VERSION = "15"
_SUPERUSER = "tether"


def find_postgres_bin() -> Path:
    """The ``bin`` directory of PostgreSQL 15 (or, failing that, the newest one installed)."""
    preferred = Path(f"/usr/lib/postgresql/{POSTGRES_VERSION}/bin")
    if (preferred / "initdb").exists():
        return preferred
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    pytest.fail(
        f"PostgreSQL {POSTGRES_VERSION} is not installed (no initdb under /usr/lib/postgresql): "
        "run 'make system-deps'",
        pytrace=False,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PostgresServer:
    """A running server; :meth:`create_database` gives each test its own database."""

    port: int
    password: str
    root: Path
    host: str = "127.0.0.1"
    user: str = _SUPERUSER
    _names: itertools.count[int] = field(default_factory=itertools.count)

    def url(self, database: str) -> str:
        return (
            f"postgresql+psycopg://{self.user}:{self.password}@{self.host}:{self.port}/{database}"
        )

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname="postgres",
            autocommit=True,
        )

    def create_database(self, template: str | None = None) -> str:
        """Create a new database (a copy of ``template`` if given) and return its name."""
        name = f"test_{next(self._names)}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self._connect() as connection:
            connection.execute(statement)
        return name

    def drop_database(self, name: str) -> None:
        with self._connect() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class _Runner:
    """Runs the PostgreSQL programs, as ``postgres`` when we are root."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.as_root = os.geteuid() == 0
        self.prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []

    def own(self, path: Path) -> None:
        if self.as_root:
            account = pwd.getpwnam("postgres")
            os.chown(path, account.pw_uid, account.pw_gid)

    def run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [*self.prefix, str(self.bin_dir / program), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({result.returncode}): {result.stdout}\n{result.stderr}"
            )
        return result


@contextlib.contextmanager
def run_postgres() -> Iterator[PostgresServer]:
    """Start a throw-away PostgreSQL server; stop it and delete its files at the end."""
    runner = _Runner(find_postgres_bin())
    # Not under pytest's tmp dirs: those are 0700 and owned by us, so ``postgres`` could not enter.
    root = Path(tempfile.mkdtemp(prefix="tether-pg-"))
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    password = secrets.token_urlsafe(24)
    try:
        sockets.mkdir(mode=0o700)
        password_file = root / "password"
        password_file.write_text(password + "\n")
        os.chmod(password_file, 0o600)
        for path in (root, sockets, password_file):
            runner.own(path)
        runner.run(
            "initdb",
            "--pgdata",
            str(data),
            "--username",
            _SUPERUSER,
            f"--pwfile={password_file}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        port = _start(runner, data, sockets, log)
        server = PostgresServer(port=port, password=password, root=root)
        try:
            yield server
        finally:
            _stop(runner, data)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _start(runner: _Runner, data: Path, sockets: Path, log: Path) -> int:
    last_error = ""
    for _attempt in range(3):  # another process may take the free port before the server does
        port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        result = runner.run(
            "pg_ctl", "start", "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options,
            check=False,
        )  # fmt: skip
        if result.returncode == 0:
            return port
        last_error = result.stderr + (log.read_text(errors="replace") if log.exists() else "")
        _stop(runner, data)
    raise RuntimeError(f"PostgreSQL did not start: {last_error}")


def _stop(runner: _Runner, data: Path) -> None:
    result = runner.run("pg_ctl", "stop", "-D", str(data), "-m", "immediate", "-w", check=False)
    pid_file = data / "postmaster.pid"
    if result.returncode != 0 and pid_file.exists():
        with contextlib.suppress(ValueError, OSError):
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with run_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database on the session's server."""
    return postgres_server.url(postgres_server.create_database())


@pytest.fixture(scope="session")
def _migrated_postgres_template(postgres_server: PostgresServer) -> str:
    name = postgres_server.create_database()
    migrate(postgres_server.url(name))  # disposes of its engine: a template must be unused
    return name


@pytest.fixture
def migrated_postgres_url(postgres_server: PostgresServer, _migrated_postgres_template: str) -> str:
    """A fresh database already at the newest schema of the service database."""
    return postgres_server.url(
        postgres_server.create_database(template=_migrated_postgres_template)
    )
