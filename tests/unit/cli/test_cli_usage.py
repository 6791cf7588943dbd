"""Every ``tether`` command and group: --help shows an example, and wrong arguments give one
``error:`` line and exit code 2 — never a traceback (walked over the whole tree)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tetherai.cli._common import run_app
from tetherai.cli.main import COMMANDS, app, load_command

CLIENT_COMMANDS = {
    "login",
    "whoami",
    "key",
    "project",
    "version",
    "verify",
    "review",
    "deploy",
    "rollback",
    "monitor",
    "import",
}


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if hasattr(group, "commands"):
        for name, command in sorted(group.commands.items()):
            yield from _commands(command, (*path, name))
    if path:
        yield path, group


def _tree() -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command, the top-level ones loaded from their modules as ``tether NAME`` would."""
    for name in sorted(COMMANDS):
        yield from _commands(load_command(name), (name,))


ALL = list(_tree())
IDS = [" ".join(path) for path, _ in ALL]


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stopped:
        run_app(app, args)
    out, err = capsys.readouterr()
    code = stopped.value.code
    return (code if isinstance(code, int) else 0), out, err


def test_the_top_level_help_lines_are_the_commands_own() -> None:
    """``tether --help`` lists commands from a table without loading them: each line there is
    the first paragraph of the command's own help."""
    for name, entry in COMMANDS.items():
        command = load_command(name)
        own = " ".join((command.help or "").split("\n\n")[0].split())
        assert entry.help == own, name


def test_tether_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["--help"], capsys)
    assert code == 0
    listed = {
        line.split()[1] for line in out.splitlines() if line.startswith("│ ") and line[2] != " "
    }
    assert listed >= set(COMMANDS)


def test_a_mistyped_command_suggests_the_right_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["verfy"], capsys)
    assert code == 2 and "Did you mean 'verify'?" in err


def test_the_tree_has_every_client_command() -> None:
    top = {path[0] for path, _ in ALL}
    assert top >= CLIENT_COMMANDS
    leaves = {" ".join(path) for path, command in ALL if not hasattr(command, "commands")}
    assert {
        "key create",
        "key register",
        "project create",
        "project show",
        "project list",
        "version create",
        "version submit",
        "version show",
        "version history",
        "review comment",
        "review vote",
        "review pass",
        "review fail",
        "review rate",
        "review document",
        "project factsheet",
        "monitor report",
        "import mlflow",
    } <= leaves


@pytest.mark.parametrize(("path", "command"), [((), None), *ALL], ids=["tether", *IDS])
def test_help_of_every_command_and_group_shows_usage_and_an_example(
    path: tuple[str, ...], command: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run([*path, "--help"], capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert "Usage: tether " + " ".join(path) in text
    # An example is a whole tether command line (perhaps after an environment variable).
    assert re.search(r"Example: ([A-Z_]+=\S+ )?tether \S", text), out


@pytest.mark.parametrize(("path", "command"), ALL, ids=IDS)
def test_an_unknown_option_is_one_error_line_and_exit_2(
    path: tuple[str, ...], command: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run([*path, "--no-such-option"], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "no-such-option" in lines[0] and "Traceback" not in err + out


REQUIRED = [
    (path, command)
    for path, command in ALL
    if not hasattr(command, "commands") and any(p.required for p in command.params)
]


@pytest.mark.parametrize(("path", "command"), REQUIRED, ids=[" ".join(p) for p, _ in REQUIRED])
def test_a_missing_argument_is_one_error_line_and_exit_2(
    path: tuple[str, ...], command: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(list(path), capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Missing"), err


@pytest.mark.parametrize(
    "args",
    [
        ["verify", "not-a-version", "--from-store"],
        ["verify", "Org1/digits/v1"],  # no source chosen
        ["verify", "Org1/digits/v1", "--from-store", "--local", "."],
        ["version", "show", "Org1/digits"],
        [
            "version",
            "create",
            "Org1/x/v1",
            "--code-repo",
            "r",
            "--commit",
            "c",
            "--model",
            "/nonexistent/m",
        ],
        [
            "version",
            "create",
            "Org1/x/v1",
            "--code-repo",
            "r",
            "--commit",
            "c",
            "--artifact",
            "weights=/x",
        ],
        [
            "version",
            "create",
            "Org1/x/v1",
            "--code-repo",
            "r",
            "--commit",
            "c",
            "--metric",
            "acc=high",
        ],
        ["project", "add-member", "Org1/x", "bob"],
        ["project", "create", "X", "--member", "bob"],
        ["import", "mlflow", "Org1/x/v1"],
        ["import", "mlflow", "Org1/x/v1", "--model", "m"],
        ["login", "localhost:8000", "--token-file", "/nonexistent"],
        ["review", "pass", "Org1/x/v1", "--json", "extra"],
        ["review", "rate", "Org1/x/v1", "6"],
        ["review", "document", "Org1/x/v1", "/nonexistent/report.pdf"],
        ["review", "document", "Org1/x/v1", "gs://bucket/report.pdf"],
        ["project", "factsheet", "Org1/x", "--document", "card.md"],  # --document needs --set
        ["project", "factsheet", "Org1/x", "--set", "/nonexistent/factsheet.json"],
        ["monitor", "report", "Org1/x/v1", "--status", "active", "--metric", "auc=high"],
        [
            "version",
            "create",
            "Org1/x/v1",
            "--code-repo",
            "r",
            "--commit",
            "c",
            "--model",
            "gs://bucket/model.bin",
        ],
        [
            "version",
            "create",
            "Org1/x/v1",
            "--code-repo",
            "r",
            "--commit",
            "c",
            "--model",
            "s3://Not_A_Bucket/model.bin",
        ],
        [
            "version",
            "create",
            "Org1/x/v1",
            "--code-repo",
            "r",
            "--commit",
            "c",
            "--log",
            "tether-obj:sha256/123",
        ],
        [
            "version",
            "create",
            "Org1/x/v1",
            "--code-repo",
            "r",
            "--commit",
            "c",
            "--log",
            "file:///nonexistent/train.log",
        ],
    ],
)
def test_bad_values_are_one_error_and_exit_2(
    args: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TETHER_CONFIG", str(tmp_path / "config"))
    code, out, err = _run(args, capsys)
    assert code == 2, out + err
    assert "Traceback" not in err + out
    if "--json" in args:  # the same error as one JSON object
        assert json.loads(err)["error"]["message"], err
    else:
        assert err.startswith("error: "), err


def test_commands_that_need_a_login_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TETHER_CONFIG", str(tmp_path / "nobody"))
    code, _, err = _run(["project", "list"], capsys)
    assert code == 2
    assert "not logged in" in err and "tether login" in err


def test_a_server_that_is_not_there_is_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.common.server import free_port
    from tetherai.client.config import ClientConfig, save_config

    save_config(tmp_path, ClientConfig(server=f"http://127.0.0.1:{free_port()}", token="tth_x"))
    monkeypatch.setenv("TETHER_CONFIG", str(tmp_path))
    code, _, err = _run(["project", "list"], capsys)
    assert code == 3
    assert err.startswith("error: cannot reach")
    code, out, err = _run(["project", "list", "--json"], capsys)
    assert code == 3 and out == ""
    error = json.loads(err)["error"]
    assert error["code"] == "client.unreachable" and error["message"].startswith("cannot reach")


def test_version_alone_still_prints_tetherais_version(capsys: pytest.CaptureFixture[str]) -> None:
    from tetherai import __version__

    code, out, _ = _run(["version"], capsys)
    assert (code, out.strip()) == (0, __version__)


def test_the_installed_command_gives_one_line_and_exit_2() -> None:
    tether = Path(sys.executable).parent / "tether"
    done = subprocess.run(
        [str(tether), "verify", "--bogus"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ")
