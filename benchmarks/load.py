"""Load benchmark: 100 concurrent users doing a realistic mix for 60 s against one server.

A server process builds a demo-like network (the cast of the tests: AI engineers, MLOps
engineers, stakeholders, an auditor and the org admin, each with a web account; a project with
six versions along the workflow and their reviews, and a second project), runs the web app
(API + pages, as ``tether serve`` does) under one uvicorn worker on 127.0.0.1, signs people in
and pre-signs envelopes (``tests/common/load.py`` holds the mix). The load comes from ``wrk``
(one thread; each of its ``--users`` keep-alive connections is a user), so the clients cost the
2 cores little and the figures are the server's. Of every 20 requests:

- 17 reads: project list and page, versions, a version with its reviews, actions and
  history, the ledger summary and blocks, notifications, a tx and its inclusion proof (API
  tokens), and the dashboard and version pages (HTML, browser sessions);
- 1 comment through a signed-in browser session (the server signs with the sealed key);
- 1 pre-signed comment and 1 pre-signed version registration (``POST /api/v1/envelopes``),
  each sent once; when they run out, a session comment takes the slot.

Every write waits until its block is durable. An answer that is not 2xx (a redirect to the
sign-in page too) or a socket error counts as an error; there must be none. Each run (``--runs``,
3 by default, against the same server, each with its own pre-signed envelopes) is set beside a
bare FastAPI route under the same uvicorn stack with as many connections (``load_vs_bare``), and
the server's CPU per request is read from /proc. A 5-second warm-up (reads and session
comments) comes first and is not counted.

    .venv/bin/python benchmarks/load.py [--users 100] [--seconds 60] [--envelopes 3000] [--runs 3]
                                        [--server-cpus auto]
    .venv/bin/python benchmarks/load.py --servers 2 [--etcd-members 1] [--server-cpus 0,1] [...]

``--server-cpus`` places the server's threads as ``tether serve --cpus`` does: ``auto`` (the
default, as the server's) on one CPU, the one it started on (``tetherai.http.process`` says
why a request costs less CPU there); ``all`` on any CPU; ``0`` on CPU 0. With ``--servers N``
a list names one CPU for each server, as ``TETHER_CPUS`` for each ``tether network peer``.

Prints a table (min / median / max), then ``load_errors: N``, ``load_req_per_s: N req/s``,
``load_p95_ms: N ms`` and the rest, one a line.

``--servers 2`` runs the same mix against two server processes of one channel, the way out of
one process the product has (docs/cluster.md; ``_cluster_servers.py``): cluster mode with one
org, an orderer process ordering into a real etcd (``--etcd-members``, 1 by default), and two
peers of that org, each a process serving the web app over its own ledger copy, with its own
service database on one PostgreSQL 15 server. Each server gets its own accounts, sessions,
tokens and pre-signed envelopes; wrk runs one thread a server (50 users each), so requests,
latencies and errors are counted over both. The servers' CPU per request is summed over both
processes; the orderer's, etcd's and PostgreSQL's are shown beside it; the bare route runs as
two processes under the same split.

``--endpoints N`` measures instead where the server's time goes: each kind of request of the
mix alone, ``N`` requests one after another on one connection (the mix's readers in turn; each
write waits for its durable block), with the server's CPU per request (``cpu_us <kind>``), each
read's share of the reads' CPU (each kind weighs as often as the mix sends it) and the mix's
mean (17 reads and 3 writes of every 20).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from _harness import (
    Figures,
    HttpFigures,
    add_cpus_option,
    add_run_options,
    bare_route_server,
    bare_route_servers,
    cpu_seconds,
    timed,
    wrk,
)
from _server import publish, server_process

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).with_name("load.lua")


def serve_forever(out: Path, envelopes: int, cpus: str) -> None:
    """The server process: network, app, sessions, tokens and the mix written to ``out``;
    its threads on ``cpus`` (as ``tether serve --cpus``)."""
    sys.path.insert(0, str(ROOT))
    from tetherai.http.process import run_on_cpus
    from tetherai.services.settings import cpu_choice

    run_on_cpus(cpu_choice(cpus))  # before the network starts its threads
    from tests.common.lifecycle import make_cast
    from tests.common.load import prepare
    from tests.common.network import PASSPHRASE, make_network
    from tests.common.server import serve

    from tetherai.http.process import settle_heap
    from tetherai.server import create_web_app
    from tetherai.services.settings import Settings

    with tempfile.TemporaryDirectory(prefix="tether-load-") as tmp:
        work = Path(tmp)
        net = make_network(work, max_wait=0.0)
        cast = make_cast(net)
        settings = Settings(
            home=net.home.root,
            database_url=f"sqlite:///{work / 'service.sqlite'}",
            secret_key=b"l" * 32,
            passphrase=PASSPHRASE,
        )
        # The real password-hashing cost; the heap settled once started, as ``tether serve``.
        app = create_web_app(settings, node=net.node, owns_process=True)
        with serve(app) as http:
            plan = prepare(app, http, cast, envelopes=envelopes)
            # The plan lives here only because this process also prepares the load: out of
            # the collector's way, as what a server builds at startup is.
            settle_heap()
            ready = {"base_url": str(http.base_url), "plan": plan.to_json(), "pid": os.getpid()}
            publish(out, ready)
        net.close()


def serve_cluster_node(out: Path, args: argparse.Namespace) -> None:
    """A server process of ``--servers N``: peer ``args.node`` of the cluster at
    ``args.cluster`` (run as ``tether network peer --api-port`` runs it) serving the web app,
    with its service database at ``args.database``. Without ``args.history`` it enrols the
    cast and builds the project's history through the cluster; with it (the first server's
    JSON: project, tx ids, height) it waits until its ledger copy has that history. Then its
    accounts, sessions, tokens and pre-signed envelopes, written to ``out``."""
    import signal
    import threading

    sys.path.insert(0, str(ROOT))
    from tests.common.lifecycle import PARTS, Cast, make_cast
    from tests.common.load import build_history, prepare
    from tests.common.network import PASSPHRASE, Network, WallClock
    from tests.common.server import serve

    from tetherai.cluster.api_node import RemoteOrderer, api_home, cluster_node
    from tetherai.cluster.follower import PeerFollower
    from tetherai.cluster.run import run_peer
    from tetherai.cluster.setup import ClusterHome
    from tetherai.cluster.tls import NodeClients
    from tetherai.http.process import run_on_cpus, settle_heap
    from tetherai.identity.ca import CertificateAuthority
    from tetherai.server import create_web_app
    from tetherai.services.network import load_participant
    from tetherai.services.settings import Settings, cpu_choice

    run_on_cpus(cpu_choice(args.server_cpus))  # as TETHER_CPUS for tether network peer
    home = ClusterHome(args.cluster)

    def start(follower: PeerFollower, clients: NodeClients) -> Any:
        config = home.cluster_config()
        root = api_home(home, config, args.node)
        settings = Settings(
            home=root.root,
            database_url=args.database,
            secret_key=b"l" * 32,
            passphrase=PASSPHRASE,
        )
        node = cluster_node(root, follower, RemoteOrderer(follower, config.orderers, clients))
        # The real password-hashing cost; the heap settled once started, as a peer's API.
        app = create_web_app(settings, node=node, owns_process=True)

        def serve_and_prepare() -> None:
            try:
                org = config.peer(args.node).org
                admin = load_participant(root, org, "admin", PASSPHRASE)
                ca = CertificateAuthority.load(root.ca_dir(org), PASSPHRASE)
                net = Network(root, node, admin, WallClock(), ca)
                with serve(app) as http:
                    if args.history is None:
                        cast = make_cast(net)
                        # Pre-signed envelopes wait minutes for their turn: the orderer holds a
                        # tx's time to the channel's allowed skew (5 min unless changed).
                        cast.ok("admin", "membership", "set_limits", max_skew_ms=3_600_000)
                        tx_ids = build_history(cast)
                    else:
                        shared = json.loads(args.history.read_text())
                        if not follower.wait_for(int(shared["height"]), 300):
                            raise SystemExit(f"{args.node} did not catch up")
                        people = {
                            part: load_participant(root, org, name, PASSPHRASE)
                            for part, (name, _) in PARTS.items()
                        }
                        cast = Cast(net, shared["project"], people | {"admin": admin})
                        tx_ids = shared["tx_ids"]
                    plan = prepare(
                        app, http, cast, envelopes=args.envelopes, history=tx_ids, first=args.first
                    )
                    settle_heap()  # the plan too: out of the collector's way (serve_forever)
                    history = {
                        "project": cast.project,
                        "tx_ids": tx_ids,
                        "height": follower.peer.head.height,
                    }
                    publish(
                        out,
                        {
                            "base_url": str(http.base_url),
                            "plan": plan.to_json(),
                            "pid": os.getpid(),
                            "history": history,
                        },
                    )
            finally:  # the benchmark is done with this server (or it failed): stop the peer
                os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=serve_and_prepare, name="load-server", daemon=True).start()
        return lambda: None  # the thread above stops the web server

    run_peer(home, args.node, PASSPHRASE, serve_api=start)


def request_lines(
    plan: dict[str, list[dict[str, object]]], run: int, runs: int, *, host: str | None = None
) -> str:
    """The mix as wrk's script reads it: slot, method, path, headers, body; tab-separated.
    Run ``run`` of ``runs`` gets its own share of the pre-signed envelopes (each is sent once).
    ``host``: the ``Host`` header of every request (a server that is not wrk's URL)."""
    slots = {
        "reads": "read",
        "session_writes": "session",
        "envelope_comments": "comment",
        "envelope_versions": "version",
    }
    lines = []
    for pool, slot in slots.items():
        calls = plan[pool]
        if pool.startswith("envelope_"):
            calls = calls[run::runs]
        for call in calls:
            given = dict(call["headers"])  # type: ignore[call-overload]
            if host is not None:
                given["Host"] = host
            headers = "\x1f".join(f"{k}: {v}" for k, v in given.items())
            body = str(call["body"])
            assert "\t" not in body and "\n" not in body  # JSON escapes both inside strings
            lines.append("\t".join((slot, str(call["method"]), str(call["path"]), headers, body)))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100, help="concurrent users (connections)")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument(
        "--envelopes",
        type=int,
        default=3000,
        help="pre-signed comments (and as many versions) per run",
    )
    parser.add_argument(
        "--endpoints",
        type=int,
        default=0,
        metavar="N",
        help="instead of the mix: server CPU per request of each kind of read, N requests each",
    )
    add_cpus_option(parser, "--server-cpus", "the server's threads (one CPU each for --servers N)")
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="server processes: 1 (embedded defaults) or more (cluster mode over PostgreSQL)",
    )
    parser.add_argument(
        "--etcd-members", type=int, default=1, help="etcd members ordering for --servers N"
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--node", help=argparse.SUPPRESS)
    parser.add_argument("--cluster", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--history", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    add_run_options(parser)
    args = parser.parse_args()
    if args.serve and args.node:
        serve_cluster_node(args.serve, args)
        return
    if args.serve:
        serve_forever(args.serve, args.envelopes, args.server_cpus)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: run 'make bench' or 'apt-get install wrk'")
    if args.servers > 1:
        several_servers(args)
        return

    if args.endpoints:
        per_endpoint(args.endpoints, args.runs, args.envelopes, args.server_cpus)
        return
    figures = Figures(
        f"Realistic mix, {args.users} concurrent users, {args.seconds} s, one worker, "
        f"on CPUs {args.server_cpus}"
    )
    envelopes = str(args.envelopes * args.runs)
    with (
        server_process(__file__, "--envelopes", envelopes, "--server-cpus", args.server_cpus) as (
            info,
            tmp,
        ),
        bare_route_server() as (
            bare_url,
            bare_pid,
        ),
    ):
        pid = int(info["pid"])
        # A short warm-up first (not counted): a fresh server's first requests fill its caches
        # and start its worker threads; the figures are for a server that has been running.
        warm = tmp / "warm-up.tsv"
        warm.write_text(
            request_lines(info["plan"] | {"envelope_comments": [], "envelope_versions": []}, 0, 1)
        )
        wrk(info["base_url"], clients=args.users, seconds=5, script=LUA, script_args=(str(warm),))
        for run in range(args.runs):
            bare = wrk(bare_url, clients=args.users, seconds=args.seconds / 4, server_pid=bare_pid)
            requests = tmp / f"requests-{run}.tsv"
            requests.write_text(request_lines(info["plan"], run, args.runs))
            result = wrk(
                info["base_url"],
                clients=args.users,
                seconds=args.seconds,
                script=LUA,
                script_args=(str(requests),),
                server_pid=pid,
            )
            record(figures, result, bare)
    figures.print()


def several_servers(args: argparse.Namespace) -> None:
    """The mix against ``args.servers`` server processes of one channel (see the module's
    docstring); prints the same table, with the other processes' CPU beside the servers'."""
    from _cluster_servers import deployment

    from tetherai.services.settings import cpu_choice

    figures = Figures(
        f"Realistic mix, {args.users} concurrent users, {args.seconds} s, {args.servers} server "
        f"processes (cluster mode: orderer + {args.etcd_members} etcd member(s), PostgreSQL)"
    )
    envelopes = args.envelopes * args.runs
    choice = cpu_choice(args.server_cpus)
    cpus = [str(cpu) for cpu in choice] if isinstance(choice, tuple) else []
    if cpus and len(cpus) < args.servers:
        raise SystemExit(f"--server-cpus: name one CPU for each of the {args.servers} servers")
    with tempfile.TemporaryDirectory(prefix="tether-load-cluster-") as tmp, ExitStack() as stack:
        deployed = stack.enter_context(
            deployment(Path(tmp), servers=args.servers, etcd_members=args.etcd_members)
        )
        servers: list[dict[str, Any]] = []
        history = Path(tmp) / "history.json"
        for number, node in enumerate(deployed.peers):
            options = ["--node", node, "--cluster", str(deployed.home.root)]
            options += ["--database", deployed.new_database(), "--envelopes", str(envelopes)]
            options += ["--first", str(number * envelopes)]
            options += ["--server-cpus", cpus[number] if cpus else args.server_cpus]
            if servers:
                options += ["--history", str(history)]
            info, _ = stack.enter_context(server_process(__file__, *options))
            if not servers:
                history.write_text(json.dumps(info["history"]))
            servers.append(info)
        pids = [int(info["pid"]) for info in servers]
        addresses = [str(info["base_url"]).split("//", 1)[1].rstrip("/") for info in servers]
        bare = stack.enter_context(bare_route_servers(args.servers))
        bare_addresses = [url.split("//", 1)[1].split("/", 1)[0] for url, _ in bare]
        base_url = str(servers[0]["base_url"])

        def files(name: str, run: int, runs: int, warm: bool = False) -> tuple[str, ...]:
            paths = []
            for info, address in zip(servers, addresses, strict=True):
                plan = info["plan"]
                if warm:
                    plan = plan | {"envelope_comments": [], "envelope_versions": []}
                path = Path(tmp) / f"{name}-{address.replace(':', '-')}.tsv"
                path.write_text(request_lines(plan, run, runs, host=address))
                paths.append(str(path))
            return tuple(paths)

        warm = files("warm-up", 0, 1, warm=True)
        wrk(base_url, clients=args.users, seconds=5, script=LUA, script_args=warm,
            servers=addresses)  # fmt: skip
        for run in range(args.runs):
            bare_run = wrk(
                bare[0][0],
                clients=args.users,
                seconds=args.seconds / 4,
                server_pid=[pid for _, pid in bare],
                servers=bare_addresses,
            )
            support = deployed.support_pids()
            before = {part: sum(cpu_seconds(p) for p in found) for part, found in support.items()}
            result = wrk(
                base_url,
                clients=args.users,
                seconds=args.seconds,
                script=LUA,
                script_args=files(f"requests-{run}", run, args.runs),
                server_pid=pids,
                servers=addresses,
            )
            record(figures, result, bare_run)
            answered = [int(n) for n in result.extra["answered"]]
            for number, count in enumerate(answered):
                figures.add(f"load_server{number}_requests", count, "",
                            note=f"answered by {deployed.peers[number]}")  # fmt: skip
            for part, found in support.items():
                spent = sum(cpu_seconds(p) for p in found) - before[part]
                figures.add(f"{part}_cpu_us_per_request", spent / max(1, result.requests) * 1e6,
                            "µs CPU", note="beside the servers' (not in load_cpu_us_per_request)")  # fmt: skip
    figures.print()


def per_endpoint(requests: int, runs: int, envelopes: int, cpus: str) -> None:
    """Server CPU per request of each kind of read, alone and one at a time, after the
    pre-signed writes of one load run (the ledger a run leaves: versions with many comments,
    many new versions)."""
    import httpx

    figures = Figures(
        f"Server CPU per request of each read of the mix, {requests} requests each, "
        f"after {envelopes} pre-signed comments and as many registrations"
    )
    reserved = requests * runs  # pre-signed writes kept back for the measurement, per kind
    with server_process(
        __file__, "--envelopes", str(envelopes + reserved), "--server-cpus", cpus
    ) as (info, _):
        pid = int(info["pid"])
        plan = info["plan"]
        reads = plan["reads"]
        writes = {
            "session comment": plan["session_writes"],
            "envelope comment": plan["envelope_comments"][envelopes:],
            "envelope version": plan["envelope_versions"][envelopes:],
        }
        kinds: dict[str, list[dict[str, Any]]] = {}
        for call in reads:
            kinds.setdefault(str(call["kind"]), []).append(call)
        with httpx.Client(base_url=info["base_url"], timeout=60) as http:

            def send(call: dict[str, Any]) -> None:
                answer = http.request(
                    str(call["method"]),
                    str(call["path"]),
                    headers=call["headers"],
                    content=str(call["body"]) or None,
                )
                if not 200 <= answer.status_code < 300:
                    raise SystemExit(f"{call['path']}: {answer.status_code} {answer.text[:200]}")

            for call in (
                plan["envelope_comments"][:envelopes] + plan["envelope_versions"][:envelopes]
            ):
                send(call)
            for calls in kinds.values():  # warm-up: caches filled, threads started
                for call in calls:
                    send(call)
            for _ in range(runs):
                spent: dict[str, float] = {}
                for kind, calls in kinds.items():
                    with timed(pid) as timing:
                        for number in range(requests):
                            send(calls[number % len(calls)])
                    spent[kind] = timing.cpu / requests * 1e6
                    figures.add(f"cpu_us {kind}", spent[kind], "µs CPU")
                # Each kind weighs as often as the mix sends it.
                weight = {kind: len(calls) / len(reads) for kind, calls in kinds.items()}
                mean = sum(spent[kind] * weight[kind] for kind in kinds)
                figures.add("reads_cpu_us_mean", mean, "µs CPU", note="per read of the mix")
                for kind in kinds:
                    share = spent[kind] * weight[kind] / mean
                    figures.add(f"share {kind}", share, "x", note="of the reads' CPU")
                for kind, calls in writes.items():
                    with timed(pid) as timing:
                        for number in range(requests):
                            send(
                                calls[number % len(calls)]
                                if kind == "session comment"
                                else calls.pop(0)
                            )
                    spent[kind] = timing.cpu / requests * 1e6
                    figures.add(f"cpu_us {kind}", spent[kind], "µs CPU", note="a write")
                written = sum(spent[kind] for kind in writes)
                figures.add(
                    "mix_cpu_us_mean", (mean * 17 + written) / 20, "µs CPU",
                    note="per request of the mix (17 reads, 3 writes)",
                )  # fmt: skip
    figures.print()


def record(figures: Figures, run: HttpFigures, bare: HttpFigures) -> None:
    result = run.extra
    # Socket errors, and every answer that is not 2xx (the Lua script counts them by status;
    # wrk's own status count leaves out redirects).
    bad = {str(k): int(v) for k, v in dict(result["bad"]).items()}
    errors = run.errors + sum(bad.values())
    if errors:
        print(f"errors by status: {bad}; first: {result['first_bad']}")
    sent = dict(result["sent"])
    add = figures.add
    add("load_errors", errors, "", note="socket errors + answers not 2xx (must be 0)")
    add("load_req_per_s", run.req_per_s, "req/s", note="target ≥ 500")
    add("load_p50_ms", run.p50_ms, "ms")
    add("load_p95_ms", run.p95_ms, "ms", note="target < 300")
    add("load_p99_ms", result["p99_us"] / 1000, "ms")
    add("load_cpu_us_per_request", run.cpu_us_per_request, "µs CPU",
        note="server CPU / request (summed over the server processes)")  # fmt: skip
    add("bare_route_req_per_s", bare.req_per_s, "req/s", note="bare FastAPI route, same users")
    add("load_vs_bare", run.req_per_s / bare.req_per_s, "x", note="mix req/s ÷ bare route req/s")
    add("load_writes", sum(sent.get(k, 0) for k in ("session", "comment", "version")), "",
        note="writes answered (each waited for its durable block)")  # fmt: skip


if __name__ == "__main__":
    main()
