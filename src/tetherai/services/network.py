"""Create a single-org network and open its node (DESIGN.md §4: ``tether init``).

:func:`init_network` makes the org's CA, an org-admin participant, the orderer's and the peer's
Ed25519 keys, and the genesis block of channel ``main``, whose one tx (signed by the admin)
installs the channel configuration and the first member. :func:`open_node` loads the keys and
returns a peer with its solo orderer, ready to take txs; :func:`open_ledger` opens a ledger
read-only for inspection and verification, needing no keys.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tetherai.contracts.membership import MembershipRules
from tetherai.contracts.registry import default_registry, genesis_versions
from tetherai.crypto.signature import Algorithm, PrivateKey, generate_private_key
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.certificate import certificate_sha256, certificate_to_pem, validate_name
from tetherai.identity.keys import (
    DEFAULT_KDF_ROUNDS,
    load_certificate,
    load_private_key,
    write_certificate,
    write_private_key,
)
from tetherai.identity.roles import Role
from tetherai.ledger.checkpoint import CosignatureSigner, NoteSigner
from tetherai.ledger.contract import ContractRegistry
from tetherai.ledger.peer import Peer
from tetherai.ledger.results import LEDGER_FORMAT
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.transaction import Creator, Envelope, Transaction, new_nonce, sign_transaction
from tetherai.ordering.base import Orderer
from tetherai.ordering.solo import SoloOrderer, cut_block
from tetherai.services.home import CONFIG_VERSION, HomeError, HomeExists, NetworkHome

__all__ = [
    "Node",
    "ParticipantKey",
    "init_network",
    "issue_participant",
    "load_node_key",
    "load_participant",
    "open_ledger",
    "open_node",
]

Clock = Callable[[], int]


@dataclass(frozen=True, slots=True)
class ParticipantKey:
    """A participant's certificate and private key, able to sign txs."""

    org: str
    id: str
    cert_sha256: str
    certificate_pem: str
    private_key: PrivateKey

    def sign(
        self, channel: str, contract: str, fn: str, args: dict[str, object], ts: int
    ) -> Envelope:
        tx = Transaction(
            channel=channel,
            contract=contract,
            fn=fn,
            args=args,  # type: ignore[arg-type]
            creator=Creator(self.org, self.id, self.cert_sha256),
            nonce=new_nonce(),
            ts=ts,
        )
        return sign_transaction(tx, self.private_key)


@dataclass
class Node:
    """A running peer with its solo orderer: the embedded network."""

    home: NetworkHome
    channel: str
    peer: Peer
    orderer: Orderer

    def close(self) -> None:
        self.orderer.close()
        self.peer.close()
        self.peer.store.close()


def _ed25519_raw(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def init_network(
    home: NetworkHome,
    *,
    org: str,
    admin_id: str,
    channel: str,
    passphrase: bytes,
    now_ms: int,
    algorithm: Algorithm = Algorithm.ECDSA_P256,
    kdf_rounds: int = DEFAULT_KDF_ROUNDS,
) -> dict[str, str]:
    """Create a network home with one org, its admin, the node keys and the genesis block.

    Raises:
        HomeExists: the home already holds a network.
        IdentityError: a name is not valid, or the passphrase is empty.
    """
    for value, what in ((org, "org"), (admin_id, "participant id"), (channel, "channel")):
        validate_name(value, what)
    if home.exists():
        raise HomeExists(
            f"{home.root} already holds a network", hint="use another --home, or remove it first"
        )
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    home.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    ca = CertificateAuthority.create(org, algorithm=algorithm, now=now)
    ca.save(home.ca_dir(org), passphrase, kdf_rounds=kdf_rounds)
    admin = issue_participant(
        home, ca, admin_id, Role.ORG_ADMIN, passphrase, now, algorithm, kdf_rounds=kdf_rounds
    )
    orderer_name, peer_name = f"orderer.{org}", f"peer0.{org}"
    orderer_key, peer_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    for name, key in ((orderer_name, orderer_key), (peer_name, peer_key)):
        write_private_key(home.node_dir(name) / "key.pem", key, passphrase, kdf_rounds=kdf_rounds)
        (home.node_dir(name) / "key.pub").write_text(_ed25519_raw(key) + "\n")
    genesis = admin.sign(
        channel,
        "membership",
        "bootstrap",
        {
            "channel": {
                "name": channel,
                "orderers": [
                    {"name": orderer_name, "org": org, "public_key": _ed25519_raw(orderer_key)}
                ],
                "peers": [{"name": peer_name, "org": org, "public_key": _ed25519_raw(peer_key)}],
                "contracts": genesis_versions(),
                "ledger_format": LEDGER_FORMAT,
            },
            "orgs": [{"org": org, "ca_cert": certificate_to_pem(ca.certificate).decode()}],
            "participants": [admin.certificate_pem],
        },
        now_ms,
    )
    config = {
        "version": CONFIG_VERSION,
        "org": org,
        "channel": channel,
        "admin": admin_id,
        "orderer": orderer_name,
        "peer": peer_name,
    }
    home.ledger_path(channel).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = SqliteLedgerStore(home.ledger_path(channel))
    os.chmod(home.ledger_path(channel), 0o600)
    peer = Peer(store=store, channel=channel, registry=default_registry(), rules=MembershipRules())
    try:
        block = cut_block(peer, [genesis], orderer_key, now_ms)
        result = peer.commit(block)[0]
        if not result.valid:
            raise HomeError(f"the genesis tx was refused: {result.code}: {result.message}")
        peer.store_checkpoint(
            peer.checkpoint(),
            _checkpoint_signers(orderer_name, orderer_key, peer_name, peer_key)(now_ms),
        )
        store.set_meta("channel", channel)
        store.set_meta("genesis_hash", block.header.hash)
    finally:
        peer.close()
        store.close()
    home.config_path.write_text(json.dumps(config, indent=2) + "\n")
    return {key: str(value) for key, value in config.items()} | {"genesis_hash": block.header.hash}


def issue_participant(
    home: NetworkHome,
    ca: CertificateAuthority,
    participant_id: str,
    role: Role,
    passphrase: bytes,
    now: datetime,
    algorithm: Algorithm = Algorithm.ECDSA_P256,
    *,
    kdf_rounds: int = DEFAULT_KDF_ROUNDS,
) -> ParticipantKey:
    """Create a key pair and a certificate from the org's CA, and write both to the home."""
    key = generate_private_key(algorithm)
    certificate = ca.issue(
        participant_id=participant_id, role=role, public_key=key.public_key(), now=now
    )
    directory = home.participant_dir(ca.org, participant_id)
    write_certificate(directory / "cert.pem", certificate)
    write_private_key(directory / "key.pem", key, passphrase, kdf_rounds=kdf_rounds)
    return ParticipantKey(
        ca.org,
        participant_id,
        certificate_sha256(certificate),
        certificate_to_pem(certificate).decode(),
        key,
    )


def load_participant(
    home: NetworkHome, org: str, participant_id: str, passphrase: bytes
) -> ParticipantKey:
    directory = home.participant_dir(org, participant_id)
    certificate = load_certificate(directory / "cert.pem")
    key = load_private_key(directory / "key.pem", passphrase)
    return ParticipantKey(
        org,
        participant_id,
        certificate_sha256(certificate),
        certificate_to_pem(certificate).decode(),
        key,
    )


def _checkpoint_signers(
    orderer_name: str, orderer_key: Ed25519PrivateKey, peer_name: str, peer_key: Ed25519PrivateKey
) -> Callable[[int], Sequence[NoteSigner | CosignatureSigner]]:
    note_signer = NoteSigner(orderer_name, orderer_key)
    cosigners: dict[int, CosignatureSigner] = {}

    def signers(block_ts_ms: int) -> Sequence[NoteSigner | CosignatureSigner]:
        # A cosignature carries the time in seconds: one signer per second, not per block.
        second = block_ts_ms // 1000
        cosigner = cosigners.get(second)
        if cosigner is None:
            cosigners.clear()
            cosigner = cosigners[second] = CosignatureSigner(peer_name, peer_key, timestamp=second)
        return [note_signer, cosigner]

    return signers


def load_node_key(home: NetworkHome, node: str, passphrase: bytes) -> Ed25519PrivateKey:
    """The Ed25519 key an orderer or peer of this home signs blocks and checkpoints with."""
    key = load_private_key(home.node_dir(node) / "key.pem", passphrase)
    if not isinstance(key, Ed25519PrivateKey):
        raise HomeError(f"the key of node {node} is not an Ed25519 key")
    return key


def open_node(
    home: NetworkHome,
    passphrase: bytes,
    *,
    registry: ContractRegistry | None = None,
    max_txs: int = 1000,
    max_wait: float = 0.0,
    clock: Clock | None = None,
) -> Node:
    """Open the home's peer and start its solo orderer."""
    config = home.config()
    channel = config["channel"]
    orderer_key = load_node_key(home, config["orderer"], passphrase)
    peer_key = load_node_key(home, config["peer"], passphrase)
    store = SqliteLedgerStore(home.ledger_path(channel))
    peer = Peer(
        store=store,
        channel=channel,
        registry=registry or default_registry(),
        rules=MembershipRules(),
    )
    extra = {} if clock is None else {"clock": clock}
    orderer = SoloOrderer(
        peer,
        key=orderer_key,
        checkpoint_signers=_checkpoint_signers(
            config["orderer"], orderer_key, config["peer"], peer_key
        ),
        max_txs=max_txs,
        max_wait=max_wait,
        **extra,  # type: ignore[arg-type]
    )
    return Node(home, channel, peer, orderer)


def open_ledger(home: NetworkHome, channel: str | None = None) -> tuple[SqliteLedgerStore, str]:
    """Open a channel's ledger read-only; no keys needed."""
    name = channel or home.config()["channel"]
    path = home.ledger_path(name)
    return SqliteLedgerStore(path, readonly=True), name
