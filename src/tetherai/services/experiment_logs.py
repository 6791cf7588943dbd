"""Experiment logs into experiment records: per-epoch series and final metrics (DESIGN.md §5).

A model version registers its experiments as ``{name, log_sha256, hyperparameters, metrics,
series}`` (the model_version contract). :func:`read_experiment_log` reads a training log into
that record, so pages can chart the series. Formats, chosen by file name:

- **JSON lines** (``.jsonl``, ``.ndjson``, or ``.log``/``.txt`` whose lines are JSON objects):
  one object per step or epoch; numbers become series. An object holding
  ``hyperparameters`` (or ``params``/``config``) gives the hyper-parameters.
- **JSON** (``.json``): a list of such objects, or an object with ``hyperparameters``, series
  as ``{name: [numbers]}`` (Keras ``history`` style, also under ``history``/``series``), and
  final values under ``metrics``/``test``.
- **CSV** (``.csv``, ``.tsv``): a header row; numeric columns become series.
- **TensorBoard** event files (named ``…tfevents…`` as TensorBoard names them, or any file
  whose content is one), or a log folder holding them, read with the ``tensorboard`` package's
  event reader: every scalar becomes a series. Sub-runs — folders with event files under the log
  folder, as Keras (``train/``, ``validation/``) and ``add_scalars`` write them — give series
  named ``<run>/<tag>`` (``validation/epoch_loss``); the top folder's keep their tag.

Rules: ``epoch``, ``step``, ``iteration``, ``time``, ``timestamp`` and ``wall_time`` order the
rows and are not metrics. Rows are sorted by epoch/step when they carry one. The final
``metrics`` are the last value of every series whose name starts with ``test`` (``test_acc``,
``test/loss``), or of every series when none does — plus explicit final metrics in JSON. A
series longer than its share of ``max_points`` is thinned evenly, keeping its first and last
points. ``log_sha256`` is the SHA-256 of the log file (the directory digest for a run dir).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tetherai.crypto.errors import CanonicalizationError
from tetherai.crypto.jcs import JSONValue, canonicalize
from tetherai.errors import InvalidInput
from tetherai.extras import require
from tetherai.storage import hash_file, hash_tree

__all__ = ["ExperimentLogError", "ExperimentRecord", "read_experiment_log"]

_INDEX_KEYS = ("epoch", "step", "iteration", "time", "timestamp", "wall_time")
_TFEVENTS = "tfevents"
_PARAM_KEYS = ("hyperparameters", "params", "config")
MAX_LOG_BYTES = 256 * 1024 * 1024


class ExperimentLogError(InvalidInput):
    """A training log cannot be read as an experiment (format unknown, or malformed)."""

    code = "experiments.bad_log"
    hint = "Use JSON lines, JSON, CSV or TensorBoard event files; see the README's experiments."


@dataclass(frozen=True)
class ExperimentRecord:
    """An experiment as the model_version contract records it."""

    name: str
    log_sha256: str
    hyperparameters: dict[str, JSONValue] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    series: dict[str, list[float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, JSONValue]:
        """``{name, log_sha256, hyperparameters, metrics, series}``."""
        return {
            "name": self.name,
            "log_sha256": self.log_sha256,
            "hyperparameters": dict(self.hyperparameters),
            "metrics": dict(self.metrics),
            "series": {name: list(values) for name, values in self.series.items()},
        }


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _text_number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


class _Collector:
    """Rows of named numbers, in log order, with an optional epoch/step to sort them by."""

    def __init__(self) -> None:
        self.rows: list[tuple[float | None, int, dict[str, float]]] = []
        self.params: dict[str, JSONValue] = {}
        self.final: dict[str, float] = {}

    def add_row(self, row: Mapping[str, object]) -> None:
        for key in _PARAM_KEYS:
            value = row.get(key)
            if isinstance(value, dict):
                self.params.update(value)
        order = next(
            (_number(row[key]) for key in ("epoch", "step", "iteration") if key in row), None
        )
        values = {
            str(key): number
            for key, value in row.items()
            if key not in _INDEX_KEYS and (number := _number(value)) is not None
        }
        if values:
            self.rows.append((order, len(self.rows), values))

    def series(self) -> dict[str, list[float]]:
        ordered = sorted(self.rows, key=lambda row: (row[0] is None, row[0] or 0.0, row[1]))
        result: dict[str, list[float]] = {}
        for _, _, values in ordered:
            for name, value in values.items():
                result.setdefault(name, []).append(value)
        return result


def _loads(text: str, where: str) -> Any:
    """``json.loads``, with what it raises besides ``JSONDecodeError`` (left to the caller) as
    an ExperimentLogError: integers past Python's 4,300 digits, nesting past the recursion
    limit."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError as error:
        raise ExperimentLogError(f"{where}: a number is too long ({error})") from error
    except RecursionError as error:
        raise ExperimentLogError(f"{where}: JSON nested too deeply") from error


def _read_json_lines(text: str, collector: _Collector, where: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = _loads(line, f"{where}, line {number}")
        except json.JSONDecodeError as error:
            raise ExperimentLogError(f"{where}, line {number}: not JSON ({error.msg})") from error
        if not isinstance(row, dict):
            raise ExperimentLogError(f"{where}, line {number}: expected a JSON object")
        collector.add_row(row)


def _read_json(text: str, collector: _Collector, where: str) -> None:
    try:
        value = _loads(text, where)
    except json.JSONDecodeError as error:
        raise ExperimentLogError(
            f"{where} is not JSON: {error.msg} (line {error.lineno})"
        ) from error
    if isinstance(value, list):
        for row in value:
            if isinstance(row, dict):
                collector.add_row(row)
        return
    if not isinstance(value, dict):
        raise ExperimentLogError(f"{where}: expected a JSON object or a list of objects")
    for key in _PARAM_KEYS:
        if isinstance(value.get(key), dict):
            collector.params.update(value[key])
    for key in ("metrics", "test"):
        if isinstance(value.get(key), dict):
            for name, item in value[key].items():
                if (number := _number(item)) is not None:
                    collector.final[str(name)] = number
    history = next(
        (value[k] for k in ("history", "series") if isinstance(value.get(k), dict)), value
    )
    columns = {
        str(name): [_number(item) for item in items]
        for name, items in history.items()
        if isinstance(items, list) and name not in _INDEX_KEYS
    }
    length = max((len(items) for items in columns.values()), default=0)
    for index in range(length):
        row = {
            name: items[index]
            for name, items in columns.items()
            if index < len(items) and items[index] is not None
        }
        collector.add_row({"step": index, **row})


def _read_csv(text: str, collector: _Collector, where: str, delimiter: str) -> None:
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames:
        raise ExperimentLogError(f"{where}: a CSV log needs a header row")
    for row in reader:
        collector.add_row(
            {
                key: number
                for key, value in row.items()
                if key is not None
                and value is not None
                and (number := _text_number(value)) is not None
            }
        )


def _event_files(path: Path) -> dict[str, list[Path]]:
    """Event files by run, as TensorBoard groups them: a run is a folder holding event files
    (named ``…tfevents…``), named by its path from the log folder (``.`` for the top); a single
    file is run ``.``."""
    if path.is_file():
        return {".": [path]}
    runs: dict[str, list[Path]] = {}
    for item in sorted(path.rglob("*")):
        if item.is_file() and _TFEVENTS in item.name:
            runs.setdefault(item.parent.relative_to(path).as_posix(), []).append(item)
    return runs


def _scalar(value: Any, tensor_util: Any) -> float | None:
    if value.HasField("simple_value"):
        return _number(value.simple_value)
    if value.HasField("tensor"):  # TF2 and migrated summaries: scalars are rank-0 tensors
        array = tensor_util.make_ndarray(value.tensor)
        if array.shape == () and array.dtype.kind in "iuf":
            return _number(array.item())
    return None


def _read_tensorboard(path: Path, collector: _Collector, label: str) -> None:
    # Imported here: the reader pulls in protobuf and numpy, which only this format needs.
    loader = require("tensorboard.backend.event_processing.event_file_loader", "tensorboard")
    tensor_util = require("tensorboard.util.tensor_util", "tensorboard")

    by_step: dict[int, dict[str, float]] = {}
    for run, files in _event_files(path).items():
        for events in files:
            try:
                loaded = list(loader.EventFileLoader(str(events)).Load())
            except Exception as error:  # the reader raises a variety of protobuf and I/O errors
                reason = str(error).replace(str(events), events.name)
                raise ExperimentLogError(
                    f"{label}: cannot read TensorBoard events ({reason})"
                ) from error
            for event in loaded:
                for value in event.summary.value:
                    number = _scalar(value, tensor_util)
                    if number is not None:
                        # A sub-run's series is named run/tag (train/epoch_loss), as TensorBoard
                        # shows it; the top run's keeps its tag.
                        name = value.tag if run == "." else f"{run}/{value.tag}"
                        by_step.setdefault(int(event.step), {})[name] = number
    if not by_step:
        raise ExperimentLogError(f"{label}: no scalar values in the TensorBoard events")
    for step in sorted(by_step):
        collector.add_row({"step": step, **by_step[step]})


def _thin(series: dict[str, list[float]], max_points: int) -> dict[str, list[float]]:
    total = sum(len(values) for values in series.values())
    if total <= max_points or not series:
        return series
    share = max(2, max_points // len(series))
    thinned = {}
    for name, values in series.items():
        if len(values) <= share:
            thinned[name] = values
            continue
        step = (len(values) - 1) / (share - 1)
        thinned[name] = [values[round(index * step)] for index in range(share)]
    return thinned


def _is_event_file(path: Path) -> bool:
    """A TensorBoard event file by name (``…tfevents…``, TensorBoard's own rule) or, renamed,
    by content: TFRecord framing whose length header checks against its CRC-32C and whose
    first record is an ``Event`` naming the ``brain.Event`` file version."""
    if _TFEVENTS in path.name:
        return True
    try:
        with path.open("rb") as source:
            header = source.read(12)
            if len(header) < 12:
                return False
            (length,) = struct.unpack("<Q", header[:8])
            if not 0 < length <= 1 << 20:
                return False
            from tensorboard.compat.proto import event_pb2
            from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

            if masked_crc32c(header[:8]) != struct.unpack("<I", header[8:])[0]:
                return False
            event = event_pb2.Event.FromString(source.read(length))
    except (OSError, ValueError, struct.error):
        return False
    except Exception:  # protobuf's DecodeError: not an event
        return False
    return str(event.file_version).startswith("brain.Event:")


def _is_tensorboard(path: Path) -> bool:
    if path.is_dir():
        return any(item.is_file() and _TFEVENTS in item.name for item in path.rglob("*"))
    return _is_event_file(path)


def read_experiment_log(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    hyperparameters: Mapping[str, JSONValue] | None = None,
    max_points: int = 10_000,
) -> ExperimentRecord:
    """Read a training log into an experiment record.

    Args:
        path: the log file (or a TensorBoard run directory).
        name: the experiment's name (default: the file or directory name).
        hyperparameters: added to (and overriding) those found in the log.
        max_points: most series values kept in all (the contract's limit).

    Raises:
        ExperimentLogError: unknown format, malformed content, or no numbers at all.
        StorageError: the log is missing or unreadable.
    """
    location = Path(path)
    # Messages name the log by its file name only: a server reads uploads from a temporary
    # folder whose path is nobody's business.
    label = location.name or str(location)
    log_sha256 = hash_tree(location).sha256 if location.is_dir() else hash_file(location).sha256
    collector = _Collector()
    if _is_tensorboard(location):
        _read_tensorboard(location, collector, label)
    else:
        suffix = location.suffix.lower()
        if location.stat().st_size > MAX_LOG_BYTES:
            raise ExperimentLogError(f"{label} is larger than {MAX_LOG_BYTES} bytes")
        text = location.read_text(encoding="utf-8", errors="replace")
        if suffix in (".jsonl", ".ndjson", ".log", ".txt"):
            _read_json_lines(text, collector, label)
        elif suffix == ".json":
            _read_json(text, collector, label)
        elif suffix in (".csv", ".tsv"):
            _read_csv(text, collector, label, "\t" if suffix == ".tsv" else ",")
        else:
            raise ExperimentLogError(
                f"{label}: unknown log format {suffix or '(no extension)'!r}; "
                "use .jsonl, .json, .csv or TensorBoard event files"
            )
    series = collector.series()
    if not series and not collector.final:
        raise ExperimentLogError(f"{label} holds no numeric metrics")
    tests = [key for key in series if key.lower().startswith("test")]
    metrics = {key: series[key][-1] for key in (tests or list(series))}
    metrics.update(collector.final)
    params: dict[str, JSONValue] = {**collector.params, **(hyperparameters or {})}
    try:
        canonicalize(params)  # what the ledger will hold: said now, with the log's name
    except CanonicalizationError as error:
        raise ExperimentLogError(
            f"{label}: its hyperparameters cannot be recorded: {error.message}",
            hint="JSON numbers on the ledger are finite, and integers within ±(2**53-1)",
        ) from error
    return ExperimentRecord(
        name=name or location.name,
        log_sha256=log_sha256,
        hyperparameters=params,
        metrics=metrics,
        series=_thin(series, max_points),
    )
