"""Create a cluster network's files and put its genesis block in etcd (``tether network``).

A cluster home holds ``cluster.toml``, each org's CA and admin, each orderer's and peer's
Ed25519 key, each node's own ledger per channel (``nodes/<node>/channels/<channel>/ledger.sqlite``)
and each channel's ``genesis/<channel>.block``.
In a real consortium each org keeps its own CA key and node keys on its own machines; one
directory here is what a demo or a test on one machine needs, with the same layout per org.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tetherai.contracts.membership import MembershipRules
from tetherai.contracts.registry import default_registry, genesis_versions
from tetherai.crypto.signature import Algorithm
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.certificate import certificate_to_pem, validate_name
from tetherai.identity.keys import DEFAULT_KDF_ROUNDS, write_private_key
from tetherai.identity.roles import Role
from tetherai.ledger.block import Block
from tetherai.ledger.peer import Peer
from tetherai.ledger.results import LEDGER_FORMAT
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.transaction import Envelope
from tetherai.ordering.batching import cut_block
from tetherai.ordering.etcd import ChainKeys, append_block, decode_block, encode_block
from tetherai.ordering.etcd_client import EtcdClient
from tetherai.services.cluster.config import (
    ChannelSpec,
    ClusterConfig,
    ConfigError,
    NodeSpec,
    OrgSpec,
    parse_node,
)
from tetherai.services.home import NetworkHome
from tetherai.services.network import (
    ParticipantKey,
    issue_participant,
    load_node_key,
    load_participant,
)

__all__ = [
    "ClusterHome",
    "add_org_ca",
    "bootstrap_chain",
    "create_cluster",
    "join_org",
    "join_peer",
    "node_key",
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


def _raw_public(key: Ed25519PrivateKey) -> str:
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
        (home.node_dir(node.name) / "key.pub").write_text(_raw_public(key) + "\n")
        keys[node.name] = key
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
                    {"name": o.name, "public_key": _raw_public(keys[o.name])}
                    for o in config.orderers
                ],
                "peers": [
                    {"name": p.name, "org": p.org, "public_key": _raw_public(keys[p.name])}
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


def join_org(
    home: ClusterHome,
    org: str,
    *,
    admin_id: str,
    by_org: str,
    passphrase: bytes,
    now_ms: int,
    channel: str | None = None,
    kdf_rounds: int = DEFAULT_KDF_ROUNDS,
) -> dict[str, str]:
    """Bring a new org into a channel (default: the first): its CA and admin, then
    ``membership.add_org`` in that channel.

    The tx is signed by ``by_org``'s admin and sent through ``by_org``'s peer; it also enrols
    the new org's admin, who can then add the org's peer (:func:`join_peer`). The org is
    added to ``cluster.toml`` once the ledger accepted it.

    Raises:
        ConfigError: the org exists, ``by_org`` has no peer, or the ledger refused the tx.
    """
    config = home.cluster_config()
    target = config.channel_spec(channel or config.channel)
    if any(spec.name == org for spec in config.orgs):
        raise ConfigError(f"org {org} is already in {home.cluster_config_path}")
    validate_name(org, "org")
    sponsor = next((spec for spec in config.orgs if spec.name == by_org), None)
    peer = next((p for p in config.peers_of(target.name) if p.org == by_org), None)
    if sponsor is None or peer is None:
        raise ConfigError(f"org {by_org} has no peer in channel {target.name}")
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    ca, new_admin = add_org_ca(home, org, admin_id, passphrase, now, kdf_rounds=kdf_rounds)
    admin = load_participant(home, by_org, sponsor.admin, passphrase)
    envelope = admin.sign(
        target.name,
        "membership",
        "add_org",
        {
            "org": org,
            "ca_cert": certificate_to_pem(ca.certificate).decode(),
            "admin": new_admin.certificate_pem,
        },
        now_ms,
    )
    tx_id = _submit([peer], envelope, f"add {org}")
    channels = tuple(
        ChannelSpec(c.name, (*c.orgs, org)) if c.name == target.name else c for c in config.channels
    )
    updated = ClusterConfig(
        channels,
        config.etcd,
        (*config.orgs, OrgSpec(org, admin_id)),
        config.peers,
        config.orderers,
    )
    home.cluster_config_path.write_text(updated.to_toml())
    return {
        "org": org,
        "admin": f"{admin_id}@{org}",
        "channel": target.name,
        "tx_id": tx_id,
    }


def join_peer(
    home: ClusterHome,
    name: str,
    api: str,
    *,
    passphrase: bytes,
    now_ms: int,
    kdf_rounds: int = DEFAULT_KDF_ROUNDS,
) -> dict[str, str]:
    """Add a peer ``<node>.<org>`` for a member org: its node key, then ``membership.add_peer``
    in every channel of its org (signed by the org's admin, sent through a running peer of
    the channel), then the peer in ``cluster.toml`` so ``tether network start``/``peer`` run
    it. It catches up like any restarted peer (from etcd, or other peers' ``/blocks``).

    Running it again after a failure reuses the node key already written and skips the
    channels whose configuration already lists this peer with that key.

    Raises:
        ConfigError: the name is taken or not ``<node>.<org>`` of a member org, the org is in
            no channel, no peer of a channel answered, or the ledger refused the tx.
    """
    config = home.cluster_config()
    node_part, _, org = name.rpartition(".")
    spec = next((o for o in config.orgs if o.name == org), None)
    if spec is None or not node_part:
        raise ConfigError(
            f"a peer is named <node>.<org> of a member org, e.g. peer1.{config.orgs[0].name}",
            hint="add the org first: tether network add-org",
        )
    if any(node.name == name for node in (*config.peers, *config.orderers)):
        raise ConfigError(f"{name} is already in {home.cluster_config_path}")
    node = parse_node({"name": name, "org": org, "api": api})
    channels = config.channels_of(org)
    if not channels:
        raise ConfigError(f"org {org} is a member of no channel")
    key_path = home.node_dir(name) / "key.pem"
    if key_path.exists():
        key = load_node_key(home, name, passphrase)
    else:
        key = Ed25519PrivateKey.generate()
        write_private_key(key_path, key, passphrase, kdf_rounds=kdf_rounds)
        (home.node_dir(name) / "key.pub").write_text(_raw_public(key) + "\n")
    admin = load_participant(home, org, spec.admin, passphrase)
    txs = {}
    for channel in channels:
        peers = config.peers_of(channel)
        listed = _channel_config(peers, channel).get("peers")
        same = [p for p in listed if p.get("name") == name] if isinstance(listed, list) else []
        if same and same[0].get("public_key") == _raw_public(key):
            txs[channel] = "already on the ledger"
            continue
        if same:
            raise ConfigError(f"{name} is already a peer of channel {channel}, with another key")
        envelope = admin.sign(
            channel,
            "membership",
            "add_peer",
            {"name": name, "public_key": _raw_public(key)},
            now_ms,
        )
        txs[channel] = _submit(peers, envelope, f"add {name}")
    updated = ClusterConfig(
        config.channels, config.etcd, config.orgs, (*config.peers, node), config.orderers
    )
    home.cluster_config_path.write_text(updated.to_toml())
    return {
        "peer": name,
        "org": org,
        "api": node.api,
        "channels": ", ".join(txs),
        "tx_ids": ", ".join(txs.values()),
    }


def _submit(peers: Sequence[NodeSpec], envelope: Envelope, what: str) -> str:
    """Send a tx through the first of ``peers`` that answers; return its id once committed."""
    status, body = _ask(peers, "/txs", envelope.to_json())
    if status != 200 or not body.get("valid"):
        refusal = body.get("error") or body
        raise ConfigError(f"the ledger refused to {what}: {refusal.get('message')}")
    return str(body["tx_id"])


def _channel_config(peers: Sequence[NodeSpec], channel: str) -> dict[str, Any]:
    """The channel configuration on a running peer's ledger (``membership.channel``)."""
    query = {"channel": channel, "contract": "membership", "fn": "channel", "args": {}}
    status, body = _ask(peers, "/query", query)
    if status != 200 or not isinstance(body.get("result"), dict):
        refusal = body.get("error") or {}
        raise ConfigError(
            f"cannot read channel {channel}'s configuration: {refusal.get('message', status)}"
        )
    found: dict[str, Any] = body["result"]
    return found


def _ask(peers: Sequence[NodeSpec], path: str, payload: object) -> tuple[int, dict[str, Any]]:
    """POST to the first of ``peers`` that answers."""
    errors = []
    for peer in peers:
        try:
            answer = httpx.post(f"{peer.url}{path}", json=payload, timeout=60)
            body = answer.json()
        except (httpx.HTTPError, ValueError) as error:
            errors.append(f"{peer.name}: {error}")
            continue
        return answer.status_code, body if isinstance(body, dict) else {"error": body}
    raise ConfigError(
        f"no peer answered ({'; '.join(errors) or 'none in the channel'})",
        hint="start the network",
    )
