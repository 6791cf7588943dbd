"""What a report shows, read from a verified bundle: the records its valid txs wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tetherai.auditverify import BundleTx, Verdict

__all__ = ["ReportContent", "TimelineEntry", "VersionContent", "report_content", "utc"]


def utc(ms: int | None) -> str:
    if not isinstance(ms, int) or ms <= 0:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass
class TimelineEntry:
    when: str
    who: str
    role: str
    what: str
    detail: str
    tx_id: str
    block: int
    valid: bool | None


@dataclass
class VersionContent:
    name: str
    record: dict[str, Any]
    status: str
    verification: dict[str, Any] | None
    artifacts: list[dict[str, Any]]
    comments: list[dict[str, Any]] = field(default_factory=list)
    votes: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    monitoring: list[dict[str, Any]] = field(default_factory=list)

    @property
    def metrics(self) -> dict[str, float]:
        found: dict[str, float] = {}
        for experiment in self.record.get("experiments") or []:
            for name, value in (experiment.get("metrics") or {}).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    found[str(name)] = float(value)
        return found

    @property
    def series(self) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for experiment in self.record.get("experiments") or []:
            for name, values in (experiment.get("series") or {}).items():
                numbers = [float(v) for v in values if isinstance(v, (int, float))]
                if len(numbers) >= 2:
                    found[f"{experiment.get('name', '')}: {name}"] = numbers
        return found


@dataclass
class ReportContent:
    verdict: Verdict
    project: dict[str, Any]
    factsheet: dict[str, Any] | None
    members: list[dict[str, Any]]
    versions: list[VersionContent]
    timeline: list[TimelineEntry]


def _state(txs: list[BundleTx]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for tx in txs:
        if tx.valid is False:
            continue
        for key, value in tx.writes.items():
            if value is None:
                state.pop(key, None)
            else:
                state[key] = value
    return state


def _under(state: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [v for k, v in sorted(state.items()) if k.startswith(prefix) and isinstance(v, dict)]


def _version(state: dict[str, Any], project: str, name: str) -> VersionContent:
    record = state.get(f"model_version/{project}/{name}") or {}
    status = (state.get(f"workflow/{project}/{name}") or {}).get("status", "-")
    review = f"review/{project}/{name}/"
    verification = state.get(f"{review}verification")
    mismatched = {
        str(m.get("name"))
        for m in (verification or {}).get("mismatches") or []
        if isinstance(m, dict)
    }
    artifacts = []
    for artifact in record.get("artifacts") or []:
        if verification is None:
            result = "not verified"
        elif artifact.get("name") in mismatched:
            result = "MISMATCH"
        else:
            result = f"matches ({verification.get('method', 'store')})"
        artifacts.append(dict(artifact) | {"verification": result})
    comments = sorted(_under(state, f"{review}comment/"), key=lambda c: c.get("at", 0))
    return VersionContent(
        name,
        record,
        str(status),
        verification if isinstance(verification, dict) else None,
        artifacts,
        comments=comments,
        votes=_under(state, f"{review}vote/"),
        ratings=_under(state, f"{review}rating/"),
        documents=_under(state, f"{review}document/"),
        monitoring=_under(state, f"{review}monitoring/"),
    )


def _what(tx: BundleTx, project: str) -> str:
    if tx.valid is False:
        return f"refused ({tx.code}): {tx.message}"
    args = tx.tx.get("args") or {}
    parts = []
    for key, value in sorted(tx.writes.items()):
        if key.startswith(f"workflow/{project}/") and isinstance(value, dict) and "status" in value:
            version = key.rsplit("/", 1)[1]
            reason = f" ({value['reason']})" if value.get("reason") else ""
            parts.append(f"{version}: {value.get('previous') or 'new'} → {value['status']}{reason}")
    if tx.action == "review.comment":
        parts.append(f"“{str(args.get('text', ''))[:200]}”")
    elif tx.action == "review.vote":
        verb = "approves" if args.get("approve") else "rejects"
        parts.append(f"{verb} moving {args.get('version')} to {args.get('to')}")
    elif tx.action == "project.add_member":
        parts.append(f"adds {args.get('id')}@{args.get('org')}")
    elif tx.action == "model_version.create":
        parts.append(f"registers version {args.get('version')}")
    elif tx.action == "review.verify" and isinstance(tx.result, dict):
        parts.append("digests and criteria hold" if tx.result.get("ok") else "verification failed")
    return "; ".join(parts)


def report_content(verdict: Verdict) -> ReportContent:
    project = verdict.project
    state = _state(verdict.txs)
    names = sorted(
        key.rsplit("/", 1)[1]
        for key in state
        if key.startswith(f"model_version/{project}/") and key.count("/") == 3
    )
    if verdict.version is not None:
        names = [n for n in names if n == verdict.version]
    timeline = [
        TimelineEntry(
            utc(tx.ts), tx.who, tx.role, tx.action, _what(tx, project), tx.tx_id, tx.block, tx.valid
        )
        for tx in verdict.txs
    ]
    return ReportContent(
        verdict,
        state.get(f"project/{project}") or {"ref": project},
        state.get(f"project/{project}/factsheet"),
        _under(state, f"project/{project}/member/"),
        [_version(state, project, name) for name in names],
        timeline,
    )
