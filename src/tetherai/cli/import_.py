"""``tether import``: bring runs from other tools in as tetherai versions."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tetherai.cli._client import (
    ConfigOption,
    JsonOption,
    PassphraseFileOption,
    call,
    fail,
    open_client,
    show,
)
from tetherai.cli._common import console
from tetherai.cli.version import VersionArg, ref_of

app = typer.Typer(
    help="Import runs from other tools.\n\nExample: tether import mlflow Org1/digits/v2 --run RUN_ID",
    no_args_is_help=True,
)


@app.command()
def mlflow(
    version: VersionArg,
    run: Annotated[str | None, typer.Option("--run", help="The MLflow run id.")] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="A registered MLflow model's name.")
    ] = None,
    model_version: Annotated[
        str | None, typer.Option("--version", help="The registered model's version.")
    ] = None,
    tracking_uri: Annotated[
        str,
        typer.Option(
            "--tracking-uri",
            envvar="MLFLOW_TRACKING_URI",
            help="MLflow tracking store: http(s)://…, sqlite:///mlflow.db or a mlruns folder.",
        ),
    ] = "sqlite:///mlflow.db",
    code_repo: Annotated[str, typer.Option(help="Code repository (default: the run's tag).")] = "",
    commit: Annotated[
        str,
        typer.Option(
            help="The code's full git commit (default: the run's git commit tag; without one, "
            "mlflow-run:<run id>)."
        ),
    ] = "",
    submit: Annotated[bool, typer.Option("--submit", help="Submit it for review now.")] = False,
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Import an MLflow run (or a registered model version's run) as VERSION.

    Its artifacts are downloaded, hashed and uploaded: each MLflow model (an MLflow 3 logged model, or a run folder holding an MLmodel file) as one folder artifact; its params and metrics become the version's experiment, which names the MLflow run. The tracking store may be a server, sqlite:///mlflow.db or an mlruns folder (read only).

    Example: tether import mlflow Org1/digits/v3 --run 8a0548c2a258 --tracking-uri sqlite:///mlflow.db
    """
    from tetherai.client.mlflow_import import MlflowSource, import_mlflow

    if (run is None) == (model is None):
        raise fail("give either --run RUN_ID or --model NAME --version N")
    if model is not None and model_version is None:
        raise fail("--model needs --version N")
    project, name = ref_of(version)
    source = MlflowSource(tracking_uri, run_id=run, model=model, model_version=model_version)
    with open_client(config, passphrase_file) as client:
        found: dict[str, Any] = call(
            lambda: import_mlflow(
                client, source, project, name, code_repo=code_repo, commit=commit, submit=submit
            )
        )
    show(
        found,
        json_output,
        lambda f: console.print(
            f"[green]Imported[/] {f['origin']} as {version}: {len(f['artifacts'])} artifact(s), "
            f"tx {f['tx']['tx_id']}"
        ),
    )
