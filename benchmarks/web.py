"""Web pages benchmark: server time of each page with 10,000 versions on the ledger and in the
service database. Target: no page above 300 ms.

Builds a network with the test cast (an org, its people and a project), registers
``--versions`` model versions in that project (signed txs ordered in blocks of up to 1,000),
one of them walked through review to monitoring with comments, and ``--projects`` other
projects with the same eight members (lists of projects read every project's access, and must
not read its members' records to list it), waits until the service
database's projections hold them all, then runs the web app under uvicorn on 127.0.0.1 and
times each page as the project's AI engineer (signed in through the sign-in page): the median
and the 95th percentile of ``--rounds`` requests after two warm-ups, on one keep-alive
connection (so the figures are the server's time plus a loopback round trip). Beside them, in
each run, the same is measured for a bare FastAPI route under the same uvicorn stack (the
floor of any page: ``web_max_page_vs_bare`` is how many bare round trips the slowest page
costs). ``--runs`` repeats the timing (the ledger is built once).

    .venv/bin/python benchmarks/web.py [--versions 10000] [--projects 200] [--rounds 20] [--runs 3]

Prints a table (min / median / max over the runs), then ``<page>_ms: N ms`` per page and
``web_max_page_ms: N ms`` (the largest median).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from _harness import Figures, add_run_options, bare_route_server, timed
from rich.console import Console

if TYPE_CHECKING:
    from tests.common.lifecycle import Cast

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--projects", type=int, default=200, help="other projects")
    parser.add_argument("--rounds", type=int, default=20)
    add_run_options(parser)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, select
    from tests.common.lifecycle import make_cast, manifest
    from tests.common.network import PASSPHRASE, make_network
    from tests.common.server import serve

    from tetherai.identity.roles import Role
    from tetherai.server import create_web_app
    from tetherai.services.custody import Argon2Parameters
    from tetherai.services.db import VersionProjection
    from tetherai.services.enrolment import web_account_for_participant
    from tetherai.services.settings import Settings

    console = Console()
    with tempfile.TemporaryDirectory(prefix="tether-web-bench-") as tmp:
        work = Path(tmp)
        net = make_network(work, max_txs=1000, max_wait=0.05)
        cast = make_cast(net)
        started = time.perf_counter()
        pending = []
        for number in range(args.versions - 1):
            envelope = net.sign(
                cast["author"],
                "model_version",
                "create",
                {
                    "project": cast.project,
                    "version": f"v{number:05d}",
                    "code_repo": "https://git.example/credit",
                    "commit": f"{number:040x}",
                    "artifacts": manifest(),
                    "experiments": [
                        {
                            "name": "final",
                            "metrics": {"test_accuracy": 0.9 + number % 10 / 100},
                            "series": {"loss": [1.0, 0.5, 0.25]},
                        }
                    ],
                    "submit": number % 2 == 0,
                },
            )
            pending.append(net.node.orderer.submit(envelope))
            if len(pending) >= 1000:
                assert all(f.result(timeout=120).valid for f in pending)
                pending.clear()
        assert all(f.result(timeout=120).valid for f in pending)
        add_projects(cast, args.projects)
        hot = cast.new_version("hot")
        cast.walk(hot, "monitoring")
        for n in range(5):
            cast.ok(
                "stake1", "review", "comment", project=cast.project, version=hot, text=f"note {n}"
            )
        console.print(
            f"registered {args.versions} versions and {args.projects} other projects in "
            f"{time.perf_counter() - started:.1f} s "
            f"({net.node.peer.head.height} blocks)"
        )

        settings = Settings(
            home=net.home.root,
            database_url=f"sqlite:///{work / 'service.sqlite'}",
            secret_key=b"b" * 32,
            passphrase=PASSPHRASE,
        )
        app = create_web_app(
            settings,
            node=net.node,
            argon2=Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1),
        )
        with serve(app) as anonymous:
            rt = app.state.runtime
            web_account_for_participant(
                rt.auth,
                rt.custody,
                net.home,
                passphrase=PASSPHRASE,
                participant_id=cast["author"].id,
                role=Role.AI_ENGINEER,
                password="benchmark password",
            )
            deadline = time.monotonic() + 600
            while True:  # the projection follower catches up with the ledger
                with rt.projections() as session:
                    count = session.scalar(select(func.count()).select_from(VersionProjection))
                if count >= args.versions:
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"the projections hold {count} versions after 600 s")
                time.sleep(0.5)
            console.print(f"projected: {count} versions in the service database")
            with httpx.Client(base_url=anonymous.base_url, timeout=60) as http:
                form = http.get("/signin").text
                token = re.search(r'name="csrf_token" value="([^"]+)"', form)
                assert token is not None
                signed_in = http.post(
                    "/signin",
                    data={
                        "username": cast["author"].id,
                        "password": "benchmark password",
                        "csrf_token": token.group(1),
                    },
                )
                assert signed_in.status_code == 303, signed_in.text
                store = net.node.peer.store.reader()
                last_block = store.height - 1
                some_tx = store.block(last_block).txs[0].tx_id  # type: ignore[union-attr]
                project = cast.project
                pages = {
                    "dashboard": "/dashboard",
                    "projects": "/projects",
                    "project": f"/projects/{project}",
                    "version": f"/projects/{project}/versions/{hot}",
                    "version_compare": f"/projects/{project}/versions/{hot}?compare=v00001",
                    "version_audit": f"/projects/{project}/versions/{hot}/audit",
                    "project_audit": f"/projects/{project}/audit",
                    "ledger": "/ledger",
                    "ledger_block": f"/ledger/blocks/{last_block}",
                    "ledger_tx": f"/ledger/txs/{some_tx}",
                    "ledger_checkpoints": "/ledger/checkpoints",
                    "api_projects": "/api/v1/projects",
                }
                figures = Figures(
                    f"web pages, {args.versions} versions, {args.projects + 1} projects, "
                    f"{args.rounds} requests each "
                    f"(median ms; ≤ {TARGET_MS:.0f} ms is the target)"
                )
                with bare_route_server() as (bare_url, _), httpx.Client(timeout=60) as bare:
                    for _ in range(args.runs):
                        bare_ms = median_ms(lambda: bare.get(bare_url), args.rounds)
                        figures.add("bare_route_ms", bare_ms, "ms", note="bare FastAPI route")
                        slowest = 0.0
                        for name, path in pages.items():
                            with timed() as cpu:
                                page_ms = median_ms(lambda p=path: http.get(p), args.rounds)
                            slowest = max(slowest, page_ms)
                            figures.add(f"{name}_ms", page_ms, "ms", note=path[:40])
                            figures.add(f"{name}_cpu_ms", cpu.cpu / (args.rounds + 2) * 1000,
                                        "ms CPU", note="server + client, per request")  # fmt: skip
                        figures.add("web_max_page_ms", slowest, "ms", note="the slowest page")
                        figures.add("web_max_page_vs_bare", slowest / bare_ms, "x",
                                    note="slowest page ÷ bare route")  # fmt: skip
        net.close()

    figures.print(console)


def add_projects(cast: Cast, count: int) -> None:
    """``count`` projects of the cast's author, each with the cast project's other members."""
    from tests.common.lifecycle import MEMBERS

    net, author = cast.net, cast["author"]
    for first in range(0, count, 100):
        names = [f"Project {number}" for number in range(first, min(first + 100, count))]
        made = [net.node.orderer.submit(net.sign(author, "project", "create", {"name": name}))
                for name in names]  # fmt: skip
        refs = [future.result(timeout=120).result["project"] for future in made]
        joins = [{"project": ref, "org": cast[m].org, "id": cast[m].id}
                 for ref in refs for m in MEMBERS]  # fmt: skip
        added = [net.node.orderer.submit(net.sign(author, "project", "add_member", args))
                 for args in joins]  # fmt: skip
        assert all(future.result(timeout=120).valid for future in added)


def median_ms(get: Callable[[], httpx.Response], rounds: int) -> float:
    """Median ms of ``rounds`` requests after two warm-ups (each must answer 200)."""
    times = []
    for round_ in range(rounds + 2):
        begin = time.perf_counter()
        response = get()
        elapsed = (time.perf_counter() - begin) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{response.request.url}: HTTP {response.status_code}")
        if round_ >= 2:
            times.append(elapsed)
    return statistics.median(times)


if __name__ == "__main__":
    main()
