"""Checkpoints as C2SP signed notes, and witness cosignatures (DESIGN.md §3, "Checkpoints").

Implements three C2SP specifications:

- ``c2sp.org/tlog-checkpoint``: the note text ``<origin>\\n<size>\\n<base64 root>\\n`` plus
  optional extension lines (tetherai puts the state root in one); :class:`Checkpoint`.
- ``c2sp.org/signed-note`` (same format as ``golang.org/x/mod/sumdb/note``): text, a blank
  line, then ``— <name> base64(key_id || signature)`` lines; Ed25519 keys of signature type
  0x01; :class:`NoteSigner`, :class:`NoteVerifier`, :func:`sign_note`, :func:`open_note`.
- ``c2sp.org/tlog-cosignature``, Ed25519 ``cosignature/v1`` (signature type 0x04): a
  timestamped signature over ``cosignature/v1\\ntime <t>\\n`` + the checkpoint body;
  :class:`CosignatureSigner`, :class:`CosignatureVerifier`.

The orderer signs a checkpoint with a :class:`NoteSigner`; each org's peer cosigns it with a
:class:`CosignatureSigner`. A note's text is meaningless until :func:`open_note` has verified
it against keys the caller trusts, so :func:`open_checkpoint` parses only verified text.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from typing import ClassVar, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from tetherai.ledger.errors import CheckpointError
from tetherai.ledger.merkle import HASH_SIZE

__all__ = [
    "Checkpoint",
    "CosignatureSigner",
    "CosignatureVerifier",
    "NoteSigner",
    "NoteVerifier",
    "OpenedNote",
    "open_checkpoint",
    "open_note",
    "sign_checkpoint",
    "sign_note",
]

# signed-note §Signatures: the assigned signature type identifier bytes we use.
_TYPE_ED25519 = 0x01
_TYPE_COSIGNATURE_V1 = 0x04

_SIGNATURE_PREFIX = "— "  # em dash U+2014 and a space (signed-note §Format)
_KEY_ID_SIZE = 4
_ED25519_PUBLIC_KEY_SIZE = 32
_ED25519_SIGNATURE_SIZE = 64
_TIMESTAMP_SIZE = 8
# tlog-cosignature: "timestamp ... MUST NOT exceed 2^63 - 1".
_MAX_TIMESTAMP = 2**63 - 1
# signed-note: verifiers SHOULD cap the number of signatures and MUST accept at least 16;
# 100 is the limit golang.org/x/mod/sumdb/note uses.
_MAX_SIGNATURES = 100
# tlog-checkpoint: the size is ASCII decimal with no leading zeroes unless it is "0". Go
# implementations parse it as a uint64, so larger values would not interoperate.
_SIZE_PATTERN = re.compile(r"0|[1-9][0-9]*", re.ASCII)
_MAX_TREE_SIZE = 2**64 - 1
_KEY_ID_PATTERN = re.compile(r"[0-9a-f]{8}", re.ASCII)
# signed-note §Format: no ASCII control characters other than newline.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x09\x0b-\x1f]")


# ---------------------------------------------------------------------------------------------
# tlog-checkpoint


@dataclass(frozen=True)
class Checkpoint:
    """A C2SP tlog-checkpoint body: origin, tree size, root hash, extension lines.

    Construction validates the fields, so :meth:`body` always renders a valid checkpoint.

    Raises:
        CheckpointError: a field breaks the tlog-checkpoint rules.
    """

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Accept any iterable of lines but store a tuple, so a Checkpoint stays hashable.
        object.__setattr__(self, "extensions", tuple(self.extensions))
        # tlog-checkpoint §Note text, line 1: the origin MUST be non-empty.
        _check_line(self.origin, "origin")
        if not 0 <= self.size <= _MAX_TREE_SIZE:
            raise CheckpointError(
                f"checkpoint tree size {self.size} is out of range",
                details={"size": self.size},
            )
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(
                f"checkpoint root hash is {len(self.root_hash)} bytes, expected {HASH_SIZE}",
                details={"root_hash_length": len(self.root_hash)},
            )
        # Line 4+: extension lines, if any, MUST be non-empty.
        for position, extension in enumerate(self.extensions):
            _check_line(extension, f"extension line {position + 1}")

    def body(self) -> str:
        """Return the note text: three lines and the extension lines, each ending in ``\\n``."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """Parse a checkpoint body strictly per C2SP tlog-checkpoint.

        Raises:
            CheckpointError: the text is not exactly a checkpoint body: a missing final
                newline, an empty line, a size with leading zeroes or a sign, a root that is
                not canonical base64 of 32 bytes, or a control character.
        """
        if not body.endswith("\n"):
            raise CheckpointError(
                "checkpoint text must end with a newline", details={"text": body[-80:]}
            )
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(
                f"checkpoint has {len(lines)} lines, needs origin, size and root hash",
                details={"lines": len(lines)},
            )
        origin, size_line, root_line, *extensions = lines
        if not _SIZE_PATTERN.fullmatch(size_line):
            raise CheckpointError(
                f"checkpoint tree size {size_line!r} is not a decimal without leading zeroes",
                details={"size": size_line},
            )
        root_hash = _decode_base64(root_line, "checkpoint root hash")
        # Field rules (non-empty origin and extensions, sizes, control characters) are the
        # constructor's.
        return cls(
            origin=origin,
            size=int(size_line),
            root_hash=root_hash,
            extensions=tuple(extensions),
        )


def _check_line(value: str, what: str) -> None:
    if not value:
        raise CheckpointError(f"checkpoint {what} must not be empty", details={"field": what})
    if "\n" in value or _CONTROL_CHARACTER.search(value):
        raise CheckpointError(
            f"checkpoint {what} must be one line without control characters",
            details={"field": what, "value": value},
        )


def _decode_base64(text: str, what: str) -> bytes:
    """Decode standard base64 (RFC 4648 §4), accepting only its canonical spelling.

    Several strings decode to the same bytes (non-zero padding bits); accepting only the one
    we would write keeps one checkpoint to one text and one signature to one line.
    """
    try:
        decoded = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as error:
        raise CheckpointError(f"{what} is not valid base64", details={"value": text}) from error
    if base64.b64encode(decoded).decode("ascii") != text:
        raise CheckpointError(f"{what} is not canonical base64", details={"value": text})
    return decoded


# ---------------------------------------------------------------------------------------------
# signed-note keys


def _is_valid_name(name: str) -> bool:
    """signed-note §Format: key names are non-empty, with no Unicode space and no ``+``."""
    return bool(name) and "+" not in name and not any(char.isspace() for char in name)


def _key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """signed-note §Signatures: ``SHA-256(name || 0x0A || type || public key)[:4]``."""
    material = name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key
    return sha256(material).digest()[:_KEY_ID_SIZE]


def _check_name(name: str) -> None:
    if not _is_valid_name(name):
        raise CheckpointError(
            f"invalid key name {name!r}",
            details={"name": name},
            hint="A key name must be non-empty, without spaces or '+'; use a URL-like name.",
        )


class _NamedKey:
    """A key name and the key ID it signs under, for one signature type (0x01 or 0x04)."""

    _SIGNATURE_TYPE: ClassVar[int]

    def __init__(self, name: str, public_bytes: bytes) -> None:
        _check_name(name)
        self._name = name
        self._public_bytes = public_bytes
        self._key_id = _key_id(name, self._SIGNATURE_TYPE, public_bytes)

    @property
    def name(self) -> str:
        """The key name, as written in signature lines."""
        return self._name

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID that prefixes this key's signatures."""
        return self._key_id


class _Ed25519Verifier(_NamedKey):
    """A named Ed25519 public key."""

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        super().__init__(name, public_key.public_bytes_raw())
        self._public_key = public_key

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The Ed25519 public key."""
        return self._public_key

    @property
    def vkey(self) -> str:
        """The signed-note verifier key: ``<name>+<key id hex>+base64(type || public key)``."""
        material = bytes([self._SIGNATURE_TYPE]) + self._public_bytes
        return f"{self._name}+{self._key_id.hex()}+{base64.b64encode(material).decode('ascii')}"

    @classmethod
    def from_vkey(cls, vkey: str) -> Self:
        """Parse a verifier key (``vkey``), checking its name, type byte and key ID.

        Raises:
            CheckpointError: the vkey is malformed, of another signature type, or its key
                ID does not match its name and public key.
        """
        parts = vkey.split("+", 2)  # base64 may itself contain '+': split twice only
        if len(parts) != 3:
            raise CheckpointError(
                "a vkey has the form <name>+<key id>+<base64 key>", details={"vkey": vkey}
            )
        name, key_id_hex, key_base64 = parts
        _check_name(name)
        if not _KEY_ID_PATTERN.fullmatch(key_id_hex):
            raise CheckpointError(
                f"vkey key ID {key_id_hex!r} is not 8 lowercase hex digits",
                details={"vkey": vkey},
            )
        material = _decode_base64(key_base64, "vkey public key")
        if len(material) != 1 + _ED25519_PUBLIC_KEY_SIZE:
            raise CheckpointError(
                f"vkey key material is {len(material)} bytes, expected type byte + 32",
                details={"vkey": vkey},
            )
        if material[0] != cls._SIGNATURE_TYPE:
            raise CheckpointError(
                f"vkey has signature type 0x{material[0]:02x}, "
                f"expected 0x{cls._SIGNATURE_TYPE:02x} for {cls.__name__}",
                details={"vkey": vkey, "signature_type": material[0]},
            )
        # from_public_bytes only checks the length (done above); a key that is not a curve
        # point simply never verifies anything.
        verifier = cls(name, Ed25519PublicKey.from_public_bytes(material[1:]))
        if verifier.key_id.hex() != key_id_hex:
            raise CheckpointError(
                "vkey key ID does not match its name and public key",
                details={"vkey": vkey, "computed_key_id": verifier.key_id.hex()},
            )
        return verifier

    def _verify_ed25519(self, message: bytes, signature: bytes) -> bool:
        try:
            self._public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey!r})"


class _Ed25519Signer(_NamedKey):
    """A named Ed25519 private key."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        super().__init__(name, private_key.public_key().public_bytes_raw())
        self._private_key = private_key

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r}, key_id={self._key_id.hex()})"


# ---------------------------------------------------------------------------------------------
# signed-note Ed25519 (type 0x01)


class NoteVerifier(_Ed25519Verifier):
    """Verifies signed-note Ed25519 signatures (signature type 0x01) of one named key."""

    _SIGNATURE_TYPE = _TYPE_ED25519

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Return whether ``signature`` (without key ID) is this key's over ``message``."""
        return self._verify_ed25519(message, signature)


class NoteSigner(_Ed25519Signer):
    """Signs note text with Ed25519 (signed-note signature type 0x01)."""

    _SIGNATURE_TYPE = _TYPE_ED25519

    def sign(self, message: bytes) -> bytes:
        """Return the Ed25519 signature of ``message`` (the note text, UTF-8)."""
        return self._private_key.sign(message)

    def verifier(self) -> NoteVerifier:
        """Return the matching verifier."""
        return NoteVerifier(self._name, self._private_key.public_key())


# ---------------------------------------------------------------------------------------------
# tlog-cosignature cosignature/v1 (type 0x04)


def _cosigned_message(checkpoint_body: bytes, timestamp: int) -> bytes:
    # tlog-cosignature §Ed25519 signed message: a fixed header line for domain separation,
    # a "time <t>" line (ASCII decimal, no leading zeroes), then the whole note body
    # including extension lines and its final newline.
    return b"cosignature/v1\ntime %d\n" % timestamp + checkpoint_body


def _check_timestamp(timestamp: int) -> None:
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise CheckpointError(
            f"cosignature timestamp {timestamp} is outside [0, 2^63 - 1]",
            details={"timestamp": timestamp},
        )


class CosignatureVerifier(_Ed25519Verifier):
    """Verifies C2SP ``cosignature/v1`` Ed25519 cosignatures (signature type 0x04)."""

    _SIGNATURE_TYPE = _TYPE_COSIGNATURE_V1

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Return whether ``signature`` is a valid timestamped cosignature of ``message``.

        ``signature`` is the ``timestamped_signature`` (8-byte big-endian timestamp, then
        the Ed25519 signature) without the key ID; ``message`` is the checkpoint body.
        """
        if len(signature) != _TIMESTAMP_SIZE + _ED25519_SIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(signature[:_TIMESTAMP_SIZE], "big")
        if timestamp > _MAX_TIMESTAMP:
            return False
        signed = _cosigned_message(message, timestamp)
        return self._verify_ed25519(signed, signature[_TIMESTAMP_SIZE:])


class CosignatureSigner(_Ed25519Signer):
    """Cosigns checkpoints with C2SP ``cosignature/v1`` (signature type 0x04).

    ``timestamp`` (POSIX seconds) is the time :meth:`sign` puts in its cosignatures, so the
    signer can be passed to :func:`sign_note` like any other; :meth:`sign_at` takes an
    explicit time instead. The library never reads a clock: the caller supplies the time.

    Raises:
        CheckpointError: invalid name, or ``timestamp`` outside ``[0, 2**63 - 1]``.
    """

    _SIGNATURE_TYPE = _TYPE_COSIGNATURE_V1

    def __init__(
        self, name: str, private_key: Ed25519PrivateKey, *, timestamp: int | None = None
    ) -> None:
        super().__init__(name, private_key)
        if timestamp is not None:
            _check_timestamp(timestamp)
        self._timestamp = timestamp

    @property
    def timestamp(self) -> int | None:
        """The time :meth:`sign` uses, or ``None`` when only :meth:`sign_at` may be used."""
        return self._timestamp

    def sign_at(self, checkpoint_body: str, timestamp: int) -> bytes:
        """Return the ``timestamped_signature`` of ``checkpoint_body`` at ``timestamp``.

        The result is the 8-byte big-endian timestamp followed by the Ed25519 signature over
        ``"cosignature/v1\\ntime <timestamp>\\n" + checkpoint_body``.

        Raises:
            CheckpointError: ``timestamp`` outside ``[0, 2**63 - 1]``.
        """
        _check_timestamp(timestamp)
        return self._sign(checkpoint_body.encode("utf-8"), timestamp)

    def sign(self, message: bytes) -> bytes:
        """Cosign ``message`` (the checkpoint body, UTF-8) at the construction timestamp.

        Raises:
            CheckpointError: the signer was built without a timestamp.
        """
        if self._timestamp is None:
            raise CheckpointError(
                f"cosigner {self._name} has no timestamp",
                details={"name": self._name},
                hint="Build the CosignatureSigner with timestamp=... or call sign_at().",
            )
        return self._sign(message, self._timestamp)

    def _sign(self, body: bytes, timestamp: int) -> bytes:
        signature = self._private_key.sign(_cosigned_message(body, timestamp))
        return timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + signature

    def verifier(self) -> CosignatureVerifier:
        """Return the matching verifier."""
        return CosignatureVerifier(self._name, self._private_key.public_key())


# ---------------------------------------------------------------------------------------------
# signed-note sign / open


@dataclass(frozen=True)
class OpenedNote:
    """The result of :func:`open_note`: verified text and who signed it."""

    text: str
    verified: tuple[str, ...]
    """Names of the verifiers whose signature checked, in note order."""
    unknown: tuple[str, ...]
    """Names on signature lines with no known key (ignored, per signed-note)."""
    cosignature_times: dict[str, int] = field(default_factory=dict, hash=False)
    """For each verified cosigner (type 0x04), the timestamp it signed."""


def _check_note_text(text: str) -> None:
    # signed-note §Format: the text ends in a newline, is valid UTF-8 and has no control
    # characters other than newline.
    if not text.endswith("\n"):
        raise CheckpointError("note text must end with a newline", details={"text": text[-80:]})
    if _CONTROL_CHARACTER.search(text):
        raise CheckpointError("note text contains a control character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise CheckpointError("note text is not valid UTF-8") from error


def sign_note(text: str, signers: Sequence[NoteSigner | CosignatureSigner]) -> str:
    """Sign ``text`` with each signer and return the signed note.

    The result is ``text``, a blank line, then one ``— <name> base64(key_id || signature)``
    line per signer, in order (signed-note §Format).

    Raises:
        CheckpointError: ``text`` does not end with a newline or holds control characters,
            ``signers`` is empty, or a cosigner has no timestamp.
    """
    _check_note_text(text)
    if not signers:
        # A note without signature lines is malformed (signed-note: "one or more").
        raise CheckpointError("a note needs at least one signer")
    message = text.encode("utf-8")
    lines = [text, "\n"]
    for signer in signers:
        signature = base64.b64encode(signer.key_id + signer.sign(message)).decode("ascii")
        lines.append(f"{_SIGNATURE_PREFIX}{signer.name} {signature}\n")
    return "".join(lines)


def open_note(note: str, verifiers: Sequence[NoteVerifier | CosignatureVerifier]) -> OpenedNote:
    """Verify a signed note against known keys and return its text and signers.

    Follows signed-note §Signatures (and golang.org/x/mod/sumdb/note ``Open``): lines whose
    (name, key ID) matches no verifier are ignored and reported in ``unknown``; a line that
    matches a known key MUST verify; at least one known key must have signed. Repeated lines
    by one key count once.

    Raises:
        CheckpointError: the note is malformed, a known key's signature does not verify
            ("signature by X does not verify"), two verifiers share a name and key ID, or no
            known key signed the note.
    """
    if _CONTROL_CHARACTER.search(note):
        raise CheckpointError("malformed note: it contains a control character")
    try:
        note.encode("utf-8")
    except UnicodeEncodeError as error:
        raise CheckpointError("malformed note: not valid UTF-8") from error
    # The text is separated from the signatures by the *last* blank line (the text itself
    # may contain blank lines).
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError("malformed note: no blank line before the signatures")
    text, signature_block = note[: split + 1], note[split + 2 :]
    if not signature_block.endswith("\n"):
        raise CheckpointError("malformed note: signature lines must end with a newline")

    known: dict[tuple[str, bytes], list[NoteVerifier | CosignatureVerifier]] = {}
    for verifier in verifiers:
        candidates = known.setdefault((verifier.name, verifier.key_id), [])
        if all(candidate.vkey != verifier.vkey for candidate in candidates):
            candidates.append(verifier)

    message = text.encode("utf-8")
    verified: list[str] = []
    unknown: list[str] = []
    cosignature_times: dict[str, int] = {}
    seen_known: set[tuple[str, bytes]] = set()
    seen_unknown: set[str] = set()
    lines = signature_block[:-1].split("\n")
    if len(lines) > _MAX_SIGNATURES:
        raise CheckpointError(
            f"malformed note: more than {_MAX_SIGNATURES} signatures",
            details={"signatures": len(lines)},
        )
    for line in lines:
        name, raw = _parse_signature_line(line)
        key_id, signature = raw[:_KEY_ID_SIZE], raw[_KEY_ID_SIZE:]
        candidates = known.get((name, key_id), [])
        if not candidates:
            # signed-note: verifiers MUST ignore signatures from unknown keys, even if they
            # share a name or a key ID (but not both) with a known key.
            if line not in seen_unknown:
                seen_unknown.add(line)
                unknown.append(name)
            continue
        if len(candidates) > 1:
            raise CheckpointError(
                f"ambiguous verifiers: several keys named {name} with key ID {key_id.hex()}",
                details={"name": name, "key_id": key_id.hex()},
                hint="Configure each (name, key ID) pair only once.",
            )
        if (name, key_id) in seen_known:
            continue
        seen_known.add((name, key_id))
        verifier = candidates[0]
        if not verifier.verify(message, signature):
            # signed-note: a known key's failing signature SHOULD reject the whole note.
            raise CheckpointError(
                f"signature by {name} does not verify",
                details={"name": name, "key_id": key_id.hex()},
            )
        verified.append(name)
        if isinstance(verifier, CosignatureVerifier):
            cosignature_times[name] = int.from_bytes(signature[:_TIMESTAMP_SIZE], "big")
    if not verified:
        # signed-note: if no signature from a known key verifies, clients MUST reject.
        raise CheckpointError(
            "note has no signature from a known key",
            details={"unknown": unknown},
            hint="Check that the verifier keys (vkeys) you configured are the signers' keys.",
        )
    return OpenedNote(
        text=text,
        verified=tuple(verified),
        unknown=tuple(unknown),
        cosignature_times=cosignature_times,
    )


def _parse_signature_line(line: str) -> tuple[str, bytes]:
    """Split ``— <name> <base64>`` into the name and the decoded key ID + signature."""
    if not line.startswith(_SIGNATURE_PREFIX):
        raise CheckpointError(
            "malformed note: a signature line must start with an em dash and a space",
            details={"line": line},
        )
    name, _, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    if not _is_valid_name(name) or not encoded:
        raise CheckpointError("malformed note: bad signature line", details={"line": line})
    raw = _decode_base64(encoded, "note signature")
    if len(raw) <= _KEY_ID_SIZE:
        raise CheckpointError("malformed note: signature too short", details={"line": line})
    return name, raw


# ---------------------------------------------------------------------------------------------
# checkpoints as signed notes


def sign_checkpoint(
    checkpoint: Checkpoint, signers: Sequence[NoteSigner | CosignatureSigner]
) -> str:
    """Return ``checkpoint`` as a signed note, signed by each of ``signers`` in order.

    Raises:
        CheckpointError: a cosigner has no timestamp.
    """
    return sign_note(checkpoint.body(), signers)


def open_checkpoint(
    note: str,
    verifiers: Sequence[NoteVerifier | CosignatureVerifier],
    *,
    origin: str | None = None,
) -> tuple[Checkpoint, OpenedNote]:
    """Verify a signed checkpoint note, then parse its (now trusted) text.

    Which signers are required (the orderer, a quorum of witnesses) is the caller's policy:
    check ``OpenedNote.verified``.

    Raises:
        CheckpointError: as :func:`open_note`; the text is not a valid checkpoint; or
            ``origin`` is given and differs from the checkpoint's origin line.
    """
    opened = open_note(note, verifiers)
    checkpoint = Checkpoint.parse(opened.text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(
            f"checkpoint origin is {checkpoint.origin!r}, expected {origin!r}",
            details={"expected_origin": origin, "origin": checkpoint.origin},
            hint="The checkpoint belongs to another log or channel.",
        )
    return checkpoint, opened
