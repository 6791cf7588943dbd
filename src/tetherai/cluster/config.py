"""The description of a cluster network: ``cluster.toml`` (DESIGN.md §7).

::

    etcd = ["https://127.0.0.1:2379", "https://127.0.0.1:22379", "https://127.0.0.1:32379"]
    etcd_ca = "../etcd/tls"      # the etcd cluster's CA (tether network etcd makes it)

    [[channels]]                 # each channel: its own member orgs and its own ledger
    name = "main"
    orgs = ["Org1", "Org2", "Org3"]

    [[channels]]
    name = "credit"
    orgs = ["Org1", "Org3"]

    [[orgs]]
    name = "Org1"
    admin = "admin"

    [[peers]]
    name = "peer0.Org1"
    org = "Org1"
    api = "127.0.0.1:7051"

    [[orderers]]
    name = "orderer0.Org1"
    org = "Org1"
    api = "127.0.0.1:7050"

A file with ``channel = "main"`` instead of ``[[channels]]`` has that one channel, of every
org. Every orderer orders every channel; a peer keeps only its org's channels. etcd is reached
over TLS only (``https://``), with client certificates its CA issues; ``etcd_ca`` (relative to
the file) is where that CA is, to admit the network's nodes (``tether network init``,
``add-peer``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tetherai.errors import InvalidInput
from tetherai.names import name_problem

__all__ = ["ChannelSpec", "ClusterConfig", "ConfigError", "NodeSpec", "OrgSpec", "parse_node"]


class ConfigError(InvalidInput):
    code = "cluster.config"
    hint = "see docs/cluster.md for the format of cluster.toml"


@dataclass(frozen=True, slots=True)
class OrgSpec:
    name: str
    admin: str


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    name: str
    orgs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NodeSpec:
    name: str
    org: str
    api: str  # host:port its HTTP endpoint listens on

    @property
    def url(self) -> str:
        return f"https://{self.api}"

    @property
    def host(self) -> str:
        return self.api.rpartition(":")[0]

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.api.rpartition(":")
        return host, int(port)


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    channels: tuple[ChannelSpec, ...]
    etcd: tuple[str, ...]
    orgs: tuple[OrgSpec, ...]
    peers: tuple[NodeSpec, ...]
    orderers: tuple[NodeSpec, ...]
    etcd_ca: str = ""
    """Where the etcd cluster's CA is (to issue the nodes' etcd client certificates)."""

    @property
    def channel(self) -> str:
        """The first channel: where a command that names none acts."""
        return self.channels[0].name

    def channel_spec(self, name: str) -> ChannelSpec:
        for channel in self.channels:
            if channel.name == name:
                return channel
        known = ", ".join(channel.name for channel in self.channels)
        raise ConfigError(f"no channel named {name!r} (known: {known})")

    def peers_of(self, channel: str) -> tuple[NodeSpec, ...]:
        """The channel's peers: those of its member orgs."""
        orgs = self.channel_spec(channel).orgs
        return tuple(peer for peer in self.peers if peer.org in orgs)

    def channels_of(self, org: str) -> tuple[str, ...]:
        return tuple(channel.name for channel in self.channels if org in channel.orgs)

    def peer(self, name: str) -> NodeSpec:
        return self._node(self.peers, name, "peer")

    def orderer(self, name: str) -> NodeSpec:
        return self._node(self.orderers, name, "orderer")

    @staticmethod
    def _node(nodes: tuple[NodeSpec, ...], name: str, kind: str) -> NodeSpec:
        for node in nodes:
            if node.name == name:
                return node
        known = ", ".join(node.name for node in nodes)
        raise ConfigError(f"no {kind} named {name!r} (known: {known})")

    @classmethod
    def load(cls, path: Path) -> ClusterConfig:
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"cannot read {path}: {error}") from error
        if isinstance(data.get("etcd_ca"), str) and data["etcd_ca"]:
            data["etcd_ca"] = str((path.parent / data["etcd_ca"]).resolve())
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClusterConfig:
        try:
            etcd = tuple(str(url) for url in data["etcd"])
            orgs = tuple(
                OrgSpec(str(o["name"]), str(o.get("admin", "admin"))) for o in data["orgs"]
            )
            peers = tuple(parse_node(item) for item in data["peers"])
            orderers = tuple(parse_node(item) for item in data["orderers"])
            if "channels" in data:
                channels = tuple(
                    ChannelSpec(str(c["name"]), tuple(str(org) for org in c["orgs"]))
                    for c in data["channels"]
                )
            else:
                channels = (ChannelSpec(str(data["channel"]), tuple(o.name for o in orgs)),)
            etcd_ca = str(data.get("etcd_ca", ""))
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigError(f"cluster config is missing or has a bad field: {error}") from error
        plain = [url for url in etcd if not url.startswith("https://")]
        if plain:
            raise ConfigError(
                f"etcd is reached over TLS only: {plain[0]} is not an https:// URL",
                hint="run etcd with TLS and client certificates (tether network etcd does)",
            )
        names = {org.name for org in orgs}
        if len({channel.name for channel in channels}) != len(channels):
            raise ConfigError("two channels have the same name")
        for channel in channels:
            _name(channel.name, "channel")
            unknown = set(channel.orgs) - names
            if unknown or not channel.orgs:
                raise ConfigError(
                    f"channel {channel.name} needs member orgs listed in [[orgs]]"
                    + (f"; unknown: {', '.join(sorted(unknown))}" if unknown else "")
                )
        for org in orgs:
            _name(org.name, "org")
        for node in (*peers, *orderers):
            if node.org not in names:
                raise ConfigError(f"{node.name} belongs to unknown org {node.org}")
        if not etcd or not peers or not orderers or not orgs or not channels:
            raise ConfigError(
                "a cluster needs etcd endpoints, orgs, channels, peers and an orderer"
            )
        for node in (*peers, *orderers):
            _name(node.name, "node name")
        config = cls(channels, etcd, orgs, peers, orderers, etcd_ca)
        for channel in channels:
            if not config.peers_of(channel.name):
                raise ConfigError(f"channel {channel.name} has no peer of its orgs")
        return config

    def to_toml(self) -> str:
        lines = ["etcd = [" + ", ".join(f'"{url}"' for url in self.etcd) + "]"]
        if self.etcd_ca:
            lines.append(f'etcd_ca = "{self.etcd_ca}"')
        for channel in self.channels:
            orgs = ", ".join(f'"{org}"' for org in channel.orgs)
            lines += ["", "[[channels]]", f'name = "{channel.name}"', f"orgs = [{orgs}]"]
        for org in self.orgs:
            lines += ["", "[[orgs]]", f'name = "{org.name}"', f'admin = "{org.admin}"']
        for kind, nodes in (("peers", self.peers), ("orderers", self.orderers)):
            for node in nodes:
                lines += ["", f"[[{kind}]]", f'name = "{node.name}"', f'org = "{node.org}"']
                lines.append(f'api = "{node.api}"')
        return "\n".join(lines) + "\n"


def _name(value: str, what: str) -> None:
    problem = name_problem(value, what)
    if problem is not None:
        raise ConfigError(problem)


def parse_node(item: dict[str, Any]) -> NodeSpec:
    """A ``[[peers]]`` or ``[[orderers]]`` entry."""
    node = NodeSpec(str(item["name"]), str(item["org"]), str(item["api"]))
    host, _, port = node.api.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"{node.name}: api must be host:port, not {node.api!r}")
    return node
