"""``tether audit export|verify|report`` as client commands: the usual refs, the server the CLI
is logged in to, no ``--home``; a verification without pinned roots says so (exit 4); and
``--json`` errors are one JSON object on stderr with the same exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.common.lifecycle import Cast
from tetherai.cli._common import run_app
from tetherai.cli.main import app


def test_export_verify_and_report_a_version_by_its_ref(
    terminal: Any, cast: Cast, tmp_path: Path
) -> None:
    carol = terminal("carol")  # a stakeholder: reads, no key needed to export
    carol("login", carol.url, "--username", "carol")
    version = cast.new_version()
    ref = f"{cast.project}/{version}"
    bundle = tmp_path / "b.json"
    out = carol("audit", "export", ref, "-o", str(bundle))
    assert "wrote" in out and bundle.read_bytes().startswith(b"{")
    assert json.loads(bundle.read_bytes())["scope"]["version"] == version
    # Without pinned roots: consistent, but only against the bundle's own keys (exit 4).
    unpinned = carol.json("audit", "verify", str(bundle), expect=4)
    assert unpinned["ok"] is True and unpinned["verdict"] == "VERIFIED-UNPINNED"
    assert unpinned["pinned"] is False
    text = carol("audit", "verify", str(bundle), expect=4)
    assert "VERDICT: VERIFIED-UNPINNED" in text and "--trust" in text
    # Pinned to what the node's operator hands out: VERIFIED, exit 0 — also fetched by ref.
    trust = tmp_path / "trust.txt"
    carol("audit", "trust", "--home", str(cast.net.home.root), "-o", str(trust))
    pinned = carol.json("audit", "verify", ref, "--trust", str(trust))
    assert pinned["verdict"] == "VERIFIED" and pinned["pinned"] is True
    report = tmp_path / "r.html"
    carol("audit", "report", ref, "-o", str(report), "--format", "html", "--trust", str(trust))
    assert "Verification result: VERIFIED" in report.read_text()
    # The project's bundle too.
    whole = tmp_path / "p.json"
    carol("audit", "export", cast.project, "-o", str(whole))
    assert json.loads(whole.read_bytes())["scope"]["version"] is None


def test_a_project_one_may_not_read_is_not_found_as_if_it_did_not_exist(
    terminal: Any, cast: Cast, tmp_path: Path
) -> None:
    hidden = cast.ok("admin", "project", "create", name="Board only")["project"]
    carol = terminal("carol")
    carol("login", carol.url, "--username", "carol")
    secret = carol("audit", "export", hidden, "-o", str(tmp_path / "x.json"), expect=2)
    missing = carol("audit", "export", "Org1/no-such", "-o", str(tmp_path / "y.json"), expect=2)
    assert secret.replace(hidden, "X") == missing.replace("Org1/no-such", "X")
    assert not (tmp_path / "x.json").exists()


def test_json_errors_are_one_object_on_stderr_with_the_usual_exit_codes(
    terminal: Any, cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    carol = terminal("carol")
    carol("login", carol.url, "--username", "carol")
    carol._env()
    cases = [
        (["version", "show", f"{cast.project}/v404"], 2),  # the server: no such version
        (["version", "show", "not-a-ref"], 2),  # the caller's input
        (["version", "show"], 2),  # usage: a missing argument
        (["audit", "verify", "/no/such/bundle.json"], 2),
        (["ledger", "tx", "abc", "--home", str(cast.net.home.root)], 2),
    ]
    for args, code in cases:
        for as_json in (False, True):
            with pytest.raises(SystemExit) as stopped:
                run_app(app, [*args, "--json"] if as_json else args)
            out, err = capsys.readouterr()
            assert stopped.value.code == code, (args, as_json, out, err)
            if as_json:
                assert out == ""
                error = json.loads(err)["error"]
                assert set(error) == {"code", "message", "hint", "details"}, err
                assert error["message"] and error["code"], err
            else:
                assert err.startswith("error: "), err
    # A short tx id on a node's ledger, and one that matches nothing.
    made = cast.call("author", "project", "create", name="Short ids")
    home = str(cast.net.home.root)
    with pytest.raises(SystemExit) as stopped:
        run_app(app, ["ledger", "tx", made.tx_id[:10], "--home", home, "--json"])
    out, _ = capsys.readouterr()
    assert stopped.value.code == 0 and json.loads(out)["tx_id"] == made.tx_id
