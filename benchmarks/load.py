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
sign-in page too) or a socket error counts as an error; there must be none.

    .venv/bin/python benchmarks/load.py [--users 100] [--seconds 60] [--envelopes 3000]

Prints a table, then ``load_errors: N``, ``load_req_per_s: N req/s``, ``load_p95_ms: N ms``.
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
LUA = Path(__file__).with_name("load.lua")


def serve_forever(out: Path, envelopes: int) -> None:
    """The server process: network, app, sessions, tokens and the mix written to ``out``."""
    sys.path.insert(0, str(ROOT))
    from tests.common.lifecycle import make_cast
    from tests.common.load import prepare
    from tests.common.network import PASSPHRASE, make_network
    from tests.common.server import serve

    from tetherai.services.settings import Settings
    from tetherai.web.app import create_web_app

    with tempfile.TemporaryDirectory(prefix="tether-load-") as tmp:
        work = Path(tmp)
        net = make_network(work, max_wait=0.005)
        cast = make_cast(net)
        settings = Settings(
            home=net.home.root,
            database_url=f"sqlite:///{work / 'service.sqlite'}",
            secret_key=b"l" * 32,
            passphrase=PASSPHRASE,
        )
        app = create_web_app(settings, node=net.node)  # the real password-hashing cost
        with serve(app) as http:
            plan = prepare(app, http, cast, envelopes=envelopes)
            ready = {"base_url": str(http.base_url), "plan": plan.to_json()}
            publish(out, ready)
        net.close()


def request_lines(plan: dict[str, list[dict[str, object]]]) -> str:
    """The mix as wrk's script reads it: slot, method, path, headers, body; tab-separated."""
    slots = {
        "reads": "read",
        "session_writes": "session",
        "envelope_comments": "comment",
        "envelope_versions": "version",
    }
    lines = []
    for pool, slot in slots.items():
        for call in plan[pool]:
            headers = "\x1f".join(f"{k}: {v}" for k, v in dict(call["headers"]).items())  # type: ignore[call-overload]
            body = str(call["body"])
            assert "\t" not in body and "\n" not in body  # JSON escapes both inside strings
            lines.append("\t".join((slot, str(call["method"]), str(call["path"]), headers, body)))
    return "\n".join(lines) + "\n"


def wrk(base_url: str, requests: Path, users: int, seconds: int) -> dict[str, object]:
    command = [
        "wrk",
        "-t1",
        f"-c{users}",
        f"-d{seconds}s",
        "--timeout=60s",
        "-s",
        str(LUA),
        base_url,
        "--",
        str(requests),
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line[7:] for line in out.splitlines() if line.startswith("RESULT "))
    result: dict[str, object] = json.loads(line)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100, help="concurrent users (connections)")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument(
        "--envelopes", type=int, default=3000, help="pre-signed comments (and as many versions)"
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_forever(args.serve, args.envelopes)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: run 'make bench' or 'apt-get install wrk'")

    with server_process(__file__, "--envelopes", str(args.envelopes)) as (info, tmp):
        requests = tmp / "requests.tsv"
        requests.write_text(request_lines(info["plan"]))
        result = wrk(info["base_url"], requests, args.users, args.seconds)
    report(result, args.users)


def report(result: dict[str, object], users: int) -> None:
    def number(name: str) -> float:
        return float(result[name])  # type: ignore[arg-type]

    seconds = number("duration_us") / 1e6
    requests = number("requests")
    # Socket errors, and every answer that is not 2xx (the Lua script counts them by status;
    # wrk's own status count leaves out redirects).
    bad = {str(k): int(v) for k, v in dict(result["bad"]).items()}  # type: ignore[call-overload]
    errors = sum(number(k) for k in ("connect", "read", "write", "timeout")) + sum(bad.values())
    table = Table(title=f"Realistic mix, {users} concurrent users, {seconds:.0f} s, one worker")
    for column in ("figure", "value"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    sent = dict(result["sent"])  # type: ignore[call-overload]
    rows = [
        ("requests", f"{requests:.0f}"),
        ("req/s", f"{requests / seconds:.0f}"),
        ("reads", str(sent.get("read", 0))),
        ("session comments", str(sent.get("session", 0))),
        ("pre-signed comments", str(sent.get("comment", 0))),
        ("pre-signed versions", str(sent.get("version", 0))),
        *((f"p{p} ms", f"{number(f'p{p}_us') / 1000:.1f}") for p in (50, 90, 95, 99)),
        ("max ms", f"{number('max_us') / 1000:.1f}"),
        ("errors", f"{errors:.0f}"),
    ]
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    if errors:
        print(f"errors by status: {bad}; first: {result['first_bad']}")
    print(f"load_errors: {errors:.0f}")
    print(f"load_req_per_s: {requests / seconds:.0f} req/s")
    print(f"load_p95_ms: {number('p95_us') / 1000:.1f} ms")


if __name__ == "__main__":
    main()
