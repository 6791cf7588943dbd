"""The SDK and CLI against a real server, with a real S3 server (SeaweedFS): the client tests'
fixtures (tests/unit/client/conftest.py), used here beside the S3 ones."""

from tests.unit.client.conftest import app, person, server, terminal  # noqa: F401 - fixtures
