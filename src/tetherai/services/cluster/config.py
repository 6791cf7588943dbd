"""The description of a cluster network: ``cluster.toml`` (DESIGN.md §7).

::

    channel = "main"
    etcd = ["http://127.0.0.1:2379", "http://127.0.0.1:22379", "http://127.0.0.1:32379"]

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
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tetherai.errors import TetherError
from tetherai.identity.certificate import validate_name

__all__ = ["ClusterConfig", "ConfigError", "NodeSpec", "OrgSpec"]


class ConfigError(TetherError):
    code = "cluster.config"
    hint = "see docs/cluster.md for the format of cluster.toml"


@dataclass(frozen=True, slots=True)
class OrgSpec:
    name: str
    admin: str


@dataclass(frozen=True, slots=True)
class NodeSpec:
    name: str
    org: str
    api: str  # host:port its HTTP endpoint listens on

    @property
    def url(self) -> str:
        return f"http://{self.api}"

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.api.rpartition(":")
        return host, int(port)


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    channel: str
    etcd: tuple[str, ...]
    orgs: tuple[OrgSpec, ...]
    peers: tuple[NodeSpec, ...]
    orderers: tuple[NodeSpec, ...]

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
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClusterConfig:
        try:
            channel = str(data["channel"])
            etcd = tuple(str(url) for url in data["etcd"])
            orgs = tuple(
                OrgSpec(str(o["name"]), str(o.get("admin", "admin"))) for o in data["orgs"]
            )
            peers = tuple(_node(item) for item in data["peers"])
            orderers = tuple(_node(item) for item in data["orderers"])
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigError(f"cluster config is missing or has a bad field: {error}") from error
        validate_name(channel, "channel")
        names = {org.name for org in orgs}
        for org in orgs:
            validate_name(org.name, "org")
        for node in (*peers, *orderers):
            if node.org not in names:
                raise ConfigError(f"{node.name} belongs to unknown org {node.org}")
        if not etcd or not peers or not orderers or not orgs:
            raise ConfigError("a cluster needs etcd endpoints, orgs, peers and an orderer")
        return cls(channel, etcd, orgs, peers, orderers)

    def to_toml(self) -> str:
        lines = [f'channel = "{self.channel}"']
        lines.append("etcd = [" + ", ".join(f'"{url}"' for url in self.etcd) + "]")
        for org in self.orgs:
            lines += ["", "[[orgs]]", f'name = "{org.name}"', f'admin = "{org.admin}"']
        for kind, nodes in (("peers", self.peers), ("orderers", self.orderers)):
            for node in nodes:
                lines += ["", f"[[{kind}]]", f'name = "{node.name}"', f'org = "{node.org}"']
                lines.append(f'api = "{node.api}"')
        return "\n".join(lines) + "\n"


def _node(item: dict[str, Any]) -> NodeSpec:
    node = NodeSpec(str(item["name"]), str(item["org"]), str(item["api"]))
    host, _, port = node.api.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"{node.name}: api must be host:port, not {node.api!r}")
    return node
