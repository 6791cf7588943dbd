"""What the CLI commands that talk to a server share: config, client, secrets, errors, output.

These commands are thin: parse, call one SDK method (``tetherai.client``), render. Errors are
one ``error:`` line (and a ``hint:``) and an exit code: 2 for bad usage or input, 3 for the
server, network or permissions, 1 only for a verification that found a difference.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from tetherai.cli._common import EXIT_FAILURE, EXIT_USAGE, err_console, print_json
from tetherai.client.client import Client
from tetherai.client.config import KEY_FILE, ClientConfig, default_config_dir, load_config
from tetherai.client.errors import ClientError, ServerError
from tetherai.client.objects import S3Access
from tetherai.errors import TetherError
from tetherai.storage.errors import BadInput, BucketNotFound, ObjectNotFound

T = TypeVar("T")

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Client config directory (default: $TETHER_CONFIG, else the per-user config dir).",
        show_default=False,
    ),
]
PassphraseFileOption = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file",
        help="File holding the passphrase of your key (default: $TETHER_PASSPHRASE, or a prompt).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def config_dir(option: Path | None) -> Path:
    return option.expanduser() if option is not None else default_config_dir()


def fail(message: str, hint: str = "", code: int = EXIT_USAGE) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    if hint:
        err_console.print(f"[yellow]hint:[/] {hint}", highlight=False)
    return typer.Exit(code)


def exit_code(error: TetherError) -> int:
    """2 when the caller's input is wrong, 3 when the server, network or permissions are.

    A URI or path that names nothing (no such object, key or bucket) is the caller's input; a
    store that refuses the credentials or cannot be reached is a permission or server error.
    """
    if isinstance(error, ServerError):
        return EXIT_USAGE if error.is_input_error else EXIT_FAILURE
    if isinstance(error, ClientError | BadInput | ObjectNotFound | BucketNotFound):
        return EXIT_USAGE
    # A contract's bad_argument raised here, before any tx (the abbreviated-commit check), and
    # a training log that cannot be read are the caller's input too.
    if (
        error.code.startswith(("identity.", "experiments."))
        or error.code == "contract.bad_argument"
    ):
        return EXIT_USAGE
    return EXIT_FAILURE


def call(function: Callable[[], T]) -> T:
    """Run ``function``; a :class:`TetherError` becomes ``error:``/``hint:`` and an exit code."""
    try:
        return function()
    except TetherError as error:
        if os.environ.get("TETHER_DEBUG") == "1":
            raise
        tx_id = error.details.get("tx_id") if isinstance(error, ServerError) else None
        hint = error.hint + (f" (refused tx {tx_id} is on the ledger)" if tx_id else "")
        raise fail(error.message, hint.strip(), exit_code(error)) from None


def read_secret(file: Path | None, env: str, prompt: str, *, what: str, option: str) -> bytes:
    """A secret from a file, the environment, or a prompt on a terminal (never an argument)."""
    if file is not None:
        try:
            value = file.read_bytes().rstrip(b"\r\n")
        except OSError as error:
            raise fail(f"cannot read {file}: {error.strerror}") from None
    elif os.environ.get(env):
        value = os.environ[env].encode()
    elif sys.stdin.isatty():
        value = typer.prompt(prompt, hide_input=True).encode()
    else:
        raise fail(f"no {what} given", f"pass {option} FILE or set {env}")
    if not value:
        raise fail(f"the {what} is empty")
    return value


def open_client(config: Path | None, passphrase_file: Path | None = None) -> Client:
    """The configured client; the key is decrypted only when a tx is signed, the S3
    credentials (``TETHER_S3_*`` or ``AWS_*``) read only when an ``s3://`` object is."""
    directory = config_dir(config)
    settings: ClientConfig = call(lambda: load_config(directory))

    def load_key() -> Any:
        from tetherai.identity.keys import load_private_key

        secret = read_secret(
            passphrase_file,
            "TETHER_PASSPHRASE",
            "Passphrase of your key",
            what="passphrase for your key",
            option="--passphrase-file",
        )
        return load_private_key(directory / KEY_FILE, secret)

    return Client.from_settings(
        settings, signing_key=load_key, s3=lambda: S3Access.from_env(os.environ)
    )


def show(value: Any, json_output: bool, render: Callable[[Any], None]) -> None:
    if json_output:
        print_json(value)
    else:
        render(value)


def tx_line(answer: dict[str, Any]) -> str:
    return f"tx {answer.get('tx_id')}"


def run_app(app: typer.Typer, args: Sequence[str] | None = None) -> None:
    """Run the CLI; a usage error is one ``error:`` line and exit code 2 (no box, no traceback)."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="tether", standalone_mode=False)
    except typer.Abort:
        err_console.print("[bold red]error:[/] aborted")
        sys.exit(EXIT_USAGE)
    except Exception as error:
        # Typer vendors click: its ClickException/UsageError are known by their shape here.
        message = getattr(error, "format_message", None)
        exit_code = getattr(error, "exit_code", None)
        if message is None or not isinstance(exit_code, int):
            raise
        context = getattr(error, "ctx", None)
        where = getattr(context, "command_path", "") or "tether"
        text = " ".join(str(message()).split())
        if not text:  # a group called alone has shown its help already
            sys.exit(exit_code)
        err_console.print(
            f"[bold red]error:[/] {text} (see '{where} --help')", highlight=False, soft_wrap=True
        )
        sys.exit(exit_code)
    sys.exit(code if isinstance(code, int) else 0)
