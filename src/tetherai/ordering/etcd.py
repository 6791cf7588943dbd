"""The etcd orderer: blocks appended to an etcd cluster (DESIGN.md §7).

etcd (Raft) gives the total order and crash-fault tolerance; this module only decides what a
valid append is. Keys of a channel live under ``/tether/<channel>/``::

    head                    {"hash": <block n-1 hash>, "height": n}   the chain head
    blocks/<n:012d>         one block (header, orderer signature, envelopes), JSON
    checkpoints/<n:012d>    the orderer-signed checkpoint note after block n
    leader                  the name of the orderer allowed to cut blocks (on a lease)
    acks/<peer>             how many blocks that peer has executed durably
    roots/<n:012d>/<peer>   that peer's state root after block n
    checked/<peer>          the last block whose root that peer compared with a majority
    compacted               blocks below this number were deleted (every peer had them)

An append is one transaction: *if* ``head`` is exactly what this orderer built on *and*
``blocks/<n>`` does not exist, put both. Two orderers can therefore never fork the chain: the
second one's compare fails, it re-reads the chain and cuts again. An append whose answer was
lost (a timeout, a member killed) is simply retried: if the first attempt landed, the compare
fails and the stored ``blocks/<n>`` has this block's hash, which counts as success — a retry
never stores a second copy.

The orderer keeps its own peer (its ledger copy): it admits txs against it, cuts blocks on top
of its head (the Merkle log frontier is needed for each header) and executes each appended
block, so it knows every tx's result and the state root it signs in the checkpoint.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tetherai.crypto.jcs import JSONValue
from tetherai.ledger.block import Block, BlockHeader
from tetherai.ledger.checkpoint import NoteSigner
from tetherai.ledger.executor import TxResult
from tetherai.ledger.peer import Peer
from tetherai.ledger.transaction import Envelope
from tetherai.ordering.batching import BatchingOrderer, Clock, cut_block, wall_clock_ms
from tetherai.ordering.errors import OrdererClosed, OrderingError
from tetherai.ordering.etcd_client import EtcdClient, EtcdUnavailable, prefix_end

__all__ = [
    "BlocksCompacted",
    "ChainKeys",
    "EtcdOrderer",
    "append_block",
    "compact",
    "decode_block",
    "encode_block",
    "read_blocks",
    "read_head",
    "sync_peer",
]

log = logging.getLogger(__name__)


class BlocksCompacted(OrderingError):
    code = "ordering.compacted"
    hint = "fetch the older blocks from another peer's API"


@dataclass(frozen=True, slots=True)
class ChainKeys:
    """The etcd keys of one channel's chain."""

    channel: str

    @property
    def prefix(self) -> str:
        return f"/tether/{self.channel}/"

    @property
    def head(self) -> str:
        return self.prefix + "head"

    @property
    def leader(self) -> str:
        return self.prefix + "leader"

    @property
    def compacted(self) -> str:
        return self.prefix + "compacted"

    def block(self, number: int) -> str:
        return f"{self.prefix}blocks/{number:012d}"

    def checkpoint(self, number: int) -> str:
        return f"{self.prefix}checkpoints/{number:012d}"

    def ack(self, peer: str) -> str:
        return f"{self.prefix}acks/{peer}"

    @property
    def acks(self) -> str:
        return self.prefix + "acks/"

    def checked(self, peer: str) -> str:
        return f"{self.checked_prefix}{peer}"

    @property
    def checked_prefix(self) -> str:
        return self.prefix + "checked/"

    def roots(self, number: int) -> str:
        return f"{self.prefix}roots/{number:012d}/"

    def root(self, number: int, peer: str) -> str:
        return self.roots(number) + peer

    def api(self, node: str) -> str:
        return f"{self.prefix}api/{node}"


# -- the block on the wire -----------------------------------------------------------------


def encode_block(block: Block) -> bytes:
    document = {
        "header": block.header.to_json(),
        "orderer_sig": base64.b64encode(block.orderer_sig).decode(),
        "envelopes": [envelope.to_json() for envelope in block.envelopes],
    }
    return json.dumps(document, separators=(",", ":")).encode()


def decode_block(data: bytes) -> Block:
    """Raises OrderingError if the stored bytes are not a block (checked again by the peer)."""
    try:
        document = json.loads(data)
        header = BlockHeader.from_json(document["header"])
        envelopes = tuple(Envelope.from_json(item) for item in document["envelopes"])
        sig = base64.b64decode(document["orderer_sig"], validate=True)
    except (ValueError, KeyError, TypeError) as error:
        raise OrderingError(f"a block stored in etcd is malformed: {error}") from error
    return Block(header, envelopes, sig)


def _head_value(height: int, block_hash: str) -> str:
    return json.dumps({"hash": block_hash, "height": height}, separators=(",", ":"))


def read_head(client: EtcdClient, keys: ChainKeys) -> int:
    """How many blocks the chain in etcd holds (0 before genesis)."""
    found = client.get(keys.head)
    if found is None:
        return 0
    height: int = json.loads(found.value)["height"]
    return height


def read_blocks(client: EtcdClient, keys: ChainKeys, start: int, limit: int = 64) -> list[Block]:
    """Up to ``limit`` consecutive blocks from ``start`` (fewer at the head).

    Raises:
        BlocksCompacted: block ``start`` was deleted from etcd after every peer had it.
    """
    kvs = client.range(keys.block(start), keys.block(start + limit), limit=limit)
    blocks = [decode_block(kv.value) for kv in kvs]
    if not blocks or blocks[0].header.number != start:
        compacted = client.get(keys.compacted)
        if compacted is not None and int(compacted.value) > start:
            raise BlocksCompacted(f"block {start} was compacted out of etcd")
        return []
    # Stop at a gap (cannot happen with appends that are transactions, but never skip one).
    run = [b for i, b in enumerate(blocks) if b.header.number == start + i]
    return run


def append_block(client: EtcdClient, keys: ChainKeys, block: Block) -> bool:
    """Append ``block`` if the chain ends where it links to; True if it is (now) stored.

    False means another block holds that number: the caller re-reads the chain. A retry of
    an append that did land is recognized by the stored block's hash, so it returns True.
    """
    header = block.header
    number = header.number
    expected = (
        client.absent(keys.head)
        if number == 0
        else client.value_is(keys.head, _head_value(number, header.prev_hash))
    )
    succeeded, responses = client.txn(
        [expected, client.absent(keys.block(number))],
        [
            client.put_op(keys.block(number), encode_block(block)),
            client.put_op(keys.head, _head_value(number + 1, header.hash)),
        ],
        [client.range_op(keys.block(number))],
    )
    if succeeded:
        return True
    stored = client.ranged(responses, 0)
    return bool(stored) and decode_block(stored[0].value).header.hash == header.hash


def sync_peer(peer: Peer, client: EtcdClient, keys: ChainKeys, batch: int = 64) -> int:
    """Commit to ``peer`` every block etcd has beyond its head; return how many."""
    done = 0
    while blocks := read_blocks(client, keys, peer.head.height, batch):
        for block in blocks:
            peer.commit(block)
        done += len(blocks)
    return done


def compact(client: EtcdClient, keys: ChainKeys, peers: Sequence[str]) -> int:
    """Delete what every one of ``peers`` is done with; return the blocks' new low mark.

    Blocks (and the orderer's checkpoint notes) go once every peer has acknowledged them;
    state roots once every peer has compared them (``checked/<peer>``), since a peer looking
    for the block where it diverged reads the others' roots above its own checked mark. A
    peer that never reported holds everything back: compaction waits for the slowest peer.
    """
    acks = _marks(client, keys.acks)
    if not peers or any(peer not in acks for peer in peers):
        return 0
    low = min(acks[peer] for peer in peers)
    found = client.get(keys.compacted)
    start = int(found.value) if found is not None else 0
    if low > start:
        # The low mark first: a reader that misses a block then learns why.
        client.put(keys.compacted, str(low))
        client.delete_range(keys.block(start), keys.block(low))
        client.delete_range(keys.checkpoint(0), keys.checkpoint(low))
    checked = _marks(client, keys.checked_prefix)
    if all(peer in checked for peer in peers):
        compared = min(checked[peer] for peer in peers) + 1
        if compared > 0:
            client.delete_range(keys.roots(0), keys.roots(compared))
    return max(low, start)


def _marks(client: EtcdClient, prefix: str) -> dict[str, int]:
    """``<prefix><peer> = n`` keys, as {peer: n}."""
    return {
        kv.key.removeprefix(prefix): int(kv.value)
        for kv in client.range(prefix, prefix_end(prefix))
    }


def _stored_result(peer: Peer, tx_id: str) -> TxResult:
    """The result of a tx another orderer's block already holds."""
    stored = peer.store.tx(tx_id)
    if stored is None:  # pragma: no cover - only called for tx ids the peer knows
        raise OrderingError(f"tx {tx_id} is not on the ledger")
    result: JSONValue = json.loads(stored.result) if stored.result else None
    return TxResult(
        stored.tx_id,
        stored.valid,
        stored.code,
        stored.message,
        stored.contract_version,
        result=result,
    )


class EtcdOrderer(BatchingOrderer):
    """Cuts blocks and appends them to etcd while it holds the channel's leader lease.

    ``campaign=False`` skips the leader key (for tests showing that the compare-and-swap
    alone keeps a single chain when two orderers do order at once). Compaction waits for
    ``peers``; ``None`` means the channel's peers in the configuration on the orderer's own
    ledger copy, read at each compaction, so a peer added by ``membership.add_peer`` holds
    compaction back from the block that added it.
    """

    def __init__(
        self,
        peer: Peer,
        client: EtcdClient,
        *,
        name: str,
        key: Ed25519PrivateKey,
        clock: Clock = wall_clock_ms,
        max_txs: int = 1000,
        max_wait: float = 0.05,
        max_pending: int = 50_000,
        lease_ttl: int = 5,
        campaign: bool = True,
        peers: Sequence[str] | None = None,
        compact_every: int = 0,
        leader_timeout: float | None = None,
    ) -> None:
        super().__init__(
            peer,
            clock=clock,
            max_txs=max_txs,
            max_wait=max_wait,
            max_pending=max_pending,
            thread_name=f"tether-etcd-orderer-{name}",
        )
        self.client = client
        self.keys = ChainKeys(peer.channel)
        self.name = name
        self._key = key
        self._note_signer = NoteSigner(name, key)
        self._peers = None if peers is None else list(peers)
        self._compact_every = compact_every
        self._ttl = lease_ttl
        self._lease = 0
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None
        self.appends = 0  # blocks this orderer stored
        self.conflicts = 0  # appends refused because another block held the number
        if campaign:
            self._campaign(leader_timeout)
        sync_peer(self._peer, client, self.keys)
        self._start()

    @property
    def peer(self) -> Peer:
        """The orderer's own ledger copy."""
        return self._peer

    # -- leadership -------------------------------------------------------------------------

    @property
    def is_leader(self) -> bool:
        return self._lease != 0

    def _campaign(self, timeout: float | None) -> None:
        """Wait until this orderer holds the leader key (the previous leader's lease expired)."""
        stop = None if timeout is None else time.monotonic() + timeout
        lease = self.client.grant(self._ttl)
        while not self._stop.is_set():
            won, _ = self.client.txn(
                [self.client.absent(self.keys.leader)],
                [self.client.put_op(self.keys.leader, self.name, lease=lease)],
                [],
            )
            if won:
                self._lease = lease
                self._keeper = threading.Thread(target=self._keep, daemon=True)
                self._keeper.start()
                log.info("orderer %s leads channel %s", self.name, self.keys.channel)
                return
            if stop is not None and time.monotonic() > stop:
                self.client.revoke(lease)
                raise OrderingError(
                    f"orderer {self.name} did not become leader in time",
                    hint="another orderer holds the leader lease",
                )
            self.client.keepalive(lease)
            time.sleep(self._ttl / 5)

    def _keep(self) -> None:
        lease = self._lease
        while not self._stop.wait(self._ttl / 3):
            try:
                alive = self.client.keepalive(lease)
            except OrderingError:
                alive = False
            if not alive:
                # The lease is gone: another orderer may lead now. Appends stay safe (the
                # compare-and-swap), but this one stops taking txs.
                log.warning(
                    "orderer %s lost the lease of channel %s: it takes no more txs",
                    self.name,
                    self.keys.channel,
                )
                self._lease = 0
                with self._condition:
                    self._closed = True
                    self._condition.notify()
                return

    def leader(self) -> str | None:
        found = self.client.get(self.keys.leader)
        return None if found is None else found.value.decode()

    # -- ordering ---------------------------------------------------------------------------

    def _order(self, envelopes: list[Envelope]) -> list[TxResult]:
        results: dict[str, TxResult] = {}
        todo = envelopes
        while todo:
            block = cut_block(self._peer, todo, self._key, self._clock())
            if self._append(block):
                self.appends += 1
                for result in self._peer.commit(block):
                    results[result.tx_id] = result
                self._publish_checkpoint(block.header.number)
                break
            # Another orderer appended first: catch up, and keep only what it did not order.
            log.info(
                "orderer %s: block %d was appended by another orderer; catching up",
                self.name,
                block.header.number,
            )
            self.conflicts += 1
            sync_peer(self._peer, self.client, self.keys)
            known = self._peer.store.known_tx_ids([e.tx_id for e in todo])
            for tx_id in known:
                results[tx_id] = _stored_result(self._peer, tx_id)
            todo = [e for e in todo if e.tx_id not in known]
        if self._compact_every and self.appends % self._compact_every == 0:
            compact(self.client, self.keys, self._compaction_peers())
        return [results[e.tx_id] for e in envelopes]

    def _compaction_peers(self) -> list[str]:
        if self._peers is not None:
            return self._peers
        return [node.name for node in self._peer.rules.peers(self._peer.store)]

    def _append(self, block: Block) -> bool:
        """Append, retrying through an etcd outage (the same block: idempotent) until closing.

        Giving up while etcd is merely unavailable would tell callers their txs failed when
        the block may have landed; only a closing orderer gives up (the answer is then
        "unknown": a client that sends the same envelope again learns ``tx.replayed``).
        """
        warned = False
        while True:
            try:
                return append_block(self.client, self.keys, block)
            except EtcdUnavailable as error:
                if self._closed or self._stop.is_set():
                    raise
                if not warned:  # once per outage: the retries are as many as it lasts
                    log.warning(
                        "orderer %s: appending block %d: %s; retrying until etcd answers",
                        self.name,
                        block.header.number,
                        error.message,
                    )
                    warned = True

    def _publish_checkpoint(self, number: int) -> None:
        note = self._peer.store_checkpoint(self._peer.checkpoint(), [self._note_signer])
        self.client.put(self.keys.checkpoint(number), note)

    def close(self) -> None:
        super().close()
        self._stop.set()
        if self._keeper is not None:
            self._keeper.join()
        if self._lease:
            with contextlib.suppress(OrderingError):
                self.client.revoke(self._lease)  # let a standby take over at once
            self._lease = 0

    def submit(self, envelope: Envelope) -> Future[TxResult]:
        if self._lease == 0 and self._keeper is not None:
            raise OrdererClosed(f"orderer {self.name} lost its leader lease")
        return super().submit(envelope)
