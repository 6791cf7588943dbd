"""Properties of the experiment-log parsers (JSON lines, JSON, CSV/TSV, TensorBoard) under
arbitrary content: a log becomes an experiment record the ledger can hold (canonical JSON), or
is refused with an ExperimentLogError that says why — never another exception.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from tetherai.contracts.model_version import check_experiments
from tetherai.crypto.jcs import canonicalize
from tetherai.errors import TetherError
from tetherai.services.experiment_logs import read_experiment_log

keys = st.sampled_from(["epoch", "step", "loss", "test_acc", "params", "hyperparameters", "lr"])
cells = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "9" * 5000, "[" * 2000])
)
rows = st.dictionaries(keys | st.text(max_size=8), cells | st.dictionaries(keys, cells), max_size=5)


def json_text(value: object) -> str:
    return json.dumps(value, allow_nan=True)


jsonl = st.lists(rows.map(json_text) | st.text(max_size=40) | cells.map(str), max_size=6).map(
    "\n".join
)
whole_json = (
    st.lists(rows, max_size=4).map(json_text)
    | rows.map(json_text)
    | st.fixed_dictionaries(
        {},
        optional={
            "history": st.dictionaries(keys, st.lists(cells, max_size=4)),
            "metrics": st.dictionaries(keys, cells),
            "params": st.dictionaries(keys, cells),
        },
    ).map(json_text)
    | st.text(max_size=60)
)
csv = st.lists(
    st.lists(cells.map(str) | keys, min_size=1, max_size=4).map(",".join), max_size=5
).map("\n".join)


def outcome(path: Path) -> None:
    try:
        record = read_experiment_log(path)
    except TetherError as error:
        refusal: TetherError | None = error
    else:
        refusal = None
        document = record.to_json()
        canonicalize(document)  # the ledger can hold it
        check_experiments([document])  # and the contract takes it
    if refusal is not None:
        assert refusal.code and refusal.message


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([".jsonl", ".log", ".json", ".csv", ".tsv"]),
    jsonl | whole_json | csv | st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
)
def test_text_logs(suffix: str, content: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"train{suffix}"
        path.write_text(content.replace("\t", ",") if suffix != ".tsv" else content, "utf-8")
        outcome(path)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-(2**40), 2**40), keys, st.floats(width=32)), min_size=1, max_size=4
    ),
    st.binary(max_size=40),
    st.integers(0, 200),
)
def test_tensorboard_event_files_whole_cut_or_corrupted(
    points: list[tuple[int, str, float]], junk: bytes, cut: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        writer = EventFileWriter(folder)
        for step, tag, value in points:
            summary = summary_pb2.Summary(
                value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)]
            )
            writer.add_event(event_pb2.Event(step=step, summary=summary))
        writer.close()
        (event_file,) = Path(folder).glob("events.out.tfevents.*")
        outcome(event_file)
        data = event_file.read_bytes()
        for broken in (data[: max(0, len(data) - cut)], data[:cut] + junk + data[cut:], junk):
            event_file.write_bytes(broken)
            outcome(event_file)
            outcome(Path(folder))  # the run directory
