"""The identity package re-exports exactly its modules' public names (a drift test)."""

from __future__ import annotations

import importlib

import tetherai.identity
from tetherai.errors import TetherError
from tetherai.identity import CertificateError, IdentityError, KeyFileError, PossessionError, Role

MODULES = ["ca", "certificate", "errors", "keys", "possession", "roles"]


def test_package_exports_every_public_name_of_its_modules() -> None:
    names: set[str] = set()
    for module_name in MODULES:
        module = importlib.import_module(f"tetherai.identity.{module_name}")
        names.update(module.__all__)
        for name in module.__all__:
            assert getattr(tetherai.identity, name) is getattr(module, name)
    assert set(tetherai.identity.__all__) == names
    assert len(tetherai.identity.__all__) == len(names)


def test_error_codes_and_tree() -> None:
    expected = {
        IdentityError: ("identity.error", TetherError),
        CertificateError: ("identity.bad_certificate", IdentityError),
        KeyFileError: ("identity.key_file", IdentityError),
        PossessionError: ("identity.no_possession", IdentityError),
    }
    for cls, (code, parent) in expected.items():
        error = cls("boom")
        assert error.code == code
        assert error.hint
        assert issubclass(cls, parent) and cls is not parent


def test_role_values_are_the_design_strings() -> None:
    assert [role.value for role in Role] == [
        "ai_engineer",
        "mlops_engineer",
        "stakeholder",
        "auditor",
        "org_admin",
        "operator",
    ]
    assert Role("auditor") is Role.AUDITOR
    assert f"{Role.ORG_ADMIN}" == "org_admin"
