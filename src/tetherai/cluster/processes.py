"""Start and stop a cluster's node processes on this machine (``tether network start``, demo)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

from tetherai.cluster.client import node_status
from tetherai.cluster.setup import ClusterHome
from tetherai.cluster.tls import NodeClients
from tetherai.errors import TetherError

__all__ = ["NodeProcesses"]


class NodeStartError(TetherError):
    code = "cluster.start"


@dataclass
class NodeProcesses:
    """The node processes this program started (each logs to ``<home>/logs/<node>.log``)."""

    home: ClusterHome
    passphrase: bytes
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, role: str, name: str, *extra: str) -> None:
        logs = self.home.root / "logs"
        logs.mkdir(exist_ok=True)
        log = (logs / f"{name}.log").open("ab")
        self.running[name] = subprocess.Popen(  # noqa: S603 - our own module, our arguments
            [
                sys.executable,
                "-m",
                "tetherai.cluster",
                role,
                "--home",
                str(self.home.root),
                "--name",
                name,
                *extra,
            ],
            env={**os.environ, "TETHER_PASSPHRASE": self.passphrase.decode()},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def start_all(self, timeout: float = 30.0) -> None:
        """Every orderer and peer of the config; wait until a leader orders and peers answer."""
        config = self.home.cluster_config()
        for orderer in config.orderers:
            self.start("orderer", orderer.name)
        for peer in config.peers:
            self.start("peer", peer.name)
        stop = time.monotonic() + timeout
        clients = self.home.tools_clients(config.orgs[0].name, self.passphrase)
        try:
            self._wait_started(clients, stop)
        finally:
            clients.close()

    def _wait_started(self, clients: NodeClients, stop: float) -> None:
        config = self.home.cluster_config()
        while True:
            leaders = [node_status(clients, o) or {} for o in config.orderers]
            peers = [node_status(clients, p) for p in config.peers]
            if any(s.get("leader") for s in leaders) and all(peers):
                return
            for name, process in self.running.items():
                if process.poll() is not None:
                    raise NodeStartError(
                        f"{name} exited with {process.returncode}",
                        hint=f"see {self.home.root / 'logs' / (name + '.log')}",
                    )
            if time.monotonic() > stop:
                raise NodeStartError("the cluster's nodes did not start in time")
            time.sleep(0.1)

    def stop(self, name: str | None = None) -> None:
        names = [name] if name else list(self.running)
        for each in names:
            self.running[each].terminate()
        for each in names:
            process = self.running.pop(each)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
