"""``tether login`` and ``tether whoami``: which server you talk to, and as whom."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated, Any

import typer

from tetherai.cli._client import (
    ConfigOption,
    JsonOption,
    call,
    config_dir,
    fail,
    open_client,
    read_secret,
    show,
)
from tetherai.cli._common import console
from tetherai.client.accounts import create_api_token
from tetherai.client.client import Client
from tetherai.client.config import ClientConfig, load_config, save_config
from tetherai.client.errors import ConfigError


def login(
    server: Annotated[str, typer.Argument(help="The server's URL, e.g. http://127.0.0.1:8000.")],
    token_file: Annotated[
        Path | None,
        typer.Option("--token-file", help="File holding an API token (tth_…) made on the web."),
    ] = None,
    username: Annotated[
        str | None,
        typer.Option("--username", help="Sign in as this person and make an API token for you."),
    ] = None,
    password_file: Annotated[
        Path | None,
        typer.Option("--password-file", help="File holding your password (default: a prompt)."),
    ] = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Log in to a server: store its URL and your API token (mode 0600).

    Give an API token ($TETHER_TOKEN or --token-file), or --username to sign in once with your password (--password-file, $TETHER_PASSWORD or a prompt) and have a token made.

    Example: tether login http://127.0.0.1:8000 --username alice
    """
    if not server.startswith(("http://", "https://")):
        raise fail(f"{server!r} is not a server URL", "write it as http(s)://HOST[:PORT]")
    directory = config_dir(config)
    if username is not None:
        password = read_secret(
            password_file,
            "TETHER_PASSWORD",
            f"Password of {username}",
            what="password",
            option="--password-file",
        ).decode()
        token, _ = call(
            lambda: create_api_token(
                server, username, password, name=f"tether CLI on {socket.gethostname()}"[:100]
            )
        )
    else:
        token = read_secret(
            token_file, "TETHER_TOKEN", "API token", what="API token", option="--token-file"
        ).decode()
    with Client(server, token) as client:
        me: dict[str, Any] = call(client.whoami)
    previous = _previous(directory)
    same = previous is not None and (previous.server, previous.username) == (
        server.rstrip("/"),
        me["username"],
    )
    settings = ClientConfig(
        server=server.rstrip("/"),
        token=token,
        username=str(me["username"]),
        org=str(me["org"]),
        role=str(me["role"]),
        cert_sha256=previous.cert_sha256 if same and previous is not None else "",
    )
    path = save_config(directory, settings)
    show(
        settings.public_json() | {"config": str(path)},
        json_output,
        lambda s: console.print(
            f"[green]Logged in[/] to {s['server']} as {s['org']}/{s['username']} ({s['role']}); "
            f"config in {path}"
        ),
    )


def _previous(directory: Path) -> ClientConfig | None:
    try:
        return load_config(directory)
    except ConfigError:
        return None


def whoami(config: ConfigOption = None, json_output: JsonOption = False) -> None:
    """Who the server says you are, and whether you have a key to sign with.

    Example: tether whoami --json
    """
    with open_client(config) as client:
        me: dict[str, Any] = call(client.whoami)
        found = me | {"server": client.http.server, "signing_key": bool(client.cert_sha256)}
    show(
        found,
        json_output,
        lambda m: console.print(
            f"{m['org']}/{m['username']} ({m['role']}) at {m['server']}; "
            + ("key registered" if m["signing_key"] else "no key registered yet")
        ),
    )
