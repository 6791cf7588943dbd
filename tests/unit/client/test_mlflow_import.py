"""``tether import mlflow`` with runs made here by the real mlflow package: a classic model folder,
MLflow 3 logged and registered models, and a ``mlruns`` folder store. Each MLflow model becomes
one folder artifact that the ``model_signing`` tool verifies against the folder MLflow serves."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from model_signing import verifying

from tests.common.lifecycle import Cast
from tetherai.client import Client
from tetherai.client.errors import ClientError
from tetherai.client.mlflow_import import MlflowSource, import_mlflow
from tetherai.crypto.signature import Algorithm, generate_private_key, public_key_to_pem
from tetherai.storage import ArtifactEntry, signed_bundle, statement_for_entry

Person = Callable[[str], Client]
GIT_COMMIT = "9fceb02d0ae598e95dc970b74767f19372d61af8"


def model_entry(body: dict[str, Any], name: str = "model") -> ArtifactEntry:
    (found,) = [a for a in body["artifacts"] if a["name"] == name]
    return ArtifactEntry.from_json(found)


def model_signing_accepts(entry: ArtifactEntry, folder: Path, tmp_path: Path) -> None:
    """Sign the version's model-signing statement and let the tool check it on ``folder``."""
    key = generate_private_key(Algorithm.ECDSA_P256)
    signature, public = tmp_path / "model.sig", tmp_path / "signer.pub"
    signature.write_bytes(signed_bundle(statement_for_entry(entry), key))
    public.write_bytes(public_key_to_pem(key.public_key()))
    verifying.Config().use_elliptic_key_verifier(public_key=public).verify(folder, signature)


@pytest.fixture
def mlflow3_model(tmp_path: Path) -> dict[str, Any]:
    """An MLflow 3 run that logs a pyfunc model with ``name=`` and registers it, with git tags."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import mlflow
        import mlflow.pyfunc

        class Doubler(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined,misc]
            def predict(
                self, context: Any, model_input: list[float], params: Any = None
            ) -> list[float]:
                return [2 * value for value in model_input]

        uri = f"sqlite:///{tmp_path / 'mlflow3.db'}"
        mlflow.set_tracking_uri(uri)
        experiment = mlflow.create_experiment(
            "doubler", artifact_location=(tmp_path / "artifacts").as_uri()
        )
        with mlflow.start_run(experiment_id=experiment, run_name="doubler-1") as run:
            mlflow.set_tags(
                {
                    "mlflow.source.git.repoURL": "https://git.example/doubler",
                    "mlflow.source.git.commit": GIT_COMMIT,
                }
            )
            mlflow.log_param("factor", "2")
            mlflow.log_metric("test_accuracy", 0.99)
            (tmp_path / "notes.txt").write_text("trained on the digits\n")
            mlflow.log_artifact(str(tmp_path / "notes.txt"))
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=Doubler(),
                registered_model_name="doubler",
                pip_requirements=["mlflow-skinny"],  # no inference subprocess
            )
        served = Path(
            mlflow.artifacts.download_artifacts(
                "models:/doubler/1",
                dst_path=str(tmp_path / "served"),
                tracking_uri=uri,
                registry_uri=uri,
            )
        )
        mlflow.set_tracking_uri("")
    assert info.model_uri.startswith("models:/m-")
    return {"uri": uri, "run_id": run.info.run_id, "served": served}


def test_an_mlflow3_registered_model_is_one_folder_artifact_model_signing_accepts(
    person: Person, cast: Cast, mlflow3_model: dict[str, Any], tmp_path: Path
) -> None:
    alice = person("alice")
    source = MlflowSource(mlflow3_model["uri"], model="doubler", model_version="1")
    imported = import_mlflow(alice, source, cast.project, "v-ml3")
    assert imported["run_id"] == mlflow3_model["run_id"]
    body = alice.version(cast.project, "v-ml3")["version"]
    kinds = {a["name"]: a["kind"] for a in body["artifacts"]}
    assert kinds == {"model": "model", "notes.txt": "log"}
    entry = model_entry(body)
    served = mlflow3_model["served"]
    # The model as logged; MLflow adds registered_model_meta to the folders it serves.
    assert {f.path for f in entry.files or ()} | {"registered_model_meta"} == {
        p.relative_to(served).as_posix() for p in served.rglob("*") if p.is_file()
    }
    assert "MLmodel" in {f.path for f in entry.files or ()}
    model_signing_accepts(entry, served, tmp_path)
    (served / "python_model.pkl").write_bytes(b"swapped")
    with pytest.raises(ValueError, match=r"Hash mismatch for .{1,4}python_model\.pkl"):
        model_signing_accepts(entry, served, tmp_path)
    assert body["commit"] == GIT_COMMIT and body["code_repo"] == "https://git.example/doubler"
    # The same run by its id: its logged model is found by searching the run's models.
    by_run = import_mlflow(
        alice,
        MlflowSource(mlflow3_model["uri"], run_id=mlflow3_model["run_id"]),
        cast.project,
        "v-ml3r",
    )
    assert {a["name"] for a in by_run["artifacts"]} == {"model", "notes.txt"}
    assert model_entry(alice.version(cast.project, "v-ml3r")["version"]).sha256 == entry.sha256


def test_a_classic_model_folder_becomes_one_artifact(
    person: Person, cast: Cast, mlflow_run: dict[str, Any], tmp_path: Path
) -> None:
    alice = person("alice")
    source = MlflowSource(
        mlflow_run["uri"], model="digits", model_version=mlflow_run["model_version"]
    )
    imported = import_mlflow(alice, source, cast.project, "v-ml", submit=True)
    assert imported["run_id"] == mlflow_run["run_id"]
    body = alice.version(cast.project, "v-ml")["version"]
    artifacts = {a["name"]: a for a in body["artifacts"]}
    assert {n: a["kind"] for n, a in artifacts.items()} == {"model": "model", "train.log": "log"}
    assert [f["path"] for f in artifacts["model"]["files"]] == ["model.json"]
    log = (mlflow_run["files"] / "train.log").read_bytes()
    assert artifacts["train.log"]["sha256"] == hashlib.sha256(log).hexdigest()
    model_signing_accepts(model_entry(body), mlflow_run["files"] / "model", tmp_path)
    (experiment,) = body["experiments"]
    assert experiment["name"] == "mlflow:lr-seed-7"
    assert experiment["hyperparameters"] == {"C": "0.05", "mlflow_run_id": mlflow_run["run_id"]}
    assert experiment["metrics"] == {"test_accuracy": 0.93}
    assert experiment["series"] == {"test_accuracy": [0.8, 0.9, 0.93]}
    # No git tag on the run: the commit names the run, never posing as a git id.
    assert body["commit"] == f"mlflow-run:{mlflow_run['run_id']}"
    assert mlflow_run["run_id"] in body["comment"]
    assert alice.version(cast.project, "v-ml")["status"]["status"] == "submitted"


def test_a_mlruns_folder_store_is_read_and_bad_stores_are_clear_errors(
    person: Person, cast: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "mlruns"
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 writes one only if asked
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from mlflow.tracking import MlflowClient

        writer = MlflowClient(tracking_uri=str(store))
        run = writer.create_run(writer.create_experiment("folder-store"), run_name="folder-run")
        model = tmp_path / "files" / "clf"
        model.mkdir(parents=True)
        (model / "MLmodel").write_text("flavors: {}\n")
        (model / "weights.bin").write_bytes(b"w" * 100)
        writer.log_artifacts(run.info.run_id, str(tmp_path / "files"))
        writer.log_metric(run.info.run_id, "test_auc", 0.8)
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")
    alice = person("alice")
    imported = import_mlflow(
        alice, MlflowSource(str(store), run_id=run.info.run_id), cast.project, "v-folder"
    )
    assert [(a["name"], a["kind"]) for a in imported["artifacts"]] == [("clf", "model")]
    assert "MLFLOW_ALLOW_FILE_STORE" not in __import__("os").environ
    with pytest.raises(ClientError, match="not a folder here"):
        import_mlflow(
            alice, MlflowSource(str(tmp_path / "typo"), run_id="0" * 32), cast.project, "v-x"
        )
    assert not (tmp_path / "typo").exists()
    with pytest.raises(ClientError, match="MLflow"):
        import_mlflow(alice, MlflowSource(str(store), run_id="0" * 32), cast.project, "v-none")
    with pytest.raises(ClientError, match=r"MLflow: .*unsupported URI 'nosuch://store'"):
        import_mlflow(alice, MlflowSource("nosuch://store", run_id="0" * 32), cast.project, "v-y")


def test_a_tracking_server_that_keeps_failing_gets_a_few_retries_not_minutes(
    person: Person, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tracking server answering 503 to everything: the import asks it three times (two
    retries) and says what failed; a user's own MLflow retry setting still wins."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    asked: list[str] = []

    class Unavailable(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Unavailable)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    uri = f"http://127.0.0.1:{server.server_address[1]}"
    alice = person("alice")
    try:
        with pytest.raises(ClientError, match="MLflow"):
            import_mlflow(alice, MlflowSource(uri, run_id="0" * 32), cast.project, "v-down")
        assert len(asked) == 3, asked
        asked.clear()
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        with pytest.raises(ClientError, match="MLflow"):
            import_mlflow(alice, MlflowSource(uri, run_id="0" * 32), cast.project, "v-down")
        assert len(asked) == 1, asked
    finally:
        server.shutdown()
        server.server_close()
    assert "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR" not in __import__("os").environ
