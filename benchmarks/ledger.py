"""Ledger benchmark: signed txs committed per second, and full-ledger verification speed.

Clients sign every tx beforehand. The timed commit phase is what a node does for each: admit
it (parse, check membership, verify the signature), order it into blocks, execute the notary
contract, append to the Merkle log and commit each block durably (SQLite WAL,
synchronous=FULL) — then the verifier replays the whole ledger from block 0.

    .venv/bin/python benchmarks/ledger.py [--txs 50000] [--clients 2] [--block 1000]

Prints a table, then one figure per line: ``name: value unit``.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tetherai.crypto.signature import Algorithm
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.roles import Role
from tetherai.ledger.executor import TxResult
from tetherai.ledger.transaction import Envelope
from tetherai.services import ledger_info
from tetherai.services.home import NetworkHome
from tetherai.services.network import (
    init_network,
    issue_participant,
    load_participant,
    open_ledger,
    open_node,
)

PASSPHRASE = b"benchmark"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def run(
    txs: int, clients: int, block: int, algorithm: Algorithm, workdir: Path
) -> dict[str, float]:
    home = NetworkHome(workdir / "home")
    init_network(
        home, org="Org1", admin_id="admin", channel="main", passphrase=PASSPHRASE, now_ms=now_ms()
    )
    node = open_node(home, PASSPHRASE, max_txs=block, max_wait=0.05)
    admin = load_participant(home, "Org1", "admin", PASSPHRASE)
    ca = CertificateAuthority.load(home.ca_dir("Org1"), PASSPHRASE)
    now = datetime.now(tz=UTC)
    signers = []
    for index in range(8):
        key = issue_participant(
            home, ca, f"client{index}", Role.AI_ENGINEER, PASSPHRASE, now, algorithm
        )
        envelope = admin.sign(
            "main", "membership", "enroll", {"certificate": key.certificate_pem}, now_ms()
        )
        assert node.orderer.submit(envelope).result().valid
        signers.append(key)

    started = time.perf_counter()
    envelopes = [
        signers[i % len(signers)].sign(
            "main", "notary", "notarize", {"name": f"bench/{i}", "sha256": f"{i:064x}"}, now_ms()
        )
        for i in range(txs)
    ]
    sign_seconds = time.perf_counter() - started

    futures: list[list[Future[TxResult]]] = [[] for _ in range(clients)]

    def client(number: int, share: list[Envelope]) -> None:
        for envelope in share:
            futures[number].append(node.orderer.submit(envelope))

    started = time.perf_counter()
    threads = [
        threading.Thread(target=client, args=(n, envelopes[n::clients])) for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results = [future.result() for share in futures for future in share]
    commit_seconds = time.perf_counter() - started
    node.close()
    invalid = sum(1 for result in results if not result.valid)
    assert invalid == 0, f"{invalid} benchmark txs were invalid"

    store, channel = open_ledger(home)
    started = time.perf_counter()
    report = ledger_info.verify(store, channel)
    verify_seconds = time.perf_counter() - started
    store.close()
    assert report.ok, report.problem
    size = (home.ledger_path("main")).stat().st_size
    return {
        "txs": txs,
        "blocks": report.blocks,
        "sign_s": sign_seconds,
        "commit_s": commit_seconds,
        "verify_s": verify_seconds,
        "ledger_txs": report.txs,
        "db_mb": size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--block", type=int, default=1000, help="max txs per block")
    parser.add_argument("--algorithm", type=Algorithm, default=Algorithm.ED25519)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tether-bench-") as tmp:
        figures = run(args.txs, args.clients, args.block, args.algorithm, Path(tmp))
    commit_rate = figures["txs"] / figures["commit_s"]
    verify_rate = figures["ledger_txs"] / figures["verify_s"]
    table = Table(
        title=f"ledger: {args.txs:,} notary txs, {args.algorithm.value}, {args.clients} clients"
    )
    table.add_column("phase")
    table.add_column("seconds", justify="right")
    table.add_column("tx/s", justify="right")
    table.add_row(
        "clients sign (not timed as ledger work)",
        f"{figures['sign_s']:.2f}",
        f"{figures['txs'] / figures['sign_s']:,.0f}",
    )
    table.add_row(
        "admit + order + execute + commit", f"{figures['commit_s']:.2f}", f"{commit_rate:,.0f}"
    )
    table.add_row(
        f"verify whole ledger ({figures['blocks']} blocks)",
        f"{figures['verify_s']:.2f}",
        f"{verify_rate:,.0f}",
    )
    console = Console()
    console.print(table)
    console.print(f"ledger file: {figures['db_mb']:.1f} MB")
    print(f"ledger_commit_tx_per_s: {commit_rate:.0f} tx/s")
    print(f"ledger_verify_tx_per_s: {verify_rate:.0f} tx/s")


if __name__ == "__main__":
    main()
