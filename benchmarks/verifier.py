"""Verifier benchmark: peak memory and speed of ``tether ledger verify`` as the ledger grows.

One ledger of notary txs (each writes a new state key, so the state grows with the ledger too)
is built in steps; after each step the whole ledger is verified in a fresh process, whose peak
memory (its own and its signature workers', sampled from /proc) and CPU are recorded. The
verifier streams (memory does not follow the ledger), so the curve should be flat: the slope
between the two largest sizes, in MB per million txs, extrapolates the peak at 10M txs
(target: ≤ 300 MB). A resume from the checkpoint of the previous step (``--from-checkpoint``)
is timed too: it replays only the step's new txs.

    .venv/bin/python benchmarks/verifier.py [--sizes 100000,300000,1000000] [--block 1000]

Prints a table, then ``verify_peak_mb_<size>``, ``verify_mb_per_million_txs`` and
``verify_peak_mb_at_10m`` (extrapolated), one a line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path

from _harness import Figures, cpu_seconds, machine

from tetherai.crypto.signature import Algorithm
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.roles import Role
from tetherai.ledger.executor import TxResult
from tetherai.ledger.transaction import Envelope
from tetherai.services.home import NetworkHome
from tetherai.services.network import (
    Node,
    init_network,
    issue_participant,
    load_participant,
    open_node,
)

PASSPHRASE = b"benchmark"
VERIFY = """
import json, sys, time
from tetherai.services import ledger_info
from tetherai.services.network import open_ledger
from tetherai.services.home import NetworkHome
from pathlib import Path
store, channel = open_ledger(NetworkHome(Path(sys.argv[1])))
resume = Path(sys.argv[2]).read_text() if len(sys.argv) > 2 else None
report = ledger_info.verify(store, channel, resume_from=resume)
print(json.dumps({"ok": report.ok, "txs": report.txs, "problem": str(report.problem),
                  "checkpoint": report.last_checkpoint}))
"""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def rss_mb(pid: int) -> float:
    """Resident MB of ``pid`` and its children (the signature workers)."""
    from _harness import _descendants

    total = 0
    for child in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def verify_in_process(
    home: Path, resume: Path | None
) -> tuple[float, float, float, dict[str, object]]:
    """(peak MB, wall s, CPU s, report) of one verification in a fresh process."""
    command = [sys.executable, "-c", VERIFY, str(home), *([str(resume)] if resume else [])]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    peak = cpu = 0.0
    while process.poll() is None:
        peak = max(peak, rss_mb(process.pid))
        cpu = max(cpu, cpu_seconds(process.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - started
    out, _ = process.communicate()
    report: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    assert report["ok"], report["problem"]
    return peak, wall, cpu, report


def feed(node: Node, envelopes: list[Envelope], futures: list[Future[TxResult]]) -> None:
    futures.extend(node.orderer.submit(envelope) for envelope in envelopes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--block", type=int, default=1000, help="max txs per block")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    figures = Figures(f"verifier: peak memory and speed as the ledger grows ({machine()})")
    with tempfile.TemporaryDirectory(prefix="tether-verify-bench-") as tmp:
        home = NetworkHome(Path(tmp) / "home")
        init_network(
            home, org="Org1", admin_id="admin", channel="main", passphrase=PASSPHRASE,
            now_ms=now_ms(),
        )  # fmt: skip
        node = open_node(home, PASSPHRASE, max_txs=args.block)
        admin = load_participant(home, "Org1", "admin", PASSPHRASE)
        ca = CertificateAuthority.load(home.ca_dir("Org1"), PASSPHRASE)
        signer = issue_participant(
            home,
            ca,
            "client",
            Role.AI_ENGINEER,
            PASSPHRASE,
            datetime.now(tz=UTC),
            Algorithm.ED25519,
        )
        enrol = admin.sign(
            "main", "membership", "enroll", {"certificate": signer.certificate_pem}, now_ms()
        )
        assert node.orderer.submit(enrol).result().valid
        done = 0
        kept: Path | None = None
        points: list[tuple[int, float]] = []
        for size in sizes:
            while done < size:
                count = min(20_000, size - done)
                envelopes = [
                    signer.sign("main", "notary", "notarize",
                                {"name": f"v/{n}", "sha256": f"{n:064x}"}, now_ms())
                    for n in range(done, done + count)
                ]  # fmt: skip
                futures: list[Future[TxResult]] = []
                feeders = [
                    threading.Thread(target=feed, args=(node, envelopes[k::2], futures))
                    for k in (0, 1)
                ]
                for feeder in feeders:
                    feeder.start()
                for feeder in feeders:
                    feeder.join()
                assert all(f.result(timeout=600).valid for f in futures)
                done += count
            node.orderer.close()  # everything durable; the verifier opens the file itself
            node.peer.close()
            node.peer.store.close()
            peak, wall, cpu, report = verify_in_process(home.root, None)
            txs = int(report["txs"])  # type: ignore[call-overload]
            points.append((txs, peak))
            figures.add(f"verify_peak_mb_{size}", peak, "MB", note=f"whole ledger, {txs:,} txs")
            figures.add(f"verify_tx_per_s_{size}", txs / wall, "tx/s")
            figures.add(f"verify_cpu_us_per_tx_{size}", cpu / txs * 1e6, "µs CPU")
            if kept is not None:
                _, since_wall, _, since = verify_in_process(home.root, kept)
                figures.add(f"resume_s_{size}", since_wall, "s",
                            note=f"--from-checkpoint: {since['txs']} new txs replayed")  # fmt: skip
            kept = Path(tmp) / "checkpoint.txt"
            kept.write_text(str(report["checkpoint"]))
            node = open_node(home, PASSPHRASE, max_txs=args.block)
        node.close()
    (small, low), (large, high) = points[-2] if len(points) > 1 else points[0], points[-1]
    slope = (high - low) / max(1, large - small) * 1e6
    figures.add("verify_mb_per_million_txs", slope, "MB",
                note="peak growth between the two largest ledgers")  # fmt: skip
    figures.add("verify_peak_mb_at_10m", high + max(0.0, slope) * (10_000_000 - large) / 1e6,
                "MB", note="extrapolated (target ≤ 300)")  # fmt: skip
    figures.print()


if __name__ == "__main__":
    main()
