"""``tether doctor``: is everything tetherai keeps still what it recorded?

Three independent checks, each a tool that already exists, run together and explained:

- the ledger: a full replay (signatures, Merkle log, state roots, checkpoints);
- the service database: its projections compared with the ledger;
- the object store: every artifact of every version re-hashed against its registered digest.

A check that cannot run (no database yet, an object store that cannot be reached) is reported
as such, never as tampering.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from tetherai.crypto.jcs import JSONValue
from tetherai.errors import TetherError
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.services import ledger_info
from tetherai.services.artifacts import Artifacts
from tetherai.services.db import make_engine, make_session_factory
from tetherai.services.projections import Projector

__all__ = ["Diagnosis", "Finding", "Outcome", "diagnose", "versions_with_artifacts"]

Outcome = Literal["ok", "problem", "not_checked"]


@dataclass(frozen=True)
class Finding:
    """What one check found."""

    check: Literal["ledger", "projections", "artifacts"]
    outcome: Outcome
    summary: str
    details: tuple[str, ...] = ()
    hint: str = ""

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "check": self.check,
            "outcome": self.outcome,
            "summary": self.summary,
            "details": list(self.details),
            "hint": self.hint,
        }


@dataclass(frozen=True)
class Diagnosis:
    findings: tuple[Finding, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """No check found a problem (checks that could not run are listed, not failed)."""
        return all(finding.outcome != "problem" for finding in self.findings)

    def to_json(self) -> dict[str, JSONValue]:
        return {"ok": self.ok, "findings": [finding.to_json() for finding in self.findings]}


def versions_with_artifacts(
    store: SqliteLedgerStore,
) -> Iterator[tuple[str, list[dict[str, JSONValue]]]]:
    """Every version (``org/project/version``) with its registered artifact manifest."""
    for key, value in store.scan("model_version/"):
        if key.count("/") != 3 or not isinstance(value, dict):
            continue  # sub-records: lineage, replaced_by, …
        artifacts = value.get("artifacts")
        if isinstance(artifacts, list) and artifacts:
            yield key.removeprefix("model_version/"), [a for a in artifacts if isinstance(a, dict)]


def _ledger(store: SqliteLedgerStore, channel: str) -> Finding:
    report = ledger_info.verify(store, channel)
    if report.problem is None:
        return Finding(
            "ledger",
            "ok",
            f"{report.blocks} blocks and {report.txs} txs replayed; signatures, Merkle log, "
            f"state roots and {report.checkpoints} checkpoints agree",
        )
    problem = report.problem
    details = tuple(
        f"{label}: {value}"
        for label, value in (
            ("block", problem.block),
            ("expected", problem.expected),
            ("found", problem.found),
            ("tx", problem.tx_id),
        )
        if value not in (None, "")
    )
    return Finding(
        "ledger",
        "problem",
        f"the ledger was changed after it was written: {problem.message}",
        details,
        "restore the ledger file from a peer or a backup; the block named is the first that differs",
    )


def _projections(store: SqliteLedgerStore, channel: str, database_url: str) -> Finding:
    engine = make_engine(database_url)
    try:
        report = Projector(make_session_factory(engine), store, channel).check()
    except TetherError as error:
        return Finding("projections", "not_checked", f"cannot read the service database: {error}")
    finally:
        engine.dispose()
    if report.ok:
        return Finding("projections", "ok", "the service database's projections match the ledger")
    if not report.problems:  # only behind: derived data not yet caught up, nothing changed
        return Finding(
            "projections",
            "not_checked",
            f"the projections that exist match the ledger, but {report.behind}",
            hint="the server catches them up when it starts; or run 'tether db rebuild'",
        )
    return Finding(
        "projections",
        "problem",
        f"{len(report.problems)} difference(s) between the service database and the ledger",
        report.problems,
        "run 'tether db rebuild': the projections are rebuilt from the ledger (nothing is lost)",
    )


def _artifacts(store: SqliteLedgerStore, artifacts: Artifacts) -> Finding:
    checked = 0
    problems: list[str] = []
    unreadable: list[str] = []
    for version, manifest in versions_with_artifacts(store):
        try:
            report = artifacts.verify(manifest)
        except TetherError as error:
            unreadable.append(f"{version}: {error}")
            continue
        checked += sum(1 for check in report.artifacts if check.equal)
        for check in report.mismatches:
            if check.recomputed_sha256 is None:
                unreadable.append(f"{version} {check.name}: {check.reason}")
                continue
            files = ", ".join(check.differing + check.missing + check.extra)
            problems.append(
                f"{version} {check.name}: registered {check.registered_sha256}, "
                f"now {check.recomputed_sha256}" + (f" (files: {files})" if files else "")
            )
    if problems:
        return Finding(
            "artifacts",
            "problem",
            f"{len(problems)} artifact(s) differ from what was registered",
            tuple(problems + unreadable),
            "the object store was changed: put each good copy back with 'tether objects repair "
            "FILE' (the damaged copy is kept aside); the ledger keeps the registered digests, so "
            "a restored copy is checked again",
        )
    if unreadable:
        return Finding(
            "artifacts",
            "not_checked",
            f"{checked} artifact(s) match; {len(unreadable)} could not be read",
            tuple(unreadable),
            "check the object store settings (TETHER_OBJECTS, TETHER_S3_*) and that the "
            "objects exist",
        )
    return Finding("artifacts", "ok", f"{checked} artifact(s) re-hashed: all match")


def diagnose(
    store: SqliteLedgerStore,
    channel: str,
    *,
    database_url: str | None,
    artifacts: Artifacts | None,
    progress: Callable[[str], None] | None = None,
) -> Diagnosis:
    """Run the checks; ``None`` for the database or the artifacts skips that check."""
    steps: Sequence[tuple[str, Callable[[], Finding] | None]] = (
        ("replaying the ledger", lambda: _ledger(store, channel)),
        (
            "comparing the projections",
            None if database_url is None else lambda: _projections(store, channel, database_url),
        ),
        (
            "re-hashing the artifacts",
            None if artifacts is None else lambda: _artifacts(store, artifacts),
        ),
    )
    findings = []
    for label, step in steps:
        if step is None:
            continue
        if progress is not None:
            progress(label)
        findings.append(step())
    return Diagnosis(tuple(findings))
