"""CLI start-up: ``tether --help`` and a client command, next to a bare Python start-up measured
in the same run.

Each figure is the median of ``--runs`` (10) fresh processes, as a person at a terminal starts
them:

- ``python_startup_s``: ``python -c pass`` with the same interpreter (the floor: every command
  pays it);
- ``cli_help_s``: ``tether --help`` (loads the command table and Typer, no command module);
- ``cli_status_s``: ``tether whoami --json`` against a real server on 127.0.0.1 (a client
  command: its imports, the config, one HTTP request). The server runs in its own process,
  started first, so its start-up is not counted.

The ``tether`` measured is a light install, as ``pip install tetherai`` gives it: a fresh
virtual environment with tetherai built from this tree and its base dependencies only (pinned by
constraints.txt), made in a temp dir first (``--venv DIR`` keeps and reuses one). Each figure is
printed with its ratio to ``python_startup_s`` (that venv's interpreter) and against the 0.3 s
target: a busy machine slows all three alike, so the ratio is what to compare between runs; the
load average is printed too.

    .venv/bin/python benchmarks/cli.py [--runs 10] [--venv DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import machine
from _server import publish, server_process

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.3


def serve_forever(out: Path) -> None:
    """The server process: a network, the app under uvicorn, an API token for the client."""
    sys.path.insert(0, str(ROOT))
    from tests.common.network import PASSPHRASE, make_network
    from tests.common.server import serve

    from tetherai.api.app import create_app
    from tetherai.identity.roles import Role
    from tetherai.services.custody import Argon2Parameters
    from tetherai.services.enrolment import web_account_for_participant
    from tetherai.services.settings import Settings

    with tempfile.TemporaryDirectory(prefix="tether-cli-bench-") as tmp:
        work = Path(tmp)
        net = make_network(work)
        net.participant("alice", Role.AI_ENGINEER)
        settings = Settings(
            home=net.home.root,
            database_url=f"sqlite:///{work / 'service.sqlite'}",
            secret_key=b"c" * 32,
            passphrase=PASSPHRASE,
        )
        argon2 = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)
        app = create_app(settings, node=net.node, argon2=argon2)
        with serve(app) as http:
            rt = app.state.runtime
            alice = web_account_for_participant(
                rt.auth,
                rt.custody,
                net.home,
                passphrase=PASSPHRASE,
                participant_id="alice",
                role=Role.AI_ENGINEER,
                password="benchmark password",
            )
            token = rt.auth.issue_api_token(alice, "benchmark").token
            publish(out, {"base_url": str(http.base_url), "token": token})
        net.close()


def light_venv(directory: Path) -> Path:
    """The ``bin`` of a venv at ``directory`` holding tetherai without extras (made if missing)."""
    python = directory / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "-c", str(ROOT / "constraints.txt"), str(ROOT)],
            check=True,
        )  # fmt: skip
    return python.parent


def median_seconds(
    command: list[str], runs: int, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """The median wall and CPU (user + system) seconds of ``runs`` fresh processes of
    ``command`` (each must succeed). CPU time is the steadier of the two on a busy machine."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="processes per figure (median)")
    parser.add_argument("--venv", type=Path, help="the light venv to make or reuse")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve is not None:
        serve_forever(options.serve)
        return
    with tempfile.TemporaryDirectory(prefix="tether-cli-venv-") as scratch:
        measure(light_venv(options.venv or Path(scratch) / "venv"), options.runs)


def measure(bin_dir: Path, runs: int) -> None:
    tether, python = bin_dir / "tether", bin_dir / "python"
    print(f"machine: {machine()}")
    with server_process(__file__) as (info, tmp):
        token_file = tmp / "token"
        token_file.write_text(info["token"])
        config = tmp / "config"
        env = os.environ | {"TETHER_CONFIG": str(config)}
        subprocess.run(
            [str(tether), "login", info["base_url"], "--token-file", str(token_file)],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        baseline = median_seconds([str(python), "-c", "pass"], runs)
        figures = {
            "cli_help_s": median_seconds([str(tether), "--help"], runs),
            "cli_status_s": median_seconds([str(tether), "whoami", "--json"], runs, env),
        }
    print(f"machine: {machine()}")
    wall, cpu = baseline
    print(f"python_startup_s: {wall:.3f} s, {cpu:.3f} s CPU (python -c pass, median of {runs})")
    for name, (value, cpu_value) in figures.items():
        verdict = "within" if value <= TARGET_S else "over"
        print(
            f"{name}: {value:.3f} s (median of {runs}; {value / wall:.1f}x python start-up; "
            f"{verdict} the {TARGET_S} s target); {cpu_value:.3f} s CPU "
            f"({cpu_value / cpu:.1f}x python's)"
        )


if __name__ == "__main__":
    main()
