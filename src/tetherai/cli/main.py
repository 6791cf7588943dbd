"""The ``tether`` command (Typer + Rich). Thin: parse, call one service, render."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from tetherai.cli._client import run_app
from tetherai.cli._common import (
    EXIT_USAGE,
    HomeOption,
    JsonOption,
    console,
    json_errors,
    print_error,
    print_json,
    resolve_home,
    run,
)
from tetherai.cli.admin import app as admin_app
from tetherai.cli.audit import app as audit_app
from tetherai.cli.db import app as db_app
from tetherai.cli.doctor import doctor as doctor_command
from tetherai.cli.ledger import app as ledger_app
from tetherai.cli.lifecycle import register as register_lifecycle
from tetherai.cli.network import app as network_app
from tetherai.cli.objects import app as objects_app
from tetherai.cli.serve import serve as serve_command
from tetherai.crypto.signature import Algorithm
from tetherai.services.home import NetworkHome

app = typer.Typer(
    name="tether",
    help="tetherai: tether the life cycle of AI models to a tamper-evident ledger.\n\n"
    "Example: tether version show Org1/digits/v1 --json",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _start() -> None:
    """Each command starts reporting errors as lines; its ``--json`` switches them to JSON."""
    json_errors(False)


app.add_typer(ledger_app, name="ledger")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(network_app, name="network")
app.add_typer(admin_app, name="admin")
app.add_typer(objects_app, name="objects")
app.command(name="serve")(serve_command)
app.command(name="doctor")(doctor_command)


def read_passphrase(passphrase_file: Path | None, *, confirm: bool) -> bytes:
    """The passphrase that protects private keys: a file, $TETHER_PASSPHRASE, or a prompt."""
    if passphrase_file is not None:
        try:
            value = passphrase_file.read_bytes().rstrip(b"\r\n")
        except OSError as error:
            print_error(f"cannot read the passphrase file: {error.strerror}", code="cli.bad_input")
            raise typer.Exit(EXIT_USAGE) from None
    elif "TETHER_PASSPHRASE" in os.environ:
        value = os.environ["TETHER_PASSPHRASE"].encode()
    elif sys.stdin.isatty():
        value = typer.prompt(
            "Passphrase for the private keys", hide_input=True, confirmation_prompt=confirm
        ).encode()
    else:
        print_error(
            "no passphrase given",
            hint="pass --passphrase-file FILE or set TETHER_PASSPHRASE",
            code="cli.bad_input",
        )
        raise typer.Exit(EXIT_USAGE)
    if not value:
        print_error("the passphrase is empty", code="cli.bad_input")
        raise typer.Exit(EXIT_USAGE)
    return value


PassphraseOption = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file", help="File holding the passphrase that encrypts private keys."
    ),
]


@app.command()
def init(
    home: HomeOption = None,
    org: Annotated[str, typer.Option(help="Your organization's id.")] = "Org1",
    admin: Annotated[
        str, typer.Option(help="Id of the org admin participant to create.")
    ] = "admin",
    channel: Annotated[str, typer.Option(help="Name of the first channel.")] = "main",
    algorithm: Annotated[
        Algorithm, typer.Option(help="Key algorithm of the CA and the admin.")
    ] = Algorithm.ECDSA_P256,
    passphrase_file: PassphraseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create a network home: org CA, an admin participant, node keys and the genesis block.

    Example: tether init --home ~/.tetherai --org Org1 --admin admin --passphrase-file pass.txt
    """
    from tetherai.services.network import init_network

    root = resolve_home(home)
    passphrase = read_passphrase(passphrase_file, confirm=True)
    info = run(
        lambda: init_network(
            NetworkHome(root),
            org=org,
            admin_id=admin,
            channel=channel,
            passphrase=passphrase,
            now_ms=time.time_ns() // 1_000_000,
            algorithm=algorithm,
        )
    )
    if json_output:
        print_json(info | {"home": str(root)})
        return
    console.print(f"[green]Created[/] network home {root}")
    console.print(f"  org {info['org']}, admin {info['admin']}, channel {info['channel']}")
    console.print(f"  genesis block {info['genesis_hash']}")


register_lifecycle(app)  # login, key, project, version (also prints tetherai's), verify, …


def main() -> None:
    run_app(app)


if __name__ == "__main__":
    main()
