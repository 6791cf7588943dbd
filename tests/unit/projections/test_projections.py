"""Projections of the ledger in the service database: filled from blocks, checked, rebuilt."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from tests.common.lifecycle import Cast, manifest
from tetherai.services.db import (
    HistoryProjection,
    ProjectProjection,
    VersionProjection,
    make_engine,
    make_session_factory,
    migrate,
    transaction,
)
from tetherai.services.overview import open_versions, recent_activity
from tetherai.services.projections import Projector
from tetherai.vocabulary import OPEN_STATUSES


def projector_for(cast: Cast, tmp_path: Path) -> tuple[Projector, object]:
    url = f"sqlite:///{tmp_path / 'service.sqlite'}"
    migrate(url)
    sessions = make_session_factory(make_engine(url))
    return Projector(sessions, cast.net.node.peer.store.reader(), "main"), sessions


def test_projections_follow_the_ledger_and_rebuild_identically(cast: Cast, tmp_path: Path) -> None:
    v1 = cast.new_version("v1")
    cast.walk(v1, "review_passed")
    projector, sessions = projector_for(cast, tmp_path)
    assert projector.catch_up() == cast.net.node.peer.head.height
    assert projector.catch_up() == 0  # nothing new
    with transaction(sessions) as session:  # type: ignore[arg-type]
        project = session.get(ProjectProjection, cast.project)
        version = session.get(VersionProjection, f"{cast.project}/v1")
        history = session.scalars(
            select(HistoryProjection)
            .where(HistoryProjection.version_ref == f"{cast.project}/v1")
            .order_by(HistoryProjection.seq)
        ).all()
        steps = [(h.action, h.status_before, h.status_after) for h in history]
    assert project is not None and project.name == "Credit Scoring"
    assert (
        version is not None and version.status == "review_passed" and version.author == "alice@Org1"
    )
    assert steps[0] == ("model_version.create", None, "draft")
    assert steps[-1] == ("workflow.transition", "reviewing", "review_passed")
    assert projector.check().ok

    cast.ok(
        "mlops",
        "workflow",
        "transition",
        project=cast.project,
        version=v1,
        to="deployed",
        details={"endpoint": "https://models.example"},
    )
    stale = projector.check()
    assert not stale.ok and any("ledger says deployed" in p for p in stale.problems)
    projector.catch_up()
    assert projector.check().ok

    with transaction(sessions) as session:  # type: ignore[arg-type]
        session.execute(update(VersionProjection).values(status="complete"))
    edited = projector.check()
    assert not edited.ok and "projection says complete" in edited.problems[0]
    projector.rebuild()
    assert projector.check().ok
    with transaction(sessions) as session:  # type: ignore[arg-type]
        rebuilt = [
            (h.seq, h.action)
            for h in session.scalars(select(HistoryProjection).order_by(HistoryProjection.id))
        ]
    assert rebuilt and rebuilt == sorted(rebuilt)


def test_recent_activity_is_the_newest_changes_of_the_readable_projects(
    cast: Cast, tmp_path: Path
) -> None:
    """Asked project by project (a few readable) or in one query (many): the same rows."""
    second = cast.ok("ai2", "project", "create", name="Churn Forecast", domain="retail")["project"]
    for number in range(3):
        cast.walk(cast.new_version(f"r{number}"), "reviewing")
    projector, sessions = projector_for(cast, tmp_path)
    projector.catch_up()
    with transaction(sessions) as session:  # type: ignore[arg-type]
        every = session.scalars(select(HistoryProjection).order_by(HistoryProjection.seq.desc()))
        expected = [(h.tx_id, h.project_ref) for h in every][:7]
    few = {cast.project, second}
    many = few | {f"Org9/p{n}" for n in range(40)}  # past the project-by-project bound
    for readable in (few, many):
        found = recent_activity(sessions, readable, limit=7)  # type: ignore[arg-type]
        assert [(row.tx_id, row.project) for row in found] == expected
    only = recent_activity(sessions, {second}, limit=7)  # type: ignore[arg-type]
    assert [row.project for row in only] == [second]


def test_open_versions_are_the_newest_open_ones_of_the_readable_projects(
    cast: Cast, tmp_path: Path
) -> None:
    """Asked project by project (a few readable) or in one query (many): the same rows, the
    most recently changed first, closed versions and other projects left out."""
    second = cast.ok("ai2", "project", "create", name="Churn Forecast", domain="retail")["project"]
    cast.ok("ai2", "project", "add_member", project=second, org="Org1", id=cast["author"].id)
    for number in range(4):
        cast.new_version(f"o{number}")
        cast.ok(
            "author",
            "model_version",
            "create",
            project=second,
            version=f"s{number}",
            code_repo="https://git.example/churn",
            commit=f"{number:040x}",
            artifacts=manifest(model=f"{number + 16:064x}"),
            experiments=[{"name": "final", "metrics": {"test_accuracy": 0.9}}],
        )
    cast.walk("o1", "complete")  # no longer open
    cast.walk("o2", "reviewing")
    projector, sessions = projector_for(cast, tmp_path)
    projector.catch_up()
    with transaction(sessions) as session:  # type: ignore[arg-type]
        every = session.scalars(
            select(VersionProjection)
            .where(VersionProjection.status.in_(OPEN_STATUSES))
            .order_by(VersionProjection.updated_at.desc(), VersionProjection.ref.desc())
        )
        expected = [(v.project_ref, v.version, v.status) for v in every]
    assert len(expected) == 7 and (cast.project, "o2", "reviewing") in expected
    few = {cast.project, second}
    many = few | {f"Org9/p{n}" for n in range(40)}  # past the project-by-project bound
    for readable in (few, many):
        for limit in (1, 3, 7, 20):
            found = open_versions(sessions, readable, limit=limit)  # type: ignore[arg-type]
            assert [tuple(row) for row in found] == expected[:limit], (len(readable), limit)
    only = open_versions(sessions, {second}, limit=20)  # type: ignore[arg-type]
    assert {row.project for row in only} == {second} and len(only) == 4
