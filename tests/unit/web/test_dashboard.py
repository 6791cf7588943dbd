"""The dashboard: my open work (from the contracts' actions query), activity, ledger health."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select

from tests.common.lifecycle import Cast
from tests.unit.web.conftest import SignIn, csrf_of
from tetherai.services.db import (
    Notification,
    User,
    make_engine,
    make_session_factory,
    transaction,
)
from tetherai.web.routes.dashboard import OPEN_WORK_SHOWN, UNREAD_COUNTED


def test_open_work_follows_the_actions_query(
    sign_in: SignIn, cast: Cast, settle: Callable[[], None]
) -> None:
    cast.new_version("v1")
    cast.walk("v1", "submitted")
    cast.new_version("v2")  # a draft: only its author can submit it
    settle()
    mlops, author, stake = sign_in("mlops"), sign_in("author"), sign_in("stake1")
    link = f'href="/projects/{cast.project}/versions/v1"'
    page = mlops.get("/dashboard")
    assert page.status_code == 200
    work = page.text.split("My open work")[1].split("Ledger health")[0]
    assert link in work
    assert "Start the review" in work
    assert "versions/v2" not in work
    author_work = author.get("/dashboard").text.split("My open work")[1].split("Ledger health")[0]
    assert "versions/v2" in author_work and "Submit" in author_work
    assert link not in author_work
    assert "Nothing is waiting for you." in stake.get("/dashboard").text
    # Activity of my projects, newest first, with the status change.
    activity = page.text.split("Recent activity in my projects")[1]
    assert "submitted it for review" in activity  # in words; the contract call as a detail
    assert ">model_version.submit</code>" in activity
    assert "status-submitted" in activity
    # An outsider sees neither the work nor the activity of a project they may not read.
    outsider = sign_in("outsider").get("/dashboard").text
    assert cast.project not in outsider


def test_ledger_health_and_verification(sign_in: SignIn, cast: Cast) -> None:
    admin = sign_in("admin")
    page = admin.get("/dashboard")
    height = cast.net.node.peer.head.height
    assert f"{height} blocks" in page.text
    assert "Not checked yet" in page.text and "replays the whole ledger" in page.text
    done = admin.post("/dashboard/verify", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 303
    page = admin.get("/dashboard")
    assert "The ledger was verified" in page.text
    assert 'class="badge ok">Verified<' in page.text
    # Engineers have no verify button, and a forged post is refused with the reason.
    mlops = sign_in("mlops")
    mine = mlops.get("/dashboard")
    assert "/dashboard/verify" not in mine.text
    refused = mlops.post("/dashboard/verify", data={"csrf_token": csrf_of(mine)})
    assert refused.status_code == 403
    assert "only org admins and auditors run a full verification" in refused.text


def test_unread_notifications_and_mark_read(
    sign_in: SignIn, cast: Cast, settle: Callable[[], None]
) -> None:
    mlops = sign_in("mlops")  # his account exists before the change, so he is notified
    cast.new_version("v1")
    cast.walk("v1", "submitted")
    settle()
    page = mlops.get("/dashboard")
    notes = page.text.split('id="notifications"')[1].split("</section>")[0]
    assert f'href="/projects/{cast.project}/versions/v1"' in notes
    author = cast["author"].id
    assert f">{author}</span> submitted it for review" in notes  # who did what, in words
    assert 'class="tx-link"' in notes
    read = re.search(r'action="(/dashboard/notifications/\d+/read)"', notes)
    assert read
    done = mlops.post(read.group(1), data={"csrf_token": csrf_of(page)})
    assert done.status_code == 303
    notes = mlops.get("/dashboard").text.split('id="notifications"')[1].split("</section>")[0]
    assert "No unread notifications." in notes


def test_mark_all_read_marks_what_the_page_showed(
    sign_in: SignIn, cast: Cast, settle: Callable[[], None]
) -> None:
    mlops = sign_in("mlops")
    for name in ("v1", "v2", "v3"):
        cast.new_version(name)
        cast.walk(name, "submitted")
    settle()
    page = mlops.get("/dashboard")
    assert page.text.count("data-notification=") == 3
    up_to = re.search(r'name="up_to" value="(\d+)"', page.text)
    assert up_to
    # One that arrives after the page was shown stays unread.
    cast.ok("mlops", "workflow", "transition", project=cast.project, version="v1", to="reviewing")
    settle()
    done = mlops.post(
        "/dashboard/notifications/read",
        data={"csrf_token": csrf_of(page), "up_to": up_to.group(1)},
    )
    assert done.status_code == 303
    after = mlops.get("/dashboard")
    assert "3 notifications marked as read." in after.text
    assert after.text.count("data-notification=") == 1
    assert "started the review" in after.text.split('id="notifications"')[1]


def test_open_work_lists_the_newest_and_counts_them_all(
    sign_in: SignIn, cast: Cast, settle: Callable[[], None]
) -> None:
    names = [f"w{number:02d}" for number in range(OPEN_WORK_SHOWN + 2)]
    for name in names:
        cast.new_version(name)
        cast.walk(name, "submitted")
    settle()
    page = sign_in("mlops").get("/dashboard").text
    work = page.split("My open work")[1].split("Ledger health")[0]
    listed = re.findall(rf'href="/projects/{cast.project}/versions/(w\d\d)"', work)
    assert sorted(listed) == names[-OPEN_WORK_SHOWN:]  # the most recently changed
    assert f'id="work-count">{len(names)}<' in work
    assert f"The {OPEN_WORK_SHOWN} newest are shown." in work


def test_the_unread_badge_counts_up_to_99_then_says_99_plus(
    sqlite_url: str, sign_in: SignIn, cast: Cast, settle: Callable[[], None]
) -> None:
    mlops = sign_in("mlops")
    cast.new_version("v1")
    cast.walk("v1", "submitted")  # one notification for mlops, written by the projector
    settle()
    sessions = make_session_factory(make_engine(sqlite_url))  # the app's service database

    def add_unread(count: int) -> None:
        with transaction(sessions) as session:
            user = session.scalars(select(User).where(User.username == cast["mlops"].id)).one()
            first = session.scalars(select(Notification).where(Notification.user_id == user.id))
            template = first.first()
            assert template is not None
            for _ in range(count):
                session.add(
                    Notification(
                        user_id=user.id,
                        created_at=template.created_at,
                        kind=template.kind,
                        project_ref=template.project_ref,
                        version_ref=template.version_ref,
                        tx_id=template.tx_id,
                        text=template.text,
                        detail=template.detail,
                        read_at=None,
                    )
                )

    def badge() -> str:
        found = re.search(r'id="unread-count">([^<]*)<', mlops.get("/dashboard").text)
        assert found
        return found.group(1)

    add_unread(UNREAD_COUNTED - 2)
    assert badge() == str(UNREAD_COUNTED - 1)
    add_unread(1)
    assert badge() == f"{UNREAD_COUNTED - 1}+"
