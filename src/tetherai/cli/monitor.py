"""``tether monitor``: report on a version in production (MLOps engineers)."""

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
from tetherai.cli.version import VersionArg, metrics_of, ref_of

app = typer.Typer(
    help="Monitoring of live versions.\n\n"
    "Example: tether monitor report Org1/digits/v1 --status active --metric accuracy=0.97",
    no_args_is_help=True,
)


@app.command()
def report(
    version: VersionArg,
    status: Annotated[
        str,
        typer.Option(
            help="active, degraded_accuracy, data_drift, bias_detected, outage, overfitting, "
            "underfitting, no_longer_used or other (with --other)."
        ),
    ],
    metric: Annotated[
        list[str] | None, typer.Option(help="A measured metric NAME=NUMBER (repeatable).")
    ] = None,
    note: Annotated[str, typer.Option(help="What was seen.")] = "",
    other: Annotated[str, typer.Option(help="What 'other' is (with --status other).")] = "",
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Record a monitoring report on a live version (in production or monitoring).

    Example: tether monitor report Org1/digits/v1 --status data_drift --metric accuracy=0.91 --note "new scanner since May"
    """
    project, name = ref_of(version)
    metrics = metrics_of(metric)
    with open_client(config, passphrase_file) as client:
        answer = call(
            lambda: client.monitor(
                project, name, status, metrics=metrics or None, note=note, other=other
            )
        )
    show(
        answer,
        json_output,
        lambda a: console.print(f"[green]Reported[/] {status} on {version} ({tx_line(a)})"),
    )
