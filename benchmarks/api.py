"""REST API benchmark: read and write routes under 50 clients, each next to its limit measured
in the same run.

A server process builds a demo-like network (an org, its admin, engineers, stakeholders and a
project with its members), starts the app under one uvicorn worker on 127.0.0.1, gives the org
admin an API token and signs the write txs beforehand (as the CLI/SDK would). The load comes
from ``wrk`` (Debian's package; ``make bench`` installs it) with one thread and keep-alive
connections, so the clients cost the 2 cores little and the figures are the server's. Each run:

- ``GET /api/v1/ledger`` (the ledger summary) and ``GET /api/v1/projects`` (a list from the
  service database, filtered by who may read), next to a **bare FastAPI route** (one async GET
  returning a small JSON object, same uvicorn stack, its own process) with as many clients:
  ``api_ledger_vs_bare`` is their req/s ratio;
- ``POST /api/v1/envelopes`` with pre-signed notary txs, each sent once, ``--clients``
  connections (every answer waits until its block is durable), next to the **in-process commit
  rate** of the same kind of txs (a ledger of the same code in this process, 2 threads
  submitting as fast as the orderer takes them): ``api_write_vs_ledger`` (target ≥ 0.5);
- one client writing alone: its p50 latency next to one **durable SQLite commit** measured in
  the same run (target: p50 < 10 ms + one commit).

The bare route also takes the write bodies as a **bare FastAPI POST** (a JSON object read and
validated, nothing kept): ``api_write_vs_ledger_ceiling`` is what ``api_write_vs_ledger``
would be if a write's HTTP side cost the server no more CPU than that POST while its ledger
side stayed as measured — the most any route on this HTTP stack could give, in one process,
on the server's CPUs.

Server CPU per request comes from /proc (the server's process). A write's is split in two:
the event loop's thread (uvicorn's HTTP, the middleware, routing, authentication, the body and
the answer) and every other thread (admission, ordering, the durable commit): with the HTTP
side free, the writes would still run at in-process CPU ÷ the second. ``--runs`` repeats it all.
``--server-cpus`` places the server's threads, and the in-process ledger's, as ``tether serve
--cpus`` does (``auto``, the default: one CPU; ``all``; or a list).

    .venv/bin/python benchmarks/api.py [--clients 50] [--seconds 10] [--runs 3] [--server-cpus auto]

Prints a table (min / median / max), then one figure per line: ``name: value unit``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from _harness import (
    Figures,
    HttpFigures,
    add_cpus_option,
    add_run_options,
    bare_route_server,
    sqlite_commit_ms,
    submit_all,
    thread_cpu_seconds,
    timed,
    wrk,
)
from _server import publish, server_process

ROOT = Path(__file__).resolve().parent.parent
WRITE_RATE_GUESS = 2500  # txs a write run may take per second (envelopes are made for it)


def serve_forever(out: Path, envelopes: int, cpus: str) -> None:
    """The server process: network, app, API token and signed txs (files) written to ``out``;
    its threads on ``cpus`` (as ``tether serve --cpus``)."""
    import os

    sys.path.insert(0, str(ROOT))
    from tetherai.http.process import run_on_cpus
    from tetherai.services.settings import cpu_choice

    run_on_cpus(cpu_choice(cpus))  # before the network starts its threads
    from tests.common.lifecycle import make_cast
    from tests.common.network import PASSPHRASE, make_network
    from tests.common.server import SERVER_THREAD, serve

    from tetherai.api.app import create_app
    from tetherai.identity.roles import Role
    from tetherai.services.custody import Argon2Parameters
    from tetherai.services.enrolment import web_account_for_participant
    from tetherai.services.settings import Settings

    with tempfile.TemporaryDirectory(prefix="tether-api-bench-") as tmp:
        work = Path(tmp)
        net = make_network(work, max_wait=0.0)
        cast = make_cast(net)
        settings = Settings(
            home=net.home.root,
            database_url=f"sqlite:///{work / 'service.sqlite'}",
            secret_key=b"b" * 32,
            passphrase=PASSPHRASE,
        )
        argon2 = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)
        app = create_app(settings, node=net.node, argon2=argon2, owns_process=True)
        with serve(app) as http:
            rt = app.state.runtime
            admin = web_account_for_participant(
                rt.auth,
                rt.custody,
                net.home,
                passphrase=PASSPHRASE,
                participant_id="admin",
                role=Role.ORG_ADMIN,
                password="benchmark password",
            )
            token = rt.auth.issue_api_token(admin, "benchmark").token
            bodies = work / "envelopes.jsonl"
            with bodies.open("w") as file:
                for i in range(envelopes):
                    envelope = net.sign(
                        cast["author"],
                        "notary",
                        "notarize",
                        {"name": f"bench/{i}", "sha256": f"{i:064x}"},
                    )
                    file.write(json.dumps(envelope.to_json()) + "\n")
            ready = {
                "base_url": str(http.base_url),
                "token": token,
                "envelopes": str(bodies),
                "pid": os.getpid(),
                # uvicorn's thread: its event loop runs HTTP, middleware, routes and answers
                "loop_thread": next(
                    thread.native_id
                    for thread in threading.enumerate()
                    if thread.name == SERVER_THREAD
                ),
            }
            publish(out, ready)
        net.close()


def in_process_commit_rate(work: Path, count: int, cpus: str) -> tuple[float, float]:
    """(tx/s, CPU µs per tx) committing ``count`` pre-signed notary txs in this process: the
    same code as the server's ledger, without HTTP, its threads on ``cpus`` as the server's."""
    import os

    sys.path.insert(0, str(ROOT))
    from tests.common.lifecycle import make_cast
    from tests.common.network import make_network

    from tetherai.http.process import run_on_cpus
    from tetherai.services.settings import cpu_choice

    anywhere = os.sched_getaffinity(0)
    run_on_cpus(cpu_choice(cpus))  # before the network starts its threads
    net = make_network(work, max_wait=0.0)
    try:
        author = make_cast(net)["author"]
        envelopes = [
            net.sign(author, "notary", "notarize", {"name": f"d/{i}", "sha256": f"{i:064x}"})
            for i in range(count)
        ]
        with timed() as timing:
            assert submit_all(net.node.orderer, envelopes, 2) == 0
        return count / timing.wall, timing.cpu / count * 1e6
    finally:
        net.close()
        os.sched_setaffinity(0, anywhere)  # wrk, started from here, on any CPU


def take(lines: list[str], count: int, into: Path) -> Path:
    """Move the next ``count`` envelopes (each is sent once) into a file for wrk."""
    taken, lines[:] = lines[:count], lines[count:]
    if len(taken) < count:
        raise SystemExit("out of pre-signed envelopes: raise --envelopes")
    into.write_text("".join(line + "\n" for line in taken))
    return into


def one_run(
    number: int,
    args: argparse.Namespace,
    info: dict[str, object],
    bare: tuple[str, int],
    envelopes: list[str],
    tmp: Path,
    figures: Figures,
) -> None:
    base_url, pid = str(info["base_url"]), int(info["pid"])  # type: ignore[call-overload]
    auth = {"Authorization": f"Bearer {info['token']}"}
    clients, seconds = args.clients, args.seconds

    def get(url: str, server: int, headers: dict[str, str] | None = None) -> HttpFigures:
        return wrk(url, clients=clients, seconds=seconds, headers=headers, server_pid=server)

    bare_figures = get(bare[0], bare[1])
    ledger = get(f"{base_url}/api/v1/ledger", pid, auth)
    projects = get(f"{base_url}/api/v1/projects", pid, auth)
    with tempfile.TemporaryDirectory(dir=tmp) as work:
        in_process, in_process_cpu = in_process_commit_rate(
            Path(work), args.in_process_txs, args.server_cpus
        )
    write_seconds = max(1, seconds // 2)
    bodies = take(envelopes, WRITE_RATE_GUESS * write_seconds, tmp / f"write-{number}.jsonl")
    loop_thread = int(info["loop_thread"])  # type: ignore[call-overload]
    loop_cpu = thread_cpu_seconds(pid, loop_thread)
    write = wrk(
        f"{base_url}/api/v1/envelopes",
        clients=clients,
        seconds=write_seconds,
        headers=auth,
        script_args=(str(bodies),),
        server_pid=pid,
    )
    loop_cpu = thread_cpu_seconds(pid, loop_thread) - loop_cpu
    write_http_cpu = loop_cpu / max(1, write.requests) * 1e6
    bare_post = wrk(  # the same bodies again: the bare route reads them and keeps nothing
        bare[0], clients=clients, seconds=write_seconds, script_args=(str(bodies),),
        server_pid=bare[1],
    )  # fmt: skip
    write_ledger_cpu = write.cpu_us_per_request - write_http_cpu
    lone_bodies = take(envelopes, 400 * write_seconds, tmp / f"lone-{number}.jsonl")
    lone = wrk(
        f"{base_url}/api/v1/envelopes",
        clients=1,
        seconds=write_seconds,
        headers=auth,
        script_args=(str(lone_bodies),),
        server_pid=pid,
    )
    commit_ms = sqlite_commit_ms(tmp)

    add = figures.add
    add("bare_route_req_per_s", bare_figures.req_per_s, "req/s", note="bare FastAPI route")
    add("bare_route_cpu_us", bare_figures.cpu_us_per_request, "µs CPU", note="server CPU / req")
    add("api_read_req_per_s", ledger.req_per_s, "req/s", note="GET /api/v1/ledger")
    add("api_read_p95_ms", ledger.p95_ms, "ms", note="GET /api/v1/ledger")
    add("api_read_cpu_us", ledger.cpu_us_per_request, "µs CPU", note="server CPU / req")
    add("api_ledger_vs_bare", ledger.req_per_s / bare_figures.req_per_s, "x",
        note="GET /api/v1/ledger req/s ÷ bare route req/s")  # fmt: skip
    add("api_read_projects_req_per_s", projects.req_per_s, "req/s", note="GET /api/v1/projects")
    add("api_read_projects_p95_ms", projects.p95_ms, "ms", note="GET /api/v1/projects")
    add("api_projects_vs_bare", projects.req_per_s / bare_figures.req_per_s, "x",
        note="GET /api/v1/projects req/s ÷ bare route req/s")  # fmt: skip
    add("in_process_commit_tx_per_s", in_process, "tx/s",
        note="the same txs committed in process, no HTTP")  # fmt: skip
    add("in_process_commit_cpu_us", in_process_cpu, "µs CPU", note="per tx, in process")
    add("api_write_req_per_s", write.req_per_s, "req/s",
        note=f"POST /api/v1/envelopes, {clients} clients")  # fmt: skip
    add("api_write_p95_ms", write.p95_ms, "ms", note="each answer waits for a durable block")
    add("api_write_cpu_us", write.cpu_us_per_request, "µs CPU", note="server CPU / write")
    add("api_write_http_cpu_us", write_http_cpu, "µs CPU",
        note="of which the event loop: HTTP, middleware, route, auth, answer")  # fmt: skip
    add("api_write_ledger_cpu_us", write_ledger_cpu, "µs CPU",
        note="and the ledger's threads: admission, ordering, durable commit")  # fmt: skip
    add("api_write_errors", write.errors, "", note="must be 0")
    add("api_write_vs_ledger", write.req_per_s / in_process, "x",
        note="API writes/s ÷ in-process commits/s (target ≥ 0.5)")  # fmt: skip
    add("bare_post_cpu_us", bare_post.cpu_us_per_request, "µs CPU",
        note="a bare FastAPI POST of the same bodies: server CPU / req")  # fmt: skip
    add("api_write_vs_ledger_ceiling", in_process_cpu / (bare_post.cpu_us_per_request
        + write_ledger_cpu), "x", note="if a write's HTTP side cost no more than the bare "
        "POST: in-process CPU ÷ (bare POST + the ledger's threads)")  # fmt: skip
    add("api_lone_write_p50_ms", lone.p50_ms, "ms", note="one client writing alone")
    add("limit_sqlite_durable_commit_ms", commit_ms, "ms", note="one durable SQLite commit")
    add("api_lone_write_over_commit_ms", lone.p50_ms - commit_ms, "ms",
        note="lone p50 − one durable commit (target < 10)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10, help="length of each read run")
    parser.add_argument(
        "--in-process-txs", type=int, default=10_000, help="txs of the in-process commit rate"
    )
    add_cpus_option(parser, "--server-cpus", "the server's threads and the in-process ledger's")
    parser.add_argument("--envelopes", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    add_run_options(parser)
    args = parser.parse_args()
    if args.serve:
        serve_forever(args.serve, args.envelopes, args.server_cpus)
        return

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: run 'make bench' or 'apt-get install wrk'")
    write_seconds = max(1, args.seconds // 2)
    envelopes = args.runs * (WRITE_RATE_GUESS + 400) * write_seconds
    figures = Figures(
        f"REST API, {args.clients} concurrent clients, one uvicorn worker, {args.seconds} s "
        f"reads, server on CPUs {args.server_cpus}"
    )
    server = ("--envelopes", str(envelopes), "--server-cpus", args.server_cpus)
    with (
        server_process(__file__, *server, start_timeout=600) as (info, tmp),
        bare_route_server() as bare,
    ):
        lines = Path(info["envelopes"]).read_text().splitlines()
        for number in range(args.runs):
            started = time.monotonic()
            one_run(number, args, info, bare, lines, tmp, figures)
            print(f"run {number + 1} of {args.runs}: {time.monotonic() - started:.0f} s")
    figures.print()


if __name__ == "__main__":
    main()
