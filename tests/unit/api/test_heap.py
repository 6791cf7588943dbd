"""A server process settles its heap once started (``http.heap.settle_heap``); an app that
shares its process (tests, the demo) leaves the collector alone.

Each case runs in a fresh interpreter: freezing this test process's heap would keep every
later test's garbage cycles from being collected.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tetherai.http.heap import YOUNG_THRESHOLD

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import gc, json, sys
from pathlib import Path
from tests.common.network import PASSPHRASE, make_network
from tests.common.server import serve
from tetherai.server import create_web_app
from tetherai.services.custody import Argon2Parameters
from tetherai.services.settings import Settings

work = Path(sys.argv[1])
net = make_network(work)
settings = Settings(
    home=net.home.root,
    database_url=f"sqlite:///{work / 'service.sqlite'}",
    secret_key=b"h" * 32,
    passphrase=PASSPHRASE,
)
before = gc.get_freeze_count()
app = create_web_app(
    settings,
    node=net.node,
    argon2=Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1),
    owns_process=sys.argv[2] == "own",
)
with serve(app) as http:
    status = http.get("/signin").status_code
    print(json.dumps({
        "before": before,
        "frozen": gc.get_freeze_count(),
        "threshold": gc.get_threshold(),
        "status": status,
    }))
net.close()
"""


def _run(tmp_path: Path, mode: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("mode", ["own", "shared"])
def test_a_server_that_owns_its_process_freezes_what_startup_built(
    tmp_path: Path, mode: str
) -> None:
    seen = _run(tmp_path, mode)
    assert seen["status"] == 200  # it serves as before
    assert seen["before"] == 0
    if mode == "own":
        assert isinstance(seen["frozen"], int)
        assert seen["frozen"] > 10_000  # modules, the app, the ledger's objects
        assert seen["threshold"] == [YOUNG_THRESHOLD, 10, 10]
    else:
        assert seen["frozen"] == 0
        assert seen["threshold"] == [700, 10, 10]
