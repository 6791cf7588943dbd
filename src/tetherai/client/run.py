"""``client.run(project, version)``: collect what a training script makes, register it on exit.

Nothing reaches the server while the script trains. When the ``with`` block ends without an
exception, every artifact is hashed and uploaded, and one tx registers the version with its
artifacts and experiments (submitting it for review if asked). A block that raises registers
nothing: a failed training run is not a version.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from tetherai.client.errors import ClientError
from tetherai.storage.manifest import ARTIFACT_KINDS

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
    log: Path | None = None

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
        self._artifacts: list[tuple[str, Path, str]] = []
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
        """Register a file of ``kind`` (train_dataset, test_dataset, model, log, code, …)."""
        if kind not in ARTIFACT_KINDS:
            raise ClientError(
                f"{kind!r} is not an artifact kind", hint=f"use one of {', '.join(ARTIFACT_KINDS)}"
            )
        location = Path(path)
        label = name or location.name
        if any(label == known for _, _, known in self._artifacts):
            raise ClientError(f"this run already has an artifact named {label!r}")
        self._artifacts.append((kind, location, label))

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
        log_path = Path(log) if log is not None else None
        if log_path is not None:
            self.add_artifact("log", log_path)
        self._experiments.append(
            _Experiment(name, dict(hyperparameters or {}), checked, curves, log_path)
        )

    def finish(self) -> Json:
        """Hash, upload and register now (the ``with`` block does this on exit)."""
        if self.result is not None:
            raise ClientError(f"version {self.version} was already registered by this run")
        entries = {
            path: self.client.upload_artifact(kind, path, label)
            for kind, path, label in self._artifacts
        }
        self.artifacts = list(entries.values())
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
    def _experiment_json(experiment: _Experiment, entries: dict[Path, Json]) -> Json:
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
