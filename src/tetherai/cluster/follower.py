"""A cluster peer: follows the chain in etcd, executes it, and checks it agrees (DESIGN.md §7).

How it follows: **range reads by key**, not watches. Each round asks any etcd member for
``blocks/<height>`` … ``blocks/<height+63>`` in one linearizable read; when nothing is new it
sleeps a few milliseconds. A read is stateless, so failing over to another member after the
leader dies is just the next request (a watch stream would need re-establishing from a
revision, and fails outright if that revision was compacted); a peer that is far behind gets
64 blocks per round trip. The cost is up to ``idle_sleep`` of extra latency when idle.

After each batch the peer, in one etcd transaction, publishes ``roots/<n>/<peer>`` (its state
root after each block) and ``acks/<peer>`` (its height, which lets the orderer compact). It
then compares its latest root with the other peers': state roots chain every block's results,
so agreeing on block n means agreeing on every block before it. If a majority of the
channel's peers agree on a root that is not this peer's, the peer stops (no more blocks, no
more writes) and reports the first block whose root differs. "The channel's peers" are those
of the channel configuration on the ledger as of this peer's head (genesis plus every
``membership.add_peer``), so every peer counts the same members at the same block;
``cluster.toml`` only says where to reach them.

It cosigns the orderer's checkpoint for its head when its own checkpoint has the same text,
and keeps the note (orderer signature + its cosignature) in its store. Blocks already
compacted out of etcd are fetched from another peer's ``GET /blocks`` and checked by the
same :meth:`Peer.commit` (orderer signature, hash links, Merkle log).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tetherai.cluster.config import ClusterConfig, ConfigError
from tetherai.cluster.setup import ClusterHome
from tetherai.cluster.tls import NodeClients
from tetherai.contracts.membership import MembershipRules
from tetherai.contracts.registry import default_registry
from tetherai.errors import IntegrityFailure
from tetherai.ledger.block import Block, BlockHeader
from tetherai.ledger.checkpoint import CosignatureSigner, sign_checkpoint
from tetherai.ledger.peer import Peer
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.transaction import Envelope
from tetherai.ordering.errors import OrderingError
from tetherai.ordering.etcd import BlocksCompacted, ChainKeys, decode_block, read_blocks
from tetherai.ordering.etcd_client import EtcdClient, prefix_end

__all__ = ["Divergence", "PeerFollower", "follow", "stored_block"]

_BATCH = 64
_MAX_BACKOFF = 5.0
log = logging.getLogger(__name__)


def follow(
    step: Callable[[], int],
    stop: threading.Event,
    *,
    idle: float,
    report: Callable[[str | None], None],
    what: str,
) -> None:
    """Run ``step`` until ``stop`` is set; between steps that found nothing, wait ``idle``.

    Every failure is reported (``report``) and logged: the ordering service out of reach as a
    warning once per outage, anything unexpected with its traceback, then retried after a
    backoff that grows to 5 s. Only a block that fails its checks (an :class:`IntegrityFailure`:
    not the orderer's, not linked, not matching its roots) stops the loop, logged as an error:
    following past it would build on a chain this peer cannot trust.
    """
    failures = 0
    while not stop.is_set():
        try:
            found = step()
        except IntegrityFailure as error:
            report(f"{type(error).__name__}: {error}")
            log.error("%s stopped: %s", what, error, exc_info=True)
            return
        except OrderingError as error:  # etcd out of reach: keep trying, say why
            if failures == 0:
                log.warning("%s: %s; retrying", what, error.message)
            report(error.message)
            failures += 1
        except Exception as error:  # a bug or an unexpected failure: never a silent stop
            report(f"{type(error).__name__}: {error}")
            log.exception("%s failed (attempt %d); retrying", what, failures + 1)
            failures += 1
        else:
            if failures:
                log.info("%s: following again", what)
                report(None)
            failures = 0
            if found:
                continue
        stop.wait(min(idle * 2**failures, _MAX_BACKOFF) if failures else idle)


@dataclass(frozen=True, slots=True)
class Divergence:
    """This peer's state root differs from the majority's from ``block`` on."""

    block: int
    ours: str
    majority: str

    def to_json(self) -> dict[str, Any]:
        return {"block": self.block, "ours": self.ours, "majority": self.majority}


def stored_block(store: SqliteLedgerStore, number: int) -> Block | None:
    """A committed block as the orderer made it (to serve to a peer catching up)."""
    found = store.block(number)
    if found is None:
        return None
    header = BlockHeader.from_json(json.loads(found.header))
    envelopes = tuple(Envelope.from_bytes(tx.envelope) for tx in found.txs)
    return Block(header, envelopes, found.orderer_sig)


class PeerFollower:
    """One org's peer: its own ledger, fed from etcd by a background thread."""

    def __init__(
        self,
        home: ClusterHome,
        config: ClusterConfig,
        name: str,
        channel: str,
        *,
        key: Any,
        client: EtcdClient,
        clients: NodeClients,
        idle_sleep: float = 0.02,
    ) -> None:
        """``client``: etcd; ``clients``: the other nodes (over mutual TLS)."""
        self.home = home
        self.config = config
        self.spec = config.peer(name)
        self.name = name
        self.client = client
        self.clients = clients
        self.channel = channel
        self.channel_peers = config.peers_of(channel)
        if self.spec not in self.channel_peers:
            raise ConfigError(f"{name}'s org {self.spec.org} is not a member of channel {channel}")
        self.keys = ChainKeys(channel)
        path = home.node_ledger(name, channel)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.store = SqliteLedgerStore(path)
        self.peer = Peer(
            store=self.store,
            channel=channel,
            registry=default_registry(),
            rules=MembershipRules(),
        )
        self._cosigner_key = key
        self._idle = idle_sleep
        self._stop = threading.Event()
        self.divergence: Divergence | None = None
        self.error: str | None = None
        self._checked = -1  # highest block whose root was compared with a majority
        self._uncosigned: int | None = None  # the head, until its checkpoint is cosigned
        self._thread = threading.Thread(
            target=self._run, name=f"tether-peer-{name}-{channel}", daemon=True
        )

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.peer.close()
        self.store.close()

    @property
    def accepting_writes(self) -> bool:
        return self.divergence is None

    def status(self) -> dict[str, Any]:
        head = self.peer.head
        return {
            "name": self.name,
            "org": self.spec.org,
            "channel": self.channel,
            "height": head.height,
            "state_root": head.state_root,
            "accepting_writes": self.accepting_writes,
            "divergent": None if self.divergence is None else self.divergence.to_json(),
            "error": self.error,
        }

    # -- following --------------------------------------------------------------------------

    def _run(self) -> None:
        what = f"peer {self.name}, channel {self.channel}"
        log.info("%s: following from block %d", what, self.peer.head.height)

        def step() -> int:
            return self.step() if self.divergence is None else 0

        def report(error: str | None) -> None:
            self.error = error

        follow(step, self._stop, idle=self._idle, report=report, what=what)
        log.info("%s: stopped at block %d", what, self.peer.head.height - 1)

    def step(self) -> int:
        """Fetch and commit the next blocks; publish and compare roots. Return how many."""
        start = self.peer.head.height
        try:
            blocks = read_blocks(self.client, self.keys, start, _BATCH)
        except BlocksCompacted:
            blocks = self._blocks_from_peers(start)
        roots: list[tuple[int, str]] = []
        for block in blocks:
            self.peer.commit(block)
            roots.append((block.header.number, self.peer.head.state_root))
            if block.header.number == 0:  # what `tether init` records for a solo ledger
                self.store.set_meta("channel", self.channel)
                self.store.set_meta("genesis_hash", block.header.hash)
        if roots:
            self._publish(roots)
            self._uncosigned = roots[-1][0]
            self.error = None
        if self._uncosigned is not None:
            self._cosign(self._uncosigned)
        self._compare()
        return len(roots)

    def _publish(self, roots: list[tuple[int, str]]) -> None:
        ops = [self.client.put_op(self.keys.root(n, self.name), root) for n, root in roots]
        ops.append(self.client.put_op(self.keys.ack(self.name), str(self.peer.head.height)))
        if self._checked >= 0:  # lets compaction drop the roots every peer has compared
            ops.append(self.client.put_op(self.keys.checked(self.name), str(self._checked)))
        self.client.txn([], ops, [])

    def _cosign(self, number: int) -> None:
        """Cosign the orderer's checkpoint of the head (it may land just after the block)."""
        found = self.client.get(self.keys.checkpoint(number))
        if found is None:
            return  # not there yet: tried again next round
        self._uncosigned = None
        note = found.value.decode()
        checkpoint = self.peer.checkpoint()
        ts = self.store.block_ts(number) // 1000
        ours = sign_checkpoint(
            checkpoint.to_checkpoint(),
            [CosignatureSigner(self.name, self._cosigner_key, timestamp=ts)],
        )
        body, _, signatures = ours.partition("\n\n")
        if not note.startswith(body + "\n\n"):
            return  # the orderer's checkpoint says another state: the root comparison reports it
        self.store.add_checkpoint(checkpoint.size, number, note + signatures)

    def members(self) -> list[str]:
        """The channel's peers in the configuration on this peer's ledger, as of its head."""
        return [node.name for node in self.peer.rules.peers(self.store)]

    def _majority(self, number: int) -> str | None:
        members = set(self.members())
        needed = len(members) // 2 + 1
        counts: dict[str, int] = {}
        prefix = self.keys.roots(number)
        for kv in self.client.range(prefix, prefix_end(prefix)):
            if kv.key.removeprefix(prefix) not in members:
                continue  # a node that is not (yet) a peer of the channel has no say
            root = kv.value.decode()
            counts[root] = counts.get(root, 0) + 1
        for root, count in counts.items():
            if count >= needed:
                return root
        return None

    def _compare(self) -> None:
        last = self.peer.head.height - 1
        if last <= self._checked:
            return
        majority = self._majority(last)
        if majority is None:
            return  # the others have not reached this block yet
        ours = self.store.block(last)
        assert ours is not None
        if majority == ours.state_root:
            self._checked = last
            return
        self.divergence = self._first_divergent(self._checked + 1, last)
        log.error(
            "peer %s, channel %s: state root differs from the majority's from block %d "
            "(ours %s, majority %s); accepting no writes",
            self.name,
            self.channel,
            self.divergence.block,
            self.divergence.ours,
            self.divergence.majority,
        )

    def _first_divergent(self, low: int, high: int) -> Divergence:
        """Binary search: roots chain, so once they differ they differ ever after."""
        while low < high:
            middle = (low + high) // 2
            majority = self._majority(middle)
            ours = self.store.block(middle)
            # No roots left for a block means they were compacted after every peer had
            # compared them: it agreed.
            if majority is None or (ours is not None and majority == ours.state_root):
                low = middle + 1
            else:
                high = middle
        ours_block = self.store.block(low)
        return Divergence(
            low, ours_block.state_root if ours_block else "", self._majority(low) or "unknown"
        )

    def _blocks_from_peers(self, start: int) -> list[Block]:
        """Blocks etcd no longer has, from another peer's API (checked again on commit)."""
        for other in self.channel_peers:
            if other.name == self.name:
                continue
            try:
                response = self.clients.client(other.org).get(
                    f"{other.url}/blocks",
                    params={"channel": self.channel, "start": start, "limit": _BATCH},
                    timeout=10,
                )
                if response.status_code != 200:
                    continue
                items = response.json()["blocks"]
            except (httpx.HTTPError, ValueError, KeyError):
                continue
            blocks = [decode_block(json.dumps(item).encode()) for item in items]
            if blocks:
                return blocks
        raise OrderingError(
            f"block {start} was compacted out of etcd and no other peer served it",
            hint="start another peer of the channel",
        )

    def wait_for(self, height: int, timeout: float) -> bool:
        stop = time.monotonic() + timeout
        while self.peer.head.height < height:
            if time.monotonic() > stop:
                return False
            time.sleep(0.01)
        return True
