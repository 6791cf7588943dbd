"""The markup pages repeat on many rows, built in Python (``web.snippets``, ``web.wording``):
what it shows is escaped, and its words follow the reader's language."""

from __future__ import annotations

import contextvars
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup, escape

from tetherai.web import snippets, wording
from tetherai.web.escaping import fill
from tetherai.web.i18n import use_language

HOSTILE = '<script>alert("x")</script>&\'{0}'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&#39;{0}"


def in_language(language: str, function: Callable[[str], object], arg: str) -> object:
    def run() -> object:
        use_language(language)
        return function(arg)

    return contextvars.copy_context().run(run)


def test_fill_escapes_every_value_in_text_and_in_attributes() -> None:
    html = fill('<a title="{}">{}</a>', HOSTILE, HOSTILE)
    assert html == f'<a title="{ESCAPED}">{ESCAPED}</a>'
    assert fill("<b>{}</b>", fill("<i>{}</i>", "<")) == "<b><i>&lt;</i></b>"  # markup kept


@pytest.mark.parametrize(
    ("made", "expected"),
    [
        (lambda: wording.name(HOSTILE), f'<span class="name" translate="no">{ESCAPED}</span>'),
        (
            lambda: wording.name("bob", title=HOSTILE),
            f'<span class="name" translate="no" title="{ESCAPED}">bob</span>',
        ),
        (lambda: wording.quoted(HOSTILE), f'<q class="said" translate="no">{ESCAPED}</q>'),
        (
            lambda: wording.contract_detail(HOSTILE),
            f'<code class="contract" translate="no">{ESCAPED}</code>',
        ),
        (
            lambda: snippets.digest("<" * 20, 4),
            '<code class="digest" title="'
            + "&lt;" * 20
            + '" translate="no">'
            + "&lt;" * 4
            + "…</code>",
        ),
        (
            lambda: snippets.tx_link('"' + "a" * 63),
            '<a href="/ledger/txs/&#34;' + "a" * 63 + '" class="tx-link"><code class="digest" '
            'title="&#34;' + "a" * 63 + '" translate="no">&#34;aaaaaaaaaaa…</code></a>',
        ),
        (
            lambda: snippets.status_badge(HOSTILE),
            f'<span class="badge status-{ESCAPED}">{ESCAPED}</span>',
        ),
    ],
)
def test_what_a_snippet_shows_is_escaped(made: Callable[[], Markup], expected: str) -> None:
    assert made() == expected


def test_a_status_badge_words_the_status_and_an_absent_one_says_nothing() -> None:
    assert snippets.status_badge("reviewing") == (
        '<span class="badge status-reviewing">In review</span>'
    )
    assert snippets.status_badge(None) == '<span class="badge status-None"></span>'


def test_short_keeps_short_values_and_cuts_long_ones() -> None:
    assert snippets.short("abc") == "abc"
    assert snippets.short(None) == ""
    assert snippets.short("a" * 13) == "a" * 12 + "…"


def test_action_words_follow_the_readers_language() -> None:
    assert wording.action_text("start_review") == "Start the review"
    assert wording.action_text("vote:deployed") == "vote:deployed"  # unknown: as it is
    assert wording.action_button("submit") == "Submit for review"
    assert wording.action_button("vote:deployed") is None  # the page says "Vote" itself
    chinese = in_language("zh", wording.action_text, "start_review")
    assert chinese != "Start the review" and chinese
    assert in_language("zh", wording.action_button, "submit") != "Submit for review"
    assert wording.action_text("start_review") == "Start the review"  # tables per language


def test_a_comment_shows_who_when_and_the_text_escaped() -> None:
    said = {"id": "7-0", "by": "bob<", "at": 0, "text": HOSTILE, "system": False}
    assert snippets.comment(said, reply=False, ledger="the ledger") == (
        '<div class="comment" id="c-7-0">\n'
        '  <p class="muted"><span class="name" translate="no">bob&lt;</span>'
        " · 1970-01-01 00:00:00 UTC</p>\n"
        f'  <p translate="no">{ESCAPED}</p>\n'
        "</div>"
    )


def test_the_ledgers_own_note_and_a_reply_are_marked() -> None:
    said = {"id": "8-1", "by": "", "at": 1000, "text": "digests differ", "system": True}
    html = snippets.comment(said, reply=True, ledger="the <ledger>")
    assert html.startswith('<div class="comment system reply" id="c-8-1">')
    assert "the &lt;ledger&gt; · 1970-01-01 00:00:01 UTC" in html


@given(st.text() | st.integers() | st.none() | st.text().map(Markup))
def test_fill_escapes_as_markupsafe_does(value: object) -> None:
    expected = Markup("<p>") + escape(value) + Markup("</p>")
    assert fill("<p>{}</p>", value) == expected == Markup("<p>{}</p>").format(value)
