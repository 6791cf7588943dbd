"""A certificate's validity period, as the membership rules judge a tx's time against it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tetherai.contracts._membership_state import CertificateCache, timestamp
from tetherai.crypto import Algorithm, generate_private_key
from tetherai.identity import CertificateAuthority, Role, certificate_to_pem

NOW = datetime(2026, 3, 1, 12, 0, 7, tzinfo=UTC)
START_MS = int(NOW.timestamp()) * 1000
END_MS = START_MS + 30 * 86_400_000

CA = CertificateAuthority.create("Org1", algorithm=Algorithm.ED25519, now=NOW)
PEM = certificate_to_pem(
    CA.issue(
        participant_id="alice",
        role=Role.AI_ENGINEER,
        public_key=generate_private_key().public_key(),
        now=NOW,
        valid_days=30,
    )
).decode()


def test_both_ends_of_the_period_are_included_to_the_millisecond() -> None:
    cache = CertificateCache()
    assert [cache.valid_at(PEM, ms) for ms in (START_MS - 1, START_MS, END_MS, END_MS + 1)] == [
        False,
        True,
        True,
        False,
    ]


@given(st.integers(min_value=START_MS - 86_400_000, max_value=END_MS + 86_400_000))
def test_judged_as_the_certificate_s_own_dates_judge_the_tx_time(ms: int) -> None:
    identity = CertificateCache().parse(PEM)
    assert identity.not_after - identity.not_before == timedelta(days=30)
    expected = identity.not_before <= timestamp(ms) <= identity.not_after
    assert CertificateCache().valid_at(PEM, ms) is expected
