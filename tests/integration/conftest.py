"""Fixtures of the integration tests: one real S3 server (SeaweedFS) for the whole run.

PostgreSQL comes from ``tests.common.postgres`` (a plugin of the root conftest); etcd clusters
from ``tests/integration/cluster/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.common.s3_server import S3Server, running_s3_server


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A real S3 server (SeaweedFS, signatures checked), started once for the session."""
    with running_s3_server(tmp_path_factory.mktemp("seaweedfs")) as found:
        yield found


@pytest.fixture
def s3_env(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The people at their terminals have S3 credentials (``TETHER_S3_*``)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TETHER_S3_ENDPOINT", s3.endpoint_url)
    monkeypatch.setenv("TETHER_S3_ACCESS_KEY_ID", s3.access_key_id)
    monkeypatch.setenv("TETHER_S3_SECRET_ACCESS_KEY", s3.secret_access_key)
    return s3
