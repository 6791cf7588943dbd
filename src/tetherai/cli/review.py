"""``tether review``: start, comment, rate, vote, attach documents, pass or fail a version's
review; show its reviews."""

from __future__ import annotations

import json
from typing import Annotated, Any

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
from tetherai.cli.version import VersionArg, check_source, ref_of
from tetherai.vocabulary import RATING_MAX, RATING_MIN, Status

app = typer.Typer(
    help="Reviews: start, comment, rate, vote, attach documents, pass, fail, show.\n\n"
    "Example: tether review pass Org1/digits/v1",
    no_args_is_help=True,
)


def _move(
    version: str, to: str, reason: str, config: Any, passphrase_file: Any, json_output: bool
) -> None:
    project, name = ref_of(version)
    with open_client(config, passphrase_file) as client:
        answer = call(lambda: client.transition(project, name, to, reason=reason))
    show(answer, json_output, lambda a: console.print(f"[green]{version} → {to}[/] ({tx_line(a)})"))


@app.command()
def start(
    version: VersionArg,
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Start reviewing a submitted version (MLOps engineers).

    Example: tether review start Org1/digits/v1
    """
    _move(version, Status.REVIEWING, "", config, passphrase_file, json_output)


@app.command(name="pass")
def pass_(
    version: VersionArg,
    reason: Annotated[str, typer.Option(help="A note for the record.")] = "",
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Pass the review (needs a matching verification).

    Example: tether review pass Org1/digits/v1
    """
    _move(version, Status.REVIEW_PASSED, reason, config, passphrase_file, json_output)


@app.command()
def fail(
    version: VersionArg,
    reason: Annotated[str, typer.Option(help="Why it fails (required).")],
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Fail the review.

    Example: tether review fail Org1/digits/v1 --reason "accuracy below the bar"
    """
    _move(version, Status.REVIEW_FAILED, reason, config, passphrase_file, json_output)


@app.command()
def comment(
    version: VersionArg,
    text: Annotated[str, typer.Argument(help="The comment.")],
    reply_to: Annotated[
        str | None, typer.Option(help="The tx id of the comment to answer.")
    ] = None,
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Comment on a version, or answer a comment.

    Example: tether review comment Org1/digits/v1 "Looks good; the test split is stratified."
    """
    project, name = ref_of(version)
    with open_client(config, passphrase_file) as client:
        answer = call(lambda: client.comment(project, name, text, reply_to=reply_to))
    show(answer, json_output, lambda a: console.print(f"[green]Commented[/] ({tx_line(a)})"))


@app.command()
def vote(
    version: VersionArg,
    to: Annotated[str, typer.Option(help="The transition voted on, e.g. production.")],
    approve: Annotated[bool, typer.Option("--approve/--reject", help="Your vote.")] = True,
    comment: Annotated[str, typer.Option(help="Why.")] = "",
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Vote on a transition the project's policy puts to a vote.

    Example: tether review vote Org1/digits/v1 --to production --approve
    """
    project, name = ref_of(version)
    with open_client(config, passphrase_file) as client:
        answer = call(lambda: client.vote(project, name, to, approve=approve, comment=comment))
    show(answer, json_output, lambda a: console.print(f"[green]Voted[/] ({tx_line(a)})"))


@app.command(name="show")
def show_reviews(
    version: VersionArg, config: ConfigOption = None, json_output: JsonOption = False
) -> None:
    """Comments, ratings, votes and verifications of a version.

    Example: tether review show Org1/digits/v1 --json
    """
    project, name = ref_of(version)
    with open_client(config) as client:
        found = call(lambda: client.reviews(project, name))
    show(found, json_output, lambda f: console.print_json(json.dumps(f, default=str)))


@app.command()
def rate(
    version: VersionArg,
    stars: Annotated[int, typer.Argument(help=f"{RATING_MIN} to {RATING_MAX} stars.")],
    note: Annotated[str, typer.Option(help="Why.")] = "",
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Rate a version (1 to 5 stars); rating again replaces your rating.

    Example: tether review rate Org1/digits/v1 4 --note "good, but test it on scanned forms"
    """
    project, name = ref_of(version)
    with open_client(config, passphrase_file) as client:
        answer = call(lambda: client.rate(project, name, stars, note=note))
    show(
        answer,
        json_output,
        lambda a: console.print(f"[green]Rated[/] {stars}/{RATING_MAX} ({tx_line(a)})"),
    )


@app.command()
def document(
    version: VersionArg,
    source: Annotated[
        str,
        typer.Argument(
            help="A local file (uploaded) or the URI of one object: s3://bucket/key or "
            "tether-obj:sha256/HEX (hashed where it is)."
        ),
    ],
    name: Annotated[str, typer.Option(help="The document's name (default: its file name).")] = "",
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Attach a review document (a model card, a test report) by its digest.

    Example: tether review document Org1/digits/v1 reports/fairness.pdf --name "Fairness report"
    """
    project, ref = ref_of(version)
    check_source(source)
    with open_client(config, passphrase_file) as client:
        found = call(lambda: client.document(source, name))
        answer = call(
            lambda: client.attach_document(
                project, ref, found["name"], found["sha256"], uri=found["uri"]
            )
        )
    shown = answer | {"document": found}
    show(
        shown,
        json_output,
        lambda a: console.print(
            f"[green]Attached[/] {found['name']} sha256 {found['sha256']} ({tx_line(a)})"
        ),
    )
