"""``tether deploy``: record that a reviewed version is served at an endpoint."""

from __future__ import annotations

from typing import Annotated

import typer

from tetherai.cli._client import (
    ConfigOption,
    JsonOption,
    PassphraseFileOption,
    call,
    open_client,
    show,
    tx_line,
)
from tetherai.cli._common import console
from tetherai.cli.version import VersionArg, ref_of


def deploy(
    version: VersionArg,
    endpoint: Annotated[str, typer.Option(help="Where the model is served.")],
    reason: Annotated[str, typer.Option(help="A note for the record.")] = "",
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Deploy a version that passed its review (MLOps engineers).

    Example: tether deploy Org1/digits/v1 --endpoint https://models.example/digits
    """
    project, name = ref_of(version)
    with open_client(config, passphrase_file) as client:
        answer = call(
            lambda: client.transition(
                project, name, "deployed", reason=reason, details={"endpoint": endpoint}
            )
        )
    show(
        answer,
        json_output,
        lambda a: console.print(f"[green]Deployed[/] {version} at {endpoint} ({tx_line(a)})"),
    )
