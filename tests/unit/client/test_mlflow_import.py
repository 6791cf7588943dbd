"""``tether import mlflow`` with the real mlflow package and a local sqlite store made here."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.common.lifecycle import Cast

from tetherai.client import Client
from tetherai.client.errors import ClientError
from tetherai.client.mlflow_import import MlflowSource, import_mlflow

Person = Callable[[str], Client]


@pytest.fixture
def mlflow_run(tmp_path: Path) -> dict[str, Any]:
    """A run with params, a metric history and artifacts, registered as model 'digits' v1."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # mlflow's SQLAlchemy use
        warnings.simplefilter("ignore", FutureWarning)
        from mlflow.tracking import MlflowClient

        uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        experiment = client.create_experiment(
            "digits", artifact_location=(tmp_path / "mlruns").as_uri()
        )
        run = client.create_run(experiment, run_name="lr-seed-7")
        run_id = run.info.run_id
        client.log_param(run_id, "C", "0.05")
        for step, value in enumerate([0.8, 0.9, 0.93]):
            client.log_metric(run_id, "test_accuracy", value, step=step)
        files = tmp_path / "files"
        (files / "model").mkdir(parents=True)
        (files / "model" / "model.json").write_text('{"coef": [1, 2]}\n')
        (files / "train.log").write_text("epoch 1\nepoch 2\n")
        client.log_artifacts(run_id, str(files))
        client.set_terminated(run_id)
        client.create_registered_model("digits")
        version = client.create_model_version(
            "digits", f"{run.info.artifact_uri}/model", run_id=run_id
        )
    return {"uri": uri, "run_id": run_id, "model_version": str(version.version), "files": files}


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
