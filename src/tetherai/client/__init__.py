"""The Python SDK (``tetherai.Client``): the life cycle from training scripts and CI.

Reads use the REST API with a personal API token; writes are txs signed here with your own
key and posted as envelopes, so the server never holds the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tetherai._lazy import lazy_exports

if TYPE_CHECKING:
    from tetherai.client.client import Client
    from tetherai.client.config import ClientConfig, default_config_dir, load_config, save_config
    from tetherai.client.errors import ClientError, ConfigError, ServerError
    from tetherai.client.refs import parse_project, parse_version
    from tetherai.client.run import Run

__all__ = [
    "Client",
    "ClientConfig",
    "ClientError",
    "ConfigError",
    "Run",
    "ServerError",
    "default_config_dir",
    "load_config",
    "parse_project",
    "parse_version",
    "save_config",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
