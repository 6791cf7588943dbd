"""The version page's rules on plain data: verification results, threads, comparisons, actions."""

from __future__ import annotations

import pytest

from tetherai.web.version_view import (
    allowed_actions,
    artifact_rows,
    comment_threads,
    compare_runs,
)

ARTIFACTS = [
    {"kind": "model", "name": "m", "uri": "s3://b/m", "size": 10, "sha256": "aa" * 32},
    {"kind": "log", "name": "l", "uri": "s3://b/l", "size": 5, "sha256": "bb" * 32},
    {
        "kind": "train_dataset",
        "name": "d",
        "uri": "s3://b/d/",
        "size": 7,
        "sha256": "cc" * 32,
        "files": [{"path": "a", "size": 7, "sha256": "dd" * 32}],
    },
]


def test_artifacts_without_a_verification_are_unverified() -> None:
    rows = artifact_rows(ARTIFACTS, None)
    assert [r.result for r in rows] == ["unverified"] * 3
    assert rows[2].files == 1 and rows[0].files == 0


def test_each_artifact_gets_its_own_result_from_the_last_verification() -> None:
    verification = {
        "ok": False,
        "at": 5,
        "mismatches": [
            {"name": "m", "registered": "aa" * 32, "recomputed": "ee" * 32, "source": "artifacts"},
            {"name": "d", "registered": "cc" * 32, "recomputed": None, "source": "artifacts"},
        ],
    }
    rows = {r.name: r for r in artifact_rows(ARTIFACTS, verification)}
    assert rows["m"].result == "differs" and rows["m"].recomputed == "ee" * 32
    assert rows["d"].result == "unreadable" and rows["d"].recomputed is None
    assert rows["l"].result == "matches" and rows["l"].recomputed == "bb" * 32
    assert rows["l"].verified_at == 5


def test_comments_are_grouped_into_threads_oldest_first() -> None:
    comments = [
        {"id": "r2", "thread": "t1", "at": 30, "text": "second answer"},
        {"id": "t2", "thread": "t2", "at": 20, "text": "another topic"},
        {"id": "t1", "thread": "t1", "at": 10, "text": "opening"},
        {"id": "r1", "thread": "t1", "at": 15, "text": "first answer"},
    ]
    threads = comment_threads(comments)
    assert [[c["id"] for c in t] for t in threads] == [["t1", "r1", "r2"], ["t2"]]


def test_a_comparison_overlays_series_and_lists_metric_deltas() -> None:
    mine = [{"name": "final", "metrics": {"acc": 0.9}, "series": {"loss": [1, 0.5]}}]
    theirs = [{"name": "final", "metrics": {"acc": 0.8, "f1": 0.7}, "series": {"loss": [2, 1]}}]
    comparison = compare_runs("v2", mine, other_label="v1", other_experiments=theirs)
    assert len(comparison.charts) == 1
    assert 'data-series="v2 · final"' in comparison.charts[0]
    assert 'data-series="v1 · final"' in comparison.charts[0]
    deltas = {d.metric: d for d in comparison.deltas}
    assert deltas["acc"].delta == pytest.approx(0.1)
    assert deltas["f1"].mine is None
    alone = compare_runs("v2", mine)
    assert alone.deltas == [] and len(alone.charts) == 1


def test_a_reproduction_run_compares_its_reported_metrics() -> None:
    mine = [{"name": "final", "metrics": {"acc": 0.9}}]
    comparison = compare_runs("v2", mine, other_label="reproduction", other_metrics={"acc": 0.85})
    (delta,) = comparison.deltas
    assert delta.delta == pytest.approx(0.05)
    assert comparison.charts == []  # no series registered: nothing to draw


def test_only_allowed_actions_in_the_page_order() -> None:
    actions = [
        {"action": "vote:qa", "allowed": True},
        {"action": "comment", "allowed": True},
        {"action": "decline", "allowed": True},
        {"action": "deploy", "allowed": False, "reason": "only an MLOps engineer"},
        {"action": "start_qa", "allowed": True},
    ]
    assert [a["action"] for a in allowed_actions(actions)] == [
        "start_qa",
        "decline",
        "comment",
        "vote:qa",
    ]
