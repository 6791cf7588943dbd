"""``tether db``: the service database — migrate it, rebuild or check the ledger projections."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from tetherai.cli._common import (
    EXIT_DIFFERENCE,
    HomeOption,
    console,
    err_console,
    resolve_home,
    run,
)

if TYPE_CHECKING:
    from tetherai.ledger.sqlite_store import SqliteLedgerStore
    from tetherai.services.projections import ProjectionReport, Projector

app = typer.Typer(
    help="Service database: migrations and ledger projections.\n\nExample: tether db check",
    no_args_is_help=True,
)

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL (default: $TETHER_DATABASE_URL, else <home>/service.sqlite).",
    ),
]


def _url(home: HomeOption, url: str | None) -> str:
    root = resolve_home(home)
    return url or os.environ.get("TETHER_DATABASE_URL") or f"sqlite:///{root / 'service.sqlite'}"


@app.command()
def migrate(home: HomeOption = None, database_url: UrlOption = None) -> None:
    """Create the service database or upgrade it to the newest schema.

    Example: tether db migrate --database-url postgresql+psycopg://tether@db/tether
    """
    from tetherai.services.db import migrate as upgrade

    url = _url(home, database_url)
    run(lambda: upgrade(url))
    console.print("service database is up to date")


def _projector(home: HomeOption, database_url: str | None) -> tuple[Projector, SqliteLedgerStore]:
    from tetherai.services.db import make_engine, make_session_factory, migrate
    from tetherai.services.home import NetworkHome
    from tetherai.services.network import open_ledger
    from tetherai.services.projections import Projector

    url = _url(home, database_url)
    migrate(url)
    store, channel = open_ledger(NetworkHome(resolve_home(home)))
    return Projector(make_session_factory(make_engine(url)), store, channel), store


@app.command()
def rebuild(home: HomeOption = None, database_url: UrlOption = None) -> None:
    """Throw the ledger projections away and rebuild them from block 0.

    Example: tether db rebuild --home ~/.tetherai
    """

    def go() -> int:
        projector, store = _projector(home, database_url)
        try:
            return int(projector.rebuild())
        finally:
            store.close()

    blocks = run(go)
    console.print(f"rebuilt the projections from {blocks} blocks")


@app.command()
def check(home: HomeOption = None, database_url: UrlOption = None) -> None:
    """Compare the projections with the ledger; exit 1 naming each difference.

    Example: tether db check --home ~/.tetherai
    """

    def go() -> ProjectionReport:
        projector, store = _projector(home, database_url)
        try:
            return projector.check()
        finally:
            store.close()

    report = run(go)
    if report.ok:
        console.print("projections match the ledger")
        return
    for problem in [*([report.behind] if report.behind else []), *report.problems]:
        err_console.print(f"[red]difference:[/] {problem}", highlight=False)
    err_console.print("hint: run 'tether db rebuild' to rebuild them from the ledger")
    raise typer.Exit(EXIT_DIFFERENCE)
