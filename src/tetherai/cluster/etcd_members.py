"""Run a local etcd cluster of real ``etcd`` processes (Debian's etcd-server) on 127.0.0.1.

Used by ``tether network etcd``, ``make cluster-demo``, the cluster tests and the benchmark:
each member gets its own data directory and two free ports, and :meth:`EtcdCluster.kill`
stops one member the hard way (SIGKILL), as a crash would.

The members speak TLS only, to clients and to each other, and accept only clients showing a
certificate of the cluster's own CA (``<root>/tls``: ``ca.pem``, ``ca.key``), which
:func:`issue_etcd_client` uses to admit a node (``tether network init``/``add-peer``). The
operator of the etcd cluster holds that CA; its keys, as etcd's own, are files readable by
their owner only (etcd cannot read an encrypted key).
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization

from tetherai.cluster.tls import TlsIdentity, issue_tls_identity
from tetherai.crypto.signature import Algorithm
from tetherai.errors import TetherError
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.certificate import load_certificate_pem
from tetherai.identity.keys import write_certificate, write_tls_private_key

__all__ = [
    "EtcdCluster",
    "EtcdMember",
    "etcd_authority",
    "free_port",
    "issue_etcd_client",
]

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
        return f"https://127.0.0.1:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"https://127.0.0.1:{self.peer_port}"

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
        """Members on free ports, and (unless ``root`` has them) the cluster's CA and the
        members' certificates under ``<root>/tls``."""
        if shutil.which(ETCD) is None:
            raise EtcdError(f"{ETCD} is not installed")
        members = [
            EtcdMember(f"etcd{i}", free_port(), free_port(), root / f"etcd{i}") for i in range(size)
        ]
        made = cls(root, members, cluster_token=f"tether-{root.name}")
        authority = _authority_at(made.tls_dir)
        now = datetime.now(tz=UTC)
        for member in [m.name for m in members] + ["client"]:
            if not (made.tls_dir / f"{member}.pem").exists():
                issue_tls_identity(
                    authority,
                    made.tls_dir,
                    member,
                    name=member,
                    hosts=["127.0.0.1", "localhost"],
                    password=None,
                    now=now,
                )
        return made

    @property
    def tls_dir(self) -> Path:
        """The cluster's CA (``ca.pem``, ``ca.key``) and the members' certificates."""
        return self.root / "tls"

    @property
    def endpoints(self) -> list[str]:
        return [member.client_url for member in self.members]

    def client_context(self) -> ssl.SSLContext:
        """A client context of the operator's own (health checks, tests)."""
        identity = TlsIdentity(self.tls_dir / "client.pem", self.tls_dir / "client.key", None)
        return identity.client_context([(self.tls_dir / "ca.pem").read_text()])

    def start(self, timeout: float = 30.0) -> None:
        initial = ",".join(f"{m.name}={m.peer_url}" for m in self.members)
        for member in self.members:
            if not member.running:
                self._launch(member, initial)
        self.wait_healthy(timeout)

    def _launch(self, member: EtcdMember, initial: str) -> None:
        member.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.root / f"{member.name}.log").open("ab")
        tls = self.tls_dir
        certificates = [f"--{side}{kind}-file={tls / name}" for side in ("", "peer-")
                        for kind, name in (("cert", f"{member.name}.pem"),
                                           ("key", f"{member.name}.key"),
                                           ("trusted-ca", "ca.pem"))]  # fmt: skip
        member.process = subprocess.Popen(  # noqa: S603 - fixed binary, our own arguments
            [
                ETCD,
                *certificates,
                # Only clients (and members) with a certificate of the cluster's CA.
                "--client-cert-auth",
                "--peer-client-cert-auth",
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
                    f"{member.client_url}/v3/maintenance/status",
                    json={},
                    timeout=1,
                    verify=self.client_context(),
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


def _authority_at(directory: Path) -> CertificateAuthority:
    """The etcd cluster's CA in ``directory`` (made there, P-256, if it is not yet)."""
    if not (directory / "ca.pem").exists():
        authority = CertificateAuthority.create(
            "etcd", algorithm=Algorithm.ECDSA_P256, now=datetime.now(tz=UTC)
        )
        write_tls_private_key(directory / "ca.key", authority.private_key, None)
        write_certificate(directory / "ca.pem", authority.certificate)
        return authority
    return etcd_authority(directory)


def etcd_authority(directory: Path) -> CertificateAuthority:
    """Load the etcd cluster's CA from ``directory`` (``ca.pem``, ``ca.key``).

    Raises:
        EtcdError: it is not there, or unreadable.
    """
    try:
        certificate = load_certificate_pem((directory / "ca.pem").read_bytes())
        key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), None)
    except (OSError, ValueError, TetherError) as error:
        raise EtcdError(
            f"no readable etcd CA in {directory}: {error}",
            hint="give the tls directory that tether network etcd made (etcd_ca in cluster.toml)",
        ) from error
    return CertificateAuthority(certificate, key)  # type: ignore[arg-type]


def issue_etcd_client(
    authority: CertificateAuthority,
    directory: Path,
    name: str,
    *,
    password: bytes,
    now: datetime,
) -> TlsIdentity:
    """Admit ``name`` (a node, or an org's tools) to etcd: ``etcd.pem``/``etcd.key`` in
    ``directory``, the key encrypted with ``password``."""
    return issue_tls_identity(
        authority, directory, "etcd", name=name, hosts=[], password=password, now=now
    )
