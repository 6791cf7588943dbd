"""An org admin cannot point a webhook at the server's own network (no operator allowance)."""

from __future__ import annotations

import httpx

INTERNAL = [
    "http://127.0.0.1:8000/api/v1/admin/users",
    "http://localhost/x",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/x",
    "http://[::1]/x",
    "gopher://example.org/",
]


def test_webhooks_to_internal_addresses_are_refused(client: httpx.Client) -> None:
    for url in INTERNAL:
        refused = client.post("/api/v1/admin/webhooks", json={"url": url})
        assert refused.status_code == 422, (url, refused.text)
        assert refused.json()["error"]["code"] == "notifications.bad_target"
    assert client.get("/api/v1/admin/webhooks").json()["items"] == []
