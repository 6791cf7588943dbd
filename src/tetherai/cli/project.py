"""``tether project``: create, list and show projects; add members; set the policy and the
factsheet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tetherai.cli._client import (
    ConfigOption,
    JsonOption,
    PassphraseFileOption,
    call,
    fail,
    open_client,
    show,
    tx_line,
)
from tetherai.cli._common import console
from tetherai.cli.version import check_source
from tetherai.client.client import Client
from tetherai.client.refs import parse_participant

app = typer.Typer(
    help="Projects: create, list, show, members, policy, factsheet.\n\n"
    "Example: tether project show Org1/digits --json",
    no_args_is_help=True,
)

ProjectArg = Annotated[str, typer.Argument(help="The project, ORG/PROJECT (e.g. Org1/digits).")]


def _document(client: Client, source: str) -> dict[str, Any]:
    found: dict[str, Any] = call(lambda: client.document(source))
    return found


def _add_member(client: Client, project: str, org: str, participant: str) -> dict[str, Any]:
    found: dict[str, Any] = call(lambda: client.add_member(project, org, participant))
    return found


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="The project's name; its id is made from it.")],
    domain: Annotated[str, typer.Option(help="Business domain, e.g. finance.")] = "",
    details: Annotated[str, typer.Option(help="What the project is for.")] = "",
    member: Annotated[
        list[str] | None,
        typer.Option("--member", help="Add a member ORG/ID (repeat for several)."),
    ] = None,
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create a project (you become its first member); optionally add members.

    Example: tether project create "Digits" --domain vision --member Org1/bob --member Org1/carol
    """
    members = call(lambda: [parse_participant(m) for m in member or []])
    with open_client(config, passphrase_file) as client:
        answer: dict[str, Any] = call(
            lambda: client.create_project(name, domain=domain, details=details)
        )
        result = answer.get("result") or {}
        ref = str(result.get("ref") or result.get("project") or "")
        added = [_add_member(client, ref, m[0], m[1]) for m in members]
    found = {"project": ref, "tx_id": answer["tx_id"], "members": [a["tx_id"] for a in added]}
    show(
        found,
        json_output,
        lambda f: console.print(
            f"[green]Created[/] project {f['project']} ({tx_line(answer)})"
            + "".join(f"\n  added {'/'.join(m)}" for m in members)
        ),
    )


@app.command(name="list")
def list_projects(config: ConfigOption = None, json_output: JsonOption = False) -> None:
    """The projects you may read.

    Example: tether project list --json
    """
    with open_client(config) as client:
        items = call(client.projects)

    def render(rows: list[dict[str, Any]]) -> None:
        table = Table("project", "name", "domain")
        for row in rows:
            table.add_row(str(row.get("ref")), str(row.get("name")), str(row.get("domain", "")))
        console.print(table)

    show(items, json_output, render)


@app.command(name="show")
def show_project(
    project: ProjectArg, config: ConfigOption = None, json_output: JsonOption = False
) -> None:
    """A project with its members, factsheet and policy.

    Example: tether project show Org1/digits
    """
    with open_client(config) as client:
        found = call(lambda: client.project(project))

    def render(p: dict[str, Any]) -> None:
        body = p.get("project", p)
        console.print(f"[bold]{project}[/] {body.get('name', '')}")
        for key in ("domain", "details"):
            if body.get(key):
                console.print(f"  {key}: {body[key]}")
        members = p.get("members") or body.get("members") or []
        for m in members:
            console.print(f"  member {m}")

    show(found, json_output, render)


@app.command(name="add-member")
def add_member(
    project: ProjectArg,
    member: Annotated[str, typer.Argument(help="The person, ORG/ID (e.g. Org1/bob).")],
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Add a person to a project.

    Example: tether project add-member Org1/digits Org1/bob
    """
    org, person = call(lambda: parse_participant(member))
    with open_client(config, passphrase_file) as client:
        answer = call(lambda: client.add_member(project, org, person))
    show(answer, json_output, lambda a: console.print(f"[green]Added[/] {member} ({tx_line(a)})"))


@app.command()
def policy(
    project: ProjectArg,
    file: Annotated[Path, typer.Argument(help="A JSON file with the policy.")],
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Set the project's workflow policy (approvals, required artifacts, criteria, auto_pass).

    Example: tether project policy Org1/digits policy.json
    """
    document = _read_json_object(file)
    with open_client(config, passphrase_file) as client:
        answer = call(lambda: client.set_policy(project, document))
    show(answer, json_output, lambda a: console.print(f"[green]Policy set[/] ({tx_line(a)})"))


@app.command()
def factsheet(
    project: ProjectArg,
    set_file: Annotated[
        Path | None,
        typer.Option(
            "--set",
            help="Set the factsheet from this JSON file: purpose, intended_use, "
            "out_of_scope_uses, risks, key_contacts [{name, role, contact}], "
            "documents [{name, sha256, uri}].",
        ),
    ] = None,
    document: Annotated[
        list[str] | None,
        typer.Option(
            "--document",
            help="With --set: add a document, a local file (uploaded) or the URI of one "
            "object (repeatable).",
        ),
    ] = None,
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show the project's purpose and AI factsheet, or set it with --set FILE.

    Example: tether project factsheet Org1/digits --set factsheet.json --document model-card.pdf
    """
    if set_file is None:
        if document:
            raise fail("--document needs --set FILE")
        with open_client(config) as client:
            found = call(lambda: client.project(project)).get("factsheet")
        show(found, json_output, _render_factsheet)
        return
    sheet = _read_json_object(set_file)
    for source in document or []:
        check_source(source)
    with open_client(config, passphrase_file) as client:
        added = [_document(client, source) for source in document or []]
        sheet["documents"] = [*sheet.get("documents", []), *added]
        answer = call(lambda: client.set_factsheet(project, sheet))
    show(answer, json_output, lambda a: console.print(f"[green]Factsheet set[/] ({tx_line(a)})"))


def _render_factsheet(sheet: dict[str, Any] | None) -> None:
    if not sheet:
        console.print("no factsheet yet")
        return
    for key in ("purpose", "intended_use", "out_of_scope_uses", "risks"):
        if sheet.get(key):
            console.print(f"[bold]{key.replace('_', ' ')}[/]: {sheet[key]}", highlight=False)
    for contact in sheet.get("key_contacts", []):
        console.print(
            f"contact: {contact.get('name')} ({contact.get('role')}) {contact.get('contact', '')}"
        )
    for item in sheet.get("documents", []):
        console.print(
            f"document: {item.get('name')} sha256 {item.get('sha256')} {item.get('uri', '')}"
        )


def _read_json_object(file: Path) -> dict[str, Any]:
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise fail(f"cannot read JSON from {file}: {error}") from None
    if not isinstance(document, dict):
        raise fail(f"{file} must hold a JSON object")
    return document
