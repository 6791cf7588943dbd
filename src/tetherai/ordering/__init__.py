"""ordering layer (DESIGN.md §3, §7): puts envelopes in one order and cuts blocks."""

from tetherai.ordering.base import (
    Orderer,
)
from tetherai.ordering.batching import (
    BatchingOrderer,
    Clock,
    cut_block,
    wall_clock_ms,
)
from tetherai.ordering.errors import (
    CommitTimeout,
    OrdererBusy,
    OrdererClosed,
    OrderingError,
)
from tetherai.ordering.etcd import (
    BlocksCompacted,
    ChainKeys,
    EtcdOrderer,
    append_block,
    compact,
    decode_block,
    encode_block,
    read_blocks,
    read_head,
    sync_peer,
)
from tetherai.ordering.etcd_client import (
    EtcdClient,
    EtcdUnavailable,
    KeyValue,
    prefix_end,
)
from tetherai.ordering.solo import (
    CheckpointSigners,
    SoloOrderer,
)

__all__ = [
    "BatchingOrderer",
    "BlocksCompacted",
    "ChainKeys",
    "CheckpointSigners",
    "Clock",
    "CommitTimeout",
    "EtcdClient",
    "EtcdOrderer",
    "EtcdUnavailable",
    "KeyValue",
    "Orderer",
    "OrdererBusy",
    "OrdererClosed",
    "OrderingError",
    "SoloOrderer",
    "append_block",
    "compact",
    "cut_block",
    "decode_block",
    "encode_block",
    "prefix_end",
    "read_blocks",
    "read_head",
    "sync_peer",
    "wall_clock_ms",
]
