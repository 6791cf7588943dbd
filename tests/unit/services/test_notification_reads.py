"""Which of a person's notifications they are shown: those of projects they may read now and
those about their own account; the unread count counts exactly what the list shows."""

from __future__ import annotations

from tests.unit.services.conftest import ManualClock, add_user
from tetherai.services.auth import AuthService, UserInfo
from tetherai.services.db import Notification, SessionFactory, transaction
from tetherai.services.notifications import NotificationService


def _note(sessions: SessionFactory, clock: ManualClock, user_id: int, project: str) -> None:
    with transaction(sessions) as session:
        session.add(
            Notification(
                user_id=user_id,
                created_at=clock(),
                kind="comment",
                project_ref=project,
                version_ref=f"{project}/v1",
                tx_id="ab" * 32,
                text=f"a comment on {project}/v1",
                read_at=None,
            )
        )


def test_a_person_sees_and_counts_only_readable_projects_and_their_own_account(
    session_factory: SessionFactory, clock: ManualClock, auth: AuthService, admin: UserInfo
) -> None:
    carol, _ = add_user(auth, admin, "carol")
    notes = NotificationService(session_factory, clock=clock)
    _note(session_factory, clock, carol.id, "Org1/kept")
    _note(session_factory, clock, carol.id, "Org1/left")  # a project carol was removed from
    notes.notify_person(carol.id, "keys_changed", "your key was revoked", "cd" * 32)
    listed = notes.notifications(carol.id, {"Org1/kept"})
    assert sorted(n["project"] for n in listed) == ["", "Org1/kept"]
    assert notes.unread_count(carol.id, {"Org1/kept"}) == 2
    assert [n["kind"] for n in notes.notifications(carol.id, set())] == ["keys_changed"]
    assert notes.unread_count(carol.id, set()) == 1
    # The dashboard's read: the newest unread ones and the count, as the two reads give them.
    notes.mark_read(carol.id, listed[-1]["id"])
    for readable in ({"Org1/kept"}, set()):
        shown, count = notes.unread(carol.id, readable, limit=1, count_up_to=100)
        assert shown == notes.notifications(carol.id, readable, limit=1, unread_only=True)
        assert count == notes.unread_count(carol.id, readable) == 1


def test_the_dashboards_count_stops_where_it_says_so(
    session_factory: SessionFactory, clock: ManualClock, auth: AuthService, admin: UserInfo
) -> None:
    carol, _ = add_user(auth, admin, "carol")
    dave, _ = add_user(auth, admin, "dave")
    notes = NotificationService(session_factory, clock=clock)
    for _ in range(7):
        _note(session_factory, clock, carol.id, "Org1/kept")
    _note(session_factory, clock, dave.id, "Org1/kept")  # another person's: never counted
    _note(session_factory, clock, carol.id, "Org1/left")  # a project carol may not read
    readable = {"Org1/kept"}
    assert notes.unread_count(carol.id, readable) == 7
    for up_to, counted in ((100, 7), (7, 7), (5, 5), (1, 1)):
        shown, count = notes.unread(carol.id, readable, limit=3, count_up_to=up_to)
        assert (len(shown), count) == (3, counted)
