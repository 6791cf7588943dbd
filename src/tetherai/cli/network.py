"""``tether network``: a cluster of several orgs' peers ordered on etcd (DESIGN.md §7)."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tetherai.cli._client import PassphraseFileOption
from tetherai.cli._common import (
    EXIT_DIFFERENCE,
    HomeOption,
    JsonOption,
    console,
    print_json,
    run,
)
from tetherai.cli._network_common import (
    ByOption,
    ChannelOption,
    cluster_home,
    now_ms,
    passphrase,
)
from tetherai.cli.network_governance import register

if TYPE_CHECKING:
    from tetherai.cluster.follower import PeerFollower
    from tetherai.cluster.setup import ClusterHome
    from tetherai.cluster.tls import NodeClients

app = typer.Typer(
    help="Cluster mode: several orgs' peers, ordering on an etcd cluster.\n\n"
    "Example: tether network init --config cluster.toml --home ./net",
    no_args_is_help=True,
)

ConfigFileOption = Annotated[
    Path,
    typer.Option("--config", help="cluster.toml: orgs, peers, orderers, etcd endpoints, channel."),
]


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


@app.command()
def init(
    config: ConfigFileOption,
    home: HomeOption = None,
    passphrase_file: PassphraseFileOption = None,
) -> None:
    """Create every org's CA and admin, every node's key, and the genesis block.

    Example: tether network init --config cluster.toml --home ./net
    """
    from tetherai.cluster.config import ClusterConfig
    from tetherai.cluster.setup import create_cluster

    target = cluster_home(home)
    parsed = run(lambda: ClusterConfig.load(config))
    secret = passphrase(passphrase_file)
    blocks = run(lambda: create_cluster(target, parsed, passphrase=secret, now_ms=now_ms()))
    console.print(f"created the network at {target.root}")
    for channel, block in blocks.items():
        console.print(f"channel {channel}: genesis {block.header.hash}")
    console.print("next: tether network bootstrap, then tether network start")


@app.command(name="add-org")
def add_org(
    org: Annotated[str, typer.Argument(help="The new org's name.")],
    by: ByOption,
    admin: Annotated[str, typer.Option("--admin", help="The new org's first admin.")] = "admin",
    channel: ChannelOption = None,
    home: HomeOption = None,
    passphrase_file: PassphraseFileOption = None,
) -> None:
    """Propose a new org (its CA and first admin are made here) and collect approvals.

    Example: tether network add-org Org4 --by Org1 --by Org2 --home ./net
    """
    from tetherai.cluster.joining import join_org

    target = cluster_home(home)
    secret = passphrase(passphrase_file)
    outcome = run(
        lambda: join_org(
            target,
            org,
            admin_id=admin,
            by=by,
            channel=channel,
            passphrase=secret,
            now_ms=now_ms(),
        )
    )
    console.print(outcome.describe())
    if outcome.applied:
        console.print(f"{org} joined channel {outcome.channel}; its admin is {admin}@{org}")


@app.command(name="add-peer")
def add_peer(
    name: Annotated[str, typer.Argument(help="The peer, <node>.<org>, e.g. peer0.Org4.")],
    api: Annotated[str, typer.Option("--api", help="host:port its HTTP endpoint listens on.")],
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Other orgs whose admins approve (its own org proposes)."),
    ] = None,
    home: HomeOption = None,
    passphrase_file: PassphraseFileOption = None,
) -> None:
    """Add a peer of a member org: its node key, cluster.toml, the change in each of its
    org's channels (proposed by the org's admin, approved by the orgs --by).

    Example: tether network add-peer peer0.Org4 --api 127.0.0.1:7061 --by Org1 --home ./net
    """
    from tetherai.cluster.joining import join_peer

    target = cluster_home(home)
    secret = passphrase(passphrase_file)
    outcomes = run(
        lambda: join_peer(target, name, api, by=by or [], passphrase=secret, now_ms=now_ms())
    )
    for outcome in outcomes.values():
        console.print(outcome.describe())
    console.print(f"start it: tether network start --node {name}")


@app.command()
def bootstrap(home: HomeOption = None, passphrase_file: PassphraseFileOption = None) -> None:
    """Put the genesis block in etcd (once; again is a no-op for the same network).

    Example: tether network bootstrap --home ./net
    """
    from tetherai.cluster.setup import Tools, bootstrap_chain

    target = cluster_home(home)
    config = run(target.cluster_config)
    secret = passphrase(passphrase_file)
    client = run(lambda: target.etcd_client(Tools(config.orgs[0].name), secret))
    try:
        hashes = run(lambda: bootstrap_chain(target, client))
    finally:
        client.close()
    for channel, genesis in hashes.items():
        console.print(f"the chain of channel {channel} starts at {genesis}")


@app.command()
def etcd(
    directory: Annotated[Path, typer.Option("--dir", help="Where the members keep their data.")],
    members: Annotated[int, typer.Option("--members", min=1, max=7)] = 3,
) -> None:
    """Run a local etcd cluster (real etcd processes on 127.0.0.1) until Ctrl-C.

    Example: tether network etcd --dir ./etcd --members 3
    """
    from tetherai.cluster.etcd_members import EtcdCluster

    cluster = run(lambda: EtcdCluster.create(directory, members))
    run(cluster.start)
    console.print("etcd endpoints: " + ", ".join(cluster.endpoints))
    console.print(
        f'TLS with client certificates only; in cluster.toml: etcd_ca = "{cluster.tls_dir}"'
    )
    try:
        _wait_for_signal()
    finally:
        cluster.stop()


@app.command()
def start(
    home: HomeOption = None,
    node: Annotated[
        list[str] | None, typer.Option("--node", help="Start only these nodes (repeatable).")
    ] = None,
    passphrase_file: PassphraseFileOption = None,
) -> None:
    """Start the network's orderers and peers as processes; Ctrl-C stops them.

    Example: tether network start --home ./net --node peer0.Org2
    """
    from tetherai.cluster.processes import NodeProcesses

    target = cluster_home(home)
    config = run(target.cluster_config)
    processes = NodeProcesses(target, passphrase(passphrase_file))
    try:
        if node:
            for name in node:
                is_orderer = any(o.name == name for o in config.orderers)
                if not is_orderer:
                    run(lambda: config.peer(name))  # noqa: B023 - called at once
                processes.start("orderer" if is_orderer else "peer", name)
        else:
            run(lambda: processes.start_all())
        console.print("started: " + ", ".join(processes.running) + f" (logs in {target.root}/logs)")
        _wait_for_signal()
    finally:
        processes.stop()


@app.command()
def peer(
    name: Annotated[str, typer.Option("--name", help="The peer, as named in cluster.toml.")],
    api_port: Annotated[
        int | None, typer.Option("--api-port", help="Also serve the API and pages here.")
    ] = None,
    home: HomeOption = None,
    passphrase_file: PassphraseFileOption = None,
) -> None:
    """Run one peer in the foreground; with --api-port, the org's API and pages on top of it.

    Example: tether network peer --name peer0.Org1 --api-port 8000 --home ./net
    """
    from tetherai.cluster.run import place_threads, run_peer
    from tetherai.logs import configure_from_env

    configure_from_env(os.environ)  # this process is the node: its log goes to stderr
    run(lambda: place_threads(os.environ))  # before the node starts any thread
    target = cluster_home(home)
    secret = passphrase(passphrase_file)
    starter = None if api_port is None else _api_starter(target, name, secret, api_port)
    run(lambda: run_peer(target, name, secret, serve_api=starter))


def _api_starter(
    home: ClusterHome, name: str, passphrase: bytes, port: int
) -> Callable[[PeerFollower, NodeClients], Callable[[], None]]:
    def start(follower: PeerFollower, clients: NodeClients) -> Callable[[], None]:
        import uvicorn

        from tetherai.api.proxies import SERVER_OPTIONS
        from tetherai.cluster.api_node import RemoteOrderer, api_home, cluster_node
        from tetherai.server import create_web_app
        from tetherai.services.settings import Settings

        config = home.cluster_config()
        root = api_home(home, config, name)
        root.ensure_server_secret()
        env = {**os.environ, "TETHER_PORT": str(port), "TETHER_PASSPHRASE": passphrase.decode()}
        settings = Settings.from_env(env, home=root.root)
        orderer = RemoteOrderer(follower, config.orderers, clients)
        web = create_web_app(
            settings, node=cluster_node(root, follower, orderer), owns_process=True
        )
        server = uvicorn.Server(
            uvicorn.Config(
                web, host=settings.host, port=port, log_level="warning", **SERVER_OPTIONS
            )
        )
        threading.Thread(target=server.run, name="tether-api", daemon=True).start()
        typer.echo(f"peer {name}: API and pages on http://{settings.host}:{port}")

        def stop() -> None:
            server.should_exit = True
            orderer.close()

        return stop

    return start


@app.command()
def status(
    home: HomeOption = None,
    json_output: JsonOption = False,
    passphrase_file: PassphraseFileOption = None,
) -> None:
    """Each peer's height, state root and divergence; which orderer leads (each node asked
    with its own org's tools certificate where this home has it, else the first org's).

    Example: tether network status --home ./net --json
    """
    from tetherai.cluster.client import node_status

    target = cluster_home(home)
    config = run(target.cluster_config)
    secret = passphrase(passphrase_file)
    orgs = [o.name for o in config.orgs if (target.tools_dir(o.name) / "tls.pem").exists()]
    if not orgs:
        raise typer.BadParameter(f"{target.root} holds no org's tools certificate")
    clients = {org: target.tools_clients(org, secret) for org in orgs}
    try:
        ask = {org: clients.get(org, clients[orgs[0]]) for org in [o.name for o in config.orgs]}
        peers = {p.name: node_status(ask[p.org], p) for p in config.peers}
        orderers = {o.name: node_status(ask[o.org], o) for o in config.orderers}
    finally:
        for each in clients.values():
            each.close()
    if json_output:
        print_json({"peers": peers, "orderers": orderers})
    else:
        for name, found in orderers.items():
            if found is None:
                console.print(f"{name}: down")
                continue
            leads = [c for c, info in found["channels"].items() if info["leader"]]
            console.print(f"{name}: " + (f"leads {', '.join(leads)}" if leads else "standby"))
        for name, found in peers.items():
            if found is None:
                console.print(f"{name}: down")
                continue
            for channel, info in found["channels"].items():
                line = f"{name} in {channel}: height {info['height']}, "
                line += f"state root {info['state_root'][:16]}…"
                if info["divergent"]:
                    line += f" — DIVERGED at block {info['divergent']['block']}, refuses writes"
                console.print(line)
    divergent = [
        info
        for found in peers.values()
        if found
        for info in found["channels"].values()
        if info["divergent"]
    ]
    if divergent:
        raise typer.Exit(EXIT_DIFFERENCE)


@app.command()
def demo(
    keep: Annotated[
        Path | None, typer.Option("--keep", help="Keep the demo's files in this directory.")
    ] = None,
) -> None:
    """Start 3 etcd members, 3 orgs' peers and the orderers; run a model's life cycle.

    Example: tether network demo
    """
    from tetherai.cluster.demo import run_demo

    root = keep or Path(tempfile.mkdtemp(prefix="tether-cluster-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        line = run(lambda: run_demo(root, say=typer.echo))
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)
    typer.echo(line)  # one unwrapped line, for scripts to match


register(app)
