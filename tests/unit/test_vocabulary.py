"""The domain's words: their groups hold together and every place that shows them knows them."""

from __future__ import annotations

import pytest

from tetherai import vocabulary
from tetherai.contracts.errors import InvalidArgument
from tetherai.contracts.model_version import check_artifacts
from tetherai.storage.errors import ManifestError
from tetherai.storage.manifest import ArtifactEntry
from tetherai.vocabulary import (
    APPROVED,
    LIVE,
    NEEDS_REASON,
    OPEN_STATUSES,
    REPLACEABLE,
    Status,
)
from tetherai.web import wording

DIGEST = "0" * 64


def test_status_groups_hold_together() -> None:
    assert set(OPEN_STATUSES) <= set(Status)
    assert LIVE.issubset(OPEN_STATUSES)
    assert not REPLACEABLE & set(OPEN_STATUSES)  # a replaced version waits for no one
    assert not APPROVED & {Status.REVIEW_FAILED, Status.DECLINED}
    assert not NEEDS_REASON & set(OPEN_STATUSES)  # a move that needs a reason ends the version


def test_only_a_failed_version_may_be_replaced() -> None:
    assert [s for s in Status if vocabulary.may_be_replaced(s)] == [Status.REVIEW_FAILED]


def test_the_pages_have_words_for_every_word_of_the_vocabulary() -> None:
    assert {s for s in Status if wording.status_text(s) == s} == set()
    assert {r for r in vocabulary.Role if wording.role_text(r) == r} == set()
    for group, words in (
        ("kind", vocabulary.ARTIFACT_KINDS),
        ("monitoring", vocabulary.MONITORING_STATUSES),
        ("method", vocabulary.VERIFICATION_METHODS),
        ("relation", vocabulary.RELATIONS),
    ):
        assert set(wording._labels()[group]) == set(words), group


def test_every_layer_refuses_an_unknown_kind_in_the_same_words() -> None:
    expected = vocabulary.kind_problem("weights", "w.bin")
    assert expected is not None and "kinds are train_dataset, test_dataset, model" in expected
    entry = {"kind": "weights", "name": "w.bin", "uri": "x", "size": 1, "sha256": DIGEST}
    with pytest.raises(InvalidArgument) as refused:
        check_artifacts([entry])
    assert refused.value.message == expected
    with pytest.raises(ManifestError) as malformed:
        ArtifactEntry("weights", "w.bin", "x", 1, DIGEST)
    assert malformed.value.message == expected
    assert vocabulary.kind_problem("model") is None


def test_or_list() -> None:
    assert vocabulary.or_list(("store", "local", "rerun")) == "store, local or rerun"
    assert vocabulary.or_list(["one"]) == "one"
