"""Create a cluster network's files and put its genesis block in etcd (``tether network``).

A cluster home holds ``cluster.toml``, each org's CA and admin, each orderer's and peer's
Ed25519 key, each node's own ledger per channel (``nodes/<node>/channels/<channel>/ledger.sqlite``)
and each channel's ``genesis/<channel>.block``. For the transport (``tls``): each node's TLS
certificate from its org's CA (``nodes/<node>/tls.pem``) and etcd client certificate
(``etcd.pem``), the same two for each org's tools (``orgs/<org>/tools/``: what ``tether
network`` shows when it calls a node or etcd), and the etcd CA's certificate
(``tls/etcd-ca.pem``).
In a real consortium each org keeps its own CA key and node keys on its own machines; one
directory here is what a demo or a test on one machine needs, with the same layout per org.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tetherai.cluster.config import (
    ClusterConfig,
    ConfigError,
)
from tetherai.cluster.etcd_members import etcd_authority, issue_etcd_client
from tetherai.cluster.tls import NodeClients, TlsIdentity, issue_tls_identity
from tetherai.contracts.membership import MembershipRules
from tetherai.contracts.registry import default_registry, genesis_versions
from tetherai.crypto.signature import Algorithm
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.certificate import certificate_to_pem
from tetherai.identity.keys import DEFAULT_KDF_ROUNDS, write_certificate, write_private_key
from tetherai.identity.roles import Role
from tetherai.ledger.block import Block
from tetherai.ledger.peer import Peer
from tetherai.ledger.results import LEDGER_FORMAT
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ordering.batching import cut_block
from tetherai.ordering.etcd import ChainKeys, append_block, decode_block, encode_block
from tetherai.ordering.etcd_client import EtcdClient
from tetherai.services.home import NetworkHome
from tetherai.services.network import (
    ParticipantKey,
    issue_participant,
    load_node_key,
)

__all__ = [
    "ClusterHome",
    "Tools",
    "add_org_ca",
    "bootstrap_chain",
    "create_cluster",
    "etcd_ca_of",
    "issue_transport_identities",
    "node_key",
    "raw_public",
]

CONFIG_FILE = "cluster.toml"


class ClusterHome(NetworkHome):
    """A :class:`NetworkHome` whose nodes each keep their own ledger."""

    @property
    def cluster_config_path(self) -> Path:
        return self.root / CONFIG_FILE

    def cluster_config(self) -> ClusterConfig:
        if not self.cluster_config_path.exists():
            raise ConfigError(
                f"no cluster network at {self.root}", hint="run 'tether network init' first"
            )
        return ClusterConfig.load(self.cluster_config_path)

    def node_ledger(self, node: str, channel: str) -> Path:
        """A node's own copy of a channel's ledger."""
        return self.node_dir(node) / "channels" / channel / "ledger.sqlite"

    def genesis_path(self, channel: str) -> Path:
        return self.root / "genesis" / f"{channel}.block"

    def genesis(self, channel: str) -> Block:
        return decode_block(self.genesis_path(channel).read_bytes())

    # -- transport identities ------------------------------------------------------------------

    def tools_dir(self, org: str) -> Path:
        return self.root / "orgs" / org / "tools"

    def identity_dir(self, who: str | Tools) -> Path:
        return self.tools_dir(who.org) if isinstance(who, Tools) else self.node_dir(who)

    def tls_identity(self, who: str | Tools, passphrase: bytes) -> TlsIdentity:
        """The TLS certificate a node (or an org's tools) shows to other nodes."""
        directory = self.identity_dir(who)
        return TlsIdentity(directory / "tls.pem", directory / "tls.key", passphrase)

    def etcd_identity(self, who: str | Tools, passphrase: bytes) -> TlsIdentity:
        directory = self.identity_dir(who)
        return TlsIdentity(directory / "etcd.pem", directory / "etcd.key", passphrase)

    @property
    def etcd_ca_path(self) -> Path:
        return self.root / "tls" / "etcd-ca.pem"

    def etcd_client(self, who: str | Tools, passphrase: bytes, **options: float) -> EtcdClient:
        """A client of the network's etcd, showing ``who``'s etcd certificate."""
        identity = self.etcd_identity(who, passphrase)
        context = identity.client_context([self.etcd_ca_path.read_text()])
        return EtcdClient(self.cluster_config().etcd, tls=context, **options)

    def org_ca(self, org: str) -> str | None:
        """An org's CA certificate as this home has it (the tools' trust in that org's nodes)."""
        path = self.ca_dir(org) / "ca.pem"
        return path.read_text() if path.exists() else None

    def tools_clients(self, org: str, passphrase: bytes) -> NodeClients:
        """HTTPS clients to the network's nodes, showing ``org``'s tools certificate."""
        return NodeClients(self.tls_identity(Tools(org), passphrase), self.org_ca)


@dataclass(frozen=True, slots=True)
class Tools:
    """An org's operator tools (``tether network``) as a TLS client of nodes and etcd."""

    org: str

    @property
    def name(self) -> str:
        return f"tools.{self.org}"


def issue_transport_identities(
    home: ClusterHome,
    who: str | Tools,
    *,
    ca: CertificateAuthority,
    etcd: CertificateAuthority,
    hosts: list[str],
    passphrase: bytes,
    now: datetime,
) -> None:
    """Give a node (or an org's tools) its TLS certificate from its org's CA and its etcd
    client certificate from the etcd CA; made once (kept when they exist)."""
    directory = home.identity_dir(who)
    name = who.name if isinstance(who, Tools) else who
    if not (directory / "tls.pem").exists():
        issue_tls_identity(
            ca, directory, "tls", name=name, hosts=hosts, password=passphrase, now=now
        )
    if not (directory / "etcd.pem").exists():
        issue_etcd_client(etcd, directory, name, password=passphrase, now=now)


def etcd_ca_of(config: ClusterConfig) -> CertificateAuthority:
    """The etcd cluster's CA named by ``etcd_ca`` in ``cluster.toml`` (to admit nodes)."""
    if not config.etcd_ca:
        raise ConfigError(
            "cluster.toml does not say where the etcd cluster's CA is (etcd_ca)",
            hint="set etcd_ca to the tls directory tether network etcd made",
        )
    return etcd_authority(Path(config.etcd_ca))


def raw_public(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def add_org_ca(
    home: ClusterHome,
    org: str,
    admin_id: str,
    passphrase: bytes,
    now: datetime,
    *,
    kdf_rounds: int = DEFAULT_KDF_ROUNDS,
) -> tuple[CertificateAuthority, ParticipantKey]:
    """Create an org's CA and its first admin (the admin signs the org's txs)."""
    ca = CertificateAuthority.create(org, algorithm=Algorithm.ED25519, now=now)
    ca.save(home.ca_dir(org), passphrase, kdf_rounds=kdf_rounds)
    admin = issue_participant(
        home, ca, admin_id, Role.ORG_ADMIN, passphrase, now, Algorithm.ED25519,
        kdf_rounds=kdf_rounds,
    )  # fmt: skip
    return ca, admin


def create_cluster(
    home: ClusterHome,
    config: ClusterConfig,
    *,
    passphrase: bytes,
    now_ms: int,
    kdf_rounds: int = DEFAULT_KDF_ROUNDS,
) -> dict[str, Block]:
    """Create every org's CA and admin, every node's key, and each channel's genesis block.

    A channel's genesis tx (signed by the admin of its first org) installs its orgs' CAs and
    admins, its peers and every orderer; the block is signed by the first orderer and written
    to ``genesis/<channel>.block``.
    """
    if home.cluster_config_path.exists():
        raise ConfigError(f"{home.root} already holds a cluster network")
    etcd = etcd_ca_of(config)
    home.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    cas: dict[str, CertificateAuthority] = {}
    admins: dict[str, ParticipantKey] = {}
    for org in config.orgs:
        ca, admin = add_org_ca(home, org.name, org.admin, passphrase, now, kdf_rounds=kdf_rounds)
        cas[org.name] = ca
        admins[org.name] = admin
    keys: dict[str, Ed25519PrivateKey] = {}
    for node in (*config.orderers, *config.peers):
        key = Ed25519PrivateKey.generate()
        write_private_key(
            home.node_dir(node.name) / "key.pem", key, passphrase, kdf_rounds=kdf_rounds
        )
        (home.node_dir(node.name) / "key.pub").write_text(raw_public(key) + "\n")
        keys[node.name] = key
        issue_transport_identities(
            home, node.name, ca=cas[node.org], etcd=etcd, hosts=[node.host],
            passphrase=passphrase, now=now,
        )  # fmt: skip
    for org in config.orgs:
        issue_transport_identities(
            home, Tools(org.name), ca=cas[org.name], etcd=etcd, hosts=[],
            passphrase=passphrase, now=now,
        )  # fmt: skip
    write_certificate(home.etcd_ca_path, etcd.certificate)
    blocks = {
        channel.name: _genesis(home, config, channel.name, cas, admins, keys, now_ms)
        for channel in config.channels
    }
    home.genesis_path(config.channel).parent.mkdir(exist_ok=True)
    for channel, block in blocks.items():
        home.genesis_path(channel).write_bytes(encode_block(block))
    home.cluster_config_path.write_text(config.to_toml())
    return blocks


def _genesis(
    home: ClusterHome,
    config: ClusterConfig,
    channel: str,
    cas: dict[str, CertificateAuthority],
    admins: dict[str, ParticipantKey],
    keys: dict[str, Ed25519PrivateKey],
    now_ms: int,
) -> Block:
    """The channel's genesis block: its orgs' CAs and admins, its peers, every orderer."""
    orgs = config.channel_spec(channel).orgs
    genesis_tx = admins[orgs[0]].sign(
        channel,
        "membership",
        "bootstrap",
        {
            "channel": {
                "name": channel,
                "orderers": [
                    {"name": o.name, "org": o.org, "public_key": raw_public(keys[o.name])}
                    for o in config.orderers
                ],
                "peers": [
                    {"name": p.name, "org": p.org, "public_key": raw_public(keys[p.name])}
                    for p in config.peers_of(channel)
                ],
                "contracts": genesis_versions(),
                "ledger_format": LEDGER_FORMAT,
            },
            "orgs": [
                {"org": org, "ca_cert": certificate_to_pem(cas[org].certificate).decode()}
                for org in orgs
            ],
            "participants": [admins[org].certificate_pem for org in orgs],
        },
        now_ms,
    )
    # Cut the genesis block on a throwaway peer: it checks the tx is accepted before anyone
    # depends on it.
    scratch = home.root / f"genesis-check-{channel}.sqlite"
    store = SqliteLedgerStore(scratch)
    peer = Peer(store=store, channel=channel, registry=default_registry(), rules=MembershipRules())
    try:
        block = cut_block(peer, [genesis_tx], keys[config.orderers[0].name], now_ms)
        result = peer.commit(block)[0]
        if not result.valid:
            raise ConfigError(f"the genesis tx was refused: {result.code}: {result.message}")
    finally:
        peer.close()
        store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{scratch}{suffix}").unlink(missing_ok=True)
    return block


def bootstrap_chain(home: ClusterHome, client: EtcdClient) -> dict[str, str]:
    """Put each channel's genesis block in etcd unless its chain has one; return their hashes.

    Raises:
        ConfigError: etcd already holds another chain for a channel.
    """
    config = home.cluster_config()
    hashes = {}
    for spec in config.channels:
        genesis = home.genesis(spec.name)
        if not append_block(client, ChainKeys(spec.name), genesis):
            raise ConfigError(
                f"etcd already holds a different chain for channel {spec.name}",
                hint="use fresh etcd members, or the home that created this chain",
            )
        hashes[spec.name] = genesis.header.hash
    return hashes


def node_key(home: ClusterHome, node: str, passphrase: bytes) -> Ed25519PrivateKey:
    return load_node_key(home, node, passphrase)
