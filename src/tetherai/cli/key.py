"""``tether key``: your own signing key, made here; its private part never leaves this machine."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated, Any

import typer

from tetherai.cli._client import (
    ConfigOption,
    JsonOption,
    PassphraseFileOption,
    call,
    config_dir,
    fail,
    read_secret,
    show,
)
from tetherai.cli._common import console
from tetherai.client.accounts import register_public_key
from tetherai.client.config import KEY_FILE, load_config, save_config
from tetherai.client.errors import ConfigError
from tetherai.crypto.signature import (
    Algorithm,
    algorithm_of,
    generate_private_key,
    public_key_fingerprint,
    public_key_to_pem,
)

app = typer.Typer(
    help="Your signing key: create it here, register its public part.\n\n"
    "Example: tether key create && tether key register --name laptop"
)


def _passphrase(file: Path | None) -> bytes:
    return read_secret(
        file,
        "TETHER_PASSPHRASE",
        "Passphrase for your key",
        what="passphrase for your key",
        option="--passphrase-file",
    )


def _public(directory: Path, passphrase: bytes) -> dict[str, Any]:
    from tetherai.identity.keys import load_private_key

    key = call(lambda: load_private_key(directory / KEY_FILE, passphrase))
    public = key.public_key()
    return {
        "path": str(directory / KEY_FILE),
        "algorithm": algorithm_of(key).value,
        "fingerprint": public_key_fingerprint(public),
        "public_key_pem": public_key_to_pem(public).decode(),
    }


@app.command()
def create(
    algorithm: Annotated[Algorithm, typer.Option(help="Key algorithm.")] = Algorithm.ED25519,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing key (the old one is lost).")
    ] = False,
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Make a private key here, encrypted with your passphrase (mode 0600).

    Example: tether key create --passphrase-file ~/.tether-passphrase
    """
    from tetherai.identity.keys import write_private_key

    directory = config_dir(config)
    secret = _passphrase(passphrase_file)
    key = generate_private_key(algorithm)
    call(lambda: write_private_key(directory / KEY_FILE, key, secret, overwrite=force))
    found = _public(directory, secret)
    show(
        found,
        json_output,
        lambda k: console.print(
            f"[green]Created[/] {k['algorithm']} key {k['fingerprint']} in {k['path']}\n"
            "next: tether key register"
        ),
    )


@app.command()
def register(
    name: Annotated[str, typer.Option(help="A name for this key (e.g. the machine).")] = "",
    password_file: Annotated[
        Path | None,
        typer.Option("--password-file", help="File holding your password (default: a prompt)."),
    ] = None,
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Register your key's public part: the org CA certifies it and you enrol it on the ledger.

    Needs your password once (--password-file, $TETHER_PASSWORD or a prompt): the enrolment is a tx signed with your web key. Only the public key is sent.

    Example: tether key register --name laptop
    """
    directory = config_dir(config)
    settings = call(lambda: load_config(directory))
    if not settings.username:
        raise fail("the config names no user", "run 'tether login' first")
    public = _public(directory, _passphrase(passphrase_file))
    password = read_secret(
        password_file,
        "TETHER_PASSWORD",
        f"Password of {settings.username}",
        what="password",
        option="--password-file",
    ).decode()
    answer = call(
        lambda: register_public_key(
            settings.server,
            settings.username,
            password,
            public_key_pem=str(public["public_key_pem"]),
            name=name or socket.gethostname()[:100] or "cli",
        )
    )
    save_config(directory, settings.with_changes(cert_sha256=str(answer["cert_sha256"])))
    found = {
        "name": answer["name"],
        "cert_sha256": answer["cert_sha256"],
        "enrolled_tx": answer["enrolled_tx"],
        "fingerprint": public["fingerprint"],
    }
    show(
        found,
        json_output,
        lambda k: console.print(
            f"[green]Registered[/] key {k['fingerprint']}: certificate {k['cert_sha256']}, "
            f"enrolled by tx {k['enrolled_tx']}"
        ),
    )


@app.command(name="show")
def show_key(
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Your key's public part, fingerprint and certificate digest.

    Example: tether key show --json
    """
    directory = config_dir(config)
    found = _public(directory, _passphrase(passphrase_file))
    try:
        found["cert_sha256"] = load_config(directory).cert_sha256 or None
    except ConfigError:  # no config yet: a key may exist before login
        found["cert_sha256"] = None
    show(
        found,
        json_output,
        lambda k: console.print(
            f"{k['algorithm']} key {k['fingerprint']} ({k['path']})\n"
            f"certificate: {k['cert_sha256'] or 'not registered'}\n{k['public_key_pem']}"
        ),
    )
