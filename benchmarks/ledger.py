"""Ledger benchmark: signed txs committed per second, and full-ledger verification, each next to
its floor measured in the same run.

Clients sign every tx beforehand. The timed commit phase is what a node does for each: admit
it (parse, check membership, verify the signature), order it into blocks, execute the notary
contract, append to the Merkle log and commit each block durably (SQLite WAL,
synchronous=FULL) — then the verifier replays the whole ledger from block 0. The commit phase
runs with the garbage collector set as in a server process (``http.process.settle_heap``).

The **floor** is what no implementation can skip, timed on the same envelopes in the same run:

- commit: parse the envelope (``json.loads``), verify its Ed25519 signature, hash its tx id,
  and write it as one row of an indexed table, committed durably once per block, in a file
  set up as the ledger's (``ledger.sqlite_store.WRITER_SETTINGS``);
- verify: read the row back, parse it, verify the signature, hash the leaf.

Each floor is timed beside the work it bounds, so a machine whose speed drifts moves both
sides of its ratio alike: the commit and its floor take turns, a tenth of the txs at a time
(the floor's table grows as the ledger does), and the verify floor reads that table back just
before and just after the verification (their mean).

``commit_vs_floor`` = floor CPU / commit CPU per tx (1.0 would be the floor itself; the target
is ≥ 0.5), and likewise ``verify_vs_floor``. CPU time is the whole process's (every thread), so
the ratios hold on a busy machine where wall-clock rates do not.

    .venv/bin/python benchmarks/ledger.py [--txs 50000] [--clients 2] [--block 1000] [--runs 3]
                                          [--cpus auto]

``--cpus`` places the commit phase's threads as ``tether serve --cpus`` places the node's:
``auto`` (the default, as the server's) on one CPU, ``all`` on any, or a list (``0``); the
verification and the floors run on any CPU.

Prints a table (min / median / max over the runs), then one ``name: value unit`` line per figure.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path

from _harness import (
    Figures,
    Timing,
    add_cpus_option,
    add_run_options,
    limits_in_same_run,
    submit_all,
    timed,
    timed_tree,
)

from tetherai.crypto.signature import Algorithm, PublicKey, verify
from tetherai.http.process import run_on_cpus, settle_heap
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.roles import Role
from tetherai.ledger.sqlite_store import WRITER_SETTINGS
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
from tetherai.services.settings import cpu_choice

PASSPHRASE = b"benchmark"
ROUNDS = 10  # turns of the commit and its floor (module docstring)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def one_run(args: argparse.Namespace, workdir: Path, figures: Figures) -> None:
    anywhere = os.sched_getaffinity(0)
    node_cpus = run_on_cpus(cpu_choice(args.cpus))  # before the node starts its threads
    home = NetworkHome(workdir / "home")
    init_network(
        home, org="Org1", admin_id="admin", channel="main", passphrase=PASSPHRASE, now_ms=now_ms()
    )
    node = open_node(home, PASSPHRASE, max_txs=args.block)
    admin = load_participant(home, "Org1", "admin", PASSPHRASE)
    ca = CertificateAuthority.load(home.ca_dir("Org1"), PASSPHRASE)
    now = datetime.now(tz=UTC)
    signers = []
    for index in range(8):
        key = issue_participant(
            home, ca, f"client{index}", Role.AI_ENGINEER, PASSPHRASE, now, args.algorithm
        )
        envelope = admin.sign(
            "main", "membership", "enroll", {"certificate": key.certificate_pem}, now_ms()
        )
        assert node.orderer.submit(envelope).result().valid
        signers.append(key)

    envelopes = [
        signers[i % len(signers)].sign(
            "main", "notary", "notarize", {"name": f"bench/{i}", "sha256": f"{i:064x}"}, now_ms()
        )
        for i in range(args.txs)
    ]
    keys = {signer.cert_sha256: signer.private_key.public_key() for signer in signers}
    floor = Floor(keys, args.block, workdir / "floor.sqlite")
    settle_heap()  # as a server process does once started (``tether serve``, a peer's API)
    commit = Timing()
    invalid = 0
    share = -(-args.txs // ROUNDS)
    for start in range(0, args.txs, share):
        part = envelopes[start : start + share]
        os.sched_setaffinity(0, anywhere)  # the floor on any CPU
        floor.commit(part)
        if node_cpus is not None:
            os.sched_setaffinity(0, node_cpus)  # the client threads as the node's
        with timed() as turn:
            invalid += submit_all(node.orderer, part, args.clients)
        commit.wall += turn.wall
        commit.cpu += turn.cpu
    node.close()
    os.sched_setaffinity(0, anywhere)  # the verifier and its workers on any CPU
    assert invalid == 0, f"{invalid} benchmark txs were invalid"

    store, channel = open_ledger(home)
    verify_before = floor.verify()
    with timed_tree(every=0.25) as verify:  # the verifier's signature workers count too
        report = ledger_info.verify(store, channel)
    floor_verify = (verify_before + floor.verify()) / 2
    store.close()
    floor.close()
    assert report.ok, report.problem

    floor_commit = floor.commit_cpu / args.txs * 1e6
    commit_cpu = commit.cpu / args.txs * 1e6
    verify_cpu = verify.cpu / report.txs * 1e6
    figures.add("ledger_commit_tx_per_s", args.txs / commit.wall, "tx/s",
                note="admit + order + execute + durable commit (wall)")  # fmt: skip
    figures.add("commit_cpu_us_per_tx", commit_cpu, "µs CPU",
                note="CPU of every thread per committed tx")  # fmt: skip
    figures.add("commit_floor_us_per_tx", floor_commit, "µs CPU",
                note="parse + Ed25519 verify + tx id + one durable row")  # fmt: skip
    figures.add("commit_vs_floor", floor_commit / commit_cpu, "x",
                note="floor / commit CPU (target ≥ 0.5)")  # fmt: skip
    figures.add("ledger_verify_tx_per_s", report.txs / verify.wall, "tx/s",
                note=f"replay the whole ledger ({report.blocks} blocks, wall)")  # fmt: skip
    figures.add("verify_cpu_us_per_tx", verify_cpu, "µs CPU",
                note="CPU per verified tx")  # fmt: skip
    figures.add("verify_floor_us_per_tx", floor_verify, "µs CPU",
                note="read + parse + Ed25519 verify + leaf hash")  # fmt: skip
    figures.add("verify_vs_floor", floor_verify / verify_cpu, "x",
                note="floor / verify CPU (target ≥ 0.5)")  # fmt: skip
    figures.add("ledger_file_mb", home.ledger_path("main").stat().st_size / 1e6, "MB")


class Floor:
    """The floors of the module docstring, on one table that grows by :meth:`commit`."""

    def __init__(self, keys: dict[str, PublicKey], block: int, path: Path) -> None:
        self._keys = keys
        self._block = block
        self._db = sqlite3.connect(path, isolation_level=None)
        for setting in WRITER_SETTINGS:  # set up as the ledger's own file is
            self._db.execute(f"PRAGMA {setting}")
        self._db.execute(
            "CREATE TABLE txs (seq INTEGER PRIMARY KEY, tx_id TEXT NOT NULL, envelope BLOB)"
        )
        self._db.execute("CREATE INDEX txs_by_id ON txs (tx_id)")
        self._rows = 0
        self.commit_cpu = 0.0
        """CPU seconds of every :meth:`commit` so far."""

    def commit(self, envelopes: list[Envelope]) -> None:
        """Check and store ``envelopes`` durably, in blocks, adding the CPU to ``commit_cpu``."""
        leaves = [envelope.leaf_data for envelope in envelopes]
        with timed() as commit:
            for start in range(0, len(leaves), self._block):
                rows = []
                for data in leaves[start : start + self._block]:
                    rows.append((self._rows, _check(data, self._keys), data))
                    self._rows += 1
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT INTO txs VALUES (?, ?, ?)", rows)
                self._db.execute("COMMIT")
        self.commit_cpu += commit.cpu

    def verify(self) -> float:
        """CPU µs per tx of reading every stored tx back and checking it."""
        with timed() as verify:
            for (data,) in self._db.execute("SELECT envelope FROM txs ORDER BY seq"):
                _check(data, self._keys)
                sha256(b"\x00" + data).digest()  # the RFC 6962 leaf hash
        return verify.cpu / self._rows * 1e6

    def close(self) -> None:
        self._db.close()


def _check(data: bytes, keys: dict[str, PublicKey]) -> str:
    """Parse an envelope, verify its signature over the tx's bytes; return the tx id."""
    value = json.loads(data)
    start = len(b'{"sig":"') + len(value["sig"]) + len(b'","tx":')
    tx_bytes = data[start:-1]  # canonical: the tx's bytes sit between the sig and the last "}"
    verify(keys[value["tx"]["creator"]["cert_sha256"]], base64.b64decode(value["sig"]), tx_bytes)
    return sha256(tx_bytes).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--block", type=int, default=1000, help="max txs per block")
    parser.add_argument("--algorithm", type=Algorithm, default=Algorithm.ED25519)
    add_cpus_option(parser, "--cpus", "the commit phase's threads")
    add_run_options(parser)
    args = parser.parse_args()
    on = f", commit on CPUs {args.cpus}"
    figures = Figures(
        f"ledger: {args.txs:,} notary txs, {args.algorithm.value}, {args.clients} clients, "
        f"blocks of {args.block}{on}"
    )
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="tether-bench-") as tmp:
            limits_in_same_run(figures, Path(tmp))
            one_run(args, Path(tmp), figures)
    figures.print()


if __name__ == "__main__":
    main()
