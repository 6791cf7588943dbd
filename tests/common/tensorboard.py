"""TensorBoard event files written by TensorBoard's own writer, as training scripts leave them."""

from __future__ import annotations

import time
from pathlib import Path

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.util import tensor_util

SCALARS_PLUGIN = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")
)


def write_run(folder: Path, values: dict[str, list[float]], *, tf2: bool = False) -> Path:
    """One run's event file, written by TensorBoard's own EventFileWriter: scalars as
    ``simple_value`` (as PyTorch's SummaryWriter writes them) or rank-0 tensors (as TF2/Keras)."""
    folder.mkdir(parents=True, exist_ok=True)
    writer = EventFileWriter(str(folder))
    steps = max(len(series) for series in values.values())
    for step in range(steps):
        summary = summary_pb2.Summary()
        for tag, series in values.items():
            if step < len(series):
                if tf2:
                    summary.value.add(
                        tag=tag,
                        tensor=tensor_util.make_tensor_proto(series[step]),
                        metadata=SCALARS_PLUGIN,
                    )
                else:
                    summary.value.add(tag=tag, simple_value=series[step])
        writer.add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary))
    writer.close()
    (written,) = folder.glob("events.out.tfevents.*")
    return written


def keras_logs(root: Path) -> Path:
    """A Keras TensorBoard callback's log folder: ``train/`` and ``validation/`` runs."""
    write_run(root / "train", {"epoch_loss": [0.9, 0.5], "epoch_accuracy": [0.6, 0.8]}, tf2=True)
    write_run(
        root / "validation", {"epoch_loss": [1.0, 0.7], "epoch_accuracy": [0.5, 0.7]}, tf2=True
    )
    return root


def add_scalars_logs(root: Path) -> Path:
    """PyTorch's ``add_scalars("loss", {"train": …, "val": …})`` beside the main writer's ``lr``."""
    write_run(root, {"lr": [0.1, 0.05, 0.01]})
    write_run(root / "loss_train", {"loss": [0.8, 0.4, 0.2]})
    write_run(root / "loss_val", {"loss": [0.9, 0.6, 0.5]})
    return root
