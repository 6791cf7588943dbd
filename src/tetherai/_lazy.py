"""Lazy re-exports for a package's ``__init__``: names load with their module on first use.

A package whose ``__init__`` imports all its modules makes every user pay for all of them: the
CLI's client commands would load the whole storage layer to read one config file. Such a
package lists its re-exports under ``if TYPE_CHECKING:`` (so type checkers, import-linter and
readers see them as ordinary imports) and ends with::

    __getattr__, __dir__ = lazy_exports(__name__, __file__)

which reads those import statements from the source (as scientific-python's ``lazy_loader``
reads a stub) and imports a name's module when the name is first asked for.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["lazy_exports"]


def _type_checking_imports(source: str) -> dict[str, str]:
    """``{exported name: module}`` of the ``from X import Y`` under ``if TYPE_CHECKING:``."""
    found: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.module:
                    for alias in statement.names:
                        found[alias.asname or alias.name] = statement.module
    return found


def lazy_exports(
    package: str, init_file: str
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` serving the package's lazy re-exports."""
    exports = _type_checking_imports(Path(init_file).read_text(encoding="utf-8"))

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__
