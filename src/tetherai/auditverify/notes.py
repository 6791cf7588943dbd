"""C2SP signed notes, checkpoints, Ed25519 cosignatures (``cosignature/v1``) and tlog-proofs."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = [
    "COSIGNATURE",
    "NOTE",
    "CheckpointBody",
    "NoteFailure",
    "NoteKey",
    "SignedNote",
    "TlogProof",
    "open_note",
    "parse_checkpoint",
    "parse_tlog_proof",
]

NOTE = 0x01  # signed-note Ed25519
COSIGNATURE = 0x04  # tlog-cosignature cosignature/v1
_PREFIX = "— "  # em dash and a space
_SIZE = re.compile(r"0|[1-9][0-9]*")
_BLOCK = re.compile(r"block (0|[1-9][0-9]*)")
_STATE = re.compile(r"state ([0-9a-f]{64})")
_TLOG_HEADER = "c2sp.org/tlog-proof@v1"


class NoteFailure(ValueError):
    """A note, checkpoint or proof is malformed or its signatures do not hold."""


def b64(text: str, what: str) -> bytes:
    """Standard base64, only in its canonical spelling."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as error:
        raise NoteFailure(f"{what} is not valid base64") from error
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteFailure(f"{what} is not canonical base64")
    return raw


@dataclass(frozen=True)
class NoteKey:
    """A named Ed25519 key that signs notes (type 0x01) or cosigns them (type 0x04)."""

    name: str
    kind: int
    public: bytes

    @property
    def key_id(self) -> bytes:
        material = self.name.encode() + b"\n" + bytes([self.kind]) + self.public
        return hashlib.sha256(material).digest()[:4]

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([self.kind]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteKey:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or not parts[0]:
            raise NoteFailure(f"{vkey!r} is not a vkey (<name>+<key id>+<base64 key>)")
        name, key_id, encoded = parts
        material = b64(encoded, f"the key of vkey {name}")
        if len(material) != 33 or material[0] not in (NOTE, COSIGNATURE):
            raise NoteFailure(f"vkey {name} is not an Ed25519 note or cosignature key")
        key = cls(name, material[0], material[1:])
        if key.key_id.hex() != key_id:
            raise NoteFailure(f"vkey {name}: its key ID does not match its name and key")
        return key

    def verifies(self, message: bytes, signature: bytes) -> tuple[bool, int | None]:
        """Whether ``signature`` holds, and for a cosignature its timestamp."""
        timestamp = None
        if self.kind == COSIGNATURE:
            if len(signature) != 72:
                return False, None
            timestamp = int.from_bytes(signature[:8], "big")
            message = b"cosignature/v1\ntime %d\n" % timestamp + message
            signature = signature[8:]
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False, None
        return True, timestamp


@dataclass(frozen=True)
class SignedNote:
    text: str
    signers: tuple[str, ...]
    """Names of the known keys whose signatures hold, in note order."""
    cosigned_at: dict[str, int] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()


def open_note(note: str, keys: list[NoteKey]) -> SignedNote:
    """Check every signature line of a known key; every known key must have signed.

    Unknown signers' lines are ignored (signed-note), but a missing or failing signature of a
    key the caller trusts rejects the note: the caller's keys are its policy.
    """
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise NoteFailure("the note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    message = text.encode("utf-8")
    by_id = {(key.name, key.key_id): key for key in keys}
    signers: list[str] = []
    cosigned: dict[str, int] = {}
    unknown: list[str] = []
    for line in block[:-1].split("\n"):
        if not line.startswith(_PREFIX):
            raise NoteFailure(f"malformed signature line {line[:60]!r}")
        name, _, encoded = line[len(_PREFIX) :].partition(" ")
        raw = b64(encoded, f"the signature by {name}")
        key = by_id.get((name, raw[:4]))
        if key is None:
            unknown.append(name)
            continue
        ok, timestamp = key.verifies(message, raw[4:])
        if not ok:
            kind = "cosignature" if key.kind == COSIGNATURE else "signature"
            raise NoteFailure(f"the {kind} by {name} does not verify")
        if name not in signers:
            signers.append(name)
        if timestamp is not None:
            cosigned[name] = timestamp
    missing = [key.name for key in keys if key.name not in signers]
    if missing:
        raise NoteFailure(f"the checkpoint lacks the signature of {', '.join(missing)}")
    return SignedNote(text, tuple(signers), cosigned, tuple(unknown))


@dataclass(frozen=True)
class CheckpointBody:
    origin: str
    size: int
    root: bytes
    block: int
    state_root: str

    @property
    def channel(self) -> str:
        return self.origin.removeprefix("tetherai/")


def parse_checkpoint(text: str) -> CheckpointBody:
    """A C2SP checkpoint body with tetherai's ``block`` and ``state`` extension lines."""
    lines = text[:-1].split("\n") if text.endswith("\n") else []
    if len(lines) < 3 or not _SIZE.fullmatch(lines[1]):
        raise NoteFailure("the checkpoint text is not origin, size and root lines")
    root = b64(lines[2], "the checkpoint root")
    if len(root) != 32:
        raise NoteFailure("the checkpoint root is not 32 bytes")
    block = state = None
    for line in lines[3:]:
        if match := _BLOCK.fullmatch(line):
            block = int(match.group(1))
        elif match := _STATE.fullmatch(line):
            state = match.group(1)
    if not lines[0].startswith("tetherai/") or block is None or state is None:
        raise NoteFailure("the checkpoint is not a tetherai ledger checkpoint")
    return CheckpointBody(lines[0], int(lines[1]), root, block, state)


@dataclass(frozen=True)
class TlogProof:
    index: int
    hashes: tuple[bytes, ...]
    note: str
    extra: bytes


def parse_tlog_proof(text: str) -> TlogProof:
    """A ``c2sp.org/tlog-proof@v1`` text whose ``extra`` line carries the leaf (the envelope)."""
    head, separator, note = text.partition("\n\n")
    lines = head.split("\n")
    if not separator or lines[0] != _TLOG_HEADER or len(lines) < 3:
        raise NoteFailure(f"not a {_TLOG_HEADER} proof with its leaf")
    if not lines[1].startswith("extra ") or not lines[2].startswith("index "):
        raise NoteFailure("the proof lacks its 'extra' (leaf) or 'index' line")
    extra = b64(lines[1].removeprefix("extra "), "the proof's leaf")
    index_text = lines[2].removeprefix("index ")
    if not _SIZE.fullmatch(index_text):
        raise NoteFailure(f"the proof index {index_text!r} is not a number")
    hashes = tuple(b64(line, "a proof hash") for line in lines[3:])
    if any(len(item) != 32 for item in hashes):
        raise NoteFailure("a proof hash is not 32 bytes")
    return TlogProof(int(index_text), hashes, note, extra)
