"""The layout of a network home directory (``tether init`` creates it).

::

    <home>/network.json                         what this home holds (org, channel, node names)
    <home>/orgs/<org>/ca/ca.pem, ca.key         the org's CA (key encrypted, 0600)
    <home>/orgs/<org>/participants/<id>/        cert.pem and key.pem (encrypted, 0600)
    <home>/nodes/<node>/key.pem, key.pub        Ed25519 keys of the orderer and the peer
    <home>/channels/<channel>/ledger.sqlite     the peer's ledger store
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from tetherai.errors import EXIT_USAGE, Conflict, TetherError

__all__ = ["HomeError", "HomeExists", "NetworkHome"]

CONFIG_FILE = "network.json"
CONFIG_VERSION = 1


class HomeError(TetherError):
    """A network home is missing or unreadable (422, exit 2: point --home elsewhere)."""

    code = "home.error"
    http_status = 422
    exit_code = EXIT_USAGE


class HomeExists(Conflict, HomeError):
    """The directory already holds a network."""

    code = "home.exists"


@dataclass(frozen=True, slots=True)
class NetworkHome:
    """Paths inside a network home, and its ``network.json``."""

    root: Path

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    def exists(self) -> bool:
        return self.config_path.exists()

    def config(self) -> dict[str, str]:
        """Read ``network.json``.

        Raises:
            HomeError: the home was not initialized or the file is damaged.
        """
        try:
            value = json.loads(self.config_path.read_text())
        except FileNotFoundError as error:
            raise HomeError(
                f"no tetherai network at {self.root}",
                hint="run 'tether init' first, or pass --home / set TETHER_HOME",
            ) from error
        except (OSError, ValueError) as error:
            raise HomeError(f"cannot read {self.config_path}: {error}") from error
        if not isinstance(value, dict) or value.get("version") != CONFIG_VERSION:
            raise HomeError(f"{self.config_path} is not a tetherai v{CONFIG_VERSION} network file")
        return {key: str(item) for key, item in value.items()}

    def ca_dir(self, org: str) -> Path:
        return self.root / "orgs" / org / "ca"

    def participant_dir(self, org: str, participant_id: str) -> Path:
        return self.root / "orgs" / org / "participants" / participant_id

    def node_dir(self, node: str) -> Path:
        return self.root / "nodes" / node

    def ledger_path(self, channel: str) -> Path:
        return self.root / "channels" / channel / "ledger.sqlite"

    @property
    def secret_path(self) -> Path:
        return self.root / "secrets" / "server.key"

    def ensure_server_secret(self) -> Path:
        """Create the server secret once (32 random bytes as hex, mode 0600)."""
        path = self.secret_path
        if path.exists():
            return path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        return path
