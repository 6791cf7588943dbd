"""TensorBoard logs written by TensorBoard's own writer, registered through the SDK and the CLI:
sub-runs (Keras ``train/`` + ``validation/``, ``add_scalars``) become ``<run>/<tag>`` series and
the log folder a ``log`` artifact whose digest the experiment names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.common.lifecycle import Cast
from tests.common.tensorboard import add_scalars_logs, keras_logs
from tetherai.client import Client

FULL_COMMIT = "89abcdef0123456789abcdef0123456789abcdef"


def test_the_sdk_reads_a_keras_log_folder_into_an_experiment(
    person: Callable[[str], Client], cast: Cast, tmp_path: Path
) -> None:
    alice = person("alice")
    (tmp_path / "model.bin").write_bytes(b"weights")
    logs = keras_logs(tmp_path / "logs")
    with alice.run(
        cast.project, "v-keras", code_repo="https://git.example/c", commit=FULL_COMMIT
    ) as run:
        run.add_artifact("model", tmp_path / "model.bin")
        run.add_experiment_log(logs, name="keras")
    body = alice.version(cast.project, "v-keras")["version"]
    (experiment,) = body["experiments"]
    assert experiment["name"] == "keras"
    assert set(experiment["series"]) == {
        "train/epoch_loss",
        "train/epoch_accuracy",
        "validation/epoch_loss",
        "validation/epoch_accuracy",
    }
    assert experiment["series"]["validation/epoch_loss"] == pytest.approx([1.0, 0.7])
    log = next(a for a in body["artifacts"] if a["kind"] == "log")
    assert log["name"] == "logs" and {f["path"].split("/")[0] for f in log["files"]} == {
        "train",
        "validation",
    }
    assert experiment["log_sha256"] == log["sha256"]


def test_the_cli_reads_add_scalars_runs_and_refuses_what_is_not_a_log(
    terminal: Any, cast: Cast, tmp_path: Path
) -> None:
    alice = terminal("alice")
    alice.onboard()
    (tmp_path / "model.bin").write_bytes(b"weights")
    logs = add_scalars_logs(tmp_path / "runs")
    version = f"{cast.project}/v-tb"
    alice("version", "create", version, "--code-repo", "https://git.example/c",
          "--commit", FULL_COMMIT, "--model", str(tmp_path / "model.bin"),
          "--experiment-log", str(logs))  # fmt: skip
    shown = alice.json("version", "show", version)
    (experiment,) = shown["version"]["experiments"]
    assert set(experiment["series"]) == {"lr", "loss_train/loss", "loss_val/loss"}
    (tmp_path / "notes.bin").write_bytes(b"not a log")
    out = alice("version", "create", f"{cast.project}/v-bad", "--code-repo", "r",
                "--commit", FULL_COMMIT, "--experiment-log", str(tmp_path / "notes.bin"),
                expect=2)  # fmt: skip
    assert "notes.bin: unknown log format '.bin'" in out and str(tmp_path) not in out
