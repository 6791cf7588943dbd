"""``tether rollback``: put an earlier approved version back into production."""

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
from tetherai.cli.version import ref_of


def rollback(
    version: Annotated[
        str, typer.Argument(help="The earlier version to restore, ORG/PROJECT/VERSION.")
    ],
    reason: Annotated[str, typer.Option(help="Why (required).")],
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Roll back production: the live version is rolled back, VERSION is live again.

    Example: tether rollback Org1/digits/v1 --reason "v2 misclassifies sevens"
    """
    project, name = ref_of(version)
    with open_client(config, passphrase_file) as client:
        answer = call(lambda: client.rollback(project, name, reason))
    show(
        answer,
        json_output,
        lambda a: console.print(f"[green]Rolled back[/]: {version} is live ({tx_line(a)})"),
    )
