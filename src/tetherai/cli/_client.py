"""What the CLI commands that talk to a server share: config, client, secrets, errors, output.

These commands are thin: parse, call one SDK method (``tetherai.client``), render. Errors are
one ``error:`` line (and a ``hint:``) and the exit code the error's class declares
(:func:`tetherai.errors.exit_code`; for an error relayed from the server, its status's).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from tetherai.cli._common import EXIT_USAGE, handle_errors, print_error, print_json
from tetherai.cli._common import (
    JsonOption as JsonOption,  # the commands that talk to a server import it from here
)
from tetherai.client.client import Client
from tetherai.client.config import KEY_FILE, ClientConfig, default_config_dir, load_config
from tetherai.client.objects import S3Access

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


def config_dir(option: Path | None) -> Path:
    return option.expanduser() if option is not None else default_config_dir()


def fail(
    message: str, hint: str = "", code: int = EXIT_USAGE, *, error_code: str = ""
) -> typer.Exit:
    """Report an error (lines, or JSON with ``--json``); return the exit to raise."""
    fallback = "cli.bad_input" if code == EXIT_USAGE else "cli.failure"
    print_error(message, hint, code=error_code or fallback)
    return typer.Exit(code)


def call(function: Callable[[], T]) -> T:
    """Run ``function``; a :class:`TetherError` becomes ``error:``/``hint:`` and its exit code."""
    with handle_errors(os.environ.get("TETHER_DEBUG") == "1"):
        return function()


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
