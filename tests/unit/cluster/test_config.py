"""cluster.toml: what it may say, and the clear errors when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from tetherai.cluster.config import ChannelSpec, ClusterConfig, ConfigError

BASE = """
etcd = ["https://127.0.0.1:2379"]
[[orgs]]
name = "Org1"
[[orgs]]
name = "Org2"
[[peers]]
name = "peer0.Org1"
org = "Org1"
api = "127.0.0.1:7051"
[[peers]]
name = "peer0.Org2"
org = "Org2"
api = "127.0.0.1:7052"
[[orderers]]
name = "orderer0.Org1"
org = "Org1"
api = "127.0.0.1:7050"
"""


def load(tmp_path: Path, text: str) -> ClusterConfig:
    path = tmp_path / "cluster.toml"
    path.write_text(text)
    return ClusterConfig.load(path)


def test_one_channel_of_every_org_when_only_channel_is_named(tmp_path: Path) -> None:
    config = load(tmp_path, 'channel = "main"\n' + BASE)
    assert config.channels == (ChannelSpec("main", ("Org1", "Org2")),)
    assert config.orgs[0].admin == "admin"
    assert [p.name for p in config.peers_of("main")] == ["peer0.Org1", "peer0.Org2"]


def test_channels_have_their_own_orgs_and_round_trip(tmp_path: Path) -> None:
    text = (
        'etcd_ca = "etcd/tls"\n' + BASE + '[[channels]]\nname = "main"\norgs = ["Org1", "Org2"]\n'
    )
    text += '[[channels]]\nname = "private"\norgs = ["Org2"]\n'
    config = load(tmp_path, text)
    assert config.channel == "main"
    assert [p.name for p in config.peers_of("private")] == ["peer0.Org2"]
    assert config.channels_of("Org1") == ("main",)
    assert config.channels_of("Org2") == ("main", "private")
    assert config.etcd_ca == str(tmp_path / "etcd" / "tls")  # relative to the file
    assert load(tmp_path, config.to_toml()) == config


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("this is = not toml [", "cannot read"),
        (BASE, "missing or has a bad field"),
        ('channel = "main"\n' + BASE.replace('org = "Org2"', 'org = "Org9"'), "unknown org Org9"),
        ('channel = "main"\n' + BASE.replace("127.0.0.1:7052", "nowhere"), "api must be host:port"),
        (BASE + '[[channels]]\nname = "c"\norgs = ["Org7"]\n', "unknown: Org7"),
        (
            BASE
            + '[[channels]]\nname = "c"\norgs = ["Org1"]\n[[channels]]\nname = "c"\norgs = ["Org2"]\n',
            "same name",
        ),
        (
            'channel = "main"\n' + BASE.replace("https://127.0.0.1:2379", "http://127.0.0.1:2379"),
            "etcd is reached over TLS only: http://127.0.0.1:2379 is not an https:// URL",
        ),
        ('channel = "main"\n' + BASE.replace('"peer0.Org1"', '"_peer"'), "invalid node name"),
    ],
)
def test_a_bad_config_says_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, text)


def test_a_channel_without_a_peer_is_refused(tmp_path: Path) -> None:
    text = BASE.replace(
        '[[peers]]\nname = "peer0.Org2"\norg = "Org2"\napi = "127.0.0.1:7052"\n', ""
    )
    text += '[[channels]]\nname = "only2"\norgs = ["Org2"]\n'
    with pytest.raises(ConfigError, match="channel only2 has no peer"):
        load(tmp_path, text)


def test_unknown_nodes_and_channels_are_named(tmp_path: Path) -> None:
    config = load(tmp_path, 'channel = "main"\n' + BASE)
    with pytest.raises(ConfigError, match="no peer named 'peer9'"):
        config.peer("peer9")
    with pytest.raises(ConfigError, match="no channel named 'x'"):
        config.channel_spec("x")
