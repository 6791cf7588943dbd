from __future__ import annotations

import base64
import json

import pytest

from tetherai.crypto.jcs import canonicalize
from tetherai.crypto.signature import Algorithm, generate_private_key, verify
from tetherai.ledger.errors import MalformedTx
from tetherai.ledger.transaction import Creator, Envelope, Transaction, new_nonce, sign_transaction

CREATOR = Creator("Org1", "alice", "ab" * 32)


def make_tx(**changes: object) -> Transaction:
    fields: dict[str, object] = {
        "channel": "main",
        "contract": "notary",
        "fn": "notarize",
        "args": {"name": "a", "sha256": "00" * 32},
        "creator": CREATOR,
        "nonce": new_nonce(),
        "ts": 1_790_000_000_000,
    }
    fields.update(changes)
    return Transaction(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_envelope_roundtrip_through_canonical_bytes(algorithm: Algorithm) -> None:
    key = generate_private_key(algorithm)
    envelope = sign_transaction(make_tx(), key)
    data = envelope.leaf_data
    assert data == canonicalize(envelope.to_json())
    parsed = Envelope.from_bytes(data)
    assert parsed == envelope
    verify(key.public_key(), parsed.sig, parsed.tx_bytes)
    assert Envelope.from_json(json.loads(data)) == envelope


def test_tx_id_is_sha256_of_canonical_tx() -> None:
    import hashlib

    tx = make_tx()
    envelope = sign_transaction(tx, generate_private_key())
    assert envelope.tx_id == hashlib.sha256(canonicalize(tx.to_json())).hexdigest()


def envelope_json(**tx_changes: object) -> dict[str, object]:
    value = sign_transaction(make_tx(), generate_private_key()).to_json()
    tx: dict[str, object] = dict(value["tx"])  # type: ignore[arg-type]
    for key, item in tx_changes.items():
        if item is KeyError:
            del tx[key]
        else:
            tx[key] = item
    return {"tx": tx, "sig": value["sig"]}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"v": 2}, "tx.v must be 1"),
        ({"v": True}, "tx.v must be 1"),
        ({"channel": ""}, "tx.channel"),
        ({"contract": "Not-A-Name"}, "tx.contract"),
        ({"fn": 3}, "tx.fn"),
        ({"args": []}, "tx.args must be a JSON object"),
        ({"creator": "alice"}, "tx.creator must be an object"),
        ({"creator": {"org": "Org1", "id": "a"}}, "missing cert_sha256"),
        ({"creator": {"org": "Org1", "id": "a", "cert_sha256": "xyz"}}, "tx.creator.cert_sha256"),
        ({"nonce": "short"}, "tx.nonce"),
        ({"ts": -1}, "tx.ts"),
        ({"ts": 1.5}, "tx.ts"),
        ({"ts": KeyError}, "missing ts"),
        ({"extra": 1}, "unexpected extra"),
    ],
)
def test_malformed_tx_fields_are_named(changes: dict[str, object], message: str) -> None:
    with pytest.raises(MalformedTx, match=message):
        Envelope.from_json(envelope_json(**changes))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "not canonical JSON"),
        (b'{"tx": {}, "sig": "AA=="}', "not canonical"),
        (b'{"sig":"AA==","tx":{},"x":1}', "exactly 'tx' and 'sig'"),
        (b'{"sig":"!!","tx":{}}', "base64"),
        (b'{"sig":"AA==","tx":[]}', "a tx must be a JSON object"),
        (b"[]", "exactly 'tx' and 'sig'"),
        (b"\xff\xfe", "not canonical JSON"),
        (b" " * (1024 * 1024 + 1), "limit"),
    ],
)
def test_malformed_envelope_bytes_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(MalformedTx, match=message):
        Envelope.from_bytes(data)


def test_non_canonical_base64_signature_is_refused() -> None:
    value = envelope_json()
    value["sig"] = base64.b64encode(b"x" * 64).decode().rstrip("=") + "\n"
    with pytest.raises(MalformedTx):
        Envelope.from_json(value)


def test_tx_with_float_nan_cannot_be_built() -> None:
    value = envelope_json(args={"x": float("nan")})
    with pytest.raises(MalformedTx, match="canonicalized"):
        Envelope.from_json(value)


def _typed(value: object) -> object:
    """``value`` with each number's type beside it (``1 == 1.0`` would hide the difference)."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (type(value).__name__, value)


FLOATY_ARGS = {"n": 1.0, "nested": {"x": 2.50, "big": 1e21, "list": [3.0, -0.0]}, "s": "é"}


def test_a_tx_from_json_carries_the_args_its_signed_bytes_denote() -> None:
    from tetherai.crypto.jcs import loads_stored

    envelope = Envelope.from_json(envelope_json(args=FLOATY_ARGS))
    denoted = loads_stored(envelope.tx_bytes)["args"]  # type: ignore[index]
    assert _typed(envelope.tx.args) == _typed(denoted)
    assert _typed(envelope.tx.args["n"]) == ("int", 1)


def test_a_signed_tx_carries_the_args_its_signed_bytes_denote() -> None:
    from tetherai.crypto.jcs import loads_stored

    envelope = sign_transaction(make_tx(args=FLOATY_ARGS), generate_private_key())
    denoted = loads_stored(envelope.tx_bytes)["args"]  # type: ignore[index]
    assert _typed(envelope.tx.args) == _typed(denoted)
    assert _typed(envelope.tx.args["nested"]) == _typed({"x": 2.5, "big": 1e21, "list": [3, 0]})


def test_plain_args_are_kept_as_they_are() -> None:
    value = envelope_json(args={"name": "a", "sha256": "00" * 32, "tags": ["x", 1, None, True]})
    envelope = Envelope.from_json(value)
    assert envelope.tx.args == value["tx"]["args"]  # type: ignore[index]
    assert envelope.tx_bytes == canonicalize(value["tx"])
