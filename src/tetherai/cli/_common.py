"""What every ``tether`` command shares: the home option, output, errors and exit codes.

Exit codes scripts can rely on: 0 ok, 1 a verification found a difference, 2 bad usage or
input, 3 server, network, storage or permission error, 4 an audit bundle verified only against
the keys and CA roots it carries itself (no ``--trust`` pinned them). An error's exit code is
the one its class declares (:func:`tetherai.errors.exit_code`); this module only prints it.

Errors go to stderr: ``error:``/``hint:`` lines, or with ``--json`` one JSON object
``{"error": {"code", "message", "hint", "details"}}`` (the API's error shape), with the same
exit codes.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from platformdirs import user_data_dir
from rich.console import Console
from rich.markup import escape

from tetherai.errors import (
    EXIT_DIFFERENCE,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    TetherError,
    exit_code,
)
from tetherai.extras import missing_extra

EXIT_UNPINNED = 4
"""``tether audit verify|report``: verified, but only against the bundle's own roots."""

__all__ = [
    "EXIT_DIFFERENCE",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_UNPINNED",
    "EXIT_USAGE",
    "HomeOption",
    "JsonOption",
    "console",
    "default_home",
    "err_console",
    "exit_code",
    "handle_errors",
    "json_errors",
    "print_error",
    "print_json",
    "resolve_home",
    "run",
    "run_app",
]

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


def resolve_home(home: Path | None) -> Path:
    return (home or default_home()).expanduser()


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")


def print_error(
    message: str,
    hint: str = "",
    *,
    code: str = "cli.error",
    details: dict[str, Any] | None = None,
    as_json: bool | None = None,
) -> None:
    """One error on stderr: the ``error:`` line and, when there is one, the ``hint:`` line
    (as text: brackets in them, ``tetherai[server]`` or a server's message, are not markup);
    with ``--json`` (``as_json`` decides when given) the JSON error object instead."""
    if _json_errors.get() if as_json is None else as_json:
        body = {"code": code, "message": message, "hint": hint or None, "details": details or {}}
        sys.stderr.write(json.dumps({"error": body}, sort_keys=True, default=str) + "\n")
        return
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    if hint:
        err_console.print(f"[yellow]hint:[/] {escape(hint)}", highlight=False)


@contextmanager
def handle_errors(debug: bool = False) -> Iterator[None]:
    """Turn a :class:`TetherError` into ``error:``/``hint:`` lines and its exit code."""
    try:
        yield
    except TetherError as error:
        if debug:
            raise
        tx_id = error.details.get("tx_id") if error.details.get("recorded") else None
        hint = error.hint + (f" (refused tx {tx_id} is on the ledger)" if tx_id else "")
        print_error(error.message, hint.strip(), code=error.code, details=error.details)
        raise typer.Exit(exit_code(error)) from None


def run(function: Callable[[], T]) -> T:
    with handle_errors(os.environ.get("TETHER_DEBUG") == "1"):
        return function()


def run_app(app: typer.Typer, args: Sequence[str] | None = None) -> None:
    """Run the CLI; a usage error is one ``error:`` line (a JSON error object with
    ``--json``) and exit code 2 (no box, no traceback)."""
    argv = list(sys.argv[1:] if args is None else args)
    as_json = "--json" in argv
    json_errors(as_json)
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="tether", standalone_mode=False)
    except TetherError as error:  # raised while loading a command (a missing extra)
        print_error(error.message, error.hint, code=error.code, as_json=as_json)
        sys.exit(exit_code(error))
    except ModuleNotFoundError as error:
        missing = missing_extra(error, "this command")
        if missing is None:
            raise
        print_error(missing.message, missing.hint, code=missing.code, as_json=as_json)
        sys.exit(missing.exit_code)
    except typer.Abort:
        print_error("aborted", code="cli.aborted", as_json=as_json)
        sys.exit(EXIT_USAGE)
    except Exception as error:
        # Typer vendors click: its ClickException/UsageError are known by their shape here.
        message = getattr(error, "format_message", None)
        status = getattr(error, "exit_code", None)
        if message is None or not isinstance(status, int):
            raise
        context = getattr(error, "ctx", None)
        where = getattr(context, "command_path", "") or "tether"
        text = " ".join(str(message()).split())
        if not text:  # a group called alone has shown its help already
            sys.exit(status)
        print_error(  # one line for people; the JSON object names the help too
            f"{text} (see '{where} --help')",
            f"see '{where} --help'" if as_json else "",
            code="cli.usage",
            as_json=as_json,
        )
        sys.exit(status)
    sys.exit(code if isinstance(code, int) else 0)
