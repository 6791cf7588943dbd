"""Growing a running network: a new org (``tether network add-org``) and a new peer
(``tether network add-peer``), each a change of the channel that its member orgs approve.

The files come first (the org's CA and first admin, the peer's node key), written once and
reused when the command runs again: a change waiting for approvals is approved by signing the
same change, so it must be made of the same certificates and keys.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tetherai.cluster.client import Operator
from tetherai.cluster.config import ConfigError, parse_node
from tetherai.cluster.governance import Outcome, sign_change
from tetherai.cluster.setup import (
    ClusterHome,
    Tools,
    add_org_ca,
    etcd_ca_of,
    issue_transport_identities,
    raw_public,
)
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.certificate import certificate_to_pem, validate_name
from tetherai.identity.keys import DEFAULT_KDF_ROUNDS, write_private_key
from tetherai.services.network import load_node_key, load_participant

__all__ = ["join_org", "join_peer"]


def join_org(
    home: ClusterHome,
    org: str,
    *,
    admin_id: str,
    by: Sequence[str],
    passphrase: bytes,
    now_ms: int,
    channel: str | None = None,
    kdf_rounds: int = DEFAULT_KDF_ROUNDS,
) -> Outcome:
    """Bring a new org into a channel (default: the first): its CA and first admin (made once),
    then ``membership.add_org`` signed by the admins of the orgs ``by``, in turn, until the
    channel's approval rule is met. The change also enrols the new org's admin, who can then
    add the org's peer (:func:`join_peer`). ``cluster.toml`` lists the org once it applied.

    Raises:
        ConfigError: the org is in ``cluster.toml`` already, an org of ``by`` is unknown, no
            peer answered, or the ledger refused the change.
    """
    config = home.cluster_config()
    target = config.channel_spec(channel or config.channel)
    if any(spec.name == org for spec in config.orgs):
        raise ConfigError(f"org {org} is already in {home.cluster_config_path}")
    validate_name(org, "org")
    validate_name(admin_id, "participant id")
    for sponsor in by:
        if sponsor not in target.orgs:
            raise ConfigError(f"org {sponsor} is not a member of channel {target.name}")
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    if (home.ca_dir(org) / "ca.pem").exists():  # made by an earlier run: the same change
        ca = CertificateAuthority.load(home.ca_dir(org), passphrase)
        admin = load_participant(home, org, admin_id, passphrase)
    else:
        ca, admin = add_org_ca(home, org, admin_id, passphrase, now, kdf_rounds=kdf_rounds)
    # Its tools' certificates: to reach its peers (once it is a member) and etcd.
    issue_transport_identities(
        home, Tools(org), ca=ca, etcd=etcd_ca_of(config), hosts=[],
        passphrase=passphrase, now=now,
    )  # fmt: skip
    args = {
        "org": org,
        "ca_cert": certificate_to_pem(ca.certificate).decode(),
        "admin": admin.certificate_pem,
    }
    return sign_change(
        home, target.name, "add_org", args, by=by, passphrase=passphrase, now_ms=now_ms
    )


def join_peer(
    home: ClusterHome,
    name: str,
    api: str,
    *,
    passphrase: bytes,
    now_ms: int,
    by: Sequence[str] = (),
    kdf_rounds: int = DEFAULT_KDF_ROUNDS,
) -> dict[str, Outcome]:
    """Add a peer ``<node>.<org>`` of a member org: its node key (made once), the peer in
    ``cluster.toml`` (where it listens: ``tether network start`` runs it), then
    ``membership.add_peer`` in every channel of its org, proposed by its org's admin and
    approved by the admins of ``by`` until the channel's rule is met. Until then the peer
    follows the channel but does not count. It catches up like any restarted peer (from etcd,
    or other peers' ``/blocks``).

    Run again, it reuses the node key and skips the channels whose configuration lists the
    peer with that key already.

    Raises:
        ConfigError: the name is taken or not ``<node>.<org>`` of a member org, the org is in
            no channel, no peer of a channel answered, or the ledger refused the change.
    """
    config = home.cluster_config()
    node_part, _, org = name.rpartition(".")
    spec = next((o for o in config.orgs if o.name == org), None)
    if spec is None or not node_part:
        raise ConfigError(
            f"a peer is named <node>.<org> of a member org, e.g. peer1.{config.orgs[0].name}",
            hint="add the org first: tether network add-org",
        )
    known = next((n for n in (*config.peers, *config.orderers) if n.name == name), None)
    node = parse_node({"name": name, "org": org, "api": api})
    if known is not None and (known != node or not (home.node_dir(name) / "key.pem").exists()):
        raise ConfigError(f"{name} is already in {home.cluster_config_path}")
    channels = config.channels_of(org)
    if not channels:
        raise ConfigError(f"org {org} is a member of no channel")
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    issue_transport_identities(
        home, name, ca=CertificateAuthority.load(home.ca_dir(org), passphrase),
        etcd=etcd_ca_of(config), hosts=[node.host], passphrase=passphrase, now=now,
    )  # fmt: skip
    key_path = home.node_dir(name) / "key.pem"
    if key_path.exists():
        key = load_node_key(home, name, passphrase)
    else:
        key = Ed25519PrivateKey.generate()
        write_private_key(key_path, key, passphrase, kdf_rounds=kdf_rounds)
        (home.node_dir(name) / "key.pub").write_text(raw_public(key) + "\n")
    signers = [org, *(other for other in by if other != org)]
    outcomes = {}
    for channel in channels:
        peers = config.peers_of(channel)
        with Operator(home, org, passphrase) as operator:
            listed = operator.query(peers, channel, "channel").get("peers")
        same = [p for p in listed if p.get("name") == name] if isinstance(listed, list) else []
        if same and same[0].get("public_key") != raw_public(key):
            raise ConfigError(f"{name} is already a peer of channel {channel}, with another key")
        if same:
            continue
        args = {"name": name, "public_key": raw_public(key)}
        outcomes[channel] = sign_change(
            home, channel, "add_peer", args, by=signers, passphrase=passphrase, now_ms=now_ms
        )
    if known is not None and not outcomes:
        raise ConfigError(f"{name} is already a peer of every channel of {org}")
    if known is None:
        updated = dataclasses.replace(config, peers=(*config.peers, node))
        home.cluster_config_path.write_text(updated.to_toml())
    return outcomes
