"""``tether doctor``: check the ledger, the service database and the object store at once."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from tetherai.cli._common import (
    EXIT_DIFFERENCE,
    HomeOption,
    JsonOption,
    console,
    err_console,
    print_json,
    resolve_home,
    run,
)

_MARKS = {
    "ok": "[bold green]OK[/]",
    "problem": "[bold red]PROBLEM[/]",
    "not_checked": "[yellow]NOT CHECKED[/]",
}


def doctor(
    home: HomeOption = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="Service database (default: $TETHER_DATABASE_URL, else <home>/service.sqlite).",
        ),
    ] = None,
    artifacts: Annotated[
        bool,
        typer.Option(
            "--artifacts/--no-artifacts",
            help="Re-hash every registered artifact (objects from $TETHER_OBJECTS, TETHER_S3_*).",
        ),
    ] = True,
    json_output: JsonOption = False,
) -> None:
    """Replay the ledger, compare the service database with it, re-hash every artifact, and
    explain what was found. Exit 0 when nothing is wrong, 1 when something was changed.

    Example: tether doctor --home ~/.tetherai --no-artifacts
    """
    from tetherai.services.artifacts import StorageSettings, open_artifacts
    from tetherai.services.doctor import Diagnosis, diagnose
    from tetherai.services.home import NetworkHome
    from tetherai.services.network import open_ledger

    root = resolve_home(home)
    url = database_url or os.environ.get("TETHER_DATABASE_URL")
    if url is None and (root / "service.sqlite").exists():
        url = f"sqlite:///{root / 'service.sqlite'}"

    def go() -> Diagnosis:
        store, channel = open_ledger(NetworkHome(root))
        try:
            objects = (
                open_artifacts(StorageSettings.from_env(os.environ, home=root))
                if artifacts
                else None
            )
            say = None if json_output else (lambda step: err_console.print(f"… {step}"))
            return diagnose(store, channel, database_url=url, artifacts=objects, progress=say)
        finally:
            store.close()

    diagnosis = run(go)
    if json_output:
        print_json(diagnosis.to_json())
    else:
        for finding in diagnosis.findings:
            console.print(
                f"{_MARKS[finding.outcome]} {finding.check}: {finding.summary}",
                highlight=False,
                soft_wrap=True,
            )
            for line in finding.details:
                console.print(f"    {line}", highlight=False, soft_wrap=True)
            if finding.hint and finding.outcome != "ok":
                console.print(f"    hint: {finding.hint}", highlight=False, soft_wrap=True)
        if url is None:
            console.print(
                "[yellow]NOT CHECKED[/] projections: no service database here (pass --database-url)"
            )
    if not diagnosis.ok:
        raise typer.Exit(EXIT_DIFFERENCE)
