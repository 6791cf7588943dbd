"""What every benchmark shares: limits measured in the same run, CPU time, repeated runs, the table.

On a shared 2-core machine absolute figures swing 4-25x with other work. What holds is a
*ratio* to a limit measured in the same run, beside the figure (both slowed alike), and CPU
time rather than wall time. So every benchmark:

- repeats its measurement (``--runs``, 3 by default) and prints min / median / max;
- measures, in each run, the limit it is compared to: Ed25519 verifies/s (``cryptography``),
  ``openssl speed -elapsed -evp sha256`` (wall time, as ours), durable SQLite commits/s (WAL,
  ``synchronous=FULL``, in the benchmark's own temp dir), a bare FastAPI route under the same
  uvicorn stack (``wrk``);
- prints wall and CPU figures (its own process's or the server process's CPU, from /proc);
- prints the load average at start and end, so a reader can tell a quiet run from a busy one.

A :class:`Figures` collects one value per run for each figure and prints a table, then one
``name: median unit (min …, max …)`` line per figure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
HERE = Path(__file__).resolve().parent


# -- the machine -------------------------------------------------------------------------


def machine() -> str:
    """Cores and load average, for the header of a table (a quiet machine has load < 1)."""
    one, five, fifteen = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {one:.2f} / {five:.2f} / {fifteen:.2f}"


def cpu_seconds(pid: int | None = None) -> float:
    """CPU seconds (user + system) used so far by this process, or by ``pid`` and its children
    that are still running (uvicorn's workers under their manager), and those they waited for
    after they exited (PostgreSQL's backends, one a connection)."""
    if pid is None:
        return time.process_time()
    return sum(_cpu_of(child, reaped=True) or 0.0 for child in [pid, *_descendants(pid)])


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class Timing:
    """Wall and CPU seconds of a block of work (filled in when the block ends)."""

    wall: float = 0.0
    cpu: float = 0.0


def submit_all(orderer: Any, envelopes: Sequence[Any], clients: int) -> int:
    """Submit ``envelopes`` to an in-process ``orderer`` from ``clients`` threads at once; once
    every one is committed, how many are invalid. (Their results are not kept: a server keeps
    none, and the collector would walk them.)"""
    import threading

    futures: list[list[Any]] = [[] for _ in range(clients)]

    def client(number: int, share: Sequence[Any]) -> None:
        for envelope in share:
            futures[number].append(orderer.submit(envelope))

    threads = [
        threading.Thread(target=client, args=(n, envelopes[n::clients])) for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(1 for share in futures for future in share if not future.result(120).valid)


@contextmanager
def timed(pid: int | None = None) -> Iterator[Timing]:
    """Time the ``with`` block: wall clock, and CPU of this process (or of ``pid``'s tree)."""
    timing = Timing()
    wall, cpu = time.perf_counter(), cpu_seconds(pid)
    try:
        yield timing
    finally:
        timing.wall = time.perf_counter() - wall
        timing.cpu = cpu_seconds(pid) - cpu


@contextmanager
def timed_tree(pid: int | None = None, every: float = 0.05) -> Iterator[Timing]:
    """:func:`timed` counting the CPU of the whole process tree, children that come and go
    included (a verifier's signature workers): the tree is sampled every ``every`` seconds
    and each process's last reading kept, so a worker that exits still counts."""
    import threading

    root = pid if pid is not None else os.getpid()
    seen: dict[int, float] = {}
    start = {p: _cpu_of(p) for p in [root, *_descendants(root)]}
    stop = threading.Event()

    def sample() -> None:
        while True:
            for child in [root, *_descendants(root)]:
                value = _cpu_of(child)
                if value is not None:
                    seen[child] = value
            if stop.wait(every):
                return

    sampler = threading.Thread(target=sample, daemon=True)
    timing = Timing()
    wall = time.perf_counter()
    sampler.start()
    try:
        yield timing
    finally:
        stop.set()
        sampler.join()
        for child in [root, *_descendants(root)]:
            value = _cpu_of(child)
            if value is not None:
                seen[child] = value
        timing.wall = time.perf_counter() - wall
        timing.cpu = sum(v - (start.get(p) or 0.0) for p, v in seen.items())


def _cpu_of(pid: int, *, reaped: bool = False) -> float | None:
    """utime + stime of one process, in seconds (None once it has gone); with ``reaped``, plus
    cutime + cstime: its children that exited and were waited for."""
    try:
        return _stat_seconds(Path(f"/proc/{pid}/stat"), reaped=reaped)
    except OSError:
        return None


def thread_cpu_seconds(pid: int, thread: int) -> float:
    """utime + stime of one thread of ``pid`` (by its native id), in seconds."""
    return _stat_seconds(Path(f"/proc/{pid}/task/{thread}/stat"))


def _stat_seconds(stat: Path, *, reaped: bool = False) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11 : 15 if reaped else 13])
    return ticks / _CLOCK_TICKS


# -- limits measured in the same run ----------------------------------------------------


def ed25519_verify_us(seconds: float = 0.3) -> float:
    """CPU µs of one Ed25519 verification of a 300-byte message with libsodium (PyNaCl), the
    faster of the two libraries here and the one :func:`tetherai.crypto.signature.verify` uses."""
    import nacl.bindings
    import nacl.signing

    key = nacl.signing.SigningKey.generate()
    raw, signed = bytes(key.verify_key), key.sign(b"x" * 300)
    count, start = 0, cpu_seconds()
    while (spent := cpu_seconds() - start) < seconds:
        for _ in range(200):
            nacl.bindings.crypto_sign_open(signed, raw)
        count += 200
    return spent / count * 1e6


def openssl_sha256_mb_per_s(seconds: int = 1) -> float:
    """``openssl speed -elapsed -evp sha256`` on 16 KiB blocks, MB/s of *wall* time (one core).

    Without ``-elapsed`` openssl divides by its own CPU time, which on a busy machine is far
    less than the wall time a hashing benchmark measures, so the ratio would mean nothing.
    """
    output = subprocess.run(
        [
            "openssl",
            "speed",
            "-elapsed",
            "-evp",
            "sha256",
            "-bytes",
            "16384",
            "-seconds",
            f"{seconds}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"^sha256\s+([\d.]+)k\s*$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"cannot read the output of openssl speed:\n{output}")
    return float(match.group(1)) * 1000 / 1e6  # openssl's "k" is 1000 bytes


def sqlite_commit_ms(directory: Path, seconds: float = 0.5) -> float:
    """Wall ms of one durable SQLite commit (WAL, ``synchronous=FULL``, one small row), in
    ``directory`` (the file system the ledger itself uses)."""
    path = directory / "durable-commit-limit.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, v BLOB)")
        count, start = 0, time.perf_counter()
        while (spent := time.perf_counter() - start) < seconds or count < 10:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO t VALUES (?, ?)", (count, b"v" * 200))
            db.execute("COMMIT")
            count += 1
        return spent / count * 1000
    finally:
        db.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@dataclass(frozen=True)
class HttpFigures:
    """One ``wrk`` run: requests, req/s, latency percentiles (ms), errors, server CPU/request."""

    requests: int
    req_per_s: float
    p50_ms: float
    p95_ms: float
    errors: int
    cpu_us_per_request: float
    extra: dict[str, Any] = field(default_factory=dict)


LUA = HERE / "api_load.lua"


def wrk(
    url: str,
    *,
    clients: int,
    seconds: float,
    script: Path = LUA,
    headers: dict[str, str] | None = None,
    script_args: tuple[str, ...] = (),
    server_pid: int | Sequence[int] | None = None,
    servers: Sequence[str] = (),
) -> HttpFigures:
    """One ``wrk`` run (one thread, ``clients`` keep-alive connections); the script's ``done``
    prints ``RESULT {json}`` with ``requests``, ``duration_us``, ``p50_us``, ``p95_us`` and
    error counts. The server's CPU over the run is read from /proc when ``server_pid`` is given
    (several: their sum). With ``servers`` (``host:port`` each), wrk runs one thread a server,
    the connections split among them, each thread calling its own (the script reads them from
    ``LOAD_SERVERS``), so one run's latencies are counted together."""
    threads = max(1, len(servers))
    command = [
        "wrk", f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout=60s"
    ]  # fmt: skip
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", str(script), url]
    if script_args:
        command += ["--", *script_args]
    env = {**os.environ, "LOAD_SERVERS": " ".join(servers)}
    pids = [server_pid] if isinstance(server_pid, int) else list(server_pid or ())
    before = sum(cpu_seconds(pid) for pid in pids)
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    spent = sum(cpu_seconds(pid) for pid in pids) - before
    line = next(line[7:] for line in out.splitlines() if line.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line)
    requests = int(result["requests"])
    errors = int(result.get("errors", 0)) + sum(
        int(result.get(k, 0)) for k in ("connect", "read", "write", "timeout")
    )
    return HttpFigures(
        requests=requests,
        req_per_s=requests / (result["duration_us"] / 1e6),
        p50_ms=result["p50_us"] / 1000,
        p95_ms=result["p95_us"] / 1000,
        errors=errors,
        cpu_us_per_request=spent / max(1, requests) * 1e6 if pids else 0.0,
        extra=result,
    )


@contextmanager
def bare_route_server() -> Iterator[tuple[str, int]]:
    """A bare FastAPI app under the same server stack as ours (uvicorn in a thread, uvloop +
    httptools, one worker), in its own process; yields its URL and process id. Its one path
    answers a GET with a small JSON object, and a POST of a JSON object (read, validated as
    one, not kept) with the same."""
    with bare_route_servers(1) as found:
        yield found[0]


@contextmanager
def bare_route_servers(count: int) -> Iterator[list[tuple[str, int]]]:
    """``count`` bare-route server processes (see :func:`bare_route_server`): their URLs and
    process ids."""
    from _server import server_process

    with ExitStack() as stack:
        yield [
            (info["url"], int(info["pid"]))
            for info, _ in (
                stack.enter_context(server_process(__file__, start_timeout=60))
                for _ in range(count)
            )
        ]


def bare_route(clients: int, seconds: float) -> HttpFigures:
    """req/s and latency of the bare route with ``clients`` connections (a fresh server)."""
    with bare_route_server() as (url, pid):
        return wrk(url, clients=clients, seconds=seconds, server_pid=pid)


def _serve_bare_route(out: Path) -> None:
    sys.path.insert(0, str(HERE.parent))
    from _server import publish
    from fastapi import FastAPI
    from tests.common.server import serve

    app = FastAPI()

    @app.get("/bare")
    async def bare() -> dict[str, object]:
        return {"ok": True, "height": 1234, "channel": "main"}

    @app.post("/bare")
    async def bare_post(body: dict[str, Any]) -> dict[str, object]:
        return {"ok": True, "height": 1234, "channel": "main"}

    with serve(app) as http:
        publish(out, {"url": str(http.base_url).rstrip("/") + "/bare", "pid": os.getpid()})


# -- repeated runs and the table ---------------------------------------------------------


def add_cpus_option(parser: argparse.ArgumentParser, flag: str, what: str) -> None:
    """``flag`` places ``what`` as ``tether serve --cpus`` places a server's threads: ``auto``
    (the default, as the server's), ``all`` or a list. The value stays text (it is passed on
    to server processes); a bad one is refused when the arguments are read."""

    def checked(value: str) -> str:
        from tetherai.services.settings import SettingsError, cpu_choice

        try:
            cpu_choice(value)
        except SettingsError as error:
            raise argparse.ArgumentTypeError(error.message) from None
        return value

    parser.add_argument(
        flag,
        type=checked,
        default="auto",
        metavar="CPUS",
        help=f"the CPUs of {what}, as 'tether serve --cpus': auto, all or a list such as 0,1",
    )


def add_run_options(parser: argparse.ArgumentParser, runs: int = 3) -> None:
    parser.add_argument(
        "--runs", type=int, default=runs, help="times the measurement is repeated (min/median/max)"
    )


@dataclass
class _Figure:
    unit: str
    values: list[float]
    note: str


class Figures:
    """One value per run for each figure; :meth:`print` shows min / median / max of each."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.load_at_start = machine()
        self._figures: dict[str, _Figure] = {}

    def add(self, name: str, value: float, unit: str, *, note: str = "") -> None:
        """Record this run's ``value`` of figure ``name``."""
        figure = self._figures.setdefault(name, _Figure(unit, [], note))
        figure.values.append(value)

    def median(self, name: str) -> float:
        return statistics.median(self._figures[name].values)

    def print(self, console: Console | None = None) -> None:
        console = console or Console()
        runs = max((len(f.values) for f in self._figures.values()), default=0)
        table = Table(
            title=f"{self.title}\n{runs} run(s); at start {self.load_at_start}; at end {machine()}"
        )
        for column in ("figure", "unit", "min", "median", "max", "what"):
            table.add_column(column, justify="left" if column in ("figure", "what") else "right")
        for name, figure in self._figures.items():
            low, mid, high = _spread(figure.values)
            table.add_row(name, figure.unit, _fmt(low), _fmt(mid), _fmt(high), figure.note)
        console.print(table)
        for name, figure in self._figures.items():
            low, mid, high = _spread(figure.values)
            print(f"{name}: {_fmt(mid)} {figure.unit} (min {_fmt(low)}, max {_fmt(high)})")


def _spread(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def _fmt(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:  # a count
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if abs(value) >= 0.1 else f"{value:.3g}"


def repeat(runs: int, one_run: Callable[[int], None]) -> None:
    """Call ``one_run(n)`` for n = 0 … runs-1 (each records its figures)."""
    for number in range(runs):
        one_run(number)


def limits_in_same_run(figures: Figures, directory: Path | None = None) -> dict[str, float]:
    """Measure the CPU-side limits (Ed25519 verify, SHA-256 wall rate, durable commit) now,
    record them in ``figures`` and return them."""
    with tempfile.TemporaryDirectory(dir=directory, prefix="tether-limit-") as tmp:
        commit_ms = sqlite_commit_ms(Path(tmp))
    found = {
        "ed25519_verify_us": ed25519_verify_us(),
        "sqlite_durable_commit_ms": commit_ms,
    }
    figures.add(
        "limit_ed25519_verify_us", found["ed25519_verify_us"], "µs CPU",
        note="one Ed25519 verification (cryptography)",
    )  # fmt: skip
    figures.add(
        "limit_sqlite_durable_commit_ms", commit_ms, "ms",
        note="one durable SQLite commit (WAL, synchronous=FULL)",
    )  # fmt: skip
    return found


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the bare FastAPI route (for bare_route)")
    parser.add_argument("--serve", type=Path, required=True)
    _serve_bare_route(parser.parse_args().serve)
