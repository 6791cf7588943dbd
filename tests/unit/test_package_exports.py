"""Each layer's package re-exports exactly its modules' public names (a drift test, as httpx has)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest


@pytest.mark.parametrize(
    "package", ["ledger", "ordering", "contracts", "storage", "services.db", "services.auth"]
)
def test_package_exports_every_public_name_of_its_modules(package: str) -> None:
    root = importlib.import_module(f"tetherai.{package}")
    names: set[str] = set()
    for info in pkgutil.iter_modules(root.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"tetherai.{package}.{info.name}")
        for name in module.__all__:
            names.add(name)
            assert getattr(root, name) is getattr(module, name), f"{package}.{name}"
    assert set(root.__all__) == names
