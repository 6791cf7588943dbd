"""Hashing benchmark (DESIGN.md §6): MB/s of tetherai's hashing next to its limits.

Measured in each run, on files in a temp dir (deleted at the end):

- one 2 GiB file, against ``openssl speed -elapsed -evp sha256`` (one core's SHA-256 limit, in
  wall time as ours: without ``-elapsed`` openssl reports MB per *CPU* second, which on a busy
  machine is far above what any wall-clock rate can reach);
- 1,000 small files (64 KiB each);
- a 4 GiB directory of 8 files, on one thread and on all cores, and hashed by the OpenSSF
  ``model_signing`` package (its default: SHA-256 per file, a thread pool) in the same run.

Files are hashed from a warm page cache (disk speed is not what is measured). Each figure is
printed as min / median / max of ``--runs`` runs, wall MB/s and CPU seconds per GB::

    .venv/bin/python benchmarks/hashing.py [--runs 3] [--quick] [--dir /tmp]

The last lines are the ratios ``hash_bigfile_vs_openssl``, ``hash_dir_vs_one_core`` and
``hash_dir_vs_model_signing`` (R > 1 means faster).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from _harness import Figures, add_run_options, openssl_sha256_mb_per_s, timed
from model_signing import hashing as model_signing_hashing
from rich.console import Console

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


def rate(function: Callable[[], object], size: int) -> tuple[float, float]:
    """(MB/s of wall time, CPU seconds per GB) of one call (10**6 and 10**9 bytes)."""
    with timed() as timing:
        function()
    return size / timing.wall / 1e6, timing.cpu / size * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_options(parser)
    parser.add_argument("--quick", action="store_true", help="small files, for a smoke test")
    parser.add_argument("--dir", default=None, help="where to put the temp files")
    args = parser.parse_args()
    console = Console()
    workers = default_workers()
    figures = Figures(f"SHA-256 hashing, MB/s of wall time ({workers} cores)")
    workdir = Path(tempfile.mkdtemp(prefix="tether-hash-bench-", dir=args.dir))
    try:
        console.print(f"writing test files in {workdir} …")
        data = make_data(workdir, args.quick)
        sizes = {name: tree_size(path) for name, path in data.items()}
        for path in data.values():  # warm the page cache: measure hashing, not the disk
            hash_tree(path) if path.is_dir() else hash_file(path)
        mib = {name: f"{size / MIB:,.0f} MiB" for name, size in sizes.items()}
        for _ in range(args.runs):
            openssl = openssl_sha256_mb_per_s(1 if args.quick else 3)
            big, big_cpu = rate(lambda: hash_file(data["big"]), sizes["big"])
            small, _ = rate(lambda: hash_tree(data["small"]), sizes["small"])
            one_core, _ = rate(lambda: hash_tree(data["dir"], workers=1), sizes["dir"])
            all_cores, dir_cpu = rate(lambda: hash_tree(data["dir"]), sizes["dir"])
            theirs, _ = rate(lambda: model_signing_hashing.Config().hash(data["dir"]), sizes["dir"])
            add = figures.add
            add("openssl_sha256_mb_per_s", openssl, "MB/s",
                note="openssl speed -elapsed -evp sha256, 16 KiB blocks (one core)")  # fmt: skip
            add("hash_bigfile_mb_per_s", big, "MB/s", note=f"one big file ({mib['big']})")
            add("hash_bigfile_cpu_s_per_gb", big_cpu, "s CPU/GB", note="one big file")
            add("hash_small_files_mb_per_s", small, "MB/s", note="1,000 files of 64 KiB")
            add("hash_small_files_per_s", small * 1e6 / (64 * 1024), "files/s")
            add("hash_dir_one_core_mb_per_s", one_core, "MB/s",
                note=f"directory of 8 files ({mib['dir']}), 1 thread")  # fmt: skip
            add("hash_dir_mb_per_s", all_cores, "MB/s", note=f"same directory, {workers} threads")
            add("hash_dir_cpu_s_per_gb", dir_cpu, "s CPU/GB", note=f"{workers} threads")
            add("model_signing_dir_mb_per_s", theirs, "MB/s", note="model_signing, same directory")
            add("hash_bigfile_vs_openssl", big / openssl, "x", note="one big file ÷ openssl")
            add("hash_dir_vs_one_core", all_cores / one_core, "x", note=f"{workers} threads ÷ 1")
            add("hash_dir_vs_model_signing", all_cores / theirs, "x", note="ours ÷ model_signing")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    figures.print(console)


if __name__ == "__main__":
    main()
