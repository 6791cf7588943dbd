"""``tether import mlflow``: a run or registered model version of MLflow as a tetherai version.

Reads the run from an MLflow tracking store (a server, or a local ``sqlite:///`` / ``mlruns``
store) with the real ``mlflow`` package, imported only here and only when used (it is an
optional dependency: ``pip install 'tetherai[mlflow]'``). Its artifacts are downloaded, hashed
and uploaded; its params and metrics (with their histories) become the version's experiment;
the version's comment, experiment and commit point back to the MLflow run.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tetherai.client.client import Client
from tetherai.client.errors import ClientError

__all__ = ["MlflowSource", "import_mlflow"]

_LOG_SUFFIXES = (".log", ".txt", ".out", ".err")


@dataclass(frozen=True)
class MlflowSource:
    """What to import: a run, or a registered model version (whose run is imported)."""

    tracking_uri: str
    run_id: str | None = None
    model: str | None = None
    model_version: str | None = None


@contextmanager
def _quiet() -> Iterator[None]:
    # mlflow's own use of deprecated SQLAlchemy and pydantic APIs is not the user's concern.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        yield


def _mlflow_client(tracking_uri: str) -> Any:
    try:
        with _quiet():
            from mlflow.tracking import MlflowClient
    except ImportError as error:
        raise ClientError(
            "the mlflow package is not installed",
            hint="pip install 'tetherai[mlflow]' (or mlflow-skinny)",
        ) from error
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def _kind(path: str, model_dir: str | None) -> str:
    if model_dir is not None and (
        path == model_dir or path.startswith(model_dir.rstrip("/") + "/")
    ):
        return "model"
    if path.endswith(_LOG_SUFFIXES):
        return "log"
    return "other"


def import_mlflow(
    client: Client,
    source: MlflowSource,
    project: str,
    version: str,
    *,
    code_repo: str = "",
    commit: str = "",
    submit: bool = False,
) -> dict[str, Any]:
    """Import the run and register ``project``/``version``.

    Returns ``{tx, run_id, artifacts, experiment}``.

    Raises:
        ClientError: mlflow is missing, or the run or model version does not exist.
    """
    from mlflow.exceptions import MlflowException

    mlflow = _mlflow_client(source.tracking_uri)
    try:
        with _quiet():
            run_id, model_dir, origin = _resolve(mlflow, source)
            run = mlflow.get_run(run_id)
            series = {
                key: [float(m.value) for m in mlflow.get_metric_history(run_id, key)]
                for key in sorted(run.data.metrics)
            }
            scratch = Path(tempfile.mkdtemp(prefix="tether-mlflow-"))
            downloaded = Path(mlflow.download_artifacts(run_id, "", str(scratch)))
    except MlflowException as error:
        raise ClientError(f"MLflow: {error.message}", code="client.mlflow") from error
    tags = dict(run.data.tags)
    hyperparameters: dict[str, Any] = dict(sorted(run.data.params.items()))
    metrics = {key: float(value) for key, value in sorted(run.data.metrics.items())}
    experiment = f"mlflow:{run.info.run_name or run_id}"
    with client.run(
        project,
        version,
        code_repo=code_repo
        or tags.get("mlflow.source.git.repoURL")
        or tags.get("mlflow.source.name")
        or f"mlflow:{source.tracking_uri}",
        commit=commit or tags.get("mlflow.source.git.commit") or run_id,
        submit=submit,
        comment=f"Imported from {origin} (MLflow tracking {source.tracking_uri})",
        experiment=experiment,
    ) as tether_run:
        tether_run.log_params(hyperparameters | {"mlflow_run_id": run_id})
        for key, value in metrics.items():
            tether_run.log_metric(key, value)
        for key, values in series.items():
            if len(values) > 1:
                tether_run.log_series(key, values)
        for path in sorted(p for p in downloaded.rglob("*") if p.is_file()):
            name = path.relative_to(downloaded).as_posix()
            tether_run.add_artifact(_kind(name, model_dir), path, name=name)
    return {
        "tx": tether_run.result,
        "run_id": run_id,
        "origin": origin,
        "artifacts": tether_run.artifacts,
        "experiment": experiment,
    }


def _resolve(mlflow: Any, source: MlflowSource) -> tuple[str, str | None, str]:
    """The run to import, the artifact folder holding the model (if known), and a label."""
    if source.model is not None:
        found = mlflow.get_model_version(source.model, source.model_version)
        if not found.run_id:
            raise ClientError(
                f"MLflow model {source.model} version {source.model_version} names no run"
            )
        run = mlflow.get_run(found.run_id)
        root = str(run.info.artifact_uri).rstrip("/")
        model_source = str(found.source)
        model_dir = model_source[len(root) + 1 :] if model_source.startswith(root + "/") else None
        label = f"MLflow model {source.model} version {source.model_version} (run {found.run_id})"
        return str(found.run_id), model_dir, label
    if not source.run_id:
        raise ClientError("name an MLflow run (--run) or a model and its version")
    return source.run_id, "model", f"MLflow run {source.run_id}"
