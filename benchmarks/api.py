"""REST API benchmark: requests/s and latency of a read route and a write route, 50 clients.

A server process builds a demo-like network (an org, its admin, engineers, stakeholders and a
project with its members), starts the app under one uvicorn worker on 127.0.0.1, gives the org
admin an API token and signs the write txs beforehand (as the CLI/SDK would). This process then
runs the clients — threads with one keep-alive httpx connection each — against:

- read:  ``GET /api/v1/ledger`` (the ledger summary), ``--reads`` requests per client;
- write: ``POST /api/v1/envelopes`` with the pre-signed txs, ``--writes`` per client; each
  waits until its block is durable.

    .venv/bin/python benchmarks/api.py [--clients 50] [--reads 40] [--writes 6]

Prints a table, then one figure per line: ``name: value unit``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent


def serve_forever(out: Path, envelopes: int) -> None:
    """The server process: network, app, API token and signed txs written to ``out``."""
    sys.path.insert(0, str(ROOT))
    from tests.common.lifecycle import make_cast
    from tests.common.network import PASSPHRASE, make_network
    from tests.common.server import serve

    from tetherai.api.app import create_app
    from tetherai.identity.roles import Role
    from tetherai.services.custody import Argon2Parameters
    from tetherai.services.enrolment import web_account_for_participant
    from tetherai.services.settings import Settings

    with tempfile.TemporaryDirectory(prefix="tether-api-bench-") as tmp:
        work = Path(tmp)
        net = make_network(work, max_wait=0.005)
        cast = make_cast(net)
        settings = Settings(
            home=net.home.root,
            database_url=f"sqlite:///{work / 'service.sqlite'}",
            secret_key=b"b" * 32,
            passphrase=PASSPHRASE,
        )
        argon2 = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)
        app = create_app(settings, node=net.node, argon2=argon2)
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
            signed = [
                net.sign(cast["author"], "project", "create", {"name": f"Bench {i}"}).to_json()
                for i in range(envelopes)
            ]
            ready = {"base_url": str(http.base_url), "token": token, "envelopes": signed}
            out.with_suffix(".tmp").write_text(json.dumps(ready))
            out.with_suffix(".tmp").rename(out)
            sys.stdin.read()  # until the benchmark closes our stdin
        net.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def load(
    base_url: str,
    token: str,
    clients: int,
    jobs: list[list[Any]],
    request: Callable[[httpx.Client, Any], httpx.Response],
    ok: int,
) -> dict[str, float]:
    """Run each client's jobs on its own thread; latencies in ms, errors counted."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start_line = threading.Barrier(clients + 1)

    def client(mine: list[Any]) -> None:
        nonlocal errors
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
            http.get("/api/v1/auth/me")  # open the connection before the clock starts
            start_line.wait()
            for job in mine:
                began = time.perf_counter()
                try:
                    status = request(http, job).status_code
                except httpx.HTTPError:
                    status = 0
                took = (time.perf_counter() - began) * 1000
                with lock:
                    latencies.append(took)
                    errors += status != ok

    threads = [threading.Thread(target=client, args=(jobs[i],)) for i in range(clients)]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {
        "requests": len(latencies),
        "req_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--reads", type=int, default=40, help="read requests per client")
    parser.add_argument("--writes", type=int, default=6, help="write requests per client")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--envelopes", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_forever(args.serve, args.envelopes)
        return

    with tempfile.TemporaryDirectory(prefix="tether-api-bench-") as tmp:
        ready = Path(tmp) / "ready.json"
        total = args.clients * args.writes
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(ready), "--envelopes", str(total)],
            stdin=subprocess.PIPE,
            cwd=ROOT,
        )
        try:
            deadline = time.monotonic() + 180
            while not ready.exists():
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the API server did not start")
                time.sleep(0.1)
            info = json.loads(ready.read_text())
            base_url, token = info["base_url"], info["token"]
            envelopes: list[Any] = info["envelopes"]
            read = load(
                base_url,
                token,
                args.clients,
                [list(range(args.reads))] * args.clients,
                lambda http, _: http.get("/api/v1/ledger"),
                200,
            )
            write = load(
                base_url,
                token,
                args.clients,
                [envelopes[i :: args.clients] for i in range(args.clients)],
                lambda http, envelope: http.post("/api/v1/envelopes", json=envelope),
                200,
            )
        finally:
            if server.stdin is not None:
                server.stdin.close()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()

    table = Table(title=f"REST API, {args.clients} concurrent clients, one uvicorn worker")
    for column in ("route", "requests", "req/s", "p50 ms", "p95 ms", "errors"):
        table.add_column(column, justify="left" if column == "route" else "right")
    for name, figures in (
        ("GET /api/v1/ledger", read),
        ("POST /api/v1/envelopes", write),
    ):
        table.add_row(
            name,
            f"{figures['requests']:.0f}",
            f"{figures['req_per_s']:.0f}",
            f"{figures['p50_ms']:.1f}",
            f"{figures['p95_ms']:.1f}",
            f"{figures['errors']:.0f}",
        )
    Console().print(table)
    print(f"api_read_p95_ms: {read['p95_ms']:.1f} ms")
    print(f"api_read_req_per_s: {read['req_per_s']:.0f} req/s")
    print(f"api_write_p95_ms: {write['p95_ms']:.1f} ms")
    print(f"api_write_req_per_s: {write['req_per_s']:.0f} req/s")


if __name__ == "__main__":
    main()
