"""Fill empty msgstr entries of the zh catalog from other translations, keeping everything
else: a Python file defining ``ZH = {msgid: text}`` (plural msgids as tuples), or another
``.po`` file (e.g. the other side of a merge: ``git show main:<catalog> > theirs.po``).

    .venv/bin/python scripts/fill_catalog.py translations.py|theirs.po
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOG = Path("src/tetherai/web/locale/zh/LC_MESSAGES/messages.po")


def _table(source: str) -> dict[object, str]:
    if not source.endswith(".po"):
        return dict(runpy.run_path(source)["ZH"])
    with open(source, "rb") as f:
        other = read_po(f, locale="zh_Hans")
    table: dict[object, str] = {}
    for message in other:
        key = tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id
        text = message.string[0] if isinstance(message.string, (list, tuple)) else message.string
        if message.id and text and not message.fuzzy:
            table[key] = text
    return table


def main(source: str) -> int:
    table = _table(source)
    with CATALOG.open("rb") as f:
        catalog = read_po(f, locale="zh_Hans")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        key = tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id
        current = message.string[0] if isinstance(message.string, (list, tuple)) else message.string
        if current or key not in table:
            continue
        text = table[key]
        message.string = (text,) if isinstance(message.id, (list, tuple)) else text
        filled += 1
    with CATALOG.open("wb") as f:
        write_po(f, catalog, width=0, sort_by_file=True, omit_header=False)
    print(f"filled {filled}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
