"""Tests for tetherai.ledger.checkpoint: C2SP tlog-checkpoint, signed-note, tlog-cosignature."""

from __future__ import annotations

import base64
import dataclasses
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.ledger.vectors import SIGNED_NOTE
from tetherai.ledger.checkpoint import (
    Checkpoint,
    CosignatureSigner,
    CosignatureVerifier,
    NoteSigner,
    NoteVerifier,
    OpenedNote,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    sign_note,
)
from tetherai.ledger.errors import CheckpointError

GO = SIGNED_NOTE["go_sumdb_note"]
SPEC = SIGNED_NOTE["c2sp_signed_note"]
SPEC_CHECKPOINT = SIGNED_NOTE["c2sp_checkpoint"]
FORMATS = SIGNED_NOTE["transparency_dev_formats"]
ROOT = hashlib.sha256(b"root").digest()


def _key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)


def _go_signer() -> NoteSigner:
    # The Go skey is PRIVATE+KEY+<name>+<key id>+base64(0x01 || 32-byte Ed25519 seed).
    material = base64.b64decode(GO["skey"].split("+", 4)[4])
    assert material[0] == 0x01
    return NoteSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(material[1:]))


def _checkpoint(**changes: object) -> Checkpoint:
    fields: dict[str, object] = {
        "origin": "tetherai/models",
        "size": 42,
        "root_hash": ROOT,
        "extensions": ("state " + "ab" * 32,),
    }
    fields.update(changes)
    return Checkpoint(**fields)  # type: ignore[arg-type]


# --- tlog-checkpoint ----------------------------------------------------------------------


def test_checkpoint_body_layout() -> None:
    checkpoint = _checkpoint()
    root = base64.b64encode(ROOT).decode()
    assert checkpoint.body() == f"tetherai/models\n42\n{root}\nstate {'ab' * 32}\n"
    assert Checkpoint.parse(checkpoint.body()) == checkpoint
    assert _checkpoint(extensions=()).body() == f"tetherai/models\n42\n{root}\n"


def test_checkpoint_parses_the_c2sp_example() -> None:
    checkpoint = Checkpoint.parse(SPEC_CHECKPOINT["body"])
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.extensions == ()
    assert checkpoint.body() == SPEC_CHECKPOINT["body"]


def test_checkpoint_of_an_empty_tree_and_extension_lists() -> None:
    empty = Checkpoint.parse(f"log\n0\n{base64.b64encode(ROOT).decode()}\n")
    assert empty.size == 0
    as_list = _checkpoint(extensions=["one", "two"])
    assert as_list.extensions == ("one", "two")
    assert hash(as_list) == hash(_checkpoint(extensions=("one", "two")))


_GOOD_ROOT = base64.b64encode(ROOT).decode()
assert _GOOD_ROOT.endswith("I=")  # the "non-canonical root" case below relies on it


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(f"log\n5\n{_GOOD_ROOT}", id="no final newline"),
        pytest.param("log\n5\n", id="two lines"),
        pytest.param(f"\n5\n{_GOOD_ROOT}\n", id="empty origin"),
        pytest.param(f"log\n05\n{_GOOD_ROOT}\n", id="leading zero"),
        pytest.param(f"log\n00\n{_GOOD_ROOT}\n", id="zero with leading zero"),
        pytest.param(f"log\n+5\n{_GOOD_ROOT}\n", id="plus sign"),
        pytest.param(f"log\n-1\n{_GOOD_ROOT}\n", id="negative"),
        pytest.param(f"log\n 5\n{_GOOD_ROOT}\n", id="space"),
        pytest.param(f"log\n5_000\n{_GOOD_ROOT}\n", id="underscore"),
        pytest.param(f"log\n\u0665\n{_GOOD_ROOT}\n", id="arabic-indic digit"),
        pytest.param(f"log\n\n{_GOOD_ROOT}\n", id="empty size"),
        pytest.param(f"log\n{2**64}\n{_GOOD_ROOT}\n", id="size beyond uint64"),
        pytest.param(f"log\n5\n{base64.b64encode(ROOT[:31]).decode()}\n", id="31-byte root"),
        pytest.param(f"log\n5\n{base64.b64encode(ROOT + b'x').decode()}\n", id="33-byte root"),
        pytest.param(f"log\n5\n{_GOOD_ROOT.rstrip('=')}\n", id="unpadded root"),
        # The root ends in "I="; "J=" only sets the two padding bits.
        pytest.param(f"log\n5\n{_GOOD_ROOT[:-2]}J=\n", id="non-canonical root"),
        pytest.param("log\n5\n!!!!\n", id="root not base64"),
        pytest.param("log\n5\nÄÄÄÄ\n", id="root not ascii"),
        pytest.param(f"log\n5\n{_GOOD_ROOT}\n\n", id="empty extension line"),
        pytest.param(f"log\n5\n{_GOOD_ROOT}\next\n\n", id="trailing empty extension"),
        pytest.param(f"log\r\n5\n{_GOOD_ROOT}\n", id="carriage return"),
        pytest.param(f"lo\x00g\n5\n{_GOOD_ROOT}\n", id="control character"),
    ],
)
def test_checkpoint_parse_is_strict(body: str) -> None:
    with pytest.raises(CheckpointError) as caught:
        Checkpoint.parse(body)
    assert caught.value.code == "ledger.bad_checkpoint"


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"origin": ""}, id="empty origin"),
        pytest.param({"origin": "a\nb"}, id="two-line origin"),
        pytest.param({"size": -1}, id="negative size"),
        pytest.param({"size": 2**64}, id="size beyond uint64"),
        pytest.param({"root_hash": b"\x00" * 31}, id="short root"),
        pytest.param({"extensions": ("",)}, id="empty extension"),
        pytest.param({"extensions": ("a\nb",)}, id="two-line extension"),
        pytest.param({"extensions": ("tab\there",)}, id="control character"),
    ],
)
def test_checkpoint_constructor_validates(changes: dict[str, object]) -> None:
    with pytest.raises(CheckpointError):
        _checkpoint(**changes)


_line_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], min_codepoint=0x20), min_size=1
)


@settings(max_examples=200, deadline=None, database=None)
@given(
    origin=_line_text,
    size=st.integers(min_value=0, max_value=2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(_line_text, max_size=4),
)
def test_checkpoint_body_parse_roundtrip(
    origin: str, size: int, root: bytes, extensions: list[str]
) -> None:
    checkpoint = Checkpoint(origin, size, root, tuple(extensions))
    assert Checkpoint.parse(checkpoint.body()) == checkpoint


# --- signed-note: the Go sumdb/note and C2SP vectors ----------------------------------------


def test_go_note_vector_signs_byte_for_byte() -> None:
    signer = _go_signer()
    assert signer.key_id.hex() == "c74f20a3"
    assert signer.verifier().vkey == GO["vkey"]
    # Ed25519 is deterministic, so signing reproduces the published note exactly.
    assert sign_note(GO["text"], [signer]) == GO["text"] + "\n" + GO["signature_line"]


def test_go_note_vector_opens() -> None:
    verifier = NoteVerifier.from_vkey(GO["vkey"])
    assert verifier.name == "PeterNeumann"
    assert verifier.key_id == bytes.fromhex("c74f20a3")
    assert verifier.vkey == GO["vkey"]
    opened = open_note(GO["text"] + "\n" + GO["signature_line"], [verifier])
    assert opened == OpenedNote(text=GO["text"], verified=("PeterNeumann",), unknown=())
    assert opened.cosignature_times == {}


def test_c2sp_note_vector_opens() -> None:
    verifier = NoteVerifier.from_vkey(SPEC["vkey"])
    assert verifier.key_id.hex() == "530d903a"
    opened = open_note(SPEC["note"], [verifier])
    assert opened.text == "This is an example message.\n"
    assert opened.verified == ("example.com/foo",)


def test_vkey_with_plus_in_its_base64_parses() -> None:
    # transparency-dev/formats' example 0x01 key has '+' inside its base64 material.
    verifier = NoteVerifier.from_vkey(FORMATS["ed25519_vkey"])
    assert verifier.name == "TEST"
    assert verifier.vkey == FORMATS["ed25519_vkey"]


def test_tampered_text_does_not_verify() -> None:
    note = GO["text"].replace("cryptography", "cryptographY") + "\n" + GO["signature_line"]
    with pytest.raises(CheckpointError, match="signature by PeterNeumann does not verify") as c:
        open_note(note, [NoteVerifier.from_vkey(GO["vkey"])])
    assert c.value.details == {"name": "PeterNeumann", "key_id": "c74f20a3"}


def test_tampered_signature_does_not_verify() -> None:
    line = GO["signature_line"]
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[10] ^= 1
    bad = f"— PeterNeumann {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(CheckpointError, match="does not verify"):
        open_note(GO["text"] + "\n" + bad, [NoteVerifier.from_vkey(GO["vkey"])])


def test_a_failing_known_signature_rejects_the_note_even_if_another_verifies() -> None:
    good = sign_note(SPEC["note"].split("\n\n")[0] + "\n", [NoteSigner("log", _key(1))])
    bad_line = SPEC["note"].split("\n\n")[1].replace("Uw2QOkn8", "Uw2QOkn9")
    verifiers = [NoteVerifier("log", _key(1).public_key()), NoteVerifier.from_vkey(SPEC["vkey"])]
    with pytest.raises(CheckpointError, match=r"signature by example\.com/foo does not verify"):
        open_note(good + bad_line, verifiers)


def test_only_unknown_keys_is_an_error_that_names_them() -> None:
    other = NoteVerifier("PeterNeumann", _key(9).public_key())  # same name, other key
    with pytest.raises(CheckpointError, match="no signature from a known key") as caught:
        open_note(GO["text"] + "\n" + GO["signature_line"], [other])
    assert caught.value.details == {"unknown": ["PeterNeumann"]}


def test_no_verifiers_at_all() -> None:
    with pytest.raises(CheckpointError, match="no signature from a known key"):
        open_note(SPEC["note"], [])


def test_unknown_signatures_are_ignored_and_reported() -> None:
    text = "hello\n"
    note = sign_note(text, [NoteSigner("a.example", _key(1)), NoteSigner("b.example", _key(2))])
    opened = open_note(note, [NoteVerifier("a.example", _key(1).public_key())])
    assert opened.verified == ("a.example",)
    assert opened.unknown == ("b.example",)
    # The same line twice is reported once, like golang.org/x/mod/sumdb/note.
    doubled = note + note.split("\n\n")[1].splitlines(keepends=True)[1]
    assert open_note(doubled, [NoteVerifier("a.example", _key(1).public_key())]).unknown == (
        "b.example",
    )


def test_repeated_signatures_by_one_key_count_once() -> None:
    note = GO["text"] + "\n" + GO["signature_line"] * 3
    opened = open_note(note, [NoteVerifier.from_vkey(GO["vkey"])])
    assert opened.verified == ("PeterNeumann",)


def test_ambiguous_verifiers_are_refused() -> None:
    verifier = NoteVerifier.from_vkey(GO["vkey"])
    # Same (name, key ID) but a different key: only possible on purpose (a forged config).
    impostor = NoteVerifier("PeterNeumann", _key(3).public_key())
    impostor._key_id = verifier.key_id
    with pytest.raises(CheckpointError, match="ambiguous"):
        open_note(GO["text"] + "\n" + GO["signature_line"], [verifier, impostor])
    # The same key configured twice is not ambiguous.
    twice = [verifier, NoteVerifier.from_vkey(GO["vkey"])]
    assert open_note(GO["text"] + "\n" + GO["signature_line"], twice).verified == ("PeterNeumann",)


def test_text_with_blank_lines_splits_at_the_last_one() -> None:
    signer = NoteSigner("k", _key(4))
    for text in ("para one\n\npara two\n", "Note\n\n"):
        note = sign_note(text, [signer])
        assert open_note(note, [signer.verifier()]).text == text


def test_sixteen_signatures_are_accepted_and_more_than_a_hundred_are_not() -> None:
    signer = NoteSigner("k", _key(5))
    note = sign_note("x\n", [signer])
    junk = [f"— junk{index} AAAAAAAA\n" for index in range(100)]
    assert len(open_note(note + "".join(junk[:15]), [signer.verifier()]).unknown) == 15
    with pytest.raises(CheckpointError, match="more than 100 signatures"):
        open_note(note + "".join(junk), [signer.verifier()])


_SPEC_NOTE = SPEC["note"]


@pytest.mark.parametrize(
    "note",
    [
        pytest.param(_SPEC_NOTE[:-1], id="missing final newline"),
        pytest.param(_SPEC_NOTE.replace(".\n\n", ".\n"), id="missing blank line"),
        pytest.param(_SPEC_NOTE.replace("—", "-"), id="hyphen instead of em dash"),
        pytest.param(_SPEC_NOTE.replace("— ", "—"), id="no space after em dash"),
        pytest.param(_SPEC_NOTE.replace("This", "Th\x07s"), id="control character"),
        pytest.param(_SPEC_NOTE.replace("message.\n", "message.\r\n"), id="carriage return"),
        pytest.param(_SPEC_NOTE + "junk\n", id="junk after the signatures"),
        pytest.param(_SPEC_NOTE.replace("yaQM=", "yaQN="), id="non-canonical base64"),
        pytest.param(_SPEC_NOTE.replace("yaQM=", "yaQM"), id="unpadded base64"),
        pytest.param(_SPEC_NOTE.replace("foo Uw2Q", "foo Uw2Q!"), id="invalid base64"),
        pytest.param(_SPEC_NOTE.replace("foo Uw2Q", "fo+o Uw2Q"), id="plus in the name"),
        pytest.param(_SPEC_NOTE.replace("example.com/foo Uw", " Uw"), id="empty name"),
        pytest.param(_SPEC_NOTE.split("Uw2Q")[0] + "\n", id="no signature"),
        pytest.param("text\n\n— k AAAAAA==\n", id="signature shorter than a key ID + 1"),
        pytest.param(_SPEC_NOTE.replace("This", "Th\ud800s"), id="lone surrogate"),
        pytest.param("text\n\n", id="no signature lines"),
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(CheckpointError):
        open_note(note, [NoteVerifier.from_vkey(SPEC["vkey"])])


# --- verifier keys ----------------------------------------------------------------------------


_SPEC_VKEY = SPEC["vkey"]


@pytest.mark.parametrize(
    "vkey",
    [
        pytest.param(_SPEC_VKEY.replace("530d903a", "530d903b"), id="wrong key id"),
        pytest.param(_SPEC_VKEY.replace("530d903a", "530D903A"), id="uppercase key id"),
        pytest.param(_SPEC_VKEY.replace("530d903a", "530d903"), id="short key id"),
        pytest.param(_SPEC_VKEY.replace("+Aeky", "+Akyе"), id="non-ascii base64"),
        pytest.param(_SPEC_VKEY.replace("+Aeky", "+Akye"), id="unknown algorithm"),
        pytest.param(_SPEC_VKEY[:-1], id="truncated key"),
        pytest.param("example.com/foo+530d903a", id="missing part"),
        pytest.param(_SPEC_VKEY.replace("example.com/foo", ""), id="empty name"),
        pytest.param(_SPEC_VKEY.replace("example.com/foo", "exa mple"), id="space in name"),
        pytest.param(FORMATS["cosignature_vkey"], id="cosignature type for a note verifier"),
        pytest.param(
            "example.com/foo+530d903a+" + base64.b64encode(b"\x01" + b"\xff" * 32).decode(),
            id="other public key",
        ),
        pytest.param(
            "example.com/foo+530d903a+" + base64.b64encode(b"\x01" + b"\xff" * 31).decode(),
            id="31-byte public key",
        ),
    ],
)
def test_malformed_vkeys_are_refused(vkey: str) -> None:
    with pytest.raises(CheckpointError):
        NoteVerifier.from_vkey(vkey)


def test_signers_need_valid_names() -> None:
    for name in ("", "a b", "a+b", "tab\tname", "nbsp\u00a0name"):
        with pytest.raises(CheckpointError, match="invalid key name"):
            NoteSigner(name, _key(1))
        with pytest.raises(CheckpointError, match="invalid key name"):
            CosignatureVerifier(name, _key(1).public_key())


def test_vkey_roundtrip_and_key_id_rule() -> None:
    signer = NoteSigner("tetherai.example/orderer", _key(7))
    verifier = signer.verifier()
    public = _key(7).public_key().public_bytes_raw()
    expected_id = hashlib.sha256(b"tetherai.example/orderer\n\x01" + public).digest()[:4]
    assert signer.key_id == verifier.key_id == expected_id
    assert NoteVerifier.from_vkey(verifier.vkey).vkey == verifier.vkey
    assert verifier.public_key.public_bytes_raw() == public
    assert "tetherai.example/orderer" in repr(signer)
    assert verifier.vkey in repr(verifier)


def test_sign_note_preconditions() -> None:
    signer = NoteSigner("k", _key(1))
    for text in ("no newline", "", "bell\x07\n", "cr\r\n", "surrogate \ud800\n"):
        with pytest.raises(CheckpointError):
            sign_note(text, [signer])
    with pytest.raises(CheckpointError, match="at least one signer"):
        sign_note("x\n", [])


# --- tlog-cosignature cosignature/v1 ----------------------------------------------------------


def test_cosignature_vkey_of_a_real_witness_parses() -> None:
    verifier = CosignatureVerifier.from_vkey(FORMATS["cosignature_vkey"])
    assert verifier.name == "remora.n621.de"
    assert verifier.key_id.hex() == "da77ade7"
    assert verifier.vkey == FORMATS["cosignature_vkey"]
    with pytest.raises(CheckpointError, match="signature type 0x01"):
        CosignatureVerifier.from_vkey(GO["vkey"])


def test_cosignature_key_id_uses_type_0x04() -> None:
    signer = CosignatureSigner("witness.example/w1", _key(8), timestamp=1)
    public = _key(8).public_key().public_bytes_raw()
    assert signer.key_id == hashlib.sha256(b"witness.example/w1\n\x04" + public).digest()[:4]
    assert signer.key_id != NoteSigner("witness.example/w1", _key(8)).key_id
    assert base64.b64decode(signer.verifier().vkey.split("+", 2)[2])[0] == 0x04


def test_cosignature_signs_the_exact_c2sp_message() -> None:
    body = SPEC_CHECKPOINT["body"]
    timestamp = SPEC_CHECKPOINT["cosigned_message_time"]
    signer = CosignatureSigner("witness.example.com/w1", _key(10))
    signature = signer.sign_at(body, timestamp)
    assert signature[:8] == timestamp.to_bytes(8, "big")
    assert len(signature) == 8 + 64
    # The message from the spec's example: header line, time line, then the whole body.
    message = (
        b"cosignature/v1\n"
        b"time 1679315147\n"
        b"example.com/behind-the-sofa\n"
        b"20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    _key(10).public_key().verify(signature[8:], message)  # raises if it differs
    assert signer.verifier().verify(body.encode(), signature)


def test_cosignature_layout_matches_a_published_one() -> None:
    # A real cosignature from transparency-dev/formats: key ID, 8-byte big-endian time,
    # 64-byte Ed25519 signature; ours must have the same shape.
    published = base64.b64decode(FORMATS["cosignature_base64"])
    assert len(published) == 4 + 8 + 64
    assert int.from_bytes(published[4:12], "big") == FORMATS["cosignature_timestamp"]
    signer = CosignatureSigner("w", _key(11), timestamp=FORMATS["cosignature_timestamp"])
    ours = signer.key_id + signer.sign(b"body\n")
    assert len(ours) == len(published)
    assert ours[4:12] == published[4:12]


def test_checkpoint_roundtrip_with_orderer_signature_and_cosignatures() -> None:
    checkpoint = _checkpoint()
    orderer = NoteSigner("tetherai/models", _key(20))
    peer_a = CosignatureSigner("org-a.example/peer", _key(21), timestamp=1_700_000_000)
    peer_b = CosignatureSigner("org-b.example/peer", _key(22), timestamp=1_700_000_005)
    note = sign_checkpoint(checkpoint, [orderer, peer_a, peer_b])
    assert note.startswith(checkpoint.body() + "\n— tetherai/models ")
    assert note.count("\n— ") == 3

    everyone: list[NoteVerifier | CosignatureVerifier] = [
        orderer.verifier(),
        peer_a.verifier(),
        peer_b.verifier(),
    ]
    opened_checkpoint, opened = open_checkpoint(note, everyone, origin="tetherai/models")
    assert opened_checkpoint == checkpoint
    assert opened.verified == ("tetherai/models", "org-a.example/peer", "org-b.example/peer")
    assert opened.unknown == ()
    assert opened.cosignature_times == {
        "org-a.example/peer": 1_700_000_000,
        "org-b.example/peer": 1_700_000_005,
    }

    _, orderer_only = open_checkpoint(note, [orderer.verifier()])
    assert orderer_only.verified == ("tetherai/models",)
    assert orderer_only.unknown == ("org-a.example/peer", "org-b.example/peer")
    _, witness_only = open_checkpoint(note, [peer_b.verifier()])
    assert witness_only.verified == ("org-b.example/peer",)


def test_cosignature_covers_extension_lines_and_timestamp() -> None:
    checkpoint = _checkpoint(extensions=("state 00",))
    cosigner = CosignatureSigner("w.example", _key(30), timestamp=5)
    note = sign_checkpoint(checkpoint, [cosigner])
    tampered = note.replace("state 00", "state 01")
    with pytest.raises(CheckpointError, match=r"signature by w\.example does not verify"):
        open_checkpoint(tampered, [cosigner.verifier()])

    line = note.split("\n\n")[1]
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[4 + 7] ^= 1  # timestamp 5 -> 4
    forged = note.split("\n\n")[0] + "\n\n— w.example " + base64.b64encode(raw).decode() + "\n"
    with pytest.raises(CheckpointError, match="does not verify"):
        open_checkpoint(forged, [cosigner.verifier()])


def test_a_cosignature_is_not_a_plain_note_signature() -> None:
    key = _key(31)
    cosigned = sign_note("text\n", [CosignatureSigner("w", key, timestamp=1)])
    signed = sign_note("text\n", [NoteSigner("w", key)])
    # Different key IDs: each verifier sees the other's line as an unknown key.
    with pytest.raises(CheckpointError, match="no signature from a known key"):
        open_note(cosigned, [NoteVerifier("w", key.public_key())])
    with pytest.raises(CheckpointError, match="no signature from a known key"):
        open_note(signed, [CosignatureVerifier("w", key.public_key())])


def test_cosignature_verifier_rejects_malformed_signatures() -> None:
    signer = CosignatureSigner("w", _key(32))
    verifier = signer.verifier()
    good = signer.sign_at("body\n", 9)
    assert verifier.verify(b"body\n", good)
    assert not verifier.verify(b"body\n", good[:-1])
    assert not verifier.verify(b"body\n", good[8:])
    too_late = (2**63).to_bytes(8, "big") + good[8:]
    assert not verifier.verify(b"body\n", too_late)


def test_cosigner_timestamps() -> None:
    with pytest.raises(CheckpointError, match="no timestamp"):
        sign_note("x\n", [CosignatureSigner("w", _key(33))])
    for bad in (-1, 2**63):
        with pytest.raises(CheckpointError, match="outside"):
            CosignatureSigner("w", _key(33), timestamp=bad)
        with pytest.raises(CheckpointError, match="outside"):
            CosignatureSigner("w", _key(33)).sign_at("x\n", bad)
    assert CosignatureSigner("w", _key(33), timestamp=2**63 - 1).timestamp == 2**63 - 1
    assert CosignatureSigner("w", _key(33)).timestamp is None


# --- open_checkpoint ------------------------------------------------------------------------


def test_open_checkpoint_checks_the_origin() -> None:
    signer = NoteSigner("tetherai/models", _key(40))
    note = sign_checkpoint(_checkpoint(), [signer])
    with pytest.raises(CheckpointError, match="expected 'tetherai/other'") as caught:
        open_checkpoint(note, [signer.verifier()], origin="tetherai/other")
    assert caught.value.details == {
        "expected_origin": "tetherai/other",
        "origin": "tetherai/models",
    }


def test_open_checkpoint_refuses_signed_text_that_is_not_a_checkpoint() -> None:
    signer = NoteSigner("k", _key(41))
    with pytest.raises(CheckpointError, match="lines"):
        open_checkpoint(sign_note("just text\n", [signer]), [signer.verifier()])


def test_open_checkpoint_verifies_before_parsing() -> None:
    # An unsigned (unknown-key) note is refused for its signatures, whatever its text.
    note = sign_checkpoint(_checkpoint(), [NoteSigner("k", _key(42))])
    with pytest.raises(CheckpointError, match="no signature from a known key"):
        open_checkpoint(note, [NoteSigner("k", _key(43)).verifier()])


def test_opened_note_is_frozen() -> None:
    opened = open_note(SPEC["note"], [NoteVerifier.from_vkey(SPEC["vkey"])])
    with pytest.raises(dataclasses.FrozenInstanceError):
        opened.text = "other"  # type: ignore[misc]
    assert hash(opened) == hash(dataclasses.replace(opened))
