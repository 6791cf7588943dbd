"""Where ``tether serve`` (a real process) runs its threads: by default on one CPU, which it
names when it starts; ``--cpus all`` leaves it on every CPU it may use."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.common.network import PASSPHRASE, make_network
from tests.common.server import free_port
from tests.common.waiting import wait_until

TETHER = Path(sys.executable).with_name("tether")


def _serve(tmp_path: Path, *options: str) -> tuple[set[int], str]:
    """Start the server, wait until it answers; its CPUs and what it printed."""
    net = make_network(tmp_path)
    net.close()
    net.home.ensure_server_secret()
    port, log = free_port(), tmp_path / "server.log"
    env = os.environ | {"TETHER_PASSPHRASE": PASSPHRASE.decode(), "TETHER_PORT": str(port)}
    env.pop("TETHER_CPUS", None)
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [str(TETHER), "serve", "--home", str(net.home.root), *options],
            env=env,
            stdout=sink,
            stderr=sink,
        )
    try:

        def answers() -> bool:
            assert server.poll() is None, log.read_text()[-2000:]
            try:
                return httpx.get(f"http://127.0.0.1:{port}/api/v1/ledger").status_code == 401
            except httpx.TransportError:
                return False

        wait_until(answers, message=lambda: log.read_text()[-2000:])
        return set(os.sched_getaffinity(server.pid)), log.read_text()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs a process on two CPUs")
def test_by_default_the_server_runs_on_one_cpu_and_says_which(tmp_path: Path) -> None:
    cpus, printed = _serve(tmp_path)
    assert len(cpus) == 1 and cpus <= os.sched_getaffinity(0)
    (cpu,) = cpus
    assert f"its threads run on CPU {cpu} (they share one lock: --cpus all for every" in printed


def test_cpus_all_leaves_the_server_on_every_cpu(tmp_path: Path) -> None:
    cpus, printed = _serve(tmp_path, "--cpus", "all")
    assert cpus == os.sched_getaffinity(0)
    assert "its threads run on CPU" not in printed
