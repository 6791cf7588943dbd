"""Hashing benchmark (issue 4, DESIGN.md §6): MB/s of tetherai's hashing next to its limits.

Measured in one run, on files in a temp dir (deleted at the end):

- one 2 GiB file, against ``openssl speed -evp sha256`` (one core's SHA-256 limit);
- 1,000 small files (64 KiB each);
- a 4 GiB directory of 8 files, on one thread and on all cores, and hashed by the OpenSSF
  ``model_signing`` package (its default: SHA-256 per file, a thread pool) in the same run.

Each figure is the best of ``--repeat`` runs on a warm page cache (disk speed is not what is
measured). Run it with one command::

    .venv/bin/python benchmarks/hashing.py [--repeat 3] [--quick] [--dir /tmp]

Prints a table, then one figure per line: ``name: value unit``; the last three are the ratios
``hash_bigfile_vs_openssl``, ``hash_dir_vs_one_core`` and ``hash_dir_vs_model_signing``
(R > 1 means faster).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from model_signing import hashing as model_signing_hashing
from rich.console import Console
from rich.table import Table

from tetherai.storage import default_workers, hash_file, hash_tree

MIB = 1024 * 1024


def write_file(path: Path, size: int, block: bytes, seed: int) -> None:
    """Write ``size`` bytes: a random block, each copy stamped so that no two are alike."""
    with open(path, "wb") as file:
        written = 0
        counter = 0
        while written < size:
            stamp = f"{seed}:{counter}:".encode()
            chunk = stamp + block[len(stamp) : min(len(block), size - written)]
            file.write(chunk)
            written += len(chunk)
            counter += 1


def make_data(root: Path, quick: bool) -> dict[str, Path]:
    block = os.urandom(64 * MIB)
    big = root / "big.bin"
    write_file(big, (256 if quick else 2048) * MIB, block, 0)
    small = root / "small"
    small.mkdir()
    for index in range(1000):
        write_file(small / f"{index:04}.bin", 64 * 1024, block[index * 4096 :], index)
    directory = root / "dir"
    directory.mkdir()
    for index in range(8):
        write_file(
            directory / f"shard-{index}.bin", (64 if quick else 512) * MIB, block, 100 + index
        )
    return {"big": big, "small": small, "dir": directory}


def tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def best_rate(function: Callable[[], object], size: int, repeat: int) -> float:
    """The best MB/s (10**6 bytes) over ``repeat`` runs."""
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        elapsed = time.perf_counter() - start
        best = max(best, size / elapsed / 1e6)
    return best


def openssl_rate(seconds: int) -> float:
    """``openssl speed -evp sha256`` on 16 KiB blocks, in MB/s (its 'k' is 1000 bytes)."""
    output = subprocess.run(
        ["openssl", "speed", "-evp", "sha256", "-bytes", "16384", "-seconds", str(seconds)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"^sha256\s+([\d.]+)k\s*$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"cannot read the output of openssl speed:\n{output}")
    return float(match.group(1)) * 1000 / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best is kept)")
    parser.add_argument("--quick", action="store_true", help="small files, for a smoke test")
    parser.add_argument("--dir", default=None, help="where to put the temp files")
    args = parser.parse_args()
    console = Console()
    workers = default_workers()
    workdir = Path(tempfile.mkdtemp(prefix="tether-hash-bench-", dir=args.dir))
    try:
        console.print(f"writing test files in {workdir} …")
        data = make_data(workdir, args.quick)
        sizes = {name: tree_size(path) for name, path in data.items()}
        for path in data.values():  # warm the page cache: measure hashing, not the disk
            hash_tree(path) if path.is_dir() else hash_file(path)
        openssl = openssl_rate(1 if args.quick else 3)
        big = best_rate(lambda: hash_file(data["big"]), sizes["big"], args.repeat)
        small = best_rate(lambda: hash_tree(data["small"]), sizes["small"], args.repeat)
        one_core = best_rate(lambda: hash_tree(data["dir"], workers=1), sizes["dir"], args.repeat)
        all_cores = best_rate(lambda: hash_tree(data["dir"]), sizes["dir"], args.repeat)
        theirs = best_rate(
            lambda: model_signing_hashing.Config().hash(data["dir"]), sizes["dir"], args.repeat
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    table = Table(title=f"SHA-256 hashing, MB/s (best of {args.repeat}, {workers} cores)")
    table.add_column("what")
    table.add_column("data", justify="right")
    table.add_column("MB/s", justify="right")
    rows = [
        ("openssl speed -evp sha256 (one core)", "16 KiB blocks", openssl),
        ("tetherai: one big file", f"{sizes['big'] / MIB:.0f} MiB", big),
        ("tetherai: 1,000 small files", f"{sizes['small'] / MIB:.1f} MiB", small),
        ("tetherai: directory of 8 files, 1 thread", f"{sizes['dir'] / MIB:.0f} MiB", one_core),
        (
            f"tetherai: directory of 8 files, {workers} threads",
            f"{sizes['dir'] / MIB:.0f} MiB",
            all_cores,
        ),
        ("model_signing: same directory", f"{sizes['dir'] / MIB:.0f} MiB", theirs),
    ]
    for what, size, rate in rows:
        table.add_row(what, size, f"{rate:,.0f}")
    console.print(table)
    print(f"openssl_sha256_mb_per_s: {openssl:.0f} MB/s")
    print(f"hash_bigfile_mb_per_s: {big:.0f} MB/s")
    print(f"hash_small_files_mb_per_s: {small:.0f} MB/s")
    print(f"hash_small_files_per_s: {small * 1e6 / (64 * 1024):.0f} files/s")
    print(f"hash_dir_one_core_mb_per_s: {one_core:.0f} MB/s")
    print(f"hash_dir_mb_per_s: {all_cores:.0f} MB/s")
    print(f"model_signing_dir_mb_per_s: {theirs:.0f} MB/s")
    print(f"hash_bigfile_vs_openssl: {big / openssl:.2f} x")
    print(f"hash_dir_vs_one_core: {all_cores / one_core:.2f} x")
    print(f"hash_dir_vs_model_signing: {all_cores / theirs:.2f} x")


if __name__ == "__main__":
    main()
