"""What the version page shows, computed from the contracts' answers (pure functions).

The route asks the contracts (``model_version.get``, ``workflow.actions``) and the services
(``reviews_page``, ``lifecycle_history``) and passes their answers here; nothing in this
module reads the ledger, so each rule of the page — an artifact's last verification result,
comment threads, the charts of two runs and their metric deltas, which action forms to show —
is written once and tested on plain data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from tetherai.web.charts import MetricDelta, line_chart, metric_deltas

__all__ = [
    "ACTION_ORDER",
    "ArtifactRow",
    "Comparison",
    "Lifecycle",
    "allowed_actions",
    "artifact_rows",
    "comment_threads",
    "compare_runs",
    "final_metrics",
    "lifecycle",
]

# The order action forms appear in: the step forward first, then the review's own records.
ACTION_ORDER = (
    "submit",
    "start_review",
    "verify",
    "pass_review",
    "fail_review",
    "deploy",
    "start_qa",
    "promote",
    "start_monitoring",
    "monitor",
    "complete",
    "decline",
    "rollback",
    "comment",
    "rate",
    "attach_document",
)


@dataclass(frozen=True, slots=True)
class ArtifactRow:
    kind: str
    name: str
    uri: str
    size: int
    sha256: str
    files: int
    """Number of files of a folder artifact (0 for a single file)."""
    result: str
    """``unverified``, ``matches``, ``differs`` or ``unreadable`` (last verification)."""
    recomputed: str | None = None
    verified_at: int | None = None


def artifact_rows(
    artifacts: Sequence[Mapping[str, Any]], verification: Mapping[str, Any] | None
) -> list[ArtifactRow]:
    """The artifact table with each artifact's result in the last recorded verification."""
    mismatches: dict[str, Mapping[str, Any]] = {}
    if verification is not None:
        for mismatch in verification.get("mismatches") or []:
            # A reproduction mismatch counts as much as a store mismatch; keep the first.
            mismatches.setdefault(str(mismatch.get("name")), mismatch)
    rows = []
    for artifact in artifacts:
        name = str(artifact.get("name", ""))
        result, recomputed = "unverified", None
        if verification is not None:
            found = mismatches.get(name)
            if found is None:
                result, recomputed = "matches", str(artifact.get("sha256", ""))
            elif found.get("recomputed") is None:
                result = "unreadable"
            else:
                result, recomputed = "differs", str(found["recomputed"])
        rows.append(
            ArtifactRow(
                kind=str(artifact.get("kind", "")),
                name=name,
                uri=str(artifact.get("uri", "")),
                size=int(artifact.get("size", 0) or 0),
                sha256=str(artifact.get("sha256", "")),
                files=len(artifact.get("files") or []),
                result=result,
                recomputed=recomputed,
                verified_at=None if verification is None else verification.get("at"),
            )
        )
    return rows


def comment_threads(comments: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Comments grouped into threads (the opening comment first), oldest thread first.
    Comments of the same time keep the order given (the ledger's, oldest first)."""
    threads: dict[str, list[Mapping[str, Any]]] = {}
    for comment in sorted(comments, key=lambda c: c.get("at") or 0):
        threads.setdefault(str(comment.get("thread") or comment.get("id")), []).append(comment)
    return list(threads.values())


def final_metrics(experiments: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A version's final metrics, later experiments overriding earlier ones (as the contract)."""
    metrics: dict[str, Any] = {}
    for experiment in experiments:
        metrics.update(experiment.get("metrics") or {})
    return metrics


@dataclass(frozen=True)
class Comparison:
    """This version's runs next to another run: one chart per metric, and metric deltas."""

    other_label: str
    charts: list[Markup] = field(default_factory=list)
    deltas: list[MetricDelta] = field(default_factory=list)


def _series_by_metric(
    label: str, experiments: Sequence[Mapping[str, Any]]
) -> dict[str, dict[str, list[float]]]:
    found: dict[str, dict[str, list[float]]] = {}
    for experiment in experiments:
        for metric, values in (experiment.get("series") or {}).items():
            if isinstance(values, list):
                line = f"{label} · {experiment.get('name', '')}"
                found.setdefault(str(metric), {})[line] = [float(v) for v in values]
    return found


def compare_runs(
    label: str,
    experiments: Sequence[Mapping[str, Any]],
    *,
    other_label: str = "",
    other_experiments: Sequence[Mapping[str, Any]] = (),
    other_metrics: Mapping[str, Any] | None = None,
) -> Comparison:
    """Charts of every per-epoch series (this version's, overlaid with the other's), and the
    final metrics of both with their differences when there is another run.

    ``other_metrics`` overrides the other run's final metrics (a reproduction run reports
    metrics but no series).
    """
    mine = _series_by_metric(label, experiments)
    other = _series_by_metric(other_label, other_experiments) if other_label else {}
    charts = [
        line_chart(metric, mine.get(metric, {}) | other.get(metric, {}))
        for metric in sorted(set(mine) | set(other))
    ]
    deltas: list[MetricDelta] = []
    if other_label:
        theirs = (
            dict(other_metrics) if other_metrics is not None else final_metrics(other_experiments)
        )
        deltas = metric_deltas(final_metrics(experiments), theirs)
    return Comparison(other_label, charts, deltas)


def allowed_actions(actions: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The actions the contracts allow now, in the page's order (votes after the rest)."""
    allowed = [a for a in actions if a.get("allowed")]

    def rank(action: Mapping[str, Any]) -> tuple[int, str]:
        name = str(action.get("action"))
        return (ACTION_ORDER.index(name) if name in ACTION_ORDER else len(ACTION_ORDER), name)

    return sorted(allowed, key=rank)


_REVIEW_OUTCOMES = ("review_passed", "review_failed")


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """The version's life so far, from its audit history (``HistoryEntry.to_json()`` rows).

    ``steps``: every tx that moved it or verified its artifacts, oldest first; ``review``: the
    tx that decided the review (passed or failed), else the one that started it; ``deployment``:
    the tx that deployed it, whose endpoint stays known whatever happened since.
    """

    steps: list[Mapping[str, Any]]
    review: Mapping[str, Any] | None
    deployment: Mapping[str, Any] | None
    entries: int

    @property
    def endpoint(self) -> str:
        details = (self.deployment or {}).get("details") or {}
        return str(details.get("endpoint") or "")


def lifecycle(entries: Sequence[Mapping[str, Any]]) -> Lifecycle:
    """Pick the timeline, the review's outcome and the deployment out of a version's history."""
    steps = [
        e
        for e in entries
        if (e.get("status_after") and e.get("status_after") != e.get("status_before"))
        or e.get("action") == "review.verify"
    ]
    moves = [e for e in steps if e.get("status_after") != e.get("status_before")]
    decided = [e for e in moves if e.get("status_after") in _REVIEW_OUTCOMES]
    started = [e for e in moves if e.get("status_after") == "reviewing"]
    deployed = [e for e in moves if e.get("status_after") == "deployed"]
    review = decided[-1] if decided else (started[-1] if started else None)
    if review is not None and decided and started and started[-1]["seq"] > decided[-1]["seq"]:
        review = started[-1]  # reviewed again since (a new review started after the outcome)
    return Lifecycle(steps, review, deployed[-1] if deployed else None, len(entries))
