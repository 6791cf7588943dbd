"""Hostile requests against the real server (API and pages under uvicorn, raw httpx).

Each is refused in the one error shape with the limit docs/limits.md states, or, where the
input is harmless (a traversal-looking file name is only a label; an archive is opaque bytes),
handled without touching anything outside the object store. Nothing already stored changes.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.common.lifecycle import Cast
from tests.common.network import PASSPHRASE
from tests.common.waiting import PATIENCE
from tests.unit.web.conftest import FAST_ARGON2, SignIn, csrf_of
from tetherai.api.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH
from tetherai.ledger.transaction import MAX_ENVELOPE_BYTES
from tetherai.server import create_web_app
from tetherai.services.settings import Settings

UPLOAD_LIMIT = 1024 * 1024


@pytest.fixture
def app(cast: Cast, tmp_path: Path) -> FastAPI:
    """The web app (API + pages) with a small upload limit, to test it cheaply."""
    settings = Settings(
        home=cast.net.home.root,
        database_url=f"sqlite:///{tmp_path / 's.sqlite'}",
        secret_key=b"x" * 32,
        passphrase=PASSPHRASE,
        max_upload_bytes=UPLOAD_LIMIT,
    )
    return create_web_app(settings, node=cast.net.node, argon2=FAST_ARGON2)


def refused(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message", "hint", "details"}
    assert error["code"] == code, error
    assert error["message"]
    return dict(error)


def comments_url(cast: Cast, version: str) -> str:
    return f"/api/v1/projects/{cast.project}/versions/{version}/comments"


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


JSON = {"Content-Type": "application/json"}


def test_hostile_json_bodies_are_refused_and_nothing_changes(
    author: httpx.Client, cast: Cast
) -> None:
    cast.new_version("v1")
    url = comments_url(cast, "v1")
    height = cast.net.node.peer.head.height

    # Too large: by its Content-Length before it is read, and without one while it streams.
    big = b'{"text": "' + b"x" * MAX_BODY_BYTES + b'"}'
    error = refused(author.post(url, content=big, headers=JSON), 413, "request.too_large")
    assert str(MAX_BODY_BYTES) in str(error["message"])
    chunks = iter([big[i : i + 65536] for i in range(0, len(big), 65536)])
    refused(author.post(url, content=chunks, headers=JSON), 413, "request.too_large")
    # Nested too deep: 100,000 arrays, and one level past the limit; the limit itself passes on.
    error = refused(
        author.post(url, content=nested(100_000), headers=JSON), 400, "request.too_deep"
    )
    assert "100000 levels" in str(error["message"])
    refused(
        author.post(url, content=nested(MAX_JSON_DEPTH + 1), headers=JSON), 400, "request.too_deep"
    )
    refused(author.post(url, content=nested(MAX_JSON_DEPTH), headers=JSON), 422, "request.invalid")
    brackets_in_a_string = json.dumps({"text": "[" * 1000})
    assert author.post(url, content=brackets_in_a_string, headers=JSON).status_code == 200
    # Not UTF-8; numbers that are no IEEE double; JSON's non-constants.
    refused(
        author.post(url, content=b'{"text": "caf\xe9"}', headers=JSON), 400, "request.bad_encoding"
    )
    for number in (b"1e999", b"-1e400", b"NaN", b"Infinity", b"9" * 5000):
        body = b'{"text": "hi", "reply_to": ' + number + b"}"
        refused(author.post(url, content=body, headers=JSON), 400, "request.bad_number")
    # Syntax errors, wrong types, wrong content types and very long strings: 422, described.
    refused(author.post(url, content=b'{"text": ', headers=JSON), 422, "request.invalid")
    refused(author.post(url, json={"text": 12}), 422, "request.invalid")
    refused(author.post(url, json=["text"]), 422, "request.invalid")
    for content_type in ("text/plain", "application/xml", "application/x-www-form-urlencoded"):
        response = author.post(
            url, content=b'{"text": "hi"}', headers={"Content-Type": content_type}
        )
        refused(response, 422, "request.invalid")
    # A text too long for its contract: refused before it is signed, in the contract's words.
    error = refused(author.post(url, json={"text": "y" * 1_000_000}), 422, "contract.bad_argument")
    assert "at most 10000 characters" in str(error["message"])
    # Only the one harmless comment was recorded; the server still answers normally.
    assert cast.net.node.peer.head.height == height + 1
    assert author.post(url, json={"text": "still fine"}).status_code == 200


def test_a_huge_pre_signed_envelope_is_refused_by_the_ledger_limit(
    author: httpx.Client, cast: Cast
) -> None:
    cast.new_version("v1")
    height = cast.net.node.peer.head.height
    args: dict[str, object] = {"project": cast.project, "version": "v1", "text": "z" * 1024**2}
    envelope = cast.net.sign(cast["author"], "review", "comment", args).to_json()
    response = author.post("/api/v1/envelopes", json=envelope)
    error = refused(response, 422, "tx.malformed")
    assert f"the limit is {MAX_ENVELOPE_BYTES}" in str(error["message"])
    assert cast.net.node.peer.head.height == height


def test_bytes_that_are_not_utf8_in_paths_queries_headers_and_cookies(
    author: httpx.Client, cast: Cast
) -> None:
    base = str(author.base_url)
    raw: list[tuple[str, str, dict[str, str | bytes]]] = [
        ("GET", "/api/v1/projects?q=%ff%fe&limit=%c3%28", {}),
        ("GET", "/api/v1/projects/%ff%fe/%c0%af", {}),
        ("GET", "/api/v1/ledger/txs/%ff/proof", {}),
        ("GET", "/api/v1/projects", {"X-Anything": b"\xff\xfe\xfd"}),
        ("GET", "/api/v1/projects", {"Accept-Language": b"\xff\xfe"}),
        ("GET", "/api/v1/projects", {"Authorization": b"Bearer tth_\xff\xfe"}),
        ("GET", "/api/v1/projects", {"Cookie": b"tether_session=\xff\xfe; tether_lang=\xc3"}),
        ("GET", "/projects?q=%ff", {}),
        ("GET", "/projects/%ff/%fe", {}),
        ("POST", "/api/v1/auth/login?next=%ff", {"Content-Type": "application/json"}),
    ]
    for method, path, headers in raw:
        with httpx.Client(base_url=base, timeout=PATIENCE, cookies=author.cookies) as http:
            encoded = {
                name.encode(): v if isinstance(v, bytes) else v.encode()
                for name, v in headers.items()
            }
            request = http.build_request(method, base + path, headers=encoded, content=b"{}")
            response = http.send(request)
        assert response.status_code < 500, (path, headers, response.text[:300])
        if response.status_code >= 400 and path.startswith("/api/"):
            assert set(response.json()["error"]) == {"code", "message", "hint", "details"}
    assert author.get("/api/v1/ledger").status_code == 200


def objects_in(app: FastAPI) -> set[Path]:
    root = Path(app.state.runtime.settings.storage().objects)
    return {path for path in root.rglob("*") if path.is_file()}


def zip_bomb() -> bytes:
    """A small archive that would unpack to 64 MiB (the server never unpacks it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        # Fixed entry times: the same bytes on every call (a name alone stamps the clock).
        for name, data in (
            ("zeros.bin", b"\0" * (64 * 1024 * 1024)),
            ("../../escape.txt", b"zip slip"),
        ):
            entry = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, data)
    return buffer.getvalue()


def test_uploads_over_the_limit_are_refused_and_archives_are_opaque_bytes(
    app: FastAPI, author: httpx.Client, tmp_path: Path
) -> None:
    before = objects_in(app)
    too_big = b"u" * (UPLOAD_LIMIT + 1)
    error = refused(author.post("/api/v1/objects", content=too_big), 413, "request.too_large")
    assert str(UPLOAD_LIMIT) in str(error["message"])
    streamed = iter([too_big[:500_000], too_big[500_000:]])
    refused(author.post("/api/v1/objects", content=streamed), 413, "request.too_large")
    assert objects_in(app) == before  # nothing half-stored
    # A zip bomb is stored and hashed as the bytes it is; nothing is unpacked anywhere.
    bomb = zip_bomb()
    assert len(bomb) < UPLOAD_LIMIT
    stored = author.post(
        "/api/v1/objects", content=bomb, headers={"Content-Type": "application/zip"}
    )
    assert stored.status_code == 201, stored.text
    assert stored.json()["sha256"] == hashlib.sha256(bomb).hexdigest()
    assert stored.json()["size"] == len(bomb)
    added = objects_in(app) - before
    assert sum(path.stat().st_size for path in added) == len(bomb)
    assert not any(path.name in ("zeros.bin", "escape.txt") for path in objects_in(app))
    back = author.get(f"/api/v1/objects/{stored.json()['sha256']}")
    assert back.status_code == 200 and back.content == bomb


def test_the_version_form_takes_hostile_file_names_as_labels_only(
    app: FastAPI, sign_in: SignIn, cast: Cast, tmp_path: Path
) -> None:
    home = cast.net.home.root
    outside_before = {path for path in home.parent.rglob("*") if "objects" not in path.parts}
    author = sign_in("author")
    form = author.get(f"/projects/{cast.project}/versions/new")
    names = ["../../../../etc/passwd", "..\\..\\boot.ini", "/abs/model.bin"]
    created = author.post(
        f"/projects/{cast.project}/versions/new",
        data={
            "csrf_token": csrf_of(form),
            "version": "v9",
            "code_repo": "https://git.example/x",
            "commit": "abc",
            "kind_0": "model",
            "kind_1": "train_dataset",
            "kind_2": "other",
        },
        files={
            "file_0": (names[0], b"weights"),
            "file_1": (names[1], b"a,b\n"),
            "file_2": (names[2], zip_bomb(), "application/zip"),
            "experiment_log": ("../../x.jsonl", b'{"epoch": 1, "loss": 0.5}\n'),
        },
    )
    assert created.status_code == 303, created.text[:500]
    # Registered: the names are labels in the manifest; the bytes are in the CAS by digest.
    registered = cast.query("model_version", "get", project=cast.project, version="v9")
    labels = {a["name"]: a for a in registered["version"]["artifacts"]}
    assert set(names) <= set(labels)
    assert labels[names[2]]["sha256"] == hashlib.sha256(zip_bomb()).hexdigest()
    outside_after = {path for path in home.parent.rglob("*") if "objects" not in path.parts}
    written = {path for path in outside_after - outside_before if path.is_file()}
    # Only the ledger's and databases' own files may have changed; nothing named by the upload.
    assert not any(p.name in ("passwd", "boot.ini", "model.bin", "x.jsonl") for p in written)
    assert not (Path("/etc") / "passwd").read_bytes().startswith(b"weights")
    assert not Path("/abs").exists()


def test_an_oversized_multipart_upload_is_refused_before_it_is_read(
    sign_in: SignIn, cast: Cast
) -> None:
    author = sign_in("author")
    form = author.get(f"/projects/{cast.project}/versions/new")
    response = author.post(
        f"/projects/{cast.project}/versions/new",
        data={"csrf_token": csrf_of(form), "version": "v1", "code_repo": "r", "commit": "c"},
        files={"file_0": ("m.bin", b"m" * (UPLOAD_LIMIT + 1))},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")  # a page, for a browser
    assert str(UPLOAD_LIMIT) in response.text


def test_huge_numbers_in_paths_and_queries_are_refused_not_overflowed(
    author: httpx.Client,
) -> None:
    huge = str(10**22)  # past a signed 64-bit integer: SQLite and PostgreSQL would fail
    for method, path in (
        ("GET", f"/api/v1/me/notifications?before={huge}"),
        ("POST", f"/api/v1/me/notifications/{huge}/read"),
        ("DELETE", f"/api/v1/me/tokens/{huge}"),
        ("GET", f"/api/v1/admin/activity?before={huge}&limit={huge}"),
        ("GET", f"/api/v1/ledger/blocks/{huge}"),
    ):
        response = author.request(method, path)
        assert response.status_code in (403, 422), (path, response.text[:300])
        assert response.json()["error"]["code"] in ("request.invalid", "auth.not_permitted")
    assert author.get(f"/api/v1/ledger/blocks?before={huge}").status_code == 200  # the newest
    assert author.get(f"/admin/activity?before={huge}").status_code < 500
    assert author.post(f"/dashboard/notifications/{huge}/read").status_code < 500


def test_a_chunked_multipart_upload_is_counted_against_the_limit(
    app: FastAPI, sign_in: SignIn, cast: Cast
) -> None:
    author = sign_in("author")
    form = author.get(f"/projects/{cast.project}/versions/new")
    before = objects_in(app)
    boundary = "tetherboundary"
    fields = {"csrf_token": csrf_of(form), "version": "v1", "code_repo": "r", "commit": "c"}
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in {**fields, "kind_0": "model"}.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file_0"; filename="m.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    chunk = b"m" * 65536

    def body() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield head.encode()
        for _ in range(UPLOAD_LIMIT // len(chunk) + 2):
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    response = author.post(
        f"/projects/{cast.project}/versions/new",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert str(UPLOAD_LIMIT) in response.text
    assert objects_in(app) == before
    assert cast.query("model_version", "list_versions", project=cast.project) == []


def test_file_names_that_are_not_utf8_are_only_labels(sign_in: SignIn, cast: Cast) -> None:
    author = sign_in("author")
    form = author.get(f"/projects/{cast.project}/versions/new")
    boundary = b"tetherboundary"
    fields = {
        "csrf_token": csrf_of(form).encode(),
        "version": b"v5",
        "code_repo": b"r",
        "commit": b"c",
        "kind_0": b"model",
    }
    parts = [
        b"--"
        + boundary
        + b'\r\nContent-Disposition: form-data; name="'
        + k.encode()
        + b'"\r\n\r\n'
        + v
        + b"\r\n"
        for k, v in fields.items()
    ]
    for field, name, content in (
        ("file_0", b"mod\xff\xfeel.bin", b"weights"),
        ("experiment_log", b"\xc3(log.jsonl", b'{"epoch": 1, "loss": 0.5}\n'),
    ):
        parts.append(
            b"--"
            + boundary
            + b'\r\nContent-Disposition: form-data; name="'
            + field.encode()
            + b'"; filename="'
            + name
            + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
            + content
            + b"\r\n"
        )
    body = b"".join(parts) + b"--" + boundary + b"--\r\n"
    response = author.post(
        f"/projects/{cast.project}/versions/new",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=tetherboundary"},
    )
    # Registered: the multipart parser reads header bytes as Latin-1, so each name is valid
    # text (if garbled); it is only a label, the bytes are in the CAS by digest.
    assert response.status_code == 303, response.text[:300]
    found = cast.query("model_version", "get", project=cast.project, version="v5")
    names = {artifact["name"] for artifact in found["version"]["artifacts"]}
    assert names == {b"mod\xff\xfeel.bin".decode("latin-1"), b"\xc3(log.jsonl".decode("latin-1")}


def test_a_busy_service_database_is_a_503_to_retry_not_a_bad_request() -> None:
    from tetherai.http.errors import status_for
    from tetherai.services.db.errors import DatabaseUnavailable

    assert status_for(DatabaseUnavailable("locked for too long")) == 503
