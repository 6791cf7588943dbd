"""Where the CLI and SDK keep who you are: the server, your API token and your key (mode 0600).

The file is ``<config dir>/config.json``; the private key (encrypted PKCS#12, written by
``identity.keys``) sits beside it as ``key.p12``. The config dir is ``$TETHER_CONFIG`` if set,
else the per-user config directory (platformdirs), so that several people can share one
machine (and the tests can play several people) with one directory each.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from platformdirs import user_config_dir

from tetherai.client.errors import ConfigError

__all__ = ["ClientConfig", "default_config_dir", "load_config", "save_config"]

CONFIG_FILE = "config.json"
KEY_FILE = "key.p12"
_FILE_MODE = 0o600
_DIR_MODE = 0o700


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """The server, the token that identifies you, and your registered key's certificate digest."""

    server: str
    token: str
    username: str = ""
    org: str = ""
    role: str = ""
    cert_sha256: str = ""
    """SHA-256 of the certificate of the registered key (empty until ``tether key register``)."""

    def with_changes(self, **changes: str) -> ClientConfig:
        return replace(self, **changes)

    def public_json(self) -> dict[str, str]:
        """Everything but the token, for ``tether login --json`` and the like."""
        data = asdict(self)
        data["token"] = self.token[:8] + "…" if self.token else ""
        return data


def default_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$TETHER_CONFIG``, else the per-user config directory."""
    values = os.environ if env is None else env
    found = values.get("TETHER_CONFIG")
    return Path(found).expanduser() if found else Path(user_config_dir("tetherai", appauthor=False))


def load_config(directory: Path) -> ClientConfig:
    """Read ``config.json``.

    Raises:
        ConfigError: it is missing, unreadable, malformed, or readable by group or others.
    """
    path = directory / CONFIG_FILE
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"not logged in: there is no {path}") from None
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from error
    if mode & 0o077:
        raise ConfigError(
            f"{path} holds an API token but group or others may read it",
            hint=f"chmod 600 {path}",
        )
    try:
        data = json.loads(text)
        return ClientConfig(**{key: str(value) for key, value in data.items()})
    except (ValueError, TypeError) as error:
        raise ConfigError(f"{path} is not a tether client config: {error}") from error


def save_config(directory: Path, config: ClientConfig) -> Path:
    """Write ``config.json`` with mode 0600 (its directory 0700), replacing it atomically."""
    directory.mkdir(parents=True, exist_ok=True, mode=_DIR_MODE)
    path = directory / CONFIG_FILE
    temporary = directory / f".{CONFIG_FILE}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(asdict(config), file, indent=2, sort_keys=True)
        file.write("\n")
    os.chmod(temporary, _FILE_MODE)  # umask or an old file's mode must not widen it
    os.replace(temporary, path)
    return path
