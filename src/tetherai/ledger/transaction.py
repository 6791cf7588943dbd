"""Transactions and envelopes (DESIGN.md §3).

A transaction is ``{v, channel, contract, fn, args, creator: {org, id, cert_sha256}, nonce, ts}``;
its id is ``sha256(JCS(tx))`` and its envelope is ``{tx, sig}`` where ``sig`` is the creator's
signature over ``JCS(tx)``. The envelope's own canonical bytes are the Merkle leaf, and they are
what the store keeps, so a stored envelope is re-verified exactly as it was signed.

``ts`` is milliseconds since the Unix epoch (an integer, so canonical JSON never has to format
a float). Parsing here checks *shape* only; whether the signer is a member, the signature holds
and the call is allowed is decided at execution (``ledger.executor``).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from hashlib import sha256
from typing import Any, cast

from tetherai.crypto.errors import NotCanonicalError
from tetherai.crypto.jcs import (
    JSONValue,
    canonical_form,
    canonicalize,
    loads_canonical,
    loads_stored,
)
from tetherai.crypto.signature import PrivateKey, sign
from tetherai.ledger.errors import MalformedTx
from tetherai.ledger.merkle import leaf_hash
from tetherai.names import NAME_PATTERN

__all__ = [
    "TX_VERSION",
    "Creator",
    "Envelope",
    "Transaction",
    "new_nonce",
    "sign_transaction",
    "stored_transaction",
]

TX_VERSION = 1
MAX_ENVELOPE_BYTES = 1024 * 1024

_NAME = re.compile(NAME_PATTERN)
_IDENT = re.compile(r"[a-z_][a-z0-9_]{0,63}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_NONCE = re.compile(r"[0-9a-f]{16,64}")
_TX_FIELDS = frozenset({"v", "channel", "contract", "fn", "args", "creator", "nonce", "ts"})
_CREATOR_FIELDS = frozenset({"org", "id", "cert_sha256"})
_ENVELOPE_FIELDS = frozenset({"sig", "tx"})
_ENVELOPE_PREFIX = b'{"sig":"'
_ENVELOPE_MIDDLE = b'","tx":'


@dataclass(frozen=True, slots=True)
class Creator:
    """Who signed a tx: org, participant id and the SHA-256 of their certificate (DER)."""

    org: str
    id: str
    cert_sha256: str

    def to_json(self) -> dict[str, JSONValue]:
        return {"org": self.org, "id": self.id, "cert_sha256": self.cert_sha256}


@dataclass(frozen=True, slots=True)
class Transaction:
    """One signed call of one contract function."""

    channel: str
    contract: str
    fn: str
    args: Mapping[str, JSONValue]
    creator: Creator
    nonce: str
    ts: int
    v: int = TX_VERSION

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "v": self.v,
            "channel": self.channel,
            "contract": self.contract,
            "fn": self.fn,
            "args": dict(self.args),
            "creator": self.creator.to_json(),
            "nonce": self.nonce,
            "ts": self.ts,
        }

    def canonical_bytes(self) -> bytes:
        """``JCS(tx)``: the bytes that are signed and hashed into the tx id."""
        return canonicalize(self.to_json())

    @classmethod
    def from_json(cls, value: object) -> Transaction:
        """Check the shape of a decoded tx.

        Raises:
            MalformedTx: a field is missing, extra or of the wrong type or form.
        """
        if not isinstance(value, dict):
            raise MalformedTx("a tx must be a JSON object")
        _exact_fields(value, _TX_FIELDS, "tx")
        v = value["v"]
        if type(v) is not int or v != TX_VERSION:
            raise MalformedTx(f"tx.v must be {TX_VERSION}, not {v!r}")
        channel = _match(value, "channel", _NAME)
        contract = _match(value, "contract", _IDENT)
        fn = _match(value, "fn", _IDENT)
        args = value["args"]
        if not isinstance(args, dict):
            raise MalformedTx("tx.args must be a JSON object of named arguments")
        creator = value["creator"]
        if not isinstance(creator, dict):
            raise MalformedTx("tx.creator must be an object {org, id, cert_sha256}")
        _exact_fields(creator, _CREATOR_FIELDS, "tx.creator")
        nonce = _match(value, "nonce", _NONCE)
        ts = value["ts"]
        if type(ts) is not int or ts < 0:
            raise MalformedTx("tx.ts must be a non-negative integer (milliseconds since epoch)")
        return cls(
            channel=channel,
            contract=contract,
            fn=fn,
            args=args,
            creator=Creator(
                org=_match(creator, "org", _NAME, "tx.creator"),
                id=_match(creator, "id", _NAME, "tx.creator"),
                cert_sha256=_match(creator, "cert_sha256", _HEX64, "tx.creator"),
            ),
            nonce=nonce,
            ts=ts,
        )


@dataclass(frozen=True, slots=True)
class Envelope:
    """A tx with its creator's signature, kept as the exact canonical bytes that were signed."""

    tx: Transaction
    tx_bytes: bytes
    sig: bytes
    tx_id: str
    # Derived once, on first use (an envelope goes through ordering, the block's txs_root,
    # the log and the store: each used to rebuild these).
    _leaf_data: bytes | None = field(default=None, init=False, repr=False, compare=False)
    _leaf_hash: bytes | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def leaf_data(self) -> bytes:
        """``JCS({tx, sig})``: the Merkle leaf and the stored form.

        Keys sort as ``sig`` < ``tx`` and ``tx_bytes`` is already canonical, so the
        envelope's canonical form is a concatenation; no second canonicalization.
        """
        if self._leaf_data is None:
            data = b"".join(
                (
                    _ENVELOPE_PREFIX,
                    base64.b64encode(self.sig),
                    _ENVELOPE_MIDDLE,
                    self.tx_bytes,
                    b"}",
                )
            )
            object.__setattr__(self, "_leaf_data", data)
            return data
        return self._leaf_data

    @property
    def leaf_hash(self) -> bytes:
        """The RFC 9162 leaf hash of :attr:`leaf_data`, computed once."""
        if self._leaf_hash is None:
            digest = leaf_hash(self.leaf_data)
            object.__setattr__(self, "_leaf_hash", digest)
            return digest
        return self._leaf_hash

    def to_json(self) -> dict[str, JSONValue]:
        return {"tx": self.tx.to_json(), "sig": base64.b64encode(self.sig).decode()}

    @classmethod
    def from_bytes(cls, data: bytes) -> Envelope:
        """Parse an envelope from its canonical bytes (the wire and storage form).

        Raises:
            MalformedTx: not canonical JSON, wrong shape, or too large.
        """
        if len(data) > MAX_ENVELOPE_BYTES:
            raise MalformedTx(
                f"envelope is {len(data)} bytes; the limit is {MAX_ENVELOPE_BYTES}",
                hint="keep files in object storage and put only their digests in a tx",
            )
        try:
            value = loads_canonical(data)
        except NotCanonicalError as error:
            raise MalformedTx(f"envelope is not canonical JSON (RFC 8785): {error}") from error
        if not isinstance(value, dict) or value.keys() != _ENVELOPE_FIELDS:
            raise MalformedTx("an envelope must be a JSON object with exactly 'tx' and 'sig'")
        sig = _decode_sig(value["sig"])
        tx = Transaction.from_json(value["tx"])
        # Canonical input means the tx's bytes sit between the fixed prefix and the final "}".
        start = len(_ENVELOPE_PREFIX) + len(value["sig"]) + len(_ENVELOPE_MIDDLE)  # type: ignore[arg-type]
        tx_bytes = data[start:-1]
        return cls(tx=tx, tx_bytes=tx_bytes, sig=sig, tx_id=sha256(tx_bytes).hexdigest())

    @classmethod
    def from_json(cls, value: object) -> Envelope:
        """Build an envelope from a decoded ``{tx, sig}`` object (e.g. a JSON request body).

        Raises:
            MalformedTx: wrong shape, values canonical JSON cannot represent, or too large.
        """
        if not isinstance(value, dict) or value.keys() != _ENVELOPE_FIELDS:
            raise MalformedTx("an envelope must be a JSON object with exactly 'tx' and 'sig'")
        tx = Transaction.from_json(value["tx"])
        try:
            tx, tx_bytes = _as_signed(tx, value["tx"])
        except Exception as error:  # CanonicalizationError, with its own message
            raise MalformedTx(f"tx cannot be canonicalized: {error}") from error
        envelope = cls(
            tx=tx,
            tx_bytes=tx_bytes,
            sig=_decode_sig(value["sig"]),
            tx_id=sha256(tx_bytes).hexdigest(),
        )
        # The same limit as from_bytes: an envelope the ledger accepted must read back.
        size = len(envelope.leaf_data)
        if size > MAX_ENVELOPE_BYTES:
            raise MalformedTx(
                f"envelope is {size} bytes; the limit is {MAX_ENVELOPE_BYTES}",
                hint="keep files in object storage and put only their digests in a tx",
            )
        return envelope


def stored_transaction(data: bytes) -> Transaction:
    """The tx of an envelope as a peer stored it, read without checking again that the bytes
    are canonical and without hashing them (they were checked when the tx was admitted; the
    verifier checks the stored copy). For reads that show a stored tx; never for admission.

    Raises:
        MalformedTx: not a JSON envelope, or a tx of the wrong shape.
    """
    try:
        value = loads_stored(data)
    except NotCanonicalError as error:
        raise MalformedTx(f"a stored envelope is not JSON: {error}") from error
    if not isinstance(value, dict) or "tx" not in value:
        raise MalformedTx("a stored envelope must be a JSON object with 'tx' and 'sig'")
    return Transaction.from_json(value["tx"])


def sign_transaction(tx: Transaction, private_key: PrivateKey) -> Envelope:
    """Sign ``JCS(tx)`` with the creator's own key and wrap it in an envelope."""
    tx, tx_bytes = _as_signed(tx, tx.to_json())
    return Envelope(
        tx=tx,
        tx_bytes=tx_bytes,
        sig=sign(private_key, tx_bytes),
        tx_id=sha256(tx_bytes).hexdigest(),
    )


def _as_signed(tx: Transaction, document: Mapping[str, JSONValue]) -> tuple[Transaction, bytes]:
    """``JCS(tx)`` from ``document`` (the tx as JSON), and ``tx`` with the arguments those
    bytes denote (``1.0`` becomes ``1``).

    The signed bytes are what every peer and every later replay sees, so the contract must
    get exactly those values here too, not the caller's Python objects. A document of only
    dicts, lists, strs, bools, None and safe integers already is what its bytes denote
    (``canonical_form`` hands back that very object), so only another one is read back.

    Raises:
        CanonicalizationError: ``document`` is not canonical JSON's to write.
    """
    form = canonical_form(document, copy=False)
    if form.value is document:
        return tx, form.data
    args = cast(dict[str, JSONValue], form.value)["args"]
    return replace(tx, args=cast(dict[str, JSONValue], args)), form.data


def new_nonce() -> str:
    """128 random bits, hex: makes every tx id unique even for identical calls."""
    return secrets.token_hex(16)


def _decode_sig(value: object) -> bytes:
    if not isinstance(value, str) or not value or len(value) > 512:
        raise MalformedTx("envelope.sig must be a non-empty base64 string")
    try:
        sig = base64.b64decode(value, validate=True)
    except binascii.Error as error:
        raise MalformedTx("envelope.sig is not valid base64") from error
    if base64.b64encode(sig).decode() != value:
        raise MalformedTx("envelope.sig must be canonical base64 (padded, no line breaks)")
    return sig


def _exact_fields(value: Mapping[str, Any], expected: frozenset[str], where: str) -> None:
    if value.keys() != expected:  # compared as sets, without building one per tx
        keys = set(value)
        missing = sorted(expected - keys)
        extra = sorted(keys - expected)
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected {', '.join(extra)}")
        raise MalformedTx(f"{where}: {'; '.join(parts)}")


def _match(
    value: Mapping[str, Any], field: str, pattern: re.Pattern[str], where: str = "tx"
) -> str:
    item = value[field]
    if not isinstance(item, str) or pattern.fullmatch(item) is None:
        raise MalformedTx(f"{where}.{field} is not a valid value: {item!r:.80}")
    return item
