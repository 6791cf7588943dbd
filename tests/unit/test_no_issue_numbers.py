"""No issue numbers in code, docs, comments or test names: a reader cannot see the tracker, so
text says what the code does ("the web pages"), never which ticket asked for it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLACES = ["src", "tests", "docs", "benchmarks", "scripts", "examples"]
FILES = [
    "README.md",
    "SECURITY.md",
    "CONTRIBUTING.md",
    "CHANGELOG.md",
    "pyproject.toml",
    "Makefile",
]
SUFFIXES = {".py", ".md", ".html", ".js", ".css", ".toml", ".sh", ".txt", ".po", ".cfg", ".yaml"}
# "issue 5", "Issue #12", "issues 2 and 3", "test_issue_7": a word, then a number.
ISSUE_NUMBER = re.compile(r"(?<![A-Za-z])issues?[\s_#-]*\d", re.IGNORECASE)


def _texts() -> list[Path]:
    found = [ROOT / name for name in FILES if (ROOT / name).exists()]
    for place in PLACES:
        found += [
            path
            for path in (ROOT / place).rglob("*")
            if path.is_file()
            and path.suffix in SUFFIXES
            and "__pycache__" not in path.parts
            and "artifacts" not in path.parts
            and path != Path(__file__).resolve()  # its own examples below
        ]
    return found


def test_no_text_refers_to_an_issue_number() -> None:
    texts = _texts()
    assert len(texts) > 100
    hits = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}"
        for path in texts
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if ISSUE_NUMBER.search(line)
    ]
    assert not hits, "say what the code does instead:\n" + "\n".join(hits)


def test_the_pattern_catches_the_usual_spellings() -> None:
    for text in ("(issue 5)", "Issue #12:", "issues 2 and 3", "def test_issue_7():"):
        assert ISSUE_NUMBER.search(text), text
    for text in ("issues a certificate", "tissue 5", "the issuer"):
        assert not ISSUE_NUMBER.search(text), text
