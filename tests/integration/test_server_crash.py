"""SIGKILL the server (``tether serve``, a real process) twenty times during a stream of writes.

After every restart each acknowledged tx is on the ledger; at the end ``tether ledger verify``
passes and the service database's projections match the ledger (the server catches them up by
itself on start). Nothing unacknowledged is half-applied: a block is one SQLite transaction and
a projection step commits with its cursor, which the verify and the projection check prove.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.common.network import PASSPHRASE, make_network
from tests.common.server import free_port
from tests.common.waiting import PATIENCE, wait_until
from tetherai.identity.roles import Role
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.services.auth import AuthService
from tetherai.services.custody import Argon2Parameters, KeyCustody
from tetherai.services.db import make_engine, make_session_factory, migrate
from tetherai.services.enrolment import web_account_for_participant
from tetherai.services.network import load_participant
from tetherai.services.projections import Projector
from tetherai.services.settings import Settings

KILLS = 20
TETHER = Path(sys.executable).with_name("tether")


def _api_token(home: Path, url: str) -> str:
    """The org admin's API token, made in the service database the server will open."""
    settings = Settings(
        home=home,
        database_url=url,
        secret_key=(home / "secrets/server.key").read_bytes().strip(),
        passphrase=PASSPHRASE,
    )
    migrate(url)
    engine = make_engine(url)
    try:
        sessions = make_session_factory(engine)
        cheap = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)
        now = lambda: datetime.now(tz=UTC)  # noqa: E731
        auth = AuthService(sessions, clock=now, settings=settings, hashing=cheap)
        from tetherai.services.home import NetworkHome

        admin = web_account_for_participant(
            auth,
            KeyCustody(sessions, clock=now, settings=settings, kdf=cheap),
            NetworkHome(home),
            passphrase=PASSPHRASE,
            participant_id="admin",
            role=Role.ORG_ADMIN,
            password="crash test admin password",
        )
        return auth.issue_api_token(admin, "crash").token
    finally:
        engine.dispose()


def _start(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {"TETHER_PASSPHRASE": PASSPHRASE.decode(), "TETHER_PORT": str(port)}
    with log.open("ab") as sink:
        return subprocess.Popen(
            [str(TETHER), "serve", "--home", str(home)], env=env, stdout=sink, stderr=sink
        )


def _wait_ready(http: httpx.Client, process: subprocess.Popen[bytes], log: Path) -> None:
    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the server exited:\n{log.read_text()[-3000:]}")
        try:
            return http.get("/api/v1/ledger").status_code == 200
        except httpx.TransportError:
            return False

    wait_until(ready, message=lambda: f"the server did not start:\n{log.read_text()[-3000:]}")


@pytest.mark.integration
@pytest.mark.slow
def test_sigkill_the_server_during_writes(tmp_path: Path) -> None:
    net = make_network(tmp_path, max_wait=0.005)
    net.participant("alice")
    net.close()
    home = net.home.root
    net.home.ensure_server_secret()
    url = f"sqlite:///{home / 'service.sqlite'}"
    token = _api_token(home, url)
    alice = load_participant(net.home, "Org1", "alice", PASSPHRASE)
    port, log = free_port(), tmp_path / "server.log"
    rng = random.Random(20261129)
    acknowledged: set[str] = set()
    counter = iter(range(10**9))
    lock = threading.Lock()

    def writer(http: httpx.Client, stop: threading.Event) -> None:
        while not stop.is_set():
            with lock:
                n = next(counter)
            envelope = alice.sign(
                "main",
                "notary",
                "notarize",
                {"name": f"crash/{n}", "sha256": f"{n:064x}"},
                time.time_ns() // 10**6,
            )
            try:
                answer = http.post("/api/v1/envelopes", json=envelope.to_json())
            except httpx.TransportError:
                return  # the server is gone: this one was not acknowledged
            if answer.status_code == 200 and answer.json()["valid"]:
                with lock:
                    acknowledged.add(envelope.tx_id)

    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=PATIENCE
    ) as http:
        for _ in range(KILLS):
            process = _start(home, port, log)
            _wait_ready(http, process, log)
            before = len(acknowledged)
            stop = threading.Event()
            clients = [
                httpx.Client(base_url=http.base_url, headers=headers, timeout=PATIENCE)
                for _ in range(4)
            ]
            threads = [threading.Thread(target=writer, args=(c, stop)) for c in clients]
            for thread in threads:
                thread.start()
            # Kill after a random number of acknowledgements in this round (an event, whatever
            # the machine's speed): the writers are still sending, so some writes are cut.
            target = before + rng.randint(1, 40)
            wait_until(
                lambda: len(acknowledged) >= target or process.poll() is not None,  # noqa: B023
                message=lambda: log.read_text()[-3000:],
            )
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            stop.set()
            for thread, client in zip(threads, clients, strict=True):
                thread.join(timeout=30)
                client.close()
            assert len(acknowledged) > before, "no write was acknowledged in this round"
        # The last start: everything acknowledged is there, and the projections catch up.
        process = _start(home, port, log)
        try:
            _wait_ready(http, process, log)
            store = SqliteLedgerStore(net.home.ledger_path("main"), readonly=True)
            try:
                missing = [tx_id for tx_id in acknowledged if store.tx(tx_id) is None]
                assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged txs lost"
                engine = make_engine(url)
                try:
                    projector = Projector(make_session_factory(engine), store, "main")
                    wait_until(
                        lambda: projector.check().ok,
                        message=lambda: str(projector.check().problems),
                    )
                finally:
                    engine.dispose()
            finally:
                store.close()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    verified = subprocess.run(
        [str(TETHER), "ledger", "verify", "--home", str(home)],
        capture_output=True,
        text=True,
        env=os.environ | {"TETHER_PASSPHRASE": PASSPHRASE.decode()},
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "OK ledger verified" in verified.stdout
