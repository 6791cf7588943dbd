"""Possession, not knowledge: who may have an object's bytes from this server (SECURITY.md).

Knowing a digest gives nothing. A person gets the bytes of object ``X`` from this server's
store only if

- they *hold* ``X`` here: they uploaded those bytes, or received them earlier through a
  version they could read (``ObjectHolder`` rows, this server's own record); or
- they may read a version that lists ``X`` (an artifact, or a file of a folder artifact) and
  that version's claim is *grounded*: its registrant held ``X`` here, or the artifact is a
  reuse the confidential contract checked (the registrant could read the source version at
  registration) whose source is grounded in turn.

So a version that merely names someone else's digest — signed anywhere, through any server —
opens nothing: its registrant never held the bytes. Registering such a reference through this
server is refused up front (:meth:`Possession.check_registration`), with words that do not
depend on whether the object exists.

The server's own credentials read a location registered *in place* (``s3://`` outside its
store, ``file://``) only under prefixes the operator allow-listed for the registrant's org
(``TETHER_IN_PLACE``, :class:`InPlaceAllowList`): listing a prefix for an org declares that
everyone of that org may read it. Anything else registered in place is hashed and verified by
people with their own credentials (``tether verify --from-store``), never by the server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy.exc import IntegrityError

from tetherai.errors import PermissionDenied, TetherError
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.services.access import Viewer, Visibility
from tetherai.services.artifacts import InPlaceAllowList
from tetherai.services.db import ObjectHolder, SessionFactory, transaction
from tetherai.services.db.engine import reading
from tetherai.storage.base import ListedObject, ObjectReader
from tetherai.storage.errors import StorageError, UnsupportedURI
from tetherai.storage.uri import content_uri, digest_of_content_uri, is_prefix

__all__ = [
    "GuardedReader",
    "NotHeld",
    "NotReadHere",
    "ObjectHolders",
    "Possession",
]

MAX_REUSE_DEPTH = 32
"""How many reuse hops a grounding may follow (each hop is a version reusing an older one)."""


class NotHeld(PermissionDenied, TetherError):
    """A registration names an object of this server's store its registrant never had here."""

    code = "objects.not_held"


class ObjectHolders:
    """The ``object_holders`` table: who had which object's bytes on this server."""

    def __init__(self, sessions: SessionFactory, *, clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._reads = reading(sessions)
        self._clock = clock

    def record(self, sha256: str, org: str, participant: str, how: str) -> None:
        """Remember that ``participant@org`` had the bytes (once; the first way is kept)."""
        if self.holds(sha256, org, participant):
            return
        try:
            with transaction(self._sessions) as session:
                session.add(
                    ObjectHolder(
                        sha256=sha256, org=org, participant=participant, how=how, at=self._clock()
                    )
                )
        except IntegrityError:  # recorded meanwhile by a concurrent request: the same fact
            pass

    def holds(self, sha256: str, org: str, participant: str) -> bool:
        with transaction(self._reads) as session:
            found = session.get(ObjectHolder, (sha256, org, participant))
            return found is not None


def _digests(artifact: Mapping[str, Any]) -> set[str]:
    """The objects an artifact entry names: its own digest and its files'."""
    found = {str(artifact.get("sha256"))}
    for item in artifact.get("files") or []:
        if isinstance(item, dict):
            found.add(str(item.get("sha256")))
    return found


def _author(record: Mapping[str, Any]) -> tuple[str, str]:
    participant, _, org = str(record.get("author", "")).rpartition("@")
    return org, participant


class Possession:
    """The possession rule over this server's holder records and the ledger."""

    def __init__(self, holders: ObjectHolders, allow_list: InPlaceAllowList) -> None:
        self.holders = holders
        self.allow_list = allow_list

    # -- is a version's claim on an object grounded? ---------------------------------------

    def _trusted_reuse(self, store: SqliteLedgerStore, record: Mapping[str, Any]) -> bool:
        """Whether the version record's ``reused_from`` fields were written by a confidential
        contract (version 1 took them from the caller, so they prove nothing)."""
        tx_id = record.get("tx_id")
        stored = store.tx(str(tx_id)) if isinstance(tx_id, str) else None
        version = stored.contract_version if stored is not None else None
        return version is not None and version.isdigit() and int(version) >= 2

    def grounded(self, store: SqliteLedgerStore, version_ref: str, sha256: str) -> bool:
        """Whether version ``version_ref`` lists ``sha256`` and its registrant had the bytes
        (held them here, or reused them, checked by the contract, from a grounded version)."""
        seen: set[str] = set()
        pending = [version_ref]
        while pending and len(seen) < MAX_REUSE_DEPTH:
            ref = pending.pop()
            if ref in seen:
                continue
            seen.add(ref)
            record = store.get(f"model_version/{ref}")
            artifacts = record.get("artifacts") if isinstance(record, dict) else None
            if not isinstance(record, dict) or not isinstance(artifacts, list):
                continue
            listing = [a for a in artifacts if isinstance(a, dict) and sha256 in _digests(a)]
            if not listing:
                continue
            if self.holders.holds(sha256, *_author(record)):
                return True
            if self._trusted_reuse(store, record):
                pending += [str(a["reused_from"]) for a in listing if a.get("reused_from")]
        return False

    # -- may this person have the bytes? ----------------------------------------------------

    def may_fetch(
        self, store: SqliteLedgerStore, who: Viewer, sha256: str, version: str | None = None
    ) -> bool:
        """Whether ``who`` may have object ``sha256``'s bytes (``version``: through which
        version, e.g. a draft or a file of a folder; else any submitted version is tried)."""
        if self.holders.holds(sha256, who.org, who.id):
            return True
        visible = Visibility(store, who)
        candidates: Iterable[str]
        if version is not None:
            candidates = [version]
        else:
            candidates = (
                str(use["version"])
                for _, use in store.scan(f"model_version/_digest/{sha256}/")
                if isinstance(use, dict)
            )
        return any(visible.version(ref) and self.grounded(store, ref, sha256) for ref in candidates)

    def fetch(
        self, store: SqliteLedgerStore, who: Viewer, sha256: str, version: str | None = None
    ) -> bool:
        """:meth:`may_fetch`, remembering the bytes as received when allowed."""
        if not self.may_fetch(store, who, sha256, version):
            return False
        self.holders.record(sha256, who.org, who.id, "received")
        return True

    # -- registrations through this server -------------------------------------------------

    def check_registration(
        self,
        store: SqliteLedgerStore,
        who: Viewer,
        contract: str,
        fn: str,
        args: Mapping[str, Any],
        store_uri: Callable[[str], str],
    ) -> None:
        """Refuse a version that names an object of this server's store its registrant never
        had here (reuses are the contract's to check). ``store_uri`` maps a digest to its
        URI in the store.

        Raises:
            NotHeld: the same words whether or not the object exists.
        """
        if contract != "model_version" or fn not in ("create", "update"):
            return
        artifacts = args.get("artifacts")
        for entry in artifacts if isinstance(artifacts, list) else []:
            if not isinstance(entry, dict) or "reuse" in entry:
                continue
            for sha in sorted(self._store_digests(entry, store_uri)):
                if not self.fetch(store, who, sha):
                    raise NotHeld(
                        f"artifact {str(entry.get('name'))!r} names object {sha[:12]}… of this "
                        "server's store, which you have not uploaded here",
                        hint="upload the file (POST /api/v1/objects), or reuse it from a "
                        "version you may read: {name, reuse: <sha256>}",
                    )

    @staticmethod
    def _store_digests(entry: Mapping[str, Any], store_uri: Callable[[str], str]) -> set[str]:
        """The digests an entry names as objects of the server's store (a file, or a folder's
        tree object and files); none for a location registered in place."""
        sha, uri = entry.get("sha256"), entry.get("uri")
        if not isinstance(sha, str) or not isinstance(uri, str) or is_prefix(uri):
            return set()
        try:
            if uri != store_uri(sha):
                return set()
        except (UnsupportedURI, ValueError):
            return set()
        found = {sha}
        for item in entry.get("files") or []:
            if isinstance(item, dict) and isinstance(item.get("sha256"), str):
                found.add(str(item["sha256"]))
        return found

    # -- what the server reads for someone ---------------------------------------------------

    def reader_for_version(
        self,
        store: SqliteLedgerStore,
        version_ref: str,
        artifacts: Sequence[Mapping[str, Any]],
        reader: ObjectReader,
        store_uri: Callable[[str], str],
    ) -> GuardedReader:
        """``reader`` limited to what the server may read to re-hash a version's artifacts for
        a reader of the version: objects of its store the version is grounded on, and
        locations in place allow-listed for the registrant's org."""
        record = store.get(f"model_version/{version_ref}")
        org = _author(record)[0] if isinstance(record, dict) else ""
        exact: set[str] = set()
        for entry in artifacts:
            in_store = self._store_digests(entry, store_uri)
            if in_store and all(self.grounded(store, version_ref, d) for d in in_store):
                uri = str(entry["uri"])
                exact.add(uri)
                exact.update(
                    content_uri(uri, str(item.get("sha256")))
                    for item in entry.get("files") or []
                    if isinstance(item, dict)
                )
        return GuardedReader(reader, lambda uri: uri in exact or self.allow_list.allows(uri, org))

    def reader_for_person(
        self,
        store: SqliteLedgerStore,
        who: Viewer,
        reader: ObjectReader,
        store_uri: Callable[[str], str],
    ) -> GuardedReader:
        """``reader`` limited to what the server may read for ``who`` (to hash a location
        they register): objects of its store they may have, locations in place allow-listed
        for their org."""

        def allows(uri: str) -> bool:
            sha = digest_of_content_uri(uri)
            if sha is not None and uri == store_uri(sha):
                return self.fetch(store, who, sha)
            return self.allow_list.allows(uri, who.org)

        return GuardedReader(reader, allows)


class NotReadHere(PermissionDenied, StorageError):
    """The server does not read this location for the person asking."""

    code = "objects.not_read_here"
    hint = (
        "the server reads only objects of its store you may have and locations in place "
        "allow-listed for the registrant's org (TETHER_IN_PLACE); re-hash the others with your "
        "own credentials: tether verify --from-store"
    )


class GuardedReader:
    """An :class:`ObjectReader` that reads only the URIs ``allows`` accepts."""

    def __init__(self, reader: ObjectReader, allows: Callable[[str], bool]) -> None:
        self._reader = reader
        self._allows = allows

    def _check(self, uri: str) -> None:
        if not self._allows(uri):
            raise NotReadHere(f"the server does not read {uri} for you")

    def handles(self, uri: str) -> bool:
        return self._reader.handles(uri)

    def open(self, uri: str) -> BinaryIO:
        self._check(uri)
        return self._reader.open(uri)

    def size(self, uri: str) -> int:
        self._check(uri)
        return self._reader.size(uri)

    def list_prefix(self, uri: str) -> list[ListedObject]:
        self._check(uri)
        return self._reader.list_prefix(uri)
