"""``model_version.list_versions`` in pages: each page is that slice of the whole list."""

from __future__ import annotations

import pytest

from tests.common.lifecycle import Cast
from tetherai.contracts.errors import InvalidArgument


def test_pages_are_slices_of_the_whole_list(cast: Cast) -> None:
    for number in range(5):
        cast.new_version(f"p{number}")
    cast.ok("author", "model_version", "submit", project=cast.project, version="p3")
    whole = cast.query("model_version", "list_versions", project=cast.project)
    assert [v["version"]["version"] for v in whole] == [f"p{n}" for n in range(5)]
    assert whole[3]["status"]["status"] == "submitted"
    for first in range(7):
        for limit in range(4):
            page = cast.query(
                "model_version", "list_versions", project=cast.project, first=first, limit=limit
            )
            assert page == whole[first : first + limit], (first, limit)
    assert cast.query("model_version", "list_versions", project=cast.project, first=2) == whole[2:]
    with pytest.raises(InvalidArgument):
        cast.query("model_version", "list_versions", project=cast.project, first=-1)
