"""Security headers on every response; /docs built from packaged assets under its own policy."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import httpx

from tests.common.lifecycle import Cast
from tests.common.network import PASSPHRASE
from tests.common.server import serve
from tests.unit.api.conftest import FAST_ARGON2
from tetherai.api.app import create_app
from tetherai.api.security_headers import CONTENT_SECURITY_POLICY
from tetherai.services.settings import Settings


def _assert_hardened(response: httpx.Response) -> None:
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"


def test_every_kind_of_response_carries_the_headers(
    client: httpx.Client, anonymous: httpx.Client
) -> None:
    _assert_hardened(client.get("/api/v1/ledger"))  # a read
    _assert_hardened(client.get("/api/v1/ledger/blocks/99999"))  # an error
    _assert_hardened(anonymous.get("/api/v1/projects", headers={"Authorization": ""}))  # 401
    _assert_hardened(client.get("/openapi.json"))
    assert "strict-transport-security" not in client.get("/api/v1/ledger").headers


def test_hsts_is_sent_when_configured(cast: Cast, tmp_path: Path) -> None:
    settings = Settings(
        home=cast.net.home.root,
        database_url=f"sqlite:///{tmp_path / 'hsts.sqlite'}",
        secret_key=b"x" * 32,
        passphrase=PASSPHRASE,
        hsts_seconds=31536000,
    )
    with serve(create_app(settings, node=cast.net.node, argon2=FAST_ARGON2)) as http:
        answer = http.get("/openapi.json")
        assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_docs_need_nothing_from_the_internet(client: httpx.Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls and all(url.startswith("/docs/assets/") for url in urls), urls
    for url in urls:
        assert client.get(url).status_code == 200, url
    (script,) = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = page.headers["content-security-policy"]
    assert f"'sha256-{digest}'" in policy and "'unsafe-eval'" not in policy


def test_the_html_audit_report_allows_only_its_own_inline_style(
    client: httpx.Client, cast: Cast
) -> None:
    report = client.get(f"/api/v1/projects/{cast.project}/audit-report.html")
    assert report.status_code == 200, report.text
    (style,) = re.findall(r"<style>(.*?)</style>", report.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    expected = CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", f"style-src 'self' 'sha256-{digest}'"
    )
    assert report.headers["content-security-policy"] == expected
    assert "<script" not in report.text and " style=" not in report.text
