"""How a server process runs (``tetherai.http.process``): it settles its heap once started
(an app that shares its process, as in tests, leaves the collector alone), and runs its threads
on the CPUs ``TETHER_CPUS`` / ``tether serve --cpus`` name.

What changes the process runs in a fresh interpreter: freezing this test process's heap would
keep every later test's garbage cycles from being collected, and its CPUs are pytest's.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tetherai.http.process import YOUNG_THRESHOLD, run_on_cpus
from tetherai.services.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[3]
TETHER = Path(sys.executable).with_name("tether")

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


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / "secrets").mkdir(parents=True)
    (home / "secrets" / "server.key").write_bytes(b"k" * 32)
    return home


@pytest.mark.parametrize(
    ("value", "cpus"),
    [
        ("", "auto"),
        ("auto", "auto"),
        (" All ", "all"),
        ("0", (0,)),
        ("2,0", (0, 2)),
        ("0-3, 6", (0, 1, 2, 3, 6)),
    ],
)
def test_tether_cpus_lists_cpus_and_ranges(
    tmp_path: Path, value: str, cpus: tuple[int, ...]
) -> None:
    env = {"TETHER_PASSPHRASE": "p", "TETHER_CPUS": value}
    assert Settings.from_env(env, home=_home(tmp_path)).cpus == cpus


@pytest.mark.parametrize("value", ["zero", "-1", "1-", "3-1", "0,x", "1.5", ",", "auto,0"])
def test_tether_cpus_refuses_what_is_not_a_cpu_list(tmp_path: Path, value: str) -> None:
    env = {"TETHER_PASSPHRASE": "p", "TETHER_CPUS": value}
    with pytest.raises(SettingsError, match="TETHER_CPUS"):
        Settings.from_env(env, home=_home(tmp_path))


def test_the_threads_started_after_run_on_cpus_run_on_those_cpus_only() -> None:
    script = (
        "import json, os, threading\n"
        "from tetherai.http.process import run_on_cpus\n"
        "cpu = min(os.sched_getaffinity(0))\n"
        "run_on_cpus((cpu,))\n"
        "seen = {}\n"
        "thread = threading.Thread(target=lambda: seen.update(cpus=sorted(os.sched_getaffinity(0))))\n"
        "thread.start(); thread.join()\n"
        "print(json.dumps({'cpu': cpu, 'main': sorted(os.sched_getaffinity(0)), **seen}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    seen = json.loads(done.stdout)
    assert seen["main"] == [seen["cpu"]]
    assert seen["cpus"] == [seen["cpu"]]


def test_a_cpu_the_process_may_not_use_is_refused_and_nothing_changes() -> None:
    import os

    before = os.sched_getaffinity(0)
    with pytest.raises(SettingsError, match="CPU 4095, which this process may not run on"):
        run_on_cpus((4095,))
    assert os.sched_getaffinity(0) == before


AUTO_SCRIPT = """
import json, os, sys
from tetherai.crypto.verify_workers import VerifyWorkers
from tetherai.http.process import run_on_cpus
from tetherai.services.settings import cpu_choice
allowed = sorted(os.sched_getaffinity(0))
if sys.argv[1] == "one":  # a process given a single CPU from outside (taskset, a cgroup)
    allowed = allowed[:1]
    os.sched_setaffinity(0, allowed)
run_on_cpus(cpu_choice(sys.argv[2]))
workers = VerifyWorkers(1)
children = set()
for task in os.listdir("/proc/self/task"):
    with open(f"/proc/self/task/{task}/children") as listed:
        children.update(int(pid) for pid in listed.read().split())
(child,) = children
seen = {"allowed": allowed, "main": sorted(os.sched_getaffinity(0)),
        "worker": sorted(os.sched_getaffinity(child))}
workers.shutdown()
print(json.dumps(seen))
"""


def _placed(given: str, choice: str) -> dict[str, list[int]]:
    done = subprocess.run(
        [sys.executable, "-c", AUTO_SCRIPT, given, choice],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    placed: dict[str, list[int]] = json.loads(done.stdout)
    return placed


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs a process on two CPUs")
def test_auto_runs_the_threads_on_one_cpu_and_the_signature_workers_on_all() -> None:
    placed = _placed("all", "auto")
    assert len(placed["main"]) == 1
    assert placed["main"][0] in placed["allowed"]
    # The workers share no lock with the server: they get back every CPU it had.
    assert placed["worker"] == placed["allowed"]


def test_auto_leaves_a_process_given_one_cpu_as_it_is() -> None:
    placed = _placed("one", "auto")
    assert placed["main"] == placed["worker"] == placed["allowed"]


def test_all_leaves_the_process_on_every_cpu() -> None:
    placed = _placed("all", "all")
    assert placed["main"] == placed["worker"] == placed["allowed"]


def test_named_cpus_hold_the_signature_workers_too() -> None:
    # Who names the CPUs (a machine shared with other work) keeps the whole process there.
    cpu = max(os.sched_getaffinity(0))
    placed = _placed("all", str(cpu))
    assert placed["main"] == placed["worker"] == [cpu]


def _refuses_cpu_4095(*args: str, **env: str) -> None:
    """``tether *args`` (or another command, given whole) stops at once with the CPU named, as
    one error line."""
    command = list(args) if args[0] == sys.executable else [str(TETHER), *args]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "TETHER_PASSPHRASE": "p", **env},
        timeout=120,
    )
    assert done.returncode != 0
    assert "CPU 4095, which this process may not run on" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_tether_serve_refuses_a_cpu_it_may_not_use_before_it_serves(tmp_path: Path) -> None:
    home = str(_home(tmp_path))
    _refuses_cpu_4095("serve", "--home", home, "--cpus", "4095", TETHER_PORT="0")


def test_a_cluster_peer_refuses_a_cpu_it_may_not_use_before_it_starts(tmp_path: Path) -> None:
    peer = ("network", "peer", "--name", "peer0.Org1", "--home", str(tmp_path))
    _refuses_cpu_4095(*peer, TETHER_CPUS="4095")


@pytest.mark.parametrize("role", ["peer", "orderer"])
def test_a_cluster_node_process_refuses_a_cpu_it_may_not_use_before_it_starts(
    tmp_path: Path, role: str
) -> None:
    # The runner the cluster's own process tooling starts (not the tether command).
    node = (sys.executable, "-m", "tetherai.cluster", role, "--home", str(tmp_path))
    _refuses_cpu_4095(*node, "--name", "peer0.Org1", TETHER_CPUS="4095")


def _forbidden(*args: object) -> None:
    raise PermissionError(errno.EPERM, "Operation not permitted")


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs a process on two CPUs")
def test_auto_leaves_the_process_as_it_is_where_the_system_forbids_choosing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "sched_setaffinity", _forbidden)
    assert run_on_cpus("auto") is None  # the default never stops a server from starting


def test_auto_leaves_the_process_as_it_is_on_a_system_without_cpu_choice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(os, "sched_getaffinity")
    assert run_on_cpus("auto") is None


def test_named_cpus_on_a_system_without_cpu_choice_are_refused_clearly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(os, "sched_getaffinity")
    with pytest.raises(SettingsError, match="does not let a process choose its CPUs"):
        run_on_cpus((0,))


def test_named_cpus_the_system_will_not_give_are_refused_clearly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cpu = min(os.sched_getaffinity(0))
    monkeypatch.setattr(os, "sched_setaffinity", _forbidden)
    with pytest.raises(SettingsError, match=f"could not run on CPU {cpu}: Operation not permitted"):
        run_on_cpus((cpu,))
