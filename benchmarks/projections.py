"""Projection benchmark: how fast the service database catches up with a ledger (a server
starting after downtime, or ``tether db rebuild``), next to the cost of just reading it.

Builds a ledger of ``--txs`` txs in blocks of ``--block`` on a network with the test cast: a
tenth registers versions (submitted for review), a tenth moves them to review, four tenths are
review comments (each notifies the project's members) and the rest notary records (txs the
projections skip). Then, ``--runs`` times, into a fresh SQLite service database:

- ``catch_up`` as the server's follower does it (notifications on), timed: tx/s and CPU µs/tx,
  once with no accounts in the database (nobody to notify: the cost of the projections alone,
  as ``tether db rebuild``) and once with an account for every member (``notified_*``: about
  five notification rows per tx, as a server catching up after downtime writes them);
- the **read floor**: every block and tx read from the ledger and each envelope parsed with
  ``json.loads`` — what any projection must at least do; ``projection_vs_read`` is the floor's
  CPU over the catch-up's.

Target: ≥ 20,000 tx/s.

    .venv/bin/python benchmarks/projections.py [--txs 100000] [--block 200] [--runs 3]

Prints a table (min / median / max), then one ``name: value unit`` line per figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from _harness import Figures, Timing, add_run_options, timed

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tetherai.ledger.sqlite_store import SqliteLedgerStore

ROOT = Path(__file__).resolve().parent.parent


def build(work: Path, txs: int, block: int) -> tuple[Path, str]:
    """A ledger of about ``txs`` txs of the mix above; returns its path and channel."""
    sys.path.insert(0, str(ROOT))
    from tests.common.lifecycle import make_cast, manifest
    from tests.common.network import make_network

    from tetherai.ledger.executor import TxResult

    net = make_network(work, max_txs=block, max_wait=0.05)
    cast = make_cast(net)
    sign = net.sign
    groups = max(1, txs // 10)

    def submit_all(envelopes: list[object]) -> None:
        futures: list[Future[TxResult]] = []

        def client(share: list[object]) -> None:
            futures.extend(net.node.orderer.submit(e) for e in share)  # type: ignore[arg-type]

        threads = [threading.Thread(target=client, args=(envelopes[n::2],)) for n in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        invalid = [f.result(timeout=600) for f in futures if not f.result(timeout=600).valid]
        assert not invalid, invalid[:3]

    project = cast.project
    creates = [
        sign(
            cast["author"],
            "model_version",
            "create",
            {
                "project": project,
                "version": f"b{n}",
                "code_repo": "https://git.example/credit",
                "commit": f"{n:040x}",
                "artifacts": manifest(model=f"{n:064x}"),
                "experiments": [{"name": "final", "metrics": {"test_accuracy": 0.9}}],
                "submit": True,
            },
        )
        for n in range(groups)
    ]
    submit_all(creates)
    rest = []
    for n in range(groups):
        version = {"project": project, "version": f"b{n}"}
        rest.append(sign(cast["mlops"], "workflow", "transition", version | {"to": "reviewing"}))
        for k, who in enumerate(("stake1", "stake2", "mlops", "ai2")):
            rest.append(sign(cast[who], "review", "comment", version | {"text": f"note {k}"}))
        for k in range(4):
            number = n * 4 + k
            rest.append(
                sign(
                    cast["admin"],
                    "notary",
                    "notarize",
                    {"name": f"doc/{number}", "sha256": f"{number:064x}"},
                )
            )
    submit_all(rest)
    path, channel = net.home.ledger_path(net.channel), net.channel
    net.close()
    return path, channel


def add_accounts(engine: Engine, store: SqliteLedgerStore) -> int:
    """An account in the service database for every member of every project on the ledger
    (as a deployment has), so that each status change and comment notifies each of them;
    returns how many accounts."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from tetherai.services.db import Org, User

    members = {
        (str(value["org"]), str(value["id"]))
        for key, value in store.scan("project/")
        if "/member/" in key and isinstance(value, dict)
    }
    now = datetime.now(UTC)
    with engine.begin() as connection:
        orgs = sorted({org for org, _ in members})
        connection.execute(insert(Org), [{"id": o, "name": o, "created_at": now} for o in orgs])
        connection.execute(
            insert(User),
            [
                {"username": name, "display_name": name, "org_id": org, "role": "stakeholder",
                 "enabled": True, "failed_logins": 0, "created_at": now, "updated_at": now}
                for org, name in sorted(members)
            ],
        )  # fmt: skip
    return len(members)


def catch_up(ledger: Path, channel: str, database: Path, *, accounts: bool) -> tuple[Timing, int]:
    """Catch a fresh service database up with the ledger as the server's follower does (with
    notifications); ``accounts``: the members have accounts, so they are notified."""
    from tetherai.ledger.sqlite_store import SqliteLedgerStore
    from tetherai.services.db import make_engine, make_session_factory, migrate
    from tetherai.services.projections import Projector

    engine = make_engine(f"sqlite:///{database}")
    migrate(engine)
    store = SqliteLedgerStore(ledger, readonly=True)
    try:
        txs = store.tx_count
        if accounts:
            add_accounts(engine, store)
        projector = Projector(make_session_factory(engine), store, channel, notify=True)
        with timed() as timing:
            projector.catch_up()
    finally:
        store.close()
        engine.dispose()
    return timing, txs


def one_run(ledger: Path, channel: str, work: Path, figures: Figures) -> None:
    from tetherai.ledger.sqlite_store import SqliteLedgerStore

    plain, txs = catch_up(ledger, channel, work / "plain.sqlite", accounts=False)
    notified, _ = catch_up(ledger, channel, work / "notified.sqlite", accounts=True)
    store = SqliteLedgerStore(ledger, readonly=True)
    try:
        with timed() as reading:
            for stored in store.blocks(0):
                for tx in stored.txs:
                    json.loads(tx.envelope)
    finally:
        store.close()
    cpu = plain.cpu / txs * 1e6
    floor = reading.cpu / txs * 1e6
    figures.add("projection_tx_per_s", txs / plain.wall, "tx/s",
                note=f"catch up {txs:,} txs, no accounts (target ≥ 20,000)")  # fmt: skip
    figures.add("projection_cpu_us_per_tx", cpu, "µs CPU")
    figures.add("notified_tx_per_s", txs / notified.wall, "tx/s",
                note="the same, every member has an account (~5 notifications per tx)")  # fmt: skip
    figures.add("notified_cpu_us_per_tx", notified.cpu / txs * 1e6, "µs CPU")
    figures.add("read_floor_us_per_tx", floor, "µs CPU", note="read blocks + json.loads")
    figures.add("projection_vs_read", floor / cpu, "x", note="read floor ÷ catch-up CPU")
    figures.add("notified_vs_read", floor / (notified.cpu / txs * 1e6), "x",
                note="read floor ÷ notified catch-up CPU")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=100_000)
    parser.add_argument("--block", type=int, default=200, help="max txs per block")
    add_run_options(parser)
    args = parser.parse_args()
    figures = Figures(
        f"projections: catch up a ledger of ~{args.txs:,} txs (blocks ≤ {args.block})"
    )
    with tempfile.TemporaryDirectory(prefix="tether-projection-bench-") as tmp:
        work = Path(tmp)
        ledger, channel = build(work / "net", args.txs, args.block)
        for number in range(args.runs):
            run_dir = work / f"run-{number}"
            run_dir.mkdir()
            one_run(ledger, channel, run_dir, figures)
    figures.print()


if __name__ == "__main__":
    main()
