"""Every form control on the pages has a label, and every page has its landmarks and one h1."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.common.lifecycle import Cast
from tests.unit.web.conftest import SignIn


class _Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.labelled: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append(tag)
        if tag == "label" and found.get("for"):
            self.labelled.add(str(found["for"]))
        if tag in ("input", "select", "textarea") and found.get("type") not in ("hidden", "submit"):
            self.controls.append(found)


@pytest.mark.parametrize("who", ["admin", "stake1"])
def test_controls_are_labelled_and_landmarks_present(sign_in: SignIn, cast: Cast, who: str) -> None:
    http = sign_in(who)
    paths = ["/dashboard", "/projects", f"/projects/{cast.project}", "/profile"]
    if who == "admin":
        paths += ["/admin", "/admin/activity"]
    for path in paths:
        page = http.get(path)
        assert page.status_code == 200
        parsed = _Controls()
        parsed.feed(page.text)
        unlabelled = [
            c
            for c in parsed.controls
            if c.get("id") not in parsed.labelled and not c.get("aria-label")
        ]
        assert not unlabelled, (path, unlabelled)
        for landmark in ("header", "nav", "main", "footer"):
            assert landmark in parsed.tags, (path, landmark)
        assert parsed.tags.count("h1") == 1, path
