"""Properties of the ledger's parsers under arbitrary and mutated input.

Envelopes and txs (``transaction.py``), signed notes and checkpoints (``checkpoint.py``) and
``tlog-proof@v1`` texts (``tlog_proof.py``): each either parses or raises its own TetherError
with a code and a message — never another exception — and what they format, they parse back.
A mutated signed note or envelope never passes as a different valid one.
(Checkpoint bodies alone, and canonical JSON, have their properties in test_checkpoint.py and
tests/unit/crypto/test_jcs.py.)
"""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from tetherai.crypto.signature import Algorithm, generate_private_key, verify
from tetherai.errors import TetherError
from tetherai.ledger.checkpoint import (
    Checkpoint,
    NoteSigner,
    open_checkpoint,
    open_note,
    sign_checkpoint,
)
from tetherai.ledger.errors import MalformedTx
from tetherai.ledger.tlog_proof import TlogProof, format_tlog_proof, parse_tlog_proof
from tetherai.ledger.transaction import Creator, Envelope, Transaction, sign_transaction

SIGNER = NoteSigner("orderer.example", Ed25519PrivateKey.from_private_bytes(b"\x07" * 32))
VERIFIER = SIGNER.verifier()
TX_KEY = generate_private_key(Algorithm.ED25519)

MAX_SAFE = 2**53 - 1
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE, MAX_SAFE)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=15,
)
texts = st.text(max_size=300) | st.binary(max_size=300).map(
    lambda data: data.decode("utf-8", "replace")
)


def refused_cleanly(error: Exception, expected: type[TetherError] = TetherError) -> None:
    assert isinstance(error, expected), f"{type(error).__name__}: {error}"
    assert error.code and error.message


@st.composite
def mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few bytes flipped, inserted or deleted."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, max(0, len(out) - 1)))
        action = draw(st.sampled_from(["flip", "insert", "delete"]))
        if action == "flip" and out:
            out[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            out.insert(position, draw(st.integers(0, 255)))
        elif out:
            del out[position]
    return bytes(out)


# --- envelopes and txs ------------------------------------------------------------------------


@st.composite
def transactions(draw: st.DrawFn) -> Transaction:
    return Transaction(
        channel=draw(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)),
        contract=draw(st.sampled_from(["review", "project", "notary"])),
        fn=draw(st.sampled_from(["comment", "create", "notarize"])),
        args=draw(st.dictionaries(st.text(max_size=10), json_values, max_size=4)),
        creator=Creator(
            org="Org1",
            id=draw(st.from_regex(r"[a-z]{1,12}", fullmatch=True)),
            cert_sha256="ab" * 32,
        ),
        nonce=draw(st.from_regex(r"[0-9a-f]{32}", fullmatch=True)),
        ts=draw(st.integers(0, MAX_SAFE)),
    )


@settings(max_examples=150, deadline=None)
@given(transactions())
def test_an_envelope_reads_back_from_its_bytes_and_its_json(tx: Transaction) -> None:
    envelope = sign_transaction(tx, TX_KEY)
    from_bytes = Envelope.from_bytes(envelope.leaf_data)
    from_json = Envelope.from_json(json.loads(json.dumps(envelope.to_json())))
    assert from_bytes.tx_id == from_json.tx_id == envelope.tx_id
    assert from_bytes.leaf_data == from_json.leaf_data == envelope.leaf_data


@settings(max_examples=300, deadline=None)
@given(st.data(), transactions())
def test_a_mutated_envelope_is_refused_or_is_another_tx(
    data: st.DataObject, tx: Transaction
) -> None:
    envelope = sign_transaction(tx, TX_KEY)
    mutated = data.draw(mutations(envelope.leaf_data))
    try:
        parsed = Envelope.from_bytes(mutated)
    except Exception as error:
        refused_cleanly(error, MalformedTx)
        return
    # It parsed: then it is canonical, so its bytes are exactly what was given, and its
    # signature verifies only if neither the tx nor the signature changed.
    assert parsed.leaf_data == mutated
    try:
        verify(TX_KEY.public_key(), parsed.sig, parsed.tx_bytes)
    except Exception as error:
        refused_cleanly(error)
    else:
        assert (parsed.tx_bytes, parsed.sig) == (envelope.tx_bytes, envelope.sig)


@settings(max_examples=300, deadline=None)
@given(json_values | st.dictionaries(st.sampled_from(["tx", "sig", "x"]), json_values))
def test_arbitrary_json_as_an_envelope_is_refused_cleanly(value: object) -> None:
    for parse in (Envelope.from_json, Transaction.from_json):
        try:
            parse(value)
        except Exception as error:
            refused_cleanly(error)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | texts.map(str.encode))
def test_arbitrary_bytes_as_an_envelope_are_refused_cleanly(data: bytes) -> None:
    try:
        Envelope.from_bytes(data)
    except Exception as error:
        refused_cleanly(error)


# --- signed notes and checkpoints ---------------------------------------------------------------


@st.composite
def checkpoints(draw: st.DrawFn) -> Checkpoint:
    return Checkpoint(
        origin=draw(st.from_regex(r"[a-z0-9.]{1,30}/[a-z]{1,10}", fullmatch=True)),
        size=draw(st.integers(0, 2**40)),
        root_hash=draw(st.binary(min_size=32, max_size=32)),
        extensions=tuple(
            draw(st.lists(st.from_regex(r"[a-z0-9 ]{1,20}", fullmatch=True), max_size=2))
        ),
    )


@settings(max_examples=300, deadline=None)
@given(st.data(), checkpoints())
def test_a_mutated_signed_checkpoint_is_refused_or_unchanged(
    data: st.DataObject, checkpoint: Checkpoint
) -> None:
    note = sign_checkpoint(checkpoint, [SIGNER])
    assert open_checkpoint(note, [VERIFIER])[0] == checkpoint
    mutated = data.draw(mutations(note.encode())).decode("utf-8", "replace")
    try:
        opened, _ = open_checkpoint(mutated, [VERIFIER])
    except Exception as error:
        refused_cleanly(error)
        return
    assert opened == checkpoint  # only a change outside the signed text can leave it valid


@settings(max_examples=300, deadline=None)
@given(texts)
def test_arbitrary_text_as_a_note_or_checkpoint_is_refused_cleanly(text: str) -> None:
    for parse in (
        lambda: open_note(text, [VERIFIER]),
        lambda: open_checkpoint(text, [VERIFIER]),
        lambda: Checkpoint.parse(text),
    ):
        try:
            parse()
        except Exception as error:
            refused_cleanly(error)


# --- tlog proofs ------------------------------------------------------------------------------


@st.composite
def tlog_proofs(draw: st.DrawFn) -> TlogProof:
    note = sign_checkpoint(draw(checkpoints()), [SIGNER])
    return TlogProof(
        index=draw(st.integers(0, 2**40)),
        hashes=tuple(draw(st.lists(st.binary(min_size=32, max_size=32), max_size=5))),
        checkpoint_note=note,
        extra=draw(st.none() | st.binary(max_size=64)),
    )


@settings(max_examples=200, deadline=None)
@given(tlog_proofs())
def test_a_tlog_proof_parses_back_to_itself(proof: TlogProof) -> None:
    assert parse_tlog_proof(format_tlog_proof(proof)) == proof


@settings(max_examples=300, deadline=None)
@given(st.data(), tlog_proofs())
def test_mutated_or_arbitrary_tlog_proofs_are_refused_cleanly(
    data: st.DataObject, proof: TlogProof
) -> None:
    text = format_tlog_proof(proof)
    mutated = data.draw(mutations(text.encode())).decode("utf-8", "replace")
    header_and_junk = "c2sp.org/tlog-proof@v1\n" + data.draw(texts)
    for candidate in (mutated, header_and_junk, data.draw(texts)):
        try:
            parsed = parse_tlog_proof(candidate)
        except Exception as error:
            refused_cleanly(error)
            continue
        assert parsed.index >= 0 and all(len(node) == 32 for node in parsed.hashes)
        try:  # whatever parsed, verifying it fails cleanly unless it is a real proof
            parsed.verify([VERIFIER], origin="no.such/origin")
        except Exception as error:
            refused_cleanly(error)


def test_a_huge_index_or_hash_line_is_refused() -> None:
    head = "c2sp.org/tlog-proof@v1\n"
    for body in (
        "index " + "9" * 5000,
        "index -1",
        "index 1\n" + base64.b64encode(b"x" * 31).decode(),
    ):
        try:
            parse_tlog_proof(head + body + "\n\nnote\n")
        except Exception as error:
            refused_cleanly(error)
        else:  # pragma: no cover - the assertion explains
            raise AssertionError(f"accepted {body[:30]!r}")


@pytest.mark.parametrize("index", ["005", "+5", "0_5", " 5", "5 ", "٥", "0x5", "1e3"])
def test_an_index_that_is_not_plain_decimal_is_refused_by_both_parsers(index: str) -> None:
    """tlog-proof@v1: "ASCII decimal with no leading zeroes"; Python's int() takes all these."""
    from tetherai.auditverify.notes import NoteFailure
    from tetherai.auditverify.notes import parse_tlog_proof as offline_parse
    from tetherai.ledger.errors import ProofError

    extra = base64.b64encode(b"{}").decode()
    text = f"c2sp.org/tlog-proof@v1\nextra {extra}\nindex {index}\n\nnote\n"
    with pytest.raises(ProofError, match="not a decimal number"):
        parse_tlog_proof(text)
    with pytest.raises(NoteFailure, match="not a number"):
        offline_parse(text)
    assert parse_tlog_proof(text.replace(f"index {index}", "index 5")).index == 5
