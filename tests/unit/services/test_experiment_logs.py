"""Training logs (JSON lines, JSON, CSV, TensorBoard events) into experiment records."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.util import tensor_util

from tests.common.tensorboard import add_scalars_logs, keras_logs, write_run
from tetherai.services.experiment_logs import ExperimentLogError, read_experiment_log
from tetherai.storage import ObjectNotFound


def test_json_lines_give_series_hyperparameters_and_final_test_metrics(tmp_path: Path) -> None:
    log = tmp_path / "train.jsonl"
    lines = [
        {"hyperparameters": {"lr": 0.01, "batch": 32}},
        {"epoch": 2, "loss": 0.4, "val_acc": 0.8},
        {"epoch": 1, "loss": 0.9, "val_acc": 0.6, "note": "warm-up"},
        {"epoch": 3, "loss": 0.2, "val_acc": 0.9},
        {"test_acc": 0.88, "test_loss": 0.25},
    ]
    log.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    record = read_experiment_log(log, hyperparameters={"seed": 7})
    assert record.name == "train.jsonl"
    assert record.log_sha256 == hashlib.sha256(log.read_bytes()).hexdigest()
    assert record.hyperparameters == {"lr": 0.01, "batch": 32, "seed": 7}
    assert record.series["loss"] == [0.9, 0.4, 0.2]  # sorted by epoch
    assert record.series["val_acc"] == [0.6, 0.8, 0.9]
    assert record.metrics == {"test_acc": 0.88, "test_loss": 0.25}
    value = record.to_json()
    assert json.loads(json.dumps(value)) == value and set(value) == {
        "name",
        "log_sha256",
        "hyperparameters",
        "metrics",
        "series",
    }


def test_keras_style_json_and_csv(tmp_path: Path) -> None:
    history = tmp_path / "history.json"
    history.write_text(
        json.dumps(
            {
                "params": {"optimizer": "adam"},
                "history": {"loss": [1.0, 0.5], "accuracy": [0.5, 0.7]},
                "metrics": {"auc": 0.91},
            }
        )
    )
    record = read_experiment_log(history, name="run-1")
    assert record.name == "run-1" and record.hyperparameters == {"optimizer": "adam"}
    assert record.series == {"loss": [1.0, 0.5], "accuracy": [0.5, 0.7]}
    assert record.metrics == {"loss": 0.5, "accuracy": 0.7, "auc": 0.91}
    table = tmp_path / "metrics.csv"
    table.write_text("epoch,loss,test_f1,comment\n1,0.7,0.5,ok\n2,0.5,nan,\n3,0.3,0.75,done\n")
    csv_record = read_experiment_log(table)
    assert csv_record.series == {"loss": [0.7, 0.5, 0.3], "test_f1": [0.5, 0.75]}
    assert csv_record.metrics == {"test_f1": 0.75}


def write_events(directory: Path) -> None:
    writer = EventFileWriter(str(directory))
    for step, (loss, acc) in enumerate([(0.9, 0.5), (0.6, 0.7), (0.4, 0.8)]):
        summary = summary_pb2.Summary(
            value=[
                summary_pb2.Summary.Value(tag="loss", simple_value=loss),
                # How TF2 writes scalars: a rank-0 tensor with the scalars plugin.
                summary_pb2.Summary.Value(
                    tag="test/accuracy",
                    tensor=tensor_util.make_tensor_proto(acc),
                    metadata=summary_pb2.SummaryMetadata(
                        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")
                    ),
                ),
            ]
        )
        writer.add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary))
    writer.close()


def test_tensorboard_event_files(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    write_events(run)
    record = read_experiment_log(run)
    assert record.series["loss"] == pytest.approx([0.9, 0.6, 0.4])
    assert record.series["test/accuracy"] == pytest.approx([0.5, 0.7, 0.8])
    assert record.metrics == pytest.approx({"test/accuracy": 0.8})
    (events,) = run.iterdir()
    assert read_experiment_log(events).series == record.series


def test_long_series_are_thinned_keeping_both_ends(tmp_path: Path) -> None:
    log = tmp_path / "long.jsonl"
    log.write_text("\n".join(json.dumps({"step": i, "loss": float(i)}) for i in range(50_000)))
    record = read_experiment_log(log, max_points=1000)
    assert len(record.series["loss"]) == 1000
    assert record.series["loss"][0] == 0.0 and record.series["loss"][-1] == 49_999.0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.jsonl", '{"loss": 1}\n{oops\n', "line 2: not JSON"),
        ("list.jsonl", "[1, 2]\n", "line 1: expected a JSON object"),
        ("bad.json", "{", "is not JSON"),
        ("words.json", '"hello"', "expected a JSON object"),
        ("empty.csv", "", "header row"),
        ("nothing.jsonl", '{"note": "no numbers"}\n', "no numeric metrics"),
        ("model.bin", "x", "unknown log format '.bin'"),
        (
            "big.jsonl",
            '{"loss": 1, "hyperparameters": {"seed": 9007199254740993}}\n',
            r"big.jsonl: its hyperparameters cannot be recorded: .*integer 9007199254740993",
        ),
        (
            "nan.jsonl",
            '{"loss": 1, "hyperparameters": {"lr": NaN}}\n',
            "nan.jsonl: its hyperparameters cannot be recorded",
        ),
    ],
)
def test_bad_logs_get_clear_errors(tmp_path: Path, name: str, content: str, message: str) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(ExperimentLogError, match=message):
        read_experiment_log(tmp_path / name)


def test_missing_and_broken_tensorboard_logs(tmp_path: Path) -> None:
    with pytest.raises(ObjectNotFound):
        read_experiment_log(tmp_path / "missing.jsonl")
    (tmp_path / "events.out.tfevents.1.host").write_bytes(b"\x00" * 64)
    with pytest.raises(ExperimentLogError):
        read_experiment_log(tmp_path / "events.out.tfevents.1.host")


def test_keras_train_and_validation_sub_runs_are_series_named_by_run(tmp_path: Path) -> None:
    logs = keras_logs(tmp_path / "logs")
    record = read_experiment_log(logs)
    expected = {
        "train/epoch_loss": [0.9, 0.5],
        "train/epoch_accuracy": [0.6, 0.8],
        "validation/epoch_loss": [1.0, 0.7],
        "validation/epoch_accuracy": [0.5, 0.7],
    }
    assert set(record.series) == set(expected)
    for name, values in expected.items():
        assert record.series[name] == pytest.approx(values)
    assert record.metrics["validation/epoch_accuracy"] == pytest.approx(0.7)


def test_add_scalars_runs_beside_the_top_runs_tags(tmp_path: Path) -> None:
    logs = add_scalars_logs(tmp_path / "runs")
    record = read_experiment_log(logs)
    assert set(record.series) == {"lr", "loss_train/loss", "loss_val/loss"}
    assert record.series["loss_val/loss"] == pytest.approx([0.9, 0.6, 0.5])


def test_an_event_file_is_known_by_its_content_and_errors_show_no_folder(tmp_path: Path) -> None:
    written = write_run(tmp_path / "w", {"test_auc": [0.7, 0.8]})
    renamed = tmp_path / "upload.vm"  # what a browser upload may be called
    renamed.write_bytes(written.read_bytes())
    assert read_experiment_log(renamed).metrics == pytest.approx({"test_auc": 0.8})
    hostname = tmp_path / "events.out.tfevents.1700000000.gpu-7.vm"
    hostname.write_bytes(written.read_bytes())
    assert read_experiment_log(hostname).series == {"test_auc": pytest.approx([0.7, 0.8])}
    (tmp_path / "notes.vm").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00 not an event file")
    with pytest.raises(ExperimentLogError) as refused:
        read_experiment_log(tmp_path / "notes.vm")
    assert "notes.vm: unknown log format '.vm'" in refused.value.message
    assert str(tmp_path) not in refused.value.message
    (tmp_path / "events.out.tfevents.2.host").write_bytes(b"\x00" * 64)
    with pytest.raises(ExperimentLogError) as broken:
        read_experiment_log(tmp_path / "events.out.tfevents.2.host")
    assert str(tmp_path) not in broken.value.message
