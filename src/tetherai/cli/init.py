"""``tether init``: create a network home (org CA, admin participant, node keys, genesis)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from tetherai.cli._common import (
    EXIT_USAGE,
    HomeOption,
    JsonOption,
    console,
    print_error,
    print_json,
    resolve_home,
    run,
)
from tetherai.crypto.signature import Algorithm

__all__ = ["PassphraseOption", "init", "read_passphrase"]


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
            "pass --passphrase-file FILE or set TETHER_PASSPHRASE",
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
    from tetherai.services.home import NetworkHome
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
