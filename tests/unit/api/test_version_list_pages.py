"""``GET /api/v1/projects/{org}/{slug}/versions`` in pages: the cursor is the last version
name a page showed, so each page reads only itself however many versions come before."""

from __future__ import annotations

import httpx

from tests.common.lifecycle import Cast
from tetherai.services.access import same_for_every_reader


def _names(page: dict[str, object]) -> list[str]:
    items = page["items"]
    assert isinstance(items, list)
    return [str(item["version"]["version"]) for item in items]


def test_first_next_and_last_pages_hold_the_whole_list_once(
    client: httpx.Client, cast: Cast
) -> None:
    for name in ("m1", "m2", "m3", "m4", "m5"):
        cast.new_version(name)
    path = f"/api/v1/projects/{cast.project}/versions"
    whole = client.get(path).json()
    assert _names(whole) == ["m1", "m2", "m3", "m4", "m5"] and whole["next"] is None
    first = client.get(path, params={"limit": 2}).json()
    assert _names(first) == ["m1", "m2"] and first["next"] == "m2"
    second = client.get(path, params={"limit": 2, "cursor": first["next"]}).json()
    assert _names(second) == ["m3", "m4"] and second["next"] == "m4"
    last = client.get(path, params={"limit": 2, "cursor": second["next"]}).json()
    assert _names(last) == ["m5"] and last["next"] is None
    # Exactly a page left: no further page is promised.
    assert client.get(path, params={"limit": 3, "cursor": "m2"}).json()["next"] is None
    assert client.get(path, params={"cursor": "m5"}).json() == {"items": [], "next": None}
    # Each page carries the version's status as the whole list does.
    assert first["items"] == whole["items"][:2]


def test_a_cursor_that_is_no_version_name_is_refused_clearly(
    client: httpx.Client, cast: Cast
) -> None:
    path = f"/api/v1/projects/{cast.project}/versions"
    for cursor in ("../m1", "", "-x", "a" * 65):
        answer = client.get(path, params={"cursor": cursor})
        assert answer.status_code == 422, cursor
        error = answer.json()["error"]
        assert error["code"] == "request.invalid" and "cursor" in error["message"], error


def test_a_page_is_shared_only_when_it_hides_nothing_from_anyone(
    client: httpx.Client, cast: Cast
) -> None:
    """One encoding serves every reader of a page that names no other version; a page that
    names one is filtered for each reader (``services.access.filter_version``)."""
    plain = {"version": "a", "parents": [], "artifacts": [{"name": "m", "reused_from": None}]}
    assert same_for_every_reader({"version": plain, "status": {"status": "draft"}})
    assert not same_for_every_reader(plain | {"parents": [{"ref": "Org1/p/v1"}]})
    assert not same_for_every_reader(plain | {"artifacts": [{"reused_from": "Org1/p/v1"}]})
    path = f"/api/v1/projects/{cast.project}/versions"
    cast.new_version("n1")
    first = client.get(path)
    again = client.get(path)
    assert first.content == again.content and first.headers["etag"] == again.headers["etag"]
    assert client.get(path, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    cast.new_version("n0")  # into the page: a new answer, a new body
    changed = client.get(path)
    assert (
        _names(changed.json()) == ["n0", "n1"] and changed.headers["etag"] != first.headers["etag"]
    )
