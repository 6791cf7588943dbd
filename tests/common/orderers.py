"""A real solo orderer whose commits can be held at a gate, so a test can see what happens
while a block is being committed (which txs queue, how many requests wait) without timing."""

from __future__ import annotations

import threading

from tests.common.network import PASSPHRASE, Network
from tetherai.ledger.executor import TxResult
from tetherai.ledger.transaction import Envelope
from tetherai.ordering.solo import SoloOrderer
from tetherai.services.network import load_node_key


class GatedOrderer(SoloOrderer):
    """Each block waits at ``gate`` before it is committed; ``entered`` is set when the first
    block reaches it, and ``blocks`` lists the txs of each block in the order they were cut."""

    def __init__(self, net: Network, *, max_wait: float = 0.0) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.blocks: list[list[str]] = []
        key = load_node_key(net.home, net.home.config()["orderer"], PASSPHRASE)
        super().__init__(net.node.peer, key=key, clock=net.clock, max_wait=max_wait)

    def _order(self, envelopes: list[Envelope]) -> list[TxResult]:
        self.blocks.append([envelope.tx_id for envelope in envelopes])
        self.entered.set()
        if not self.gate.wait(60):
            raise TimeoutError("the test never opened the gate")
        return super()._order(envelopes)


def gate(net: Network, *, max_wait: float = 0.0) -> GatedOrderer:
    """Replace the network's orderer with a gated one (the old one is closed first)."""
    net.node.orderer.close()
    orderer = GatedOrderer(net, max_wait=max_wait)
    net.node.orderer = orderer
    return orderer
