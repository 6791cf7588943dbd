"""The one error table: every TetherError class declares its HTTP status and exit code, and the
API and the CLI use exactly those (no table of codes anywhere else).

Every module of tetherai is imported, then every subclass of TetherError is checked: it is of at
most one kind (tetherai.errors.KINDS) and keeps that kind's meaning; a status always means the
same exit code; a code names one class; "not found" codes are NotFound. Then each class is
raised through the API's exception handler and through the CLI's error handling.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import typer
from fastapi import FastAPI

import tetherai
from tetherai.api.errors import install_error_handlers
from tetherai.cli._client import call
from tetherai.cli._common import run
from tetherai.errors import (
    EXIT_DIFFERENCE,
    EXIT_FAILURE,
    EXIT_USAGE,
    KINDS,
    IntegrityFailure,
    NotFound,
    TetherError,
    declared_class,
    exit_code,
    exit_code_for_status,
    http_status,
)
from tetherai.services.txs import TxRefused

SRC = Path(tetherai.__file__).resolve().parent


def _import_everything() -> None:
    for info in pkgutil.walk_packages(tetherai.__path__, "tetherai."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)


def _all_classes() -> list[type[TetherError]]:
    _import_everything()
    found: list[type[TetherError]] = []
    stack: list[type[TetherError]] = [TetherError]
    while stack:
        cls = stack.pop()
        if cls not in found and cls.__module__.startswith("tetherai"):
            found.append(cls)
            stack.extend(cls.__subclasses__())
    return found


CLASSES = _all_classes()


def _name(cls: type[TetherError]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _instance(cls: type[TetherError]) -> TetherError:
    """An instance whatever the class's own constructor wants (its status/exit are class-wide)."""
    error = cls.__new__(cls)
    TetherError.__init__(error, f"a {cls.__name__} for the test")
    return error


def test_every_module_was_walked() -> None:
    names = {_name(cls) for cls in CLASSES}
    assert len(CLASSES) > 60
    assert "tetherai.storage.errors.DigestMismatch" in names
    assert "tetherai.services.auth.errors.AccountLocked" in names


@pytest.mark.parametrize("cls", CLASSES, ids=_name)
def test_each_class_keeps_the_meaning_of_its_kind(cls: type[TetherError]) -> None:
    kinds = [kind for kind in KINDS if issubclass(cls, kind)]
    assert len(kinds) <= 1, f"{_name(cls)} is of several kinds: {kinds}"
    assert isinstance(cls.code, str) and cls.code, cls
    assert 400 <= cls.http_status <= 599
    assert cls.exit_code in (EXIT_DIFFERENCE, EXIT_USAGE, EXIT_FAILURE)
    if kinds:
        kind = kinds[0]
        assert cls.exit_code == kind.exit_code, _name(cls)
        # A class may be more precise than its kind (423 Locked is a 401-like refusal) but stays
        # in the same class of statuses.
        assert cls.http_status // 100 == kind.http_status // 100, _name(cls)
        if cls.http_status != kind.http_status:
            assert "http_status" in vars(cls), f"{_name(cls)} changes its status silently"
    # One status means one exit code (the CLI maps a server's answer by its status), except
    # that a found difference (exit 1) shares 409 with Conflict.
    if not issubclass(cls, IntegrityFailure):
        assert cls.exit_code == exit_code_for_status(cls.http_status), _name(cls)
    # Input errors are 4xx and exit 2; a 5xx is never the caller's fault.
    if cls.exit_code == EXIT_USAGE:
        assert 400 <= cls.http_status < 500, _name(cls)
    if cls.http_status >= 500:
        assert cls.exit_code == EXIT_FAILURE, _name(cls)


def test_each_code_is_declared_by_one_class() -> None:
    owners: dict[str, list[str]] = {}
    for cls in CLASSES:
        if "code" in vars(cls):
            owners.setdefault(cls.code, []).append(_name(cls))
    shared = {code: names for code, names in owners.items() if len(names) > 1}
    assert not shared


@pytest.mark.parametrize("cls", CLASSES, ids=_name)
def test_not_found_codes_are_not_found_errors(cls: type[TetherError]) -> None:
    if cls.code.endswith("not_found"):
        assert issubclass(cls, NotFound), _name(cls)


def _raise_sites() -> Iterator[tuple[str, str, ast.Call]]:
    """Every call ``SomeError(..., code="literal", ...)`` in the source: (file, class, call)."""
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else None
            name = node.func.id if isinstance(node.func, ast.Name) else name
            for keyword in node.keywords:
                if (
                    name
                    and keyword.arg == "code"
                    and isinstance(keyword.value, ast.Constant)
                    and isinstance(keyword.value.value, str)
                ):
                    yield str(path.relative_to(SRC)), name, node


def test_codes_given_at_raise_sites_keep_their_meaning() -> None:
    """A code given where an error is raised gets the status of the class declaring it; an
    explicit status (ApiError, the cluster's HttpError) must agree with that class."""
    by_name: dict[str, list[type[TetherError]]] = {}
    for cls in CLASSES:
        by_name.setdefault(cls.__name__, []).append(cls)
    problems: list[str] = []
    sites = 0
    for where, name, call_node in _raise_sites():
        if name not in by_name:
            continue
        sites += 1
        code = next(k.value.value for k in call_node.keywords if k.arg == "code")  # type: ignore[attr-defined]
        declared = declared_class(code)
        if name in ("ApiError", "HttpError"):
            status = call_node.args[0]
            assert isinstance(status, ast.Constant), where
            if declared is not None and declared.http_status != status.value:
                problems.append(f"{where}: {name}({status.value!r}, code={code!r}) but {declared}")
            if code.endswith("not_found") and status.value != 404:
                problems.append(f"{where}: {code} answered {status.value!r}")
            continue
        for cls in by_name[name]:
            error = _instance(cls)
            error.code = code
            if code.endswith("not_found") and http_status(error) != 404:
                problems.append(f"{where}: {name}(code={code!r}) is {http_status(error)}")
    assert sites > 50
    assert not problems, "\n".join(problems)


def _api_status(error: TetherError) -> tuple[int, dict[str, object]]:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/raise")
    def raising() -> None:
        raise error

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.get("/raise")

    response = asyncio.run(go())
    body: dict[str, object] = response.json()["error"]
    return response.status_code, body


def _cli_exit(error: TetherError) -> tuple[int, int]:
    """The exit code through both CLI entry points (server-side commands, client commands)."""

    def boom() -> None:
        raise error

    codes = []
    for runner in (run, call):
        with pytest.raises(typer.Exit) as exited:
            runner(boom)
        codes.append(exited.value.exit_code)
    return codes[0], codes[1]


@pytest.mark.parametrize("cls", CLASSES, ids=_name)
def test_the_api_and_the_cli_answer_with_the_class_table(cls: type[TetherError]) -> None:
    error = _instance(cls)
    status, body = _api_status(error)
    assert status == cls.http_status == http_status(error)
    assert body["code"] == cls.code
    assert _cli_exit(error) == (cls.exit_code, cls.exit_code)
    assert exit_code(error) == cls.exit_code


def test_a_refused_tx_answers_with_the_class_of_its_code() -> None:
    refusal_codes = [
        cls
        for cls in CLASSES
        if "code" in vars(cls) and cls.code.startswith(("tx.", "contract.", "workflow."))
    ]
    assert len(refusal_codes) > 15
    for cls in refusal_codes:
        refused = TxRefused(
            "refused", code=cls.code, details={"tx_id": "ab" * 32, "recorded": True}
        )
        assert _api_status(refused)[0] == cls.http_status, cls.code
        assert _cli_exit(refused) == (cls.exit_code, cls.exit_code), cls.code


@pytest.mark.parametrize(
    ("status", "expected"),
    [(0, EXIT_FAILURE), (400, EXIT_USAGE), (401, EXIT_FAILURE), (403, EXIT_FAILURE),
     (404, EXIT_USAGE), (409, EXIT_FAILURE), (413, EXIT_USAGE), (422, EXIT_USAGE),
     (429, EXIT_FAILURE), (500, EXIT_FAILURE), (503, EXIT_FAILURE)],
)  # fmt: skip
def test_an_error_relayed_from_a_server_exits_by_its_status(status: int, expected: int) -> None:
    from tetherai.client.errors import ServerError

    relayed = ServerError("from the server", status=status, code="some.unknown_code")
    assert exit_code(relayed) == expected
    assert _cli_exit(relayed) == (expected, expected)


def test_a_relayed_error_with_a_known_code_exits_as_its_class() -> None:
    from tetherai.client.errors import ServerError

    mismatch = ServerError("differs", status=409, code="storage.digest_mismatch")
    assert exit_code(mismatch) == EXIT_DIFFERENCE
