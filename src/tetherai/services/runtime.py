"""What the API and the pages work with: the node (peer + orderer) opened once from the
settings, and the services over it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from tetherai.crypto.jcs import JSONValue
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.roles import Role
from tetherai.ledger.executor import TxResult
from tetherai.ledger.peer import Peer
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.transaction import Envelope, Transaction
from tetherai.ordering.base import Orderer
from tetherai.services import ledger_info, ledger_views
from tetherai.services.access import viewer, viewer_of
from tetherai.services.accounts import Accounts
from tetherai.services.admission_line import AdmissionLine
from tetherai.services.artifacts import Artifacts
from tetherai.services.auth import AuthService, NotPermitted, UserInfo
from tetherai.services.custody import KeyCustody
from tetherai.services.db import SessionFactory
from tetherai.services.mail import SmtpMailer
from tetherai.services.network import Node
from tetherai.services.notifications import NotificationService
from tetherai.services.possession import Possession
from tetherai.services.projection_follower import ProjectionFollower
from tetherai.services.rate_limit import SlidingWindow
from tetherai.services.settings import Settings
from tetherai.services.txs import Signer, act, act_async, submit, submit_async
from tetherai.storage import ArtifactSpec, StoredObject, VerificationReport

__all__ = ["Runtime", "may_verify_ledger"]


def may_verify_ledger(user: UserInfo) -> bool:
    """Who may run a full verification of the ledger: org admins and auditors."""
    return user.role in (Role.ORG_ADMIN, Role.AUDITOR)


@dataclass
class Runtime:
    settings: Settings
    node: Node
    auth: AuthService
    custody: KeyCustody
    ca: CertificateAuthority
    """The org's CA: issues the certificates of web users' keys."""
    artifacts: Artifacts
    notifications: NotificationService
    possession: Possession
    """Who had which object's bytes here, and the rule for serving and registering them."""
    accounts: Accounts = field(init=False)
    """People's accounts with their keys on the ledger (invite, reset, disable, keys)."""
    last_verification: dict[str, Any] | None = None
    """The report of the last full verification run through the API."""
    projections: SessionFactory | None = None
    """Read-only sessions of the service database (projections of the ledger, for listings)."""
    follower: ProjectionFollower | None = None
    """Keeps the projections current (set by the app once started)."""
    admission: AdmissionLine = field(default_factory=AdmissionLine)
    """The threads the server's writes are checked, signed and admitted in (closed with
    the app)."""
    _summary: tuple[int, dict[str, JSONValue]] | None = None

    def ledger_summary(self) -> dict[str, JSONValue]:
        """The ledger summary, recomputed only after the ledger changed (it is polled)."""
        version = self.peer.store.version  # read first: a newer body under an older key is safe
        body = ledger_info.ledger_summary(self.reader(), self.node.channel)
        self._summary = (version, body)
        return body

    def cached_ledger_summary(self) -> dict[str, JSONValue] | None:
        """The summary if the ledger has not changed since it was computed (memory only)."""
        memo = self._summary
        return memo[1] if memo is not None and memo[0] == self.peer.store.version else None

    def __post_init__(self) -> None:
        smtp = self.settings.smtp
        self.accounts = Accounts(
            self.auth,
            self.custody,
            self,
            self.notifications,
            mailer=None if smtp is None else SmtpMailer(smtp),
            link_base=self.settings.link_base(),
            signin_attempts=SlidingWindow(self.settings.signin_attempts_per_minute, 60),
        )

    @property
    def peer(self) -> Peer:
        return self.node.peer

    @property
    def orderer(self) -> Orderer:
        return self.node.orderer

    def check_possession(
        self, org: str, participant: str, contract: str, fn: str, args: Mapping[str, Any]
    ) -> None:
        """Refuse a registration naming objects of the store its registrant never had here
        (``services.possession``); every write through this server passes here first."""
        self.possession.check_registration(
            self.reader(),
            viewer(org, participant, ""),
            contract,
            fn,
            args,
            self.artifacts.store.uri_for,
        )

    def act(self, signer: Signer, contract: str, fn: str, args: Mapping[str, Any]) -> TxResult:
        """Sign ``contract.fn(args)`` as ``signer`` with the node's clock and wait for its block."""
        self.check_possession(signer.org, signer.id, contract, fn, args)
        return act(
            self.orderer,
            signer,
            channel=self.node.channel,
            clock=self.orderer.clock,
            contract=contract,
            fn=fn,
            args=args,
            check=self.simulate,
        )

    def simulate(self, tx: Transaction) -> TxResult:
        """What the contracts would make of an unsigned tx now (``Peer.simulate``): the check
        every write through this server passes before the person's key signs it."""
        return self.peer.simulate(tx, now_ms=self.orderer.clock())

    def upload(self, source: BinaryIO, org: str, participant: str) -> StoredObject:
        """Store an upload and remember that ``participant@org`` holds its bytes."""
        stored = self.artifacts.store.put(source)
        self.possession.holders.record(stored.sha256, org, participant, "uploaded")
        return stored

    def hash_in_place(
        self, specs: Sequence[ArtifactSpec], org: str, participant: str
    ) -> list[JSONValue]:
        """Hash locations ``participant@org`` registers in place, reading only what the server
        may read for them (``Possession.reader_for_person``)."""
        reader = self.possession.reader_for_person(
            self.reader(),
            viewer(org, participant, ""),
            self.artifacts.reader,
            self.artifacts.store.uri_for,
        )
        return self.artifacts.build_manifest(specs, upload=False, reader=reader)

    def rehash(self, version_ref: str, manifest: Sequence[Mapping[str, Any]]) -> VerificationReport:
        """Re-hash a version's artifacts for a reader of it, reading only what the server may
        read for them (``Possession.reader_for_version``).

        Raises:
            NotReadHere: an artifact lies where the server does not read for them.
        """
        entries = [entry for entry in manifest if isinstance(entry, Mapping)]
        reader = self.possession.reader_for_version(
            self.reader(), version_ref, entries, self.artifacts.reader, self.artifacts.store.uri_for
        )
        return self.artifacts.verify(entries, reader=reader)

    def submit(self, envelope: Envelope) -> TxResult:
        """Submit an envelope signed elsewhere and wait for its block (after the same
        possession check as :meth:`act`, for its creator)."""
        tx = envelope.tx
        self.check_possession(tx.creator.org, tx.creator.id, tx.contract, tx.fn, tx.args)
        return submit(self.orderer, envelope)

    async def submit_async(self, envelope: Envelope) -> TxResult:
        """:meth:`submit` for async routes: the checks and admission run in one trip to the
        admission threads, the wait for the block holds none."""
        tx = envelope.tx

        def check() -> None:
            self.check_possession(tx.creator.org, tx.creator.id, tx.contract, tx.fn, tx.args)

        return await submit_async(self.orderer, envelope, line=self.admission, check=check)

    async def act_async(
        self,
        signer: Signer,
        contract: str,
        fn: str,
        args: Mapping[str, Any],
        *,
        first: Callable[[], object] | None = None,
    ) -> TxResult:
        """:meth:`act` for async routes: the checks, signing and admission run in one trip to
        the admission threads, the wait for the block holds none. ``first``: the caller's own
        check (who may act on the project), run first in the same trip; under load each trip
        waits its turn in the line."""

        def check(tx: Transaction) -> TxResult:
            if first is not None:
                first()
            self.check_possession(signer.org, signer.id, contract, fn, args)
            return self.simulate(tx)

        return await act_async(
            self.orderer,
            signer,
            line=self.admission,
            channel=self.node.channel,
            clock=self.orderer.clock,
            contract=contract,
            fn=fn,
            args=args,
            check=check,
        )

    async def projected(self, *, timeout: float = 3.0) -> bool:
        """Wait (bounded, holding no thread) until the projections include every committed
        block, so a page shown right after a write lists it; False if they did not in time."""
        if self.follower is None:
            return True
        return await self.follower.reached(self.peer.head.height, timeout=timeout)

    def verify_ledger(self, user: UserInfo) -> dict[str, Any]:
        """Replay the whole ledger now (org admins and auditors); the report as ``user`` may see
        it, kept as the last verification.

        Raises:
            NotPermitted: ``user`` is neither an org admin nor an auditor.
        """
        if not may_verify_ledger(user):
            raise NotPermitted(
                f"only org admins and auditors run a full verification; you are {user.role.value}",
                hint="ask an org admin or an auditor of your org",
            )
        store = SqliteLedgerStore(self.peer.store.path, readonly=True)
        try:
            report = ledger_info.verify(store, self.node.channel)
        finally:
            store.close()
        self.last_verification = found = report.to_json()
        shown = ledger_views.verification_view(found, self.reader(), viewer_of(user))
        return found if shown is None else shown

    def query(self, contract: str, fn: str, args: Mapping[str, JSONValue]) -> JSONValue:
        """A contract query against the latest state."""
        return self.peer.query(contract, fn, dict(args))

    def now_ms(self) -> int:
        """The node's clock (the one txs are stamped with)."""
        return self.orderer.clock()

    def reader(self) -> SqliteLedgerStore:
        """A read-only view of the ledger for the calling thread."""
        return self.node.peer.store.reader()
