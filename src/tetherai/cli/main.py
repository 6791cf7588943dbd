"""The ``tether`` command (Typer + Rich). Thin: parse, call one service, render.

Each command's module is imported only when that command runs: ``tether --help`` lists them from
:data:`COMMANDS` (name, module, one-line help) without loading any, so neither the help nor a
client command pays for the server's dependencies (FastAPI, SQLAlchemy, boto3, WeasyPrint).
``tests/unit/cli/test_cli_usage.py`` checks each line of the table against its command's help.
"""

from __future__ import annotations

import difflib
import importlib
from typing import Any, NamedTuple

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup

from tetherai.cli._common import json_errors, run_app

__all__ = ["COMMANDS", "LazyGroup", "app", "load_command", "main"]


class Entry(NamedTuple):
    """Where a command lives: ``module.attribute`` is a function or a ``typer.Typer``."""

    module: str
    attribute: str
    help: str


_CLI = "tetherai.cli."
COMMANDS: dict[str, Entry] = {
    # The network home and the server (server-side, local files).
    "init": Entry(
        _CLI + "init",
        "init",
        "Create a network home: org CA, an admin participant, node keys and the genesis block.",
    ),
    "serve": Entry(
        _CLI + "serve", "serve", "Run the web pages and the REST API for this network home."
    ),
    "doctor": Entry(
        _CLI + "doctor",
        "doctor",
        "Replay the ledger, compare the service database with it, re-hash every artifact, and "
        "explain what was found. Exit 0 when nothing is wrong, 1 when something was changed.",
    ),
    "ledger": Entry(_CLI + "ledger", "app", "Inspect, prove and verify the ledger."),
    "db": Entry(_CLI + "db", "app", "Service database: migrations and ledger projections."),
    "audit": Entry(_CLI + "audit", "app", "Audit bundles anyone can verify offline, and reports."),
    "network": Entry(
        _CLI + "network", "app", "Cluster mode: several orgs' peers, ordering on an etcd cluster."
    ),
    "admin": Entry(
        _CLI + "admin",
        "app",
        "Server administration on a node: web accounts for the home's participants.",
    ),
    "objects": Entry(
        _CLI + "objects", "app", "The server's object store, on the node: repair a damaged object."
    ),
    # The people who train and ship models: a server, your API token, your own key.
    "login": Entry(
        _CLI + "login", "login", "Log in to a server: store its URL and your API token (mode 0600)."
    ),
    "whoami": Entry(
        _CLI + "login",
        "whoami",
        "Who the server says you are, and whether you have a key to sign with.",
    ),
    "key": Entry(
        _CLI + "key",
        "app",
        "Your signing keys: create one here, register its public part, list and revoke them.",
    ),
    "project": Entry(
        _CLI + "project", "app", "Projects: create, list, show, members, policy, factsheet."
    ),
    "version": Entry(
        _CLI + "version",
        "app",
        "Model versions: create, submit, show, history, list, move. Alone: print tetherai's "
        "version.",
    ),
    "verify": Entry(
        _CLI + "verify",
        "verify",
        "Recompute a version's digests and record the verification (exit 1 on a mismatch).",
    ),
    "review": Entry(
        _CLI + "review",
        "app",
        "Reviews: start, comment, rate, vote, attach documents, pass, fail, show.",
    ),
    "deploy": Entry(
        _CLI + "deploy", "deploy", "Deploy a version that passed its review (MLOps engineers)."
    ),
    "rollback": Entry(
        _CLI + "rollback",
        "rollback",
        "Roll back production: the live version is rolled back, VERSION is live again.",
    ),
    "monitor": Entry(_CLI + "monitor", "app", "Monitoring of live versions."),
    "import": Entry(_CLI + "import_", "app", "Import runs from other tools."),
}


def load_command(name: str) -> _click.Command:
    """Import the module of command ``name`` and build its click command, exactly as
    registering it on the top-level app would."""
    entry = COMMANDS[name]
    target: Any = getattr(importlib.import_module(entry.module), entry.attribute)
    holder = typer.Typer(pretty_exceptions_enable=False)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name=name)(target)
    return typer.main.get_group(holder).commands[name]


class LazyGroup(TyperGroup):
    """The top-level group: commands of :data:`COMMANDS` are loaded when they are run."""

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in COMMANDS if n not in self.commands)]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        """The loaded command, or a stand-in carrying only its help line (for listings)."""
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in COMMANDS:
            return found
        line = COMMANDS[cmd_name].help
        return TyperCommand(name=cmd_name, help=line, short_help=line)

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        if args and args[0] in COMMANDS and args[0] not in self.commands:
            self.commands[args[0]] = load_command(args[0])
        try:
            return super().resolve_command(ctx, args)
        except _click.exceptions.UsageError as error:  # suggest among all, loaded or not
            matches = difflib.get_close_matches(args[0], list(COMMANDS)) if args else []
            if matches and "Did you mean" not in error.message:
                names = ", ".join(repr(match) for match in matches)
                error.message = f"{error.message.rstrip('.')}. Did you mean {names}?"
            raise


app = typer.Typer(
    name="tether",
    cls=LazyGroup,
    help="tetherai: tether the life cycle of AI models to a tamper-evident ledger.\n\n"
    "Example: tether version show Org1/digits/v1 --json",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _tether() -> None:
    """tetherai: tether the life cycle of AI models to a tamper-evident ledger.

    Example: tether version show Org1/digits/v1 --json
    """
    json_errors(False)  # each command starts with lines for people; its --json switches


def main() -> None:
    run_app(app)


if __name__ == "__main__":
    main()
