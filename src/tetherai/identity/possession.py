"""Proof that whoever registers a public key holds its private key (DESIGN.md §4, "add_key").

A person who enrols another key of their own signs, with that *new* key, a statement naming
them and the key: ``JCS({"purpose", "org", "id", "public_key_sha256"})``. The statement names
who the key is for, so a proof made for one person cannot enrol the key for another; it needs
no freshness, because all a replay could do is enrol the same key for the same person again,
which the ledger refuses (a public key is enrolled once, ever). The membership contract checks
the proof in ``add_key``; the API checks it first only to answer sooner.
"""

from __future__ import annotations

import base64
import binascii

from tetherai.crypto.errors import CryptoError
from tetherai.crypto.jcs import canonicalize
from tetherai.crypto.signature import PrivateKey, PublicKey, public_key_fingerprint, sign, verify
from tetherai.identity.errors import PossessionError

__all__ = ["POSSESSION_PURPOSE", "check_possession", "possession_statement", "prove_possession"]

POSSESSION_PURPOSE = "tetherai/key-possession/v1"
MAX_PROOF_CHARS = 200


def possession_statement(org: str, participant_id: str, public_key: PublicKey) -> bytes:
    """The canonical bytes a key signs to show it is held by ``participant_id@org``."""
    return canonicalize(
        {
            "purpose": POSSESSION_PURPOSE,
            "org": org,
            "id": participant_id,
            "public_key_sha256": public_key_fingerprint(public_key),
        }
    )


def prove_possession(private_key: PrivateKey, org: str, participant_id: str) -> str:
    """Sign the statement with ``private_key``; the proof is its signature in base64."""
    statement = possession_statement(org, participant_id, private_key.public_key())
    return base64.b64encode(sign(private_key, statement)).decode("ascii")


def check_possession(public_key: PublicKey, org: str, participant_id: str, proof: object) -> None:
    """Check a proof made by :func:`prove_possession`.

    Raises:
        PossessionError: the proof is missing, not base64, or not this key's signature of the
            statement for ``participant_id@org``.
    """
    if not isinstance(proof, str) or not 0 < len(proof) <= MAX_PROOF_CHARS:
        raise PossessionError("the proof of possession is missing or too long")
    try:
        signature = base64.b64decode(proof, validate=True)
    except (binascii.Error, ValueError) as error:
        raise PossessionError("the proof of possession is not base64") from error
    try:
        verify(public_key, signature, possession_statement(org, participant_id, public_key))
    except CryptoError as error:
        raise PossessionError(
            f"the proof of possession is not a signature of {participant_id}@{org}'s "
            "registration by this key"
        ) from error
