"""``tether version``: register, submit, show and list model versions; move them along."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from functools import partial
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
from tetherai.client.objects import check_uri, is_uri, local_path
from tetherai.client.refs import parse_version
from tetherai.client.run import Run
from tetherai.vocabulary import ARTIFACT_KINDS, Status

app = typer.Typer(
    help="Model versions: create, submit, show, history, list, move. Alone: print tetherai's "
    "version.\n\nExample: tether version list Org1/digits",
    invoke_without_command=True,
)


@app.callback()
def _version_group(ctx: typer.Context) -> None:
    """Without a subcommand, ``tether version`` prints tetherai's own version (as it always did).

    Example: tether version
    """
    if ctx.invoked_subcommand is None:
        from tetherai import __version__

        typer.echo(__version__)


VersionArg = Annotated[
    str, typer.Argument(help="The version, ORG/PROJECT/VERSION (e.g. Org1/digits/v1).")
]
Files = Annotated[
    list[str] | None,
    typer.Option(
        help="A file or directory (uploaded), or a URI registered where it is: s3://bucket/key, "
        "s3://bucket/prefix/ or tether-obj:sha256/HEX (repeat for several)."
    ),
]


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key or not rest:
            raise fail(f"{what} takes NAME=VALUE, not {value!r}")
        found[key] = rest
    return found


def _number(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise fail(f"metric {name} must be a number, not {value!r}") from None
    if not math.isfinite(number):  # JSON has no NaN or infinity
        raise fail(f"metric {name} must be a finite number, not {value!r}")
    return number


def metrics_of(values: list[str] | None) -> dict[str, float]:
    """``--metric NAME=NUMBER`` options as a dict (a bad one is a usage error)."""
    return {k: _number(k, v) for k, v in _pairs(values, "--metric").items()}


def ref_of(version: str) -> tuple[str, str]:
    return call(lambda: parse_version(version))


def _time(ms: object) -> str:
    if not isinstance(ms, int):
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _add(run: Run, kind: str, source: str) -> None:
    call(lambda: run.add_artifact(kind, source))


def check_source(source: str) -> None:
    """A local path must exist and a URI be well formed before anything is sent."""
    path: Path | None = Path(source)
    if is_uri(source):
        call(lambda: check_uri(source))
        path = local_path(source)  # a file:// URI is a local path
    if path is not None and not path.exists():
        raise fail(f"{path} does not exist")


@app.command()
def create(
    version: VersionArg,
    code_repo: Annotated[str, typer.Option(help="Where the training code lives (a git URL).")],
    commit: Annotated[
        str, typer.Option(help="The code's full git commit id (git rev-parse HEAD), or a tag.")
    ],
    train_data: Files = None,
    test_data: Files = None,
    model: Files = None,
    log: Files = None,
    artifact: Annotated[
        list[str] | None,
        typer.Option(
            help=f"KIND=PATH or KIND=URI, KIND one of {', '.join(ARTIFACT_KINDS)} (repeatable)."
        ),
    ] = None,
    experiment_log: Annotated[
        list[str] | None,
        typer.Option(
            help="A training log read into an experiment and registered: JSON lines, JSON, CSV, "
            "or TensorBoard event files or log folder (sub-runs give <run>/<tag> series). "
            "Repeatable."
        ),
    ] = None,
    metric: Annotated[
        list[str] | None, typer.Option(help="A final metric NAME=NUMBER (repeatable).")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option(help="A hyperparameter NAME=VALUE (repeatable).")
    ] = None,
    comment: Annotated[str, typer.Option(help="A note for the reviewers.")] = "",
    replaces: Annotated[
        str | None, typer.Option(help="The failed version this one replaces.")
    ] = None,
    submit: Annotated[bool, typer.Option("--submit", help="Submit it for review now.")] = False,
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Hash and upload the files, then register the version with a tx signed here.

    A URI is registered where it is, hashed by streaming it, never uploaded: s3:// objects and prefixes are read with your S3 credentials (TETHER_S3_ACCESS_KEY_ID, TETHER_S3_SECRET_ACCESS_KEY, TETHER_S3_ENDPOINT, or AWS_*), tether-obj: objects through the server.

    Example: tether version create Org1/digits/v1 --code-repo https://git.example/digits --commit $(git rev-parse HEAD) --train-data s3://datasets/digits/train.csv --test-data out/test.csv --model out/model.json --log out/train.log --metric test_accuracy=0.97 --submit
    """
    project, name = ref_of(version)
    files: list[tuple[str, str]] = [
        (kind, path)
        for kind, paths in (
            ("train_dataset", train_data),
            ("test_dataset", test_data),
            ("model", model),
            ("log", log),
        )
        for path in paths or []
    ]
    for value in artifact or []:
        kind, _, where = value.partition("=")
        if not kind or not where:  # the kind itself is judged with the others' (Run.add_artifact)
            raise fail(
                f"--artifact takes KIND=PATH, not {value!r}",
                f"KIND is one of {', '.join(ARTIFACT_KINDS)}",
            )
        files.append((kind, where))
    for _, source in files:
        check_source(source)
    for log_path in experiment_log or []:
        if not Path(log_path).exists():
            raise fail(f"{log_path} does not exist")
    metrics = metrics_of(metric)
    params = _pairs(param, "--param")
    with open_client(config, passphrase_file) as client:
        run = call(
            lambda: client.run(
                project,
                name,
                code_repo=code_repo,
                commit=commit,
                submit=submit,
                comment=comment,
                replaces=replaces,
            )
        )
        run.log_params(params)
        for metric_name, number in metrics.items():
            run.log_metric(metric_name, number)
        for kind, source in files:
            _add(run, kind, source)
        for log_path in experiment_log or []:
            call(partial(run.add_experiment_log, log_path))
        answer: dict[str, Any] = call(run.finish)
    found = {
        "version": version,
        "tx_id": answer["tx_id"],
        "result": answer.get("result"),
        "artifacts": run.artifacts,
    }

    def render(f: dict[str, Any]) -> None:
        status = (f["result"] or {}).get("status", Status.DRAFT)
        console.print(f"[green]Registered[/] {version} ({status}), tx {f['tx_id']}")
        for a in f["artifacts"]:
            console.print(f"  {a['kind']:14} {a['name']}  sha256 {a['sha256']}  {a['size']} bytes")

    show(found, json_output, render)


@app.command()
def submit(
    version: VersionArg,
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Submit a draft for review.

    Example: tether version submit Org1/digits/v1
    """
    project, name = ref_of(version)
    with open_client(config, passphrase_file) as client:
        answer = call(lambda: client.submit_version(project, name))
    show(
        answer,
        json_output,
        lambda a: console.print(f"[green]Submitted[/] {version} ({tx_line(a)})"),
    )


@app.command(name="show")
def show_version(
    version: VersionArg, config: ConfigOption = None, json_output: JsonOption = False
) -> None:
    """A version: status, artifacts, experiments, latest verification.

    Example: tether version show Org1/digits/v1 --json
    """
    project, name = ref_of(version)
    with open_client(config) as client:
        found = call(lambda: client.version(project, name))

    def render(v: dict[str, Any]) -> None:
        body = v.get("version") or {}
        status = (v.get("status") or {}).get("status", "?")
        console.print(f"[bold]{version}[/]  status [cyan]{status}[/]")
        console.print(f"  code {body.get('code_repo')} @ {body.get('commit')}")
        for a in body.get("artifacts", []):
            console.print(f"  {a['kind']:14} {a['name']}  {a['sha256']}")
        for e in body.get("experiments", []):
            console.print(f"  experiment {e['name']}: {json.dumps(e.get('metrics', {}))}")
        check = v.get("verification")
        if check:
            console.print(
                f"  verification ({check.get('method')}): {'ok' if check.get('ok') else 'FAILED'}"
            )

    show(found, json_output, render)


@app.command()
def history(
    version: VersionArg, config: ConfigOption = None, json_output: JsonOption = False
) -> None:
    """Every tx that changed the version, oldest first.

    Example: tether version history Org1/digits/v1
    """
    project, name = ref_of(version)
    with open_client(config) as client:
        items = call(lambda: client.history(project, name))

    def render(rows: list[dict[str, Any]]) -> None:
        table = Table("time", "who", "action", "status", "tx")
        for row in rows:
            move = f"{row.get('status_before') or ''} → {row.get('status_after') or ''}"
            table.add_row(
                _time(row.get("ts")),
                f"{row.get('org')}/{row.get('participant')}",
                str(row.get("action")),
                move,
                str(row.get("tx_id", ""))[:16],
            )
        console.print(table)

    show(items, json_output, render)


@app.command(name="list")
def list_versions(
    project: Annotated[str, typer.Argument(help="The project, ORG/PROJECT.")],
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """A project's versions and their status.

    Example: tether version list Org1/digits
    """
    with open_client(config) as client:
        items = call(lambda: client.versions(project))

    def render(rows: list[dict[str, Any]]) -> None:
        table = Table("version", "status", "commit")
        for row in rows:
            body = row.get("version") or {}
            table.add_row(
                str(body.get("version")),
                str((row.get("status") or {}).get("status")),
                str(body.get("commit")),
            )
        console.print(table)

    show(items, json_output, render)


@app.command()
def move(
    version: VersionArg,
    to: Annotated[
        str,
        typer.Argument(
            help="The new status: reviewing, qa, production, monitoring, complete, declined, …"
        ),
    ],
    reason: Annotated[str, typer.Option(help="Why (needed to fail or decline).")] = "",
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Move a version to another status, as the workflow's rules allow your role.

    Example: tether version move Org1/digits/v1 production
    """
    project, name = ref_of(version)
    with open_client(config, passphrase_file) as client:
        answer = call(lambda: client.transition(project, name, to, reason=reason))
    show(
        answer,
        json_output,
        lambda a: console.print(f"[green]Moved[/] {version} to {to} ({tx_line(a)})"),
    )
