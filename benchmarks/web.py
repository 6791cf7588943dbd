"""Web pages benchmark (issue 6): server time of each page with 10,000 versions on the ledger
and in the service database. Target: no page above 300 ms.

Builds a network with the test cast (an org, its people and a project), registers
``--versions`` model versions in that project (signed txs ordered in blocks of up to 1,000),
one of them walked through review to monitoring with comments, waits until the service
database's projections hold them all, then runs the web app under uvicorn on 127.0.0.1 and
times each page as the project's AI engineer (signed in through the sign-in page): the median
and the 95th percentile of ``--rounds`` requests after two warm-ups, on one keep-alive
connection (so the figures are the server's time plus a loopback round trip).

    .venv/bin/python benchmarks/web.py [--versions 10000] [--rounds 20]

Prints a table, then ``<page>_ms: N ms`` per page and last ``web_max_page_ms: N ms`` (the
largest median).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import httpx
    from sqlalchemy import func, select
    from tests.common.lifecycle import make_cast, manifest
    from tests.common.network import PASSPHRASE, make_network
    from tests.common.server import serve

    from tetherai.identity.roles import Role
    from tetherai.services.custody import Argon2Parameters
    from tetherai.services.db import VersionProjection
    from tetherai.services.enrolment import web_account_for_participant
    from tetherai.services.settings import Settings
    from tetherai.web.app import create_web_app

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
        hot = cast.new_version("hot")
        cast.walk(hot, "monitoring")
        for n in range(5):
            cast.ok(
                "stake1", "review", "comment", project=cast.project, version=hot, text=f"note {n}"
            )
        console.print(
            f"registered {args.versions} versions in {time.perf_counter() - started:.1f} s "
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
                }
                results = {}
                for name, path in pages.items():
                    times = []
                    for round_ in range(args.rounds + 2):
                        begin = time.perf_counter()
                        response = http.get(path)
                        elapsed = (time.perf_counter() - begin) * 1000
                        if response.status_code != 200:
                            raise SystemExit(f"{path}: HTTP {response.status_code}")
                        if round_ >= 2:
                            times.append(elapsed)
                    times.sort()
                    results[name] = (
                        statistics.median(times),
                        times[min(len(times) - 1, int(len(times) * 0.95))],
                        len(response.content),
                    )
        net.close()

    table = Table(title=f"web pages, {args.versions} versions, {args.rounds} requests each")
    for column in ("page", "median ms", "p95 ms", "KiB", f"≤ {TARGET_MS:.0f} ms"):
        table.add_column(column, justify="left" if column == "page" else "right")
    for name, (median, p95, size) in results.items():
        table.add_row(
            name,
            f"{median:.1f}",
            f"{p95:.1f}",
            f"{size / 1024:.0f}",
            "yes" if median <= TARGET_MS else "NO",
        )
    console.print(table)
    for name, (median, _, _) in results.items():
        print(f"{name}_ms: {median:.1f} ms")
    print(f"web_max_page_ms: {max(m for m, _, _ in results.values()):.1f} ms")


if __name__ == "__main__":
    main()
