"""``tether import mlflow``: a run or registered model version of MLflow as a tetherai version.

Reads the run from an MLflow tracking store (a server, a ``sqlite:///`` store, or a local
``mlruns`` folder) with the real ``mlflow`` package, imported only here and only when used (an
optional dependency: ``pip install 'tetherai[mlflow]'``). Its params and metrics (with their
histories) become the version's experiment; the version's comment and experiment name the run.

Models become **one directory artifact each** (kind ``model``), as the MLflow model folder is
one model (``MLmodel``, weights, environment files), so its digest covers the whole folder and
its model-signing statement is what ``model_signing`` computes on that folder:

- MLflow 3's logged models (``mlflow.<flavor>.log_model(name=…)``), kept apart from the run's
  artifacts at ``models:/m-…``: every logged model of the run, or the registered version's;
- a classic model folder among the run's artifacts (``log_artifacts(dir, "model")``, MLflow 2's
  ``log_model(artifact_path=…)``): a folder holding an ``MLmodel`` file, the folder a registered
  version's source names, or ``model/`` for a run.

The run's other files are artifacts of their own (``log`` for ``*.log``/``*.txt``/…, else
``other``). The code is the run's git tags (``mlflow.source.git.repoURL``/``.commit``); without a
git commit the version records ``mlflow-run:<run id>``, which provenance exports carry as a
reference, never as a git digest.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tetherai.client.client import Client
from tetherai.client.errors import ClientError
from tetherai.contracts.commits import check_commit, full_git_commit

__all__ = ["MlflowSource", "import_mlflow"]

_LOG_SUFFIXES = (".log", ".txt", ".out", ".err")
_MODEL_FILE = "MLmodel"


@dataclass(frozen=True)
class MlflowSource:
    """What to import: a run, or a registered model version (whose run is imported)."""

    tracking_uri: str
    run_id: str | None = None
    model: str | None = None
    model_version: str | None = None


@dataclass(frozen=True)
class _Plan:
    """The run to import, where its models are, and a label for the version's comment."""

    run_id: str
    label: str
    logged_models: tuple[tuple[str, str, str], ...] = ()
    """(name, model id, artifact location) of MLflow 3 logged models to fetch."""
    model_dir: str | None = None
    """A folder of the run's artifacts known to hold the model (beyond ``MLmodel`` folders)."""


@contextmanager
def _quiet() -> Iterator[None]:
    # mlflow's own use of deprecated SQLAlchemy and pydantic APIs is not the user's concern.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        yield


def _local_folder(tracking_uri: str) -> Path | None:
    """The folder of a ``mlruns`` store given as a path or ``file:`` URI, else ``None``."""
    scheme = urlsplit(tracking_uri).scheme
    if scheme == "file":
        return Path(urlsplit(tracking_uri).path)
    if scheme == "" or (len(scheme) == 1 and os.name == "nt"):
        return Path(tracking_uri)
    return None


SERVER_RETRIES = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}
"""How patient an import is with a tracking server, unless the user set these themselves:
MLflow's own defaults (7 retries, doubling from 2 s, 120 s per request) make a mistyped or
stopped server look like a hang of several minutes."""


@contextmanager
def _environment(values: Mapping[str, str], *, override: bool) -> Iterator[None]:
    """Set ``values`` in the environment for the block (``override=False``: only those the
    user has not set), then put back what was there."""
    before = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if override or before[name] is None:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, was in before.items():
            if was is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = was


@contextmanager
def _store_access(tracking_uri: str) -> Iterator[None]:
    """Let MLflow read the store. MLflow 3 refuses its file store unless
    ``MLFLOW_ALLOW_FILE_STORE`` is set (the store is in maintenance mode for *writing*); an
    import only reads it. A folder that does not exist is refused: MLflow would create it. A
    tracking server gets a few retries (``SERVER_RETRIES``), not minutes of them."""
    if urlsplit(tracking_uri).scheme in ("http", "https"):
        with _environment(SERVER_RETRIES, override=False):
            yield
        return
    folder = _local_folder(tracking_uri)
    if folder is None:
        yield
        return
    if not folder.is_dir():
        raise ClientError(
            f"the MLflow tracking store {tracking_uri!r} is not a folder here",
            hint="Give the mlruns folder MLflow wrote, a sqlite:///… store or the tracking "
            "server's URL.",
            code="client.mlflow",
        )
    with _environment({"MLFLOW_ALLOW_FILE_STORE": "true"}, override=True):
        yield


def _mlflow() -> tuple[Any, type[Exception]]:
    """MLflow's client class and its exception base (or how to install MLflow)."""
    try:
        with _quiet():
            from mlflow.exceptions import MlflowException
            from mlflow.tracking import MlflowClient
    except ImportError as error:
        raise ClientError(
            "the mlflow package is not installed",
            hint="pip install 'tetherai[mlflow]' (or mlflow-skinny)",
        ) from error
    return MlflowClient, MlflowException


def _without_credentials(uri: str) -> str:
    """A tracking URI fit for the ledger: no ``user:password@`` in it."""
    parts = urlsplit(uri)
    if parts.username is None and parts.password is None:
        return uri
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


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

    Returns ``{tx, run_id, origin, artifacts, experiment}``.

    Raises:
        ClientError: mlflow is missing, the store cannot be read, or the run or model version
            does not exist.
        InvalidArgument: ``commit`` is an abbreviated git commit id.
    """
    if commit:
        commit = check_commit(commit)
    scratch = Path(tempfile.mkdtemp(prefix="tether-mlflow-"))
    try:
        return _import(client, source, project, version, code_repo, commit, submit, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _import(
    client: Client,
    source: MlflowSource,
    project: str,
    version: str,
    code_repo: str,
    commit: str,
    submit: bool,
    scratch: Path,
) -> dict[str, Any]:
    client_class, mlflow_error = _mlflow()
    with _store_access(source.tracking_uri):
        try:
            with _quiet():
                # Built inside the handling: a store MLflow cannot open fails right here.
                uri = source.tracking_uri
                mlflow = client_class(tracking_uri=uri, registry_uri=uri)
                plan = _plan(mlflow, source)
                run = mlflow.get_run(plan.run_id)
                series = {
                    key: [float(m.value) for m in mlflow.get_metric_history(plan.run_id, key)]
                    for key in sorted(run.data.metrics)
                }
                run_files = Path(mlflow.download_artifacts(plan.run_id, "", str(scratch / "run")))
                models = _download_logged_models(source.tracking_uri, plan, scratch / "models")
        except mlflow_error as error:
            message = getattr(error, "message", None) or str(error)
            raise ClientError(f"MLflow: {message}", code="client.mlflow") from error
    tags = dict(run.data.tags)
    hyperparameters: dict[str, Any] = dict(sorted(run.data.params.items()))
    metrics = {key: float(value) for key, value in sorted(run.data.metrics.items())}
    experiment = f"mlflow:{run.info.run_name or plan.run_id}"
    git_commit = full_git_commit(tags.get("mlflow.source.git.commit", ""))
    folders = _model_folders(run_files, plan.model_dir)
    with client.run(
        project,
        version,
        code_repo=code_repo
        or tags.get("mlflow.source.git.repoURL")
        or tags.get("mlflow.source.name")
        or f"mlflow:{_without_credentials(source.tracking_uri)}",
        commit=commit or git_commit or f"mlflow-run:{plan.run_id}",
        submit=submit,
        comment=f"Imported from {plan.label} (MLflow tracking "
        f"{_without_credentials(source.tracking_uri)})",
        experiment=experiment,
    ) as tether_run:
        tether_run.log_params(hyperparameters | {"mlflow_run_id": plan.run_id})
        for key, value in metrics.items():
            tether_run.log_metric(key, value)
        for key, values in series.items():
            if len(values) > 1:
                tether_run.log_series(key, values)
        for name, location in models:
            tether_run.add_artifact("model", location, name=name)
        for inside in folders:
            tether_run.add_artifact("model", run_files / inside, name=inside)
        for path in sorted(p for p in run_files.rglob("*") if p.is_file()):
            name = path.relative_to(run_files).as_posix()
            if not any(name.startswith(f"{inside}/") for inside in folders):
                kind = "log" if name.endswith(_LOG_SUFFIXES) else "other"
                tether_run.add_artifact(kind, path, name=name)
    return {
        "tx": tether_run.result,
        "run_id": plan.run_id,
        "origin": plan.label,
        "artifacts": tether_run.artifacts,
        "experiment": experiment,
    }


def _plan(mlflow: Any, source: MlflowSource) -> _Plan:
    if source.model is not None:
        found = mlflow.get_model_version(source.model, source.model_version)
        if not found.run_id:
            raise ClientError(
                f"MLflow model {source.model} version {source.model_version} names no run"
            )
        label = f"MLflow model {source.model} version {source.model_version} (run {found.run_id})"
        model_source = str(found.source)
        model_id = getattr(found, "model_id", None) or (
            model_source.removeprefix("models:/") if model_source.startswith("models:/m-") else None
        )
        if model_id:  # MLflow 3: the version is a logged model, apart from the run's artifacts
            logged = mlflow.get_logged_model(model_id)
            models = ((str(logged.name), str(model_id), str(logged.artifact_location)),)
            return _Plan(str(found.run_id), label, logged_models=models)
        run = mlflow.get_run(found.run_id)
        root = str(run.info.artifact_uri).rstrip("/")
        inside = model_source[len(root) + 1 :] if model_source.startswith(root + "/") else None
        if model_source.startswith(f"runs:/{found.run_id}/"):
            inside = model_source.removeprefix(f"runs:/{found.run_id}/")
        return _Plan(str(found.run_id), label, model_dir=inside.strip("/") if inside else None)
    if not source.run_id:
        raise ClientError("name an MLflow run (--run) or a model and its version")
    run = mlflow.get_run(source.run_id)
    return _Plan(
        source.run_id,
        f"MLflow run {source.run_id}",
        logged_models=_logged_models(mlflow, run.info.experiment_id, source.run_id),
        model_dir="model",
    )


def _logged_models(
    mlflow: Any, experiment_id: str, run_id: str
) -> tuple[tuple[str, str, str], ...]:
    """The MLflow 3 logged models a run made (none on an MLflow 2 server, which has no such
    search and says so)."""
    from mlflow.exceptions import MlflowException

    try:
        logged = mlflow.search_logged_models(
            experiment_ids=[experiment_id], filter_string=f"source_run_id = '{run_id}'"
        )
    except MlflowException as error:
        if error.error_code in ("ENDPOINT_NOT_FOUND", "NOT_IMPLEMENTED"):
            return ()
        raise
    return tuple((str(m.name), str(m.model_id), str(m.artifact_location)) for m in logged)


def _download_logged_models(tracking_uri: str, plan: _Plan, into: Path) -> list[tuple[str, Path]]:
    """Fetch each logged model's folder (what ``models:/<id>`` serves, read from its artifact
    location: a ``models:/`` URI would go through MLflow's global tracking URI); named by the
    model's name, its id added when two share a name."""
    from mlflow.artifacts import download_artifacts

    names = [name for name, _, _ in plan.logged_models]
    found = []
    for name, model_id, location in plan.logged_models:
        label = name if names.count(name) == 1 else f"{name}-{model_id}"
        folder = download_artifacts(
            artifact_uri=location, dst_path=str(into / model_id), tracking_uri=tracking_uri
        )
        found.append((label, Path(folder)))
    return found


def _model_folders(run_files: Path, model_dir: str | None) -> list[str]:
    """Folders of the run's artifacts that are models: each holding an ``MLmodel`` file (the
    outermost one), and ``model_dir`` when it is a folder there."""
    folders = sorted(
        path.parent.relative_to(run_files).as_posix()
        for path in run_files.rglob(_MODEL_FILE)
        if path.is_file() and path.parent != run_files
    )
    if model_dir and (run_files / model_dir).is_dir():
        folders.append(model_dir)
    outermost: list[str] = []
    for folder in sorted(set(folders)):
        if not any(folder.startswith(f"{kept}/") for kept in outermost):
            outermost.append(folder)
    return outermost
