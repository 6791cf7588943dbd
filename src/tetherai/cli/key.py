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
    open_client,
    read_secret,
    show,
    tx_line,
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
    help="Your signing keys: create one here, register its public part, list and revoke them.\n\n"
    "Example: tether key create && tether key register --name laptop && tether key list"
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

    Needs your password once (--password-file, $TETHER_PASSWORD or a prompt): the enrolment is a tx signed with your web key. The key signs a proof that you hold it; only the public key and that proof are sent. Your other keys (web, other machines) keep working.

    Example: tether key register --name laptop
    """
    from tetherai.identity.keys import load_private_key

    directory = config_dir(config)
    settings = call(lambda: load_config(directory))
    if not settings.username:
        raise fail("the config names no user", "run 'tether login' first")
    secret = _passphrase(passphrase_file)
    public = _public(directory, secret)
    private_key = call(lambda: load_private_key(directory / KEY_FILE, secret))
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
            private_key=private_key,
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


@app.command(name="list")
def list_keys(config: ConfigOption = None, json_output: JsonOption = False) -> None:
    """Every key enrolled for you on the ledger: your web key and each CLI/SDK key, active or
    revoked (and why); '*' marks the key of this config.

    Example: tether key list --json
    """
    directory = config_dir(config)
    mine = call(lambda: load_config(directory)).cert_sha256
    with open_client(config) as client:
        found = call(client.keys)

    def render(keys: list[dict[str, Any]]) -> None:
        if not keys:
            console.print("no keys enrolled for you yet")
        for key in keys:
            state = f"revoked: {key['revoked']['reason']}" if key["revoked"] else "active"
            here = "*" if key["cert_sha256"] == mine else " "
            label = key["name"] if key["kind"] == "cli" else key["kind"]
            console.print(
                f"{here} {key['cert_sha256'][:16]}  {label:<16} {key['algorithm']:<10} {state}",
                highlight=False,
            )

    show(found, json_output, render)


@app.command()
def revoke(
    cert_sha256: Annotated[
        str, typer.Argument(help="The key's certificate digest (tether key list).")
    ],
    reason: Annotated[
        str, typer.Option(help="Why (recorded on the ledger).")
    ] = "revoked by its holder",
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Revoke one of your keys (e.g. a lost laptop's): a tx signed here with this config's key.
    Your other keys keep working; your last key cannot be revoked, and your web key is
    replaced by a password reset instead.

    Example: tether key revoke 3f2a… --reason "laptop lost"
    """
    directory = config_dir(config)
    settings = call(lambda: load_config(directory))
    with open_client(config, passphrase_file) as client:
        known = {key["cert_sha256"]: key for key in call(client.keys)}
        key = known.get(cert_sha256) or next(
            (
                k
                for sha, k in known.items()
                if len(cert_sha256) >= 8 and sha.startswith(cert_sha256)
            ),
            None,
        )
        if key is None:
            raise fail(f"you have no key {cert_sha256}", "see tether key list")
        if key["kind"] == "web":
            raise fail(
                "that is your web key: the server replaces it when your password is reset",
                "ask your org admin for a password reset if it may be compromised",
            )
        answer = call(lambda: client.revoke_key(key["cert_sha256"], reason))
    if key["cert_sha256"] == settings.cert_sha256:
        save_config(directory, settings.with_changes(cert_sha256=""))
    show(
        answer | {"revoked": key["cert_sha256"]},
        json_output,
        lambda a: console.print(f"[green]Revoked[/] {a['revoked'][:16]}: {tx_line(a)}"),
    )
