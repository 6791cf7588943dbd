"""What every ``tether`` command shares: the home option, output, errors and exit codes.

Exit codes scripts can rely on: 0 ok, 1 a verification found a difference, 2 bad usage or
input, 3 server, network, storage or permission error, 4 an audit bundle verified only against
the keys and CA roots it carries itself (no ``--trust`` pinned them).

Errors go to stderr: ``error:``/``hint:`` lines, or with ``--json`` one JSON object
``{"error": {"code", "message", "hint", "details"}}`` (the API's error shape), with the same
exit codes.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from platformdirs import user_data_dir
from rich.console import Console
from rich.markup import escape

from tetherai.errors import TetherError
from tetherai.ledger.errors import MalformedTx, TxRejected

EXIT_OK = 0
EXIT_DIFFERENCE = 1
EXIT_USAGE = 2
EXIT_FAILURE = 3
EXIT_UNPINNED = 4

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
_json_errors: ContextVar[bool] = ContextVar("tether_json_errors", default=False)


def json_errors(on: bool) -> None:
    """Report errors as JSON (``--json``) or as lines for people, from here on."""
    _json_errors.set(on)


def _json_option(value: bool) -> bool:
    if value:
        json_errors(True)  # eager: set before the command's other arguments are read
    return value


JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print JSON for scripts (errors too: a JSON error object on stderr).",
        callback=_json_option,
        is_eager=True,
    ),
]


def print_error(
    message: str,
    *,
    hint: str = "",
    code: str = "cli.error",
    details: dict[str, Any] | None = None,
    as_json: bool | None = None,
) -> None:
    """One error on stderr: ``error:``/``hint:`` lines, or the JSON error object with
    ``--json`` (``as_json`` decides when given)."""
    if _json_errors.get() if as_json is None else as_json:
        body = {"code": code, "message": message, "hint": hint or None, "details": details or {}}
        sys.stderr.write(json.dumps({"error": body}, sort_keys=True, default=str) + "\n")
        return
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    if hint:
        err_console.print(f"[yellow]hint:[/] {escape(hint)}", highlight=False)


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
        print_error(error.message, hint=error.hint, code=error.code, details=error.details)
        code = (
            EXIT_USAGE
            if isinstance(error, _INPUT_ERRORS) or error.code.startswith("identity.")
            else EXIT_FAILURE
        )
        raise typer.Exit(code) from None


def run(function: Callable[[], T]) -> T:
    with handle_errors(os.environ.get("TETHER_DEBUG") == "1"):
        return function()
