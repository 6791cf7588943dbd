"""``client.run(project, version)``: collect what a training script makes, register it on exit.

Nothing reaches the server while the script trains. When the ``with`` block ends without an
exception, every artifact is hashed and uploaded, and one tx registers the version with its
artifacts and experiments (submitting it for review if asked). A block that raises registers
nothing: a failed training run is not a version.

An artifact given by URI (``s3://bucket/key``, ``s3://bucket/prefix/``, ``tether-obj:sha256/…``)
is registered where it is, hashed by streaming it (:mod:`tetherai.client.objects`). URIs are
hashed before any local file is uploaded, so a bad URI fails the run before anything is sent.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from tetherai.client.errors import ClientError
from tetherai.client.objects import check_uri, is_uri, local_path, uri_label
from tetherai.contracts import calls

if TYPE_CHECKING:
    from tetherai.client.client import Client

__all__ = ["Run"]

Json = dict[str, Any]


@dataclass
class _Experiment:
    name: str
    hyperparameters: Json = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    series: dict[str, list[float]] = field(default_factory=dict)
    log: str | None = None
    """The name of the experiment's log artifact."""

    def is_empty(self) -> bool:
        return not (self.hyperparameters or self.metrics or self.series or self.log)


def _number(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ClientError(f"metric {name!r} must be a finite number, not {value!r}")
    return float(value)


class Run:
    """A version in the making (see :meth:`Client.run`)."""

    def __init__(
        self,
        client: Client,
        project: str,
        version: str,
        *,
        code_repo: str,
        commit: str,
        submit: bool,
        comment: str,
        notebook_version: str,
        replaces: str | None,
        experiment: str,
    ) -> None:
        self.client = client
        self.project = project
        self.version = version
        self._options: Json = {
            "code_repo": code_repo,
            "commit": commit,
            "submit": submit,
            "comment": comment,
            "notebook_version": notebook_version,
            "replaces": replaces,
        }
        self._main = _Experiment(experiment)
        self._experiments: list[_Experiment] = []
        self._artifacts: list[tuple[str, Path | str, str]] = []
        """(kind, local path or URI, name) in the order added."""
        self.result: Json | None = None
        """The registering tx's ``{tx_id, valid, result}`` once the run is finished."""
        self.artifacts: list[Json] = []
        """The manifest entries registered."""

    def log_param(self, name: str, value: Any) -> None:
        """A hyperparameter of the run (JSON: a number, text, bool or null)."""
        self._main.hyperparameters[name] = value

    def log_params(self, params: dict[str, Any]) -> None:
        for name, value in params.items():
            self.log_param(name, value)

    def log_metric(self, name: str, value: float, *, step: int | None = None) -> None:
        """A metric; with ``step`` it is also appended to the metric's series (learning curves)."""
        number = _number(name, value)
        self._main.metrics[name] = number
        if step is not None:
            self._main.series.setdefault(name, []).append(number)

    def log_series(self, name: str, values: list[float]) -> None:
        """A metric's whole history at once (e.g. imported from a tracking tool)."""
        self._main.series[name] = [_number(name, value) for value in values]

    def add_artifact(self, kind: str, path: str | os.PathLike[str], *, name: str = "") -> None:
        """Register an artifact of ``kind`` (train_dataset, test_dataset, model, log, code, …):
        a local file or directory (uploaded), or a URI (registered in place, not uploaded).

        Raises:
            InvalidArgument: an unknown kind (before anything is uploaded).
            ClientError: a name this run already has.
            UnsupportedURI: a URI with an unknown scheme or malformed for its scheme.
        """
        source: Path | str
        if is_uri(path):
            uri = str(path)
            check_uri(uri)
            source = local_path(uri) or uri
        else:
            source = Path(path)
        label = name or (source.name if isinstance(source, Path) else uri_label(kind, source))
        calls.check_artifact_kind(kind, label)
        if any(label == known for _, _, known in self._artifacts):
            raise ClientError(f"this run already has an artifact named {label!r}")
        self._artifacts.append((kind, source, label))

    def log_experiment(
        self,
        name: str,
        *,
        hyperparameters: dict[str, Any] | None = None,
        metrics: dict[str, float] | None = None,
        series: dict[str, list[float]] | None = None,
        log: str | os.PathLike[str] | None = None,
    ) -> None:
        """Another experiment of the version (e.g. one imported from a tracking tool); ``log``
        is its log file, registered as a ``log`` artifact and linked by digest."""
        checked = {k: _number(k, v) for k, v in (metrics or {}).items()}
        curves = {k: [_number(k, x) for x in v] for k, v in (series or {}).items()}
        log_name: str | None = None
        if log is not None:
            self.add_artifact("log", log)
            log_name = self._artifacts[-1][2]
        self._experiments.append(
            _Experiment(name, dict(hyperparameters or {}), checked, curves, log_name)
        )

    def add_experiment_log(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        hyperparameters: dict[str, Any] | None = None,
    ) -> None:
        """An experiment read from its training log, which is registered as a ``log`` artifact
        and linked by digest: JSON lines, JSON, CSV, or TensorBoard event files (a file, or a
        log folder whose sub-runs — Keras' ``train/`` and ``validation/``, ``add_scalars`` —
        give series named ``<run>/<tag>``).

        Raises:
            ExperimentLogError: the log's format is unknown or it holds no numbers.
            StorageError: the log is missing or unreadable.
        """
        # Imported here: reading logs pulls in TensorBoard's reader, which only this needs.
        from tetherai.services.experiment_logs import read_experiment_log

        record = read_experiment_log(path, name=name, hyperparameters=hyperparameters)
        self.add_artifact("log", path)
        self._experiments.append(
            _Experiment(
                record.name,
                dict(record.hyperparameters),
                dict(record.metrics),
                {key: list(values) for key, values in record.series.items()},
                self._artifacts[-1][2],
            )
        )

    def finish(self) -> Json:
        """Hash, upload and register now (the ``with`` block does this on exit)."""
        if self.result is not None:
            raise ClientError(f"version {self.version} was already registered by this run")
        # URIs first: they are only read, so a bad one fails before anything is uploaded.
        entries = {
            label: self.client.artifact_from_uri(kind, source, label)
            for kind, source, label in self._artifacts
            if isinstance(source, str)
        }
        for kind, source, label in self._artifacts:
            if isinstance(source, Path):
                entries[label] = self.client.upload_artifact(kind, source, label)
        self.artifacts = [entries[label] for _, _, label in self._artifacts]
        experiments = [
            self._experiment_json(e, entries)
            for e in [self._main, *self._experiments]
            if not e.is_empty()
        ]
        self.result = self.client.create_version(
            self.project,
            self.version,
            artifacts=self.artifacts,
            experiments=experiments,
            **self._options,
        )
        return self.result

    @staticmethod
    def _experiment_json(experiment: _Experiment, entries: dict[str, Json]) -> Json:
        found: Json = {
            "name": experiment.name,
            "hyperparameters": experiment.hyperparameters,
            "metrics": experiment.metrics,
            "series": experiment.series,
        }
        if experiment.log is not None:
            found["log_sha256"] = entries[experiment.log]["sha256"]
        return found

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.finish()
