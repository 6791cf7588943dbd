"""``benchmarks/load.py --servers 2`` sets itself up and runs: PostgreSQL, etcd, the orderer
process and two server processes of one channel answer a short run of the realistic mix, both
servers answer, and not one answer is an error.

No timing assertions: the figures are the benchmark's.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def test_two_server_processes_answer_the_mix_without_an_error() -> None:
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed: run 'make system-deps'", pytrace=False)
    done = subprocess.run(
        [sys.executable, "benchmarks/load.py", "--servers", "2", "--users", "10",
         "--seconds", "2", "--runs", "1", "--envelopes", "40"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = {
        name: float(value.replace(",", ""))
        for name, value in re.findall(r"^(\w+): ([\d,.]+)", done.stdout, re.MULTILINE)
    }
    assert figures["load_errors"] == 0, done.stdout
    # Both processes answered (wrk's thread of each server counts its answers) ...
    assert figures["load_server0_requests"] > 0, done.stdout
    assert figures["load_server1_requests"] > 0, done.stdout
    # ... and writes went through the cluster's orderer, each waiting for its block.
    assert figures["load_writes"] > 0, done.stdout
    assert figures["orderer_cpu_us_per_request"] > 0, done.stdout
