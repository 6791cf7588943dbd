"""ordering layer (DESIGN.md §3, §7): puts envelopes in one order and cuts blocks."""

from tetherai.ordering.base import (
    Orderer,
)
from tetherai.ordering.errors import (
    OrdererBusy,
    OrdererClosed,
    OrderingError,
)
from tetherai.ordering.solo import (
    SoloOrderer,
    cut_block,
)

__all__ = [
    "Orderer",
    "OrdererBusy",
    "OrdererClosed",
    "OrderingError",
    "SoloOrderer",
    "cut_block",
]
