"""What the ``tether network`` commands share: options, the home, the passphrase."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tetherai.cli._client import read_secret
from tetherai.cli._common import resolve_home

if TYPE_CHECKING:
    from tetherai.cluster.setup import ClusterHome

__all__ = ["ByOption", "ChannelOption", "cluster_home", "now_ms", "passphrase"]

ChannelOption = Annotated[
    str | None, typer.Option("--channel", help="The channel (default: the first).")
]
ByOption = Annotated[
    list[str],
    typer.Option(
        "--by",
        help="An org whose admin signs the change (repeat, in order: the first proposes, the "
        "others approve; it applies once the channel's approval rule is met).",
    ),
]


def passphrase(file: Path | None) -> bytes:
    return read_secret(
        file,
        "TETHER_PASSPHRASE",
        "Passphrase for the network's private keys",
        what="passphrase",
        option="--passphrase-file",
    )


def cluster_home(home: Path | None) -> ClusterHome:
    from tetherai.cluster.setup import ClusterHome

    return ClusterHome(resolve_home(home))


def now_ms() -> int:
    return time.time_ns() // 10**6
