"""REST API benchmark: requests/s and latency of read routes and a write route, 50 clients.

A server process builds a demo-like network (an org, its admin, engineers, stakeholders and a
project with its members), starts the app under one uvicorn worker on 127.0.0.1, gives the org
admin an API token and signs the write txs beforehand (as the CLI/SDK would). The load comes
from ``wrk`` (Debian's package; ``make bench`` installs it) with one thread and 50 keep-alive
connections, so the clients cost the 2 cores little and the figures are the server's:

- read:  ``GET /api/v1/ledger`` (the ledger summary) and ``GET /api/v1/projects`` (a list from
  the service database, filtered by who may read), ``--seconds`` each;
- write: ``POST /api/v1/envelopes`` with pre-signed txs (``--envelopes`` of them, each sent
  once) for ``--seconds`` / 2; each answer waits until its block is durable.

    .venv/bin/python benchmarks/api.py [--clients 50] [--seconds 10] [--envelopes 6000]

Prints a table, then one figure per line: ``name: value unit``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _server import publish, server_process
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
            publish(out, ready)
        net.close()


LUA = Path(__file__).with_name("api_load.lua")


def wrk(url: str, token: str, clients: int, seconds: int, *script_args: str) -> dict[str, float]:
    """One wrk run; its Lua ``done`` prints the figures as JSON (latencies in µs)."""
    command = [
        "wrk",
        "-t1",
        f"-c{clients}",
        f"-d{seconds}s",
        "--timeout=60s",
        "-H",
        f"Authorization: Bearer {token}",
        "-s",
        str(LUA),
        url,
        *(["--", *script_args] if script_args else []),
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = json.loads(next(line[7:] for line in out.splitlines() if line.startswith("RESULT ")))
    return {
        "requests": result["requests"],
        "req_per_s": result["requests"] / (result["duration_us"] / 1e6),
        "p50_ms": result["p50_us"] / 1000,
        "p95_ms": result["p95_us"] / 1000,
        "errors": result["errors"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10, help="length of each read run")
    parser.add_argument(
        "--envelopes", type=int, default=6000, help="pre-signed txs for the write run"
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_forever(args.serve, args.envelopes)
        return

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: run 'make bench' or 'apt-get install wrk'")
    with server_process(__file__, "--envelopes", str(args.envelopes), start_timeout=180) as (
        info,
        tmp,
    ):
        base_url, token = info["base_url"], info["token"]
        bodies = tmp / "envelopes.jsonl"
        bodies.write_text("".join(json.dumps(e) + "\n" for e in info["envelopes"]))
        figures = {
            "GET /api/v1/ledger": wrk(
                f"{base_url}/api/v1/ledger", token, args.clients, args.seconds
            ),
            "GET /api/v1/projects": wrk(
                f"{base_url}/api/v1/projects", token, args.clients, args.seconds
            ),
            "POST /api/v1/envelopes": wrk(
                f"{base_url}/api/v1/envelopes",
                token,
                args.clients,
                max(1, args.seconds // 2),
                str(bodies),
            ),
        }

    table = Table(title=f"REST API, {args.clients} concurrent clients, one uvicorn worker")
    for column in ("route", "requests", "req/s", "p50 ms", "p95 ms", "errors"):
        table.add_column(column, justify="left" if column == "route" else "right")
    for name, figure in figures.items():
        table.add_row(
            name,
            f"{figure['requests']:.0f}",
            f"{figure['req_per_s']:.0f}",
            f"{figure['p50_ms']:.1f}",
            f"{figure['p95_ms']:.1f}",
            f"{figure['errors']:.0f}",
        )
    Console().print(table)
    read, projects = figures["GET /api/v1/ledger"], figures["GET /api/v1/projects"]
    write = figures["POST /api/v1/envelopes"]
    print(f"api_read_p95_ms: {read['p95_ms']:.1f} ms")
    print(f"api_read_req_per_s: {read['req_per_s']:.0f} req/s")
    print(f"api_read_projects_p95_ms: {projects['p95_ms']:.1f} ms")
    print(f"api_read_projects_req_per_s: {projects['req_per_s']:.0f} req/s")
    print(f"api_write_p95_ms: {write['p95_ms']:.1f} ms")
    print(f"api_write_req_per_s: {write['req_per_s']:.0f} req/s")


if __name__ == "__main__":
    main()
