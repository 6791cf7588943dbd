"""``tether admin``: server administration on a node (run where the network home is).

``create-user`` makes the first web login of a network made with ``tether init``: a web
account bound to a participant of the home (by default the org admin ``tether init`` made),
whose own key the server keeps sealed under the account's password. Everyone after that is
invited from the web pages (Admin → Invite) and makes their own key when they accept.
"""

from __future__ import annotations

import os
import sys
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
from tetherai.identity.roles import Role

app = typer.Typer(
    help="Server administration on a node: web accounts for the home's participants.\n\n"
    "Example: tether admin create-user --home ~/.tetherai --password-file admin-password.txt",
    no_args_is_help=True,
)


def _password(password_file: Path | None) -> str:
    """The new account's password: from a file, else asked twice on a terminal."""
    if password_file is not None:
        try:
            value = password_file.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
            print_error(f"cannot read {password_file}: {reason}", code="cli.bad_input")
            raise typer.Exit(EXIT_USAGE) from None
    elif sys.stdin.isatty():
        value = typer.prompt(
            "Password of the web account", hide_input=True, confirmation_prompt=True
        )
    else:
        print_error(
            "no password given for the web account",
            hint="pass --password-file FILE (or run it on a terminal to be asked)",
            code="cli.bad_input",
        )
        raise typer.Exit(EXIT_USAGE)
    if not value:
        print_error("the password is empty", code="cli.bad_input")
        raise typer.Exit(EXIT_USAGE)
    return value


@app.command("create-user")
def create_user(
    participant: Annotated[
        str | None,
        typer.Option(
            "--participant",
            help="The participant of this home the account signs as (default: the org admin "
            "'tether init' made).",
        ),
    ] = None,
    role: Annotated[
        Role | None,
        typer.Option("--role", help="Check that the participant has this role (e.g. org_admin)."),
    ] = None,
    display_name: Annotated[str | None, typer.Option("--display-name")] = None,
    password_file: Annotated[
        Path | None,
        typer.Option("--password-file", help="File holding the web account's password."),
    ] = None,
    passphrase_file: Annotated[
        Path | None,
        typer.Option(
            "--passphrase-file",
            help="File holding the home's passphrase (default: $TETHER_PASSPHRASE, or a prompt).",
        ),
    ] = None,
    home: HomeOption = None,
    json_output: JsonOption = False,
) -> None:
    """Make a web login for a participant of this network home (the first org admin).

    The account signs with the participant's own key, sealed under its password; the server
    secret is made if missing. Then 'tether serve' and sign in at /signin.

    Example: tether admin create-user --home ~/.tetherai --role org_admin --password-file pw.txt
    """
    from tetherai.cli.init import read_passphrase
    from tetherai.services.enrolment import account_services, web_account_of_home
    from tetherai.services.home import NetworkHome

    root = resolve_home(home)
    network = NetworkHome(root)
    who = participant or run(lambda: network.config()["admin"])
    passphrase = read_passphrase(passphrase_file, confirm=False)
    password = _password(password_file)
    env = dict(os.environ) | {"TETHER_PASSPHRASE": passphrase.decode()}

    def create() -> dict[str, str]:
        with account_services(network, env) as (auth, custody):
            user = web_account_of_home(
                auth,
                custody,
                network,
                passphrase=passphrase,
                participant_id=who,
                password=password,
                role=role,
                display_name=display_name,
            )
        return {"username": user.username, "org": user.org, "role": user.role.value}

    made = run(create)
    if json_output:
        print_json(made)
        return
    console.print(
        f"[green]Created[/] the web account [bold]{made['username']}[/] ({made['role']} of "
        f"{made['org']}); it signs with {who}'s own key.",
        soft_wrap=True,
    )
    console.print(
        f"Start the server (tether serve --home {root}) and sign in at /signin as "
        f"{made['username']}.",
        soft_wrap=True,
        highlight=False,
    )
