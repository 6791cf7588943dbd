"""Factories for tests: a real single-org network in a temp dir, participants, txs."""

from __future__ import annotations

import itertools
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.common.waiting import PATIENCE
from tetherai.crypto.signature import Algorithm
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.roles import Role
from tetherai.ledger.checkpoint import CosignatureSigner, NoteSigner
from tetherai.ledger.contract import ContractRegistry
from tetherai.ledger.errors import TxNotEndorsed
from tetherai.ledger.executor import TxResult
from tetherai.ledger.transaction import Envelope
from tetherai.ordering.solo import cut_block
from tetherai.services.home import NetworkHome
from tetherai.services.network import (
    Node,
    ParticipantKey,
    init_network,
    issue_participant,
    load_node_key,
    load_participant,
    open_node,
)

PASSPHRASE = b"test-passphrase"
# Key files are written with few PBKDF2 rounds in tests (a parameter, not a patched constant):
# the default's cost is for real passphrases, not for hundreds of throwaway networks.
TEST_KDF_ROUNDS = 1_000
START_MS = 1_790_000_000_000  # 2026-09-21, a fixed clock so tests are repeatable


@dataclass
class FakeClock:
    """A manual clock in ms; the ledger reads time only through what it is given."""

    now: int = START_MS

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


class WallClock(FakeClock):
    """The machine's clock, for a network whose orderer keeps its own (a cluster's orderer
    holds each tx's time to the channel's allowed skew of its block's)."""

    def __call__(self) -> int:
        return int(time.time() * 1000)


@dataclass
class Network:
    home: NetworkHome
    node: Node
    admin: ParticipantKey
    clock: FakeClock
    ca: CertificateAuthority
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def channel(self) -> str:
        return self.node.channel

    def participant(
        self, name: str, role: Role = Role.AI_ENGINEER, algorithm: Algorithm = Algorithm.ED25519
    ) -> ParticipantKey:
        """Issue a certificate and enrol it with a membership tx signed by the admin."""
        now = datetime.fromtimestamp(self.clock() / 1000, tz=UTC)
        key = issue_participant(
            self.home, self.ca, name, role, PASSPHRASE, now, algorithm, kdf_rounds=TEST_KDF_ROUNDS
        )
        result = self.submit(
            self.admin, "membership", "enroll", {"certificate": key.certificate_pem}
        )
        assert result.valid, result
        return key

    def sign(
        self, who: ParticipantKey, contract: str, fn: str, args: dict[str, object]
    ) -> Envelope:
        return who.sign(self.channel, contract, fn, args, self.clock())

    def submit(
        self, who: ParticipantKey, contract: str, fn: str, args: dict[str, object]
    ) -> TxResult:
        """Order a call and wait for its result. A call its contract refuses is refused at
        admission (nothing is stored): it comes back as an invalid result on no block, so the
        contracts' decisions read alike whichever step made them (:meth:`together` records a
        refusal in a block, as a tx that lost a race would be)."""
        envelope = self.sign(who, contract, fn, args)
        try:
            future = self.node.orderer.submit(envelope)
        except TxNotEndorsed as refused:
            return TxResult(envelope.tx_id, False, refused.code, refused.message)
        return future.result(timeout=PATIENCE)

    def together(
        self, calls: list[tuple[ParticipantKey, str, str, dict[str, object]]]
    ) -> list[TxResult]:
        """Sign every call and commit them as one block, in this order (with its checkpoint),
        as the orderer would have cut them had they arrived at once. Call it between other
        txs (the orderer idle): the peer's lock orders it with the orderer's blocks."""
        return self.record([self.sign(who, c, fn, args) for who, c, fn, args in calls])

    def record(self, envelopes: list[Envelope]) -> list[TxResult]:
        """Commit signed envelopes as one block, past admission (see :meth:`together`): how
        txs that raced end up on the ledger, refused ones marked invalid."""
        config = self.home.config()
        orderer_key = load_node_key(self.home, config["orderer"], PASSPHRASE)
        peer_key = load_node_key(self.home, config["peer"], PASSPHRASE)
        peer = self.node.peer
        block = cut_block(peer, envelopes, orderer_key, self.clock())
        results = peer.commit(block)
        signers: list[NoteSigner | CosignatureSigner] = [
            NoteSigner(config["orderer"], orderer_key),
            CosignatureSigner(config["peer"], peer_key, timestamp=block.header.ts // 1000),
        ]
        peer.store_checkpoint(peer.checkpoint(), signers)
        return results

    def notarize(self, who: ParticipantKey, name: str | None = None) -> TxResult:
        number = next(self._counter)
        return self.submit(
            who, "notary", "notarize", {"name": name or f"doc-{number}", "sha256": f"{number:064x}"}
        )

    def close(self) -> None:
        self.node.close()


def make_network(
    root: Path,
    *,
    max_txs: int = 1000,
    max_wait: float = 0.01,
    registry: ContractRegistry | None = None,
) -> Network:
    clock = FakeClock()
    home = NetworkHome(root / "home")
    init_network(
        home,
        org="Org1",
        admin_id="admin",
        channel="main",
        passphrase=PASSPHRASE,
        now_ms=clock(),
        kdf_rounds=TEST_KDF_ROUNDS,
    )
    node = open_node(
        home, PASSPHRASE, max_txs=max_txs, max_wait=max_wait, clock=clock, registry=registry
    )
    admin = load_participant(home, "Org1", "admin", PASSPHRASE)
    ca = CertificateAuthority.load(home.ca_dir("Org1"), PASSPHRASE)
    return Network(home, node, admin, clock, ca)


def copy_network(
    template: Path,
    root: Path,
    *,
    max_txs: int = 1000,
    max_wait: float = 0.01,
    registry: ContractRegistry | None = None,
) -> Network:
    """A network opened on a copy of ``template`` (a closed network's home): the same keys,
    ledger and clock as when it was made, without making them again for every test."""
    home = NetworkHome(root / "home")
    shutil.copytree(template, home.root)
    clock = FakeClock()
    node = open_node(
        home, PASSPHRASE, max_txs=max_txs, max_wait=max_wait, clock=clock, registry=registry
    )
    admin = load_participant(home, "Org1", "admin", PASSPHRASE)
    ca = CertificateAuthority.load(home.ca_dir("Org1"), PASSPHRASE)
    return Network(home, node, admin, clock, ca)
