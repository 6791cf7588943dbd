"""SignatureChecker: each tx's signature is checked against its own creator's key, on threads
and in worker processes alike, whatever the mix of creators in a block."""

from __future__ import annotations

import pytest

from tetherai.crypto.signature import Algorithm, PrivateKey, PublicKey, generate_private_key
from tetherai.ledger.signatures import SignatureChecker
from tetherai.ledger.transaction import Creator, Envelope, Transaction, sign_transaction


def _envelope(number: int, creator: str, signer: PrivateKey) -> Envelope:
    tx = Transaction(
        channel="main",
        contract="notary",
        fn="notarize",
        args={"name": f"doc/{number}", "sha256": f"{number:064x}"},
        creator=Creator(org="Org1", id=creator, cert_sha256=creator * 64),
        nonce=f"{number:032x}",
        ts=1_700_000_000_000 + number,
    )
    return sign_transaction(tx, signer)


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "worker-processes"])
def test_each_tx_is_checked_with_its_own_creators_key(processes: bool) -> None:
    keys: dict[str, PrivateKey] = {
        "a": generate_private_key(Algorithm.ED25519),
        "b": generate_private_key(Algorithm.ECDSA_P256),
        "c": generate_private_key(Algorithm.ED25519),
    }
    public: dict[str, PublicKey] = {name: key.public_key() for name, key in keys.items()}
    # Creators alternate within one chunk; every fifth tx is signed by the next creator's key.
    names = "abc"
    envelopes = []
    forged = set()
    for number in range(300):
        creator = names[number % 3]
        signer = keys[names[(number + 1) % 3]] if number % 5 == 0 else keys[creator]
        if number % 5 == 0:
            forged.add(number)
        envelopes.append(_envelope(number, creator, signer))
    checker = SignatureChecker(workers=2, processes=processes)
    try:
        pending = checker.start(envelopes, lambda cert: public[cert[0]])
        found = [
            pending.valid(index, public[envelope.tx.creator.id])
            for index, envelope in enumerate(envelopes)
        ]
    finally:
        checker.close()
    assert found == [index not in forged for index in range(len(envelopes))]
