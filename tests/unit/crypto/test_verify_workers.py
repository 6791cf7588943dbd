"""Signature checks in child processes: the same answers as in process, and a clear failure
when a worker is gone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tetherai.crypto import Algorithm, generate_private_key, sign
from tetherai.crypto.verify_workers import VerifyWorkers, WorkerGone, worker_key


@pytest.fixture(scope="module")
def workers() -> Iterator[VerifyWorkers]:
    pool = VerifyWorkers(2)
    yield pool
    pool.shutdown()


def test_workers_tell_valid_from_invalid_signatures_of_both_algorithms(
    workers: VerifyWorkers,
) -> None:
    ed, ec = generate_private_key(Algorithm.ED25519), generate_private_key(Algorithm.ECDSA_P256)
    keys = [worker_key(key.public_key()) for key in (ed, ec)]
    items = [
        (0, sign(ed, b"tx one"), b"tx one"),
        (1, sign(ec, b"tx two"), b"tx two"),
        (0, sign(ed, b"tx one"), b"tx one, altered"),
        (1, sign(ed, b"tx three"), b"tx three"),  # signed by the other key
        (0, b"\x00" * 64, b"tx four"),
        (0, b"short", b"tx five"),  # malformed signature
    ]
    futures = [workers.submit(keys, items[:3]), workers.submit(keys, items[3:])]
    results = [flag for future in futures for flag in future.result(timeout=60)]
    assert results == [True, True, False, False, False, False]
    # Many chunks in flight on both workers come back, each with its own answers.
    many = [workers.submit(keys, [items[n % 2]] * (n + 1)) for n in range(20)]
    assert [len(future.result(timeout=60)) for future in many] == list(range(1, 21))
    assert all(all(future.result()) for future in many)


def test_a_worker_that_ended_fails_its_futures_instead_of_hanging() -> None:
    pool = VerifyWorkers(1)
    key = generate_private_key(Algorithm.ED25519)
    encoded = worker_key(key.public_key())
    item = (0, sign(key, b"data"), b"data")
    assert pool.submit([encoded], [item]).result(timeout=60) == [True]
    for process in pool._processes:
        process.kill()
        process.wait()
    with pytest.raises(WorkerGone, match="signature worker process has ended"):
        pool.submit([encoded], [item]).result(timeout=60)
    with pytest.raises(WorkerGone):
        pool.submit([encoded], [item]).result(timeout=60)
    pool.shutdown()
