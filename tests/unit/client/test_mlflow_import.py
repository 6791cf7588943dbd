"""``tether import mlflow`` with the real mlflow package and a local sqlite store made here."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from tests.common.lifecycle import Cast
from tetherai.client import Client
from tetherai.client.errors import ClientError
from tetherai.client.mlflow_import import MlflowSource, import_mlflow

Person = Callable[[str], Client]


def test_a_registered_model_version_becomes_a_tetherai_version(
    person: Person, cast: Cast, mlflow_run: dict[str, Any]
) -> None:
    alice = person("alice")
    source = MlflowSource(
        mlflow_run["uri"], model="digits", model_version=mlflow_run["model_version"]
    )
    imported = import_mlflow(alice, source, cast.project, "v-ml", submit=True)
    assert imported["run_id"] == mlflow_run["run_id"]
    body = alice.version(cast.project, "v-ml")["version"]
    artifacts = {a["name"]: a for a in body["artifacts"]}
    assert set(artifacts) == {"model/model.json", "train.log"}
    assert artifacts["model/model.json"]["kind"] == "model"
    assert artifacts["train.log"]["kind"] == "log"
    for name, entry in artifacts.items():
        data = (mlflow_run["files"] / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    (experiment,) = body["experiments"]
    assert experiment["name"] == "mlflow:lr-seed-7"
    assert experiment["hyperparameters"] == {"C": "0.05", "mlflow_run_id": mlflow_run["run_id"]}
    assert experiment["metrics"] == {"test_accuracy": 0.93}
    assert experiment["series"] == {"test_accuracy": [0.8, 0.9, 0.93]}
    assert mlflow_run["run_id"] in body["comment"] and body["commit"] == mlflow_run["run_id"]
    assert alice.version(cast.project, "v-ml")["status"]["status"] == "submitted"


def test_a_run_by_id_and_a_missing_run(
    person: Person, cast: Cast, mlflow_run: dict[str, Any]
) -> None:
    alice = person("alice")
    imported = import_mlflow(
        alice, MlflowSource(mlflow_run["uri"], run_id=mlflow_run["run_id"]), cast.project, "v-run"
    )
    assert len(imported["artifacts"]) == 2
    with pytest.raises(ClientError, match="MLflow"):
        import_mlflow(
            alice, MlflowSource(mlflow_run["uri"], run_id="0" * 32), cast.project, "v-none"
        )
