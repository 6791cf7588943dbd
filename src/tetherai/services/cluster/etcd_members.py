"""Run a local etcd cluster of real ``etcd`` processes (Debian's etcd-server) on 127.0.0.1.

Used by ``tether network etcd``, ``make cluster-demo``, the cluster tests and the benchmark:
each member gets its own data directory and two free ports, and :meth:`EtcdCluster.kill`
stops one member the hard way (SIGKILL), as a crash would.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tetherai.errors import TetherError

__all__ = ["EtcdCluster", "EtcdMember", "free_port"]

ETCD = "/usr/bin/etcd"


class EtcdError(TetherError):
    code = "cluster.etcd"
    hint = "install Debian's etcd-server (make system-deps)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class EtcdMember:
    name: str
    client_port: int
    peer_port: int
    data_dir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def client_url(self) -> str:
        return f"http://127.0.0.1:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class EtcdCluster:
    root: Path
    members: list[EtcdMember] = field(default_factory=list)
    cluster_token: str = "tether"  # noqa: S105 - an etcd cluster id, not a secret

    @classmethod
    def create(cls, root: Path, size: int = 3) -> EtcdCluster:
        if shutil.which(ETCD) is None:
            raise EtcdError(f"{ETCD} is not installed")
        members = [
            EtcdMember(f"etcd{i}", free_port(), free_port(), root / f"etcd{i}") for i in range(size)
        ]
        return cls(root, members, cluster_token=f"tether-{root.name}")

    @property
    def endpoints(self) -> list[str]:
        return [member.client_url for member in self.members]

    def start(self, timeout: float = 30.0) -> None:
        initial = ",".join(f"{m.name}={m.peer_url}" for m in self.members)
        for member in self.members:
            if not member.running:
                self._launch(member, initial)
        self.wait_healthy(timeout)

    def _launch(self, member: EtcdMember, initial: str) -> None:
        member.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.root / f"{member.name}.log").open("ab")
        member.process = subprocess.Popen(  # noqa: S603 - fixed binary, our own arguments
            [
                ETCD,
                "--name",
                member.name,
                "--data-dir",
                str(member.data_dir),
                "--listen-client-urls",
                member.client_url,
                "--advertise-client-urls",
                member.client_url,
                "--listen-peer-urls",
                member.peer_url,
                "--initial-advertise-peer-urls",
                member.peer_url,
                "--initial-cluster",
                initial,
                "--initial-cluster-token",
                self.cluster_token,
                "--initial-cluster-state",
                "new",
                # Blocks of 1,000 txs are about 1.5 MB of JSON.
                "--max-request-bytes",
                str(16 * 1024 * 1024),
                "--heartbeat-interval",
                "50",
                "--election-timeout",
                "500",
                "--quota-backend-bytes",
                str(4 * 1024**3),
                # Deleted (compacted) blocks free space only once old revisions are dropped.
                "--auto-compaction-mode",
                "revision",
                "--auto-compaction-retention",
                "10000",
                "--logger",
                "zap",
                "--log-level",
                "warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def restart(self, member: EtcdMember, timeout: float = 30.0) -> None:
        initial = ",".join(f"{m.name}={m.peer_url}" for m in self.members)
        self._launch(member, initial)
        self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = 30.0) -> None:
        stop = time.monotonic() + timeout
        while time.monotonic() < stop:
            if self.leader() is not None:
                return
            time.sleep(0.1)
        raise EtcdError(f"the etcd cluster in {self.root} did not elect a leader in {timeout} s")

    def leader(self) -> EtcdMember | None:
        """The member that is currently the Raft leader, as a running member sees it."""
        ids: dict[str, EtcdMember] = {}
        leader_id = None
        for member in self.members:
            if not member.running:
                continue
            try:
                status = httpx.post(
                    f"{member.client_url}/v3/maintenance/status", json={}, timeout=1
                )
                data = status.json()
            except (httpx.HTTPError, ValueError):
                continue
            if "header" not in data:
                continue
            ids[data["header"]["member_id"]] = member
            if data.get("leader") and data["leader"] != "0":
                leader_id = data["leader"]
        return ids.get(leader_id) if leader_id else None

    def kill(self, member: EtcdMember) -> None:
        if member.process is not None:
            member.process.kill()
            member.process.wait(timeout=10)

    def stop(self, *, graceful: bool = True) -> None:
        for member in self.members:
            if member.process is not None and member.process.poll() is None:
                if graceful:
                    member.process.terminate()
                else:  # throwaway members (tests): no need to wait for a clean shutdown
                    member.process.kill()
        for member in self.members:
            if member.process is not None:
                try:
                    member.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    member.process.kill()
                    member.process.wait()
