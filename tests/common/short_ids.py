"""Txs whose ids share their first hex digits, to test look-ups by a short id.

A tx id is SHA-256 of the tx's canonical bytes, and the nonce is part of them: trying nonces
finds two txs whose ids start alike (a birthday search: two ids sharing 8 hex digits take
about 10**5 tries, a fraction of a second). The nonces are tried in order, so a run is the
same for the same keys and clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tetherai.ledger.transaction import Creator, Envelope, Transaction, sign_transaction
from tetherai.services.network import ParticipantKey

_PLACEHOLDER = "f" * 32
MAX_TRIES = 5_000_000


@dataclass(frozen=True)
class Call:
    who: ParticipantKey
    contract: str
    fn: str
    args: dict[str, Any]


def _tx(call: Call, channel: str, ts: int, nonce: str) -> Transaction:
    who = call.who
    return Transaction(
        channel=channel,
        contract=call.contract,
        fn=call.fn,
        args=call.args,
        creator=Creator(who.org, who.id, who.cert_sha256),
        nonce=nonce,
        ts=ts,
    )


def sharing_prefix(
    calls: Sequence[Call], pairs: Sequence[tuple[int, int]], channel: str, ts: int, length: int = 8
) -> list[tuple[Envelope, Envelope]]:
    """For each ``(i, j)`` of ``pairs``: a tx of ``calls[i]`` and one of ``calls[j]`` whose ids
    share their first ``length`` hex digits (signed, ready to submit)."""
    templates = []
    for call in calls:
        canonical = _tx(call, channel, ts, _PLACEHOLDER).canonical_bytes()
        head, _, tail = canonical.partition(_PLACEHOLDER.encode())
        templates.append((head, tail))
    seen: dict[str, list[tuple[int, str]]] = {}
    found: dict[tuple[int, int], tuple[str, str]] = {}
    wanted = set(pairs)
    for n in range(MAX_TRIES):
        which = n % len(calls)
        nonce = f"{n:032x}"
        head, tail = templates[which]
        prefix = hashlib.sha256(head + nonce.encode() + tail).hexdigest()[:length]
        for other, other_nonce in seen.get(prefix, []):
            for pair in ((other, which), (which, other)):
                if pair in wanted and pair not in found:
                    first, second = (
                        (other_nonce, nonce) if pair == (other, which) else (nonce, other_nonce)
                    )
                    found[pair] = (first, second)
        seen.setdefault(prefix, []).append((which, nonce))
        if len(found) == len(wanted):
            break
    else:
        raise AssertionError(f"no ids sharing {length} hex digits in {MAX_TRIES} tries")
    return [
        (
            sign_transaction(
                _tx(calls[i], channel, ts, found[(i, j)][0]), calls[i].who.private_key
            ),
            sign_transaction(
                _tx(calls[j], channel, ts, found[(i, j)][1]), calls[j].who.private_key
            ),
        )
        for i, j in pairs
    ]
