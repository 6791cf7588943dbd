"""The version page shows the newest comments with a link to older ones, and counts them all;
the version's audit trail pages by ledger position; a stranger's cursor learns nothing."""

from __future__ import annotations

import re

from tests.common.lifecycle import Cast
from tests.unit.services.test_history_reads import comment
from tests.unit.web.conftest import SignIn, csrf_of
from tetherai.services.reviews import COMMENTS_PAGE

SHOWN = re.compile(r'<p translate="no">(c\d+)</p>')
OLDER = re.compile(r'<a href="([^"]+)" id="older-comments"')
NEWEST = re.compile(r'<a href="([^"]+)" id="newest-comments"')


def test_the_page_shows_the_newest_comments_and_links_to_older_ones(
    sign_in: SignIn, cast: Cast
) -> None:
    version = cast.new_version()
    extra = 3
    comment(cast, version, COMMENTS_PAGE + extra)
    http = sign_in("stake1")
    url = f"/projects/{cast.project}/versions/{version}"
    page = http.get(url)
    assert page.status_code == 200, page.text[:500]
    shown = SHOWN.findall(page.text)
    newest = [f"c{n}" for n in range(extra, COMMENTS_PAGE + extra)]
    assert shown == newest  # the newest page, oldest of it first
    assert f"({COMMENTS_PAGE + extra})" in page.text  # the count is of every comment
    assert f"Showing {COMMENTS_PAGE} comments of {COMMENTS_PAGE + extra}." in page.text
    # Every entry of the history is counted, not only those the page read.
    assert f"Audit trail of this version: {COMMENTS_PAGE + extra + 1} entries" in page.text
    assert NEWEST.search(page.text) is None
    older_link = OLDER.search(page.text)
    assert older_link is not None
    older = http.get(older_link.group(1).replace("&amp;", "&"))
    assert older.status_code == 200
    assert SHOWN.findall(older.text) == [f"c{n}" for n in range(extra)]
    assert OLDER.search(older.text) is None
    assert NEWEST.search(older.text) is not None
    # An older comment can still be answered from its page.
    reply_to = re.search(r'name="reply_to" value="([0-9a-f]+)"', older.text)
    assert reply_to is not None
    answered = http.post(
        f"{url}/actions",
        data={
            "csrf_token": csrf_of(older),
            "action": "comment",
            "reply_to": reply_to.group(1),
            "text": "an answer to an old one",
        },
    )
    assert answered.status_code == 303, answered.text[:500]
    # The answer is the newest comment now, shown as continuing an older thread.
    latest = http.get(url)
    assert "an answer to an old one" in latest.text
    assert "Continues a thread begun in older comments." in latest.text


def test_the_comparison_is_kept_when_paging_comments(sign_in: SignIn, cast: Cast) -> None:
    version = cast.new_version()
    comment(cast, version, COMMENTS_PAGE + 1)
    page = sign_in("stake1").get(
        f"/projects/{cast.project}/versions/{version}", params={"compare": "reproduction"}
    )
    older_link = OLDER.search(page.text)
    assert older_link is not None and "compare=reproduction" in older_link.group(1)


def test_a_bad_comments_cursor_is_refused_with_a_message(sign_in: SignIn, cast: Cast) -> None:
    version = cast.new_version()
    http = sign_in("stake1")
    for bad in ("soon", "-1", str(2**63)):
        page = http.get(f"/projects/{cast.project}/versions/{version}", params={"comments": bad})
        assert page.status_code == 422, bad
        assert "comments" in page.text and "Traceback" not in page.text


def test_a_stranger_s_cursor_answers_as_for_a_missing_project(sign_in: SignIn, cast: Cast) -> None:
    version = cast.new_version()
    comment(cast, version, 2)
    http = sign_in("outsider")
    for path in (f"/projects/{cast.project}", "/projects/Org1/no-such-project"):
        answers = [
            http.get(f"{path}/versions/{version}", params={"comments": "5"}),
            http.get(f"{path}/versions/{version}/audit", params={"after": "0"}),
        ]
        assert [a.status_code for a in answers] == [404, 404]
        for answer in answers:
            assert SHOWN.findall(answer.text) == []


def test_the_version_audit_trail_pages_by_position(sign_in: SignIn, cast: Cast) -> None:
    version = cast.new_version()
    comment(cast, version, 100)  # with the registration: 101 entries, one more than a page
    http = sign_in("auditor")
    trail = f"/projects/{cast.project}/versions/{version}/audit"
    first = http.get(trail)
    assert first.status_code == 200
    newer = re.search(r'href="(\?after=\d+)"', first.text)
    assert newer is not None
    rest = http.get(trail + newer.group(1))
    assert rest.status_code == 200
    rows = re.compile(r"<tr[^>]* data-tx=\"([0-9a-f]{64})\"")
    assert len(rows.findall(first.text)) == 100
    assert len(rows.findall(rest.text)) == 1
    assert not set(rows.findall(first.text)) & set(rows.findall(rest.text))
