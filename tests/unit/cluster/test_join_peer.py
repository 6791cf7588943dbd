"""`tether network add-peer`'s refusals, before anything is sent or written (the joining
itself runs against real etcd and peers in tests/integration/cluster/test_add_peer.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.common.network import PASSPHRASE, START_MS, TEST_KDF_ROUNDS
from tetherai.cluster.config import (
    ChannelSpec,
    ClusterConfig,
    ConfigError,
    NodeSpec,
    OrgSpec,
)
from tetherai.cluster.etcd_members import EtcdCluster, free_port
from tetherai.cluster.joining import join_peer
from tetherai.cluster.setup import ClusterHome, create_cluster


@pytest.fixture
def home(tmp_path: Path) -> ClusterHome:
    orgs = ("Org1", "Org2")
    etcd = EtcdCluster.create(tmp_path / "etcd", 1)  # its CA only: no member runs
    config = ClusterConfig(
        channels=(ChannelSpec("main", orgs),),
        etcd=("https://127.0.0.1:1",),
        etcd_ca=str(etcd.tls_dir),
        orgs=tuple(OrgSpec(org, "admin") for org in orgs),
        # Nothing listens there: these peers are not running.
        peers=tuple(NodeSpec(f"peer0.{org}", org, f"127.0.0.1:{free_port()}") for org in orgs),
        orderers=(NodeSpec("orderer0.Org1", "Org1", f"127.0.0.1:{free_port()}"),),
    )
    made = ClusterHome(tmp_path / "net")
    create_cluster(made, config, passphrase=PASSPHRASE, now_ms=START_MS, kdf_rounds=TEST_KDF_ROUNDS)
    return made


def add(home: ClusterHome, name: str, api: str = "127.0.0.1:7061") -> dict[str, Any]:
    return join_peer(
        home, name, api, passphrase=PASSPHRASE, now_ms=START_MS, kdf_rounds=TEST_KDF_ROUNDS
    )


@pytest.mark.parametrize(
    ("name", "api", "message"),
    [
        ("peer1.Org9", "127.0.0.1:7061", "a peer is named <node>.<org> of a member org"),
        ("peer1", "127.0.0.1:7061", "a peer is named <node>.<org> of a member org"),
        (".Org1", "127.0.0.1:7061", "a peer is named <node>.<org> of a member org"),
        ("peer0.Org2", "127.0.0.1:7061", "peer0.Org2 is already in"),
        ("orderer0.Org1", "127.0.0.1:7061", "orderer0.Org1 is already in"),
        ("peer1.Org2", "localhost", "api must be host:port"),
    ],
)
def test_a_bad_peer_is_refused_and_nothing_is_written(
    home: ClusterHome, name: str, api: str, message: str
) -> None:
    before = home.cluster_config_path.read_text()
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        add(home, name, api)
    assert home.cluster_config_path.read_text() == before
    assert not (home.node_dir(name) / "key.pem").exists() or name in before


def test_no_running_peer_means_no_change_and_a_retry_keeps_the_key(home: ClusterHome) -> None:
    before = home.cluster_config_path.read_text()
    with pytest.raises(ConfigError, match="no peer answered") as refused:
        add(home, "peer1.Org2")
    assert refused.value.hint == "start the network"
    assert home.cluster_config_path.read_text() == before
    key = (home.node_dir("peer1.Org2") / "key.pub").read_text()
    with pytest.raises(ConfigError, match="no peer answered"):
        add(home, "peer1.Org2")
    assert (home.node_dir("peer1.Org2") / "key.pub").read_text() == key
