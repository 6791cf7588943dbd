"""The server process of the HTTP benchmarks (api.py, load.py): started as the same script with
``--serve READY``, it builds its network, writes what the clients need to READY and serves
until its stdin closes, so the load generator and the server never share a process."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def publish(out: Path, info: dict[str, Any]) -> None:
    """The server side: write ``info`` to READY in one step, then serve until stdin closes."""
    out.with_suffix(".tmp").write_text(json.dumps(info))
    out.with_suffix(".tmp").rename(out)
    sys.stdin.read()


@contextmanager
def server_process(
    script: str, *args: str, start_timeout: float = 600
) -> Iterator[tuple[dict[str, Any], Path]]:
    """The client side: run ``script --serve READY *args``; yield what it published and a temp
    directory for the client's own files; stop it afterwards."""
    with tempfile.TemporaryDirectory(prefix="tether-bench-") as tmp:
        ready = Path(tmp) / "ready.json"
        server = subprocess.Popen(
            [sys.executable, script, "--serve", str(ready), *args], stdin=subprocess.PIPE, cwd=ROOT
        )
        try:
            deadline = time.monotonic() + start_timeout
            while not ready.exists():
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the benchmark's server did not start")
                time.sleep(0.1)
            yield json.loads(ready.read_text()), Path(tmp)
        finally:
            if server.stdin is not None:
                server.stdin.close()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
