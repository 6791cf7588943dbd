"""The crypto package re-exports exactly its modules' public names (a drift test, as httpx has)."""

from __future__ import annotations

import importlib

import tetherai.crypto

MODULES = ["digest", "errors", "jcs", "signature", "verify_workers"]


def test_package_exports_every_public_name_of_its_modules() -> None:
    names: set[str] = set()
    for module_name in MODULES:
        module = importlib.import_module(f"tetherai.crypto.{module_name}")
        names.update(module.__all__)
        for name in module.__all__:
            assert getattr(tetherai.crypto, name) is getattr(module, name)
    assert set(tetherai.crypto.__all__) == names
    assert len(tetherai.crypto.__all__) == len(names)


def test_error_codes_and_tree() -> None:
    from tetherai.crypto import errors
    from tetherai.errors import TetherError

    expected = {
        errors.CryptoError: ("crypto.error", TetherError),
        errors.CanonicalizationError: ("crypto.not_canonicalizable", errors.CryptoError),
        errors.NotCanonicalError: ("crypto.not_canonical", errors.CanonicalizationError),
        errors.SignatureError: ("crypto.bad_signature", errors.CryptoError),
        errors.UnsupportedKeyError: ("crypto.unsupported_key", errors.CryptoError),
    }
    for cls, (code, parent) in expected.items():
        error = cls("boom")
        assert error.code == code
        assert error.hint
        assert issubclass(cls, parent) and cls is not parent
        assert str(error) == "boom"
