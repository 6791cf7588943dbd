"""Translations: every page string has a Chinese translation; the language is the person's
choice, else the browser's; pages render in Chinese."""

from __future__ import annotations

import contextvars
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import httpx
import jinja2
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tests.common.lifecycle import Cast
from tests.unit.web.conftest import SignIn, csrf_of
from tetherai.web import i18n
from tetherai.web.templating import environment

WEB = Path(i18n.__file__).parent
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")


def _source_messages() -> set[str | tuple[str, ...]]:
    """What the code and templates ask to translate now (as ``pybabel extract`` finds it)."""
    with (WEB / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), method_map, options_map
    ):
        found.add(tuple(message) if isinstance(message, (list, tuple)) else message)
    return found


def test_every_page_string_has_a_chinese_translation() -> None:
    with (WEB / "locale" / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="zh_Hans")
    translated: dict[str | tuple[str, ...], str] = {}
    for message in catalog:
        if not message.id:
            continue
        key = tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id
        text = message.string[0] if isinstance(message.string, (list, tuple)) else message.string
        if text and not message.fuzzy:
            translated[key] = text
    source = _source_messages()
    assert len(source) > 300  # the extraction itself works
    missing = sorted(map(str, source - set(translated)))
    assert not missing, f"{len(missing)} strings have no Chinese translation: {missing[:20]}"
    for key, text in translated.items():
        original = key[0] if isinstance(key, tuple) else key
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(original)), key
        assert re.search(r"[\u4e00-\u9fff]", text) or not re.search(r"[A-Za-z]{4}", original), key


@pytest.mark.parametrize("language", sorted(i18n.LANGUAGES))
def test_pages_say_every_string_as_jinjas_own_gettext_would(language: str) -> None:
    """The pages' ``_`` and ``ngettext`` (``web.templating``) write what Jinja's i18n
    extension writes: the translation as markup, its variables escaped, ``%%`` a percent."""
    reference = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    reference.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    hostile = '<b title="x">&amp;</b>'
    for message in sorted(_source_messages(), key=str):
        names = set(re.findall(r"%\(([a-z_]+)\)[sd]", str(message)))
        if isinstance(message, tuple):
            names.discard("num")  # ngettext's own
        variables = {name: hostile for name in names if f"%({name})d" not in str(message)}
        variables |= {name: 7 for name in names if name not in variables}
        args: dict[str, object]
        if isinstance(message, tuple):
            text = "{{ ngettext(singular, plural, 3, **variables) }}"
            args = {"singular": message[0], "plural": message[1], "variables": variables}
        else:
            text = "{{ _(message, **variables) }}"
            args = {"message": message, "variables": variables}

        def both(text: str = text, args: dict[str, object] = args) -> tuple[str, str]:
            i18n.use_language(language)
            return (
                environment.from_string(text).render(args),
                reference.from_string(text).render(args),
            )

        ours, theirs = contextvars.copy_context().run(both)
        assert ours == theirs, message


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, None, "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        (None, "en-GB,en;q=0.9,zh;q=0.5", "en"),
        (None, "fr-FR, zh-Hans;q=0.7", "zh"),
        (None, "fr-FR", "en"),
        (None, "zh;q=0, en", "en"),
        (None, "zh;q=bad, en;q=0.1", "en"),
        ("zh", "en", "zh"),  # the person's choice wins
        ("xx", "zh", "zh"),  # an unknown choice is ignored
    ],
)
def test_language_choice(cookie: str | None, header: str | None, expected: str) -> None:
    assert i18n.language_for(cookie, header) == expected


def test_pages_in_chinese_by_browser_and_by_choice(
    sign_in: SignIn, anonymous: httpx.Client
) -> None:
    signin = anonymous.get("/signin", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-Hans">' in signin.text
    assert "登录" in signin.text and "用户名" in signin.text
    http = sign_in("mlops", language="zh-CN")
    page = http.get("/dashboard")
    assert "仪表板" in page.text and "我的待办工作" in page.text and "账本状态" in page.text
    assert "已登录。" in page.text  # the flash of the sign-in, translated
    projects = http.get("/projects")
    assert "查找项目" in projects.text
    # Choosing English in the language switch overrides the browser's Chinese.
    token = csrf_of(projects)
    switched = http.post(
        "/language", data={"language": "en", "next": "/projects", "csrf_token": token}
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/projects"
    page = http.get("/projects")
    assert '<html lang="en">' in page.text and "Find projects" in page.text
    # An error page in Chinese: a forged form is refused with a translated reason.
    http.post("/language", data={"language": "zh", "next": "/", "csrf_token": token})
    refused = http.post("/profile/tokens", data={"name": "x", "csrf_token": "forged"})
    assert refused.status_code == 403
    assert "此表单被拒绝" in refused.text
    assert csrf_of(http.get("/profile"))  # still signed in


def test_language_switch_refuses_other_sites(anonymous: httpx.Client) -> None:
    token = csrf_of(anonymous.get("/signin"))  # signed out: the double-submit token
    for elsewhere in ("https://evil.example/", "//evil.example/"):
        answer = anonymous.post(
            "/language", data={"language": "zh", "next": elsewhere, "csrf_token": token}
        )
        assert answer.headers["location"] == "/"
    forged = anonymous.post("/language", data={"language": "zh", "next": "/"})
    assert forged.status_code == 403  # another site cannot switch it either


def test_the_profile_language_follows_the_person(sign_in: SignIn, cast: Cast) -> None:
    first = sign_in("stake1")  # an English browser
    page = first.get("/profile")
    saved = first.post("/profile/language", data={"language": "zh", "csrf_token": csrf_of(page)})
    assert saved.status_code == 303
    assert "语言已保存。" in first.get("/profile").text
    # Another browser, in English: after sign-in the pages are in the person's language.
    second = sign_in("stake1")
    assert "仪表板" in second.get("/dashboard").text
    # Back to "my browser's language".
    page = second.get("/profile")
    second.post("/profile/language", data={"language": "", "csrf_token": csrf_of(page)})
    assert "Dashboard" in sign_in("stake1").get("/dashboard").text


def test_a_refusal_from_the_contracts_is_summed_up_in_the_reader_s_language(
    sign_in: SignIn, cast: Cast
) -> None:
    """The contract's reason is ledger text (English); the page leads with a Chinese sentence."""
    mlops = sign_in("mlops", language="zh-CN")
    page = mlops.get(f"/projects/{cast.project}")
    refused = mlops.post(
        f"/projects/{cast.project}/edit",
        data={"name": "Renamed", "details": "x", "csrf_token": csrf_of(page)},
    )
    assert refused.status_code == 403
    assert "合约不允许您执行此操作。" in refused.text
    assert "you are an MLOps engineer" in refused.text  # the recorded reason, as it is
    in_english = sign_in("mlops")
    english = in_english.post(
        f"/projects/{cast.project}/edit",
        data={
            "name": "Renamed",
            "details": "x",
            "csrf_token": csrf_of(in_english.get(f"/projects/{cast.project}")),
        },
    )
    assert english.status_code == 403 and "you are an MLOps engineer" in english.text
    assert "error-summary" not in english.text  # English needs no second sentence


class _Prose(HTMLParser):
    """The words a reader sees on a page, outside what is marked as not to be translated
    (``translate="no"``: names, ids, quoted ledger text), code, scripts and styles."""

    SKIPPED = frozenset({"script", "style", "code", "pre", "noscript", "title"})
    VOID = frozenset({"br", "input", "img", "meta", "link", "hr", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []  # per open element: is its text skipped?
        self.words: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        skipped = bool(self.stack and self.stack[-1]) or tag in self.SKIPPED
        skipped = skipped or found.get("translate") == "no" or found.get("lang") == "en"
        if not skipped and found.get("aria-label"):
            self.words.append(str(found["aria-label"]))
        if tag not in self.VOID:
            self.stack.append(skipped)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]) and data.strip():
            self.words.append(data.strip())


# Words that stay as they are in Chinese text: names of things and standard abbreviations.
_KEPT = {"tetherai", "SHA", "URI", "QA", "MLOps", "JSON", "PDF", "HTML", "CSV", "ID", "API",
         "Ed25519", "English", "UTC", "tx", "Merkle", "a-f"}  # fmt: skip


def english_prose(html: str) -> list[str]:
    parser = _Prose()
    parser.feed(html)
    found = []
    for text in parser.words:
        words = [w.strip("'-") for w in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", text)]
        words = [w for w in words if len(w) > 2 and w not in _KEPT]
        if words:
            found.append(text)
    return found


def test_pages_in_chinese_show_no_english_prose(
    sign_in: SignIn, cast: Cast, settle: Callable[[], None]
) -> None:
    """Every sentence a reader sees is translated — also activity lists, the version's life
    cycle, audit trails and notifications, which are built from ledger data. Only names, ids,
    contract calls and quoted ledger text (marked ``translate="no"``) stay as they are."""
    stake = sign_in("stake1", language="zh-CN")  # has an account before the moves: notified
    cast.new_version("v1")
    cast.walk("v1", "deployed")
    cast.ok("stake1", "review", "comment", project=cast.project, version="v1", text="Looks right.")
    cast.new_version("v2")
    cast.walk("v2", "review_failed")
    settle()
    pages = [
        "/dashboard",
        "/projects",
        f"/projects/{cast.project}",
        f"/projects/{cast.project}/versions/v1",
        f"/projects/{cast.project}/versions/v2",
        f"/projects/{cast.project}/versions/v1/audit",
        f"/projects/{cast.project}/audit",
        "/ledger",
        "/ledger/checkpoints",
        "/ledger/txs?tx=00000000",  # an error page
    ]
    untranslated = {}
    for path in pages:
        page = stake.get(path)
        assert page.status_code in (200, 404), (path, page.status_code)
        assert '<html lang="zh-Hans">' in page.text
        found = english_prose(page.text)
        if found:
            untranslated[path] = found
    assert not untranslated, json.dumps(untranslated, ensure_ascii=False, indent=1)
    notes = stake.get("/dashboard").text.split('id="notifications"')[1]
    assert "通过了评审" in notes or "部署了它" in notes  # the moves, worded in Chinese


def test_the_prose_check_finds_english() -> None:
    """The check above can fail: English outside names and code is found."""
    assert english_prose("<p>bob passed the review</p>") == ["bob passed the review"]
    assert english_prose('<p><span translate="no">bob</span> 通过了评审</p>') == []
    assert english_prose("<p>调用了 <code>workflow.transition</code></p>") == []
    assert english_prose('<button aria-label="Mark as read">✓</button>') == ["Mark as read"]
