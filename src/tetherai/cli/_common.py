"""What every ``tether`` command shares: the home option, output, errors and exit codes.

Exit codes scripts can rely on: 0 ok, 1 a verification found a difference, 2 bad usage or
input, 3 server, network, storage or permission error.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from platformdirs import user_data_dir
from rich.console import Console

from tetherai.errors import TetherError
from tetherai.ledger.errors import MalformedTx, TxRejected

EXIT_OK = 0
EXIT_DIFFERENCE = 1
EXIT_USAGE = 2
EXIT_FAILURE = 3

_INPUT_ERRORS = (MalformedTx, TxRejected)

console = Console()
err_console = Console(stderr=True, soft_wrap=True)

T = TypeVar("T")


def default_home() -> Path:
    env = os.environ.get("TETHER_HOME")
    return Path(env) if env else Path(user_data_dir("tetherai", appauthor=False))


HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="Network home directory (default: $TETHER_HOME, else the per-user data dir).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def resolve_home(home: Path | None) -> Path:
    return (home or default_home()).expanduser()


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")


@contextmanager
def handle_errors(debug: bool = False) -> Iterator[None]:
    """Turn a :class:`TetherError` into ``error:``/``hint:`` lines and an exit code."""
    try:
        yield
    except TetherError as error:
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {error.message}", highlight=False)
        if error.hint:
            err_console.print(f"[yellow]hint:[/] {error.hint}", highlight=False)
        code = (
            EXIT_USAGE
            if isinstance(error, _INPUT_ERRORS) or error.code.startswith("identity.")
            else EXIT_FAILURE
        )
        raise typer.Exit(code) from None


def run(function: Callable[[], T]) -> T:
    with handle_errors(os.environ.get("TETHER_DEBUG") == "1"):
        return function()
