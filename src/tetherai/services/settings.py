"""The server's settings, read once at start-up (from the environment by the CLI/`make run`).

Library code never reads the environment: :func:`Settings.from_env` is called by the entry
point, and everything below receives a :class:`Settings` (DESIGN.md §8, STYLE "dependency
injection").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeAlias

from tetherai.errors import InvalidInput, TetherError
from tetherai.logs import LEVELS
from tetherai.services.artifacts import StorageSettings
from tetherai.services.mail import SmtpSettings

__all__ = ["CpuChoice", "Settings", "SettingsError", "cpu_choice", "cpu_list"]

CpuChoice: TypeAlias = tuple[int, ...] | Literal["auto", "all"]
"""The CPUs a server's threads run on: ``auto`` (one, chosen at start), ``all``, or a list."""


class SettingsError(InvalidInput):
    code = "settings.invalid"


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path
    """The network home (``tether init``): keys, CA and the ledger."""
    database_url: str
    """SQLAlchemy URL of the service database: ``sqlite:///…`` (default) or ``postgresql+psycopg://…``."""
    secret_key: bytes
    """Server secret (32+ bytes): part of every web user's key-encryption key, and of tokens."""
    passphrase: bytes
    """Passphrase of the node keys and the org CA in ``home``."""
    objects_url: str = ""
    """Object store: a local directory path (default ``<home>/objects``) or ``s3://bucket/prefix``."""
    s3_endpoint_url: str | None = None
    s3_access_key_id: str = ""
    s3_secret_access_key: str = field(default="", repr=False)
    s3_region: str = "us-east-1"
    in_place: tuple[tuple[str, str], ...] = ()
    """``(org, prefix)``: locations outside the store the server may read for that org's
    people (``TETHER_IN_PLACE=Org1=s3://bucket/data/,…``); none by default."""
    max_upload_bytes: int = 10 * 1024**3
    """The largest object one upload may carry."""
    host: str = "127.0.0.1"
    port: int = 8000
    secure_cookies: bool = False
    """Set the ``Secure`` flag on cookies (on, behind HTTPS)."""
    hsts_seconds: int = 0
    """Above 0, every response carries Strict-Transport-Security for that long (behind HTTPS)."""
    session_hours: int = 12
    lockout_attempts: int = 5
    lockout_minutes: int = 15
    signin_attempts_per_minute: int = 30
    """Sign-in attempts one client address may make per minute (any usernames)."""
    api_token_days: int = 90
    """The longest (and default) lifetime of a personal API token."""
    auth_cache_seconds: float = 2.0
    """How long a resolved session or API token is remembered in memory (0: not at all). A
    revocation in this process takes effect at once, one made by another process within this."""
    public_url: str = ""
    """Where people reach the server (links in e-mails); default ``http://<host>:<port>``."""
    smtp: SmtpSettings | None = None
    """The mail server for invitations, password resets and key notices (``None``: no e-mail;
    one-time links are then shown to the org admin who made them)."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks of reverse proxies whose ``X-Forwarded-For`` / ``-Proto`` headers
    are believed; from anyone else they are ignored (the sign-in limit counts the real peer)."""
    webhook_allow: tuple[str, ...] = ()
    """Host names, addresses or networks a webhook may reach although they are loopback,
    private or link-local (an internal receiver); every other such address is refused."""
    log_json: bool = False
    """Log as JSON lines (``TETHER_LOG_JSON=1``, ``tether serve --log-json``), else as text."""
    log_level: str = "info"
    """``debug``, ``info``, ``warning`` or ``error`` (``TETHER_LOG_LEVEL``)."""
    cpus: CpuChoice = "auto"
    """The CPUs the server's threads run on: ``auto`` (the default, ``TETHER_CPUS`` unset or
    ``auto``): one, the CPU the process started on; ``all``: any the machine gives it; or a list
    (``TETHER_CPUS=0``, ``0,2`` or ``0-3``). Why one is faster than several:
    ``tetherai.http.process``."""

    def link_base(self) -> str:
        """The server's public address, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def storage(self) -> StorageSettings:
        """Where artifacts are stored (a local directory by default)."""
        return StorageSettings(
            objects=self.objects_url or str(self.home / "objects"),
            s3_endpoint_url=self.s3_endpoint_url,
            s3_access_key_id=self.s3_access_key_id,
            s3_secret_access_key=self.s3_secret_access_key,
            s3_region=self.s3_region,
            in_place=self.in_place,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, home: Path) -> Settings:
        """Read ``TETHER_*`` variables; secrets come from files in ``home/secrets`` by default.

        Raises:
            SettingsError: a value is missing or malformed, naming the variable.
        """
        secrets_dir = home / "secrets"
        secret_file = Path(env.get("TETHER_SECRET_KEY_FILE", secrets_dir / "server.key"))
        try:
            secret = secret_file.read_bytes().strip()
        except OSError as error:
            raise SettingsError(
                f"cannot read the server secret {secret_file}: {error.strerror}",
                hint="run 'tether serve --init-secret' once, or set TETHER_SECRET_KEY_FILE",
            ) from error
        if len(secret) < 32:
            raise SettingsError(f"the server secret in {secret_file} is shorter than 32 bytes")
        passphrase = env.get("TETHER_PASSPHRASE", "").encode()
        if not passphrase:
            raise SettingsError(
                "TETHER_PASSPHRASE is not set", hint="it unlocks the node keys and the org CA"
            )
        port = _int(env, "TETHER_PORT", 8000)
        try:
            storage = StorageSettings.from_env(env, home=home)
        except TetherError as error:
            raise SettingsError(error.message) from error
        return cls(
            home=home,
            database_url=env.get("TETHER_DATABASE_URL", f"sqlite:///{home / 'service.sqlite'}"),
            secret_key=secret,
            passphrase=passphrase,
            objects_url=storage.objects,
            s3_endpoint_url=storage.s3_endpoint_url,
            s3_access_key_id=storage.s3_access_key_id,
            s3_secret_access_key=storage.s3_secret_access_key,
            s3_region=storage.s3_region,
            in_place=storage.in_place,
            host=env.get("TETHER_HOST", "127.0.0.1"),
            port=port,
            secure_cookies=env.get("TETHER_SECURE_COOKIES", "0") == "1",
            hsts_seconds=_int(env, "TETHER_HSTS_SECONDS", 0),
            api_token_days=_days(env),
            public_url=env.get("TETHER_PUBLIC_URL", ""),
            smtp=_smtp(env),
            trusted_proxies=_list(env, "TETHER_TRUSTED_PROXIES"),
            webhook_allow=_list(env, "TETHER_WEBHOOK_ALLOW"),
            log_json=env.get("TETHER_LOG_JSON", "0") == "1",
            log_level=_log_level(env),
            cpus=_cpus(env),
        )


def _log_level(env: Mapping[str, str]) -> str:
    level = env.get("TETHER_LOG_LEVEL", "info").lower()
    if level not in LEVELS:
        raise SettingsError(f"TETHER_LOG_LEVEL must be one of {', '.join(LEVELS)}")
    return level


def _cpus(env: Mapping[str, str]) -> CpuChoice:
    try:
        return cpu_choice(env.get("TETHER_CPUS", ""))
    except SettingsError as error:
        raise SettingsError(f"TETHER_CPUS: {error.message}", hint=error.hint) from None


def cpu_choice(value: str) -> CpuChoice:
    """What ``TETHER_CPUS`` (or ``--cpus``) says: ``auto`` (also empty), ``all``, or a list of
    CPUs as :func:`cpu_list` reads it.

    Raises:
        SettingsError: neither word, nor a list of CPUs.
    """
    word = value.strip().lower()
    if word in ("", "auto"):
        return "auto"
    if word == "all":
        return "all"
    cpus = cpu_list(value)
    if not cpus:
        raise SettingsError(f"{value!r} names no CPU", hint="auto, all, or e.g. 0 or 0,2 or 0-3")
    return cpus


def cpu_list(value: str) -> tuple[int, ...]:
    """The CPUs of a list such as ``0``, ``0,2`` or ``0-3`` (as ``taskset -c`` takes), sorted.

    Raises:
        SettingsError: a part that is not a CPU number or an ascending range.
    """
    cpus: set[int] = set()
    for part in (piece.strip() for piece in value.split(",") if piece.strip()):
        first, dash, last = part.partition("-")
        if not (first.isdigit() and (last.isdigit() if dash else True)):
            raise SettingsError(
                f"{part!r} is not a CPU number or range",
                hint="auto, all, or CPU numbers, e.g. 0 or 0,2 or 0-3",
            )
        low, high = int(first), int(last if dash else first)
        if high < low or high > 4095:
            raise SettingsError(f"{part!r} is not a range of CPUs")
        cpus.update(range(low, high + 1))
    return tuple(sorted(cpus))


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    try:
        value = int(env.get(name, str(default)))
    except ValueError as error:
        raise SettingsError(f"{name} must be a whole number") from error
    if value < 0:
        raise SettingsError(f"{name} must not be negative")
    return value


def _days(env: Mapping[str, str]) -> int:
    days = _int(env, "TETHER_API_TOKEN_DAYS", 90)
    if not 1 <= days <= 3650:
        raise SettingsError("TETHER_API_TOKEN_DAYS must be 1 to 3650")
    return days


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())


def _smtp(env: Mapping[str, str]) -> SmtpSettings | None:
    host = env.get("TETHER_SMTP_HOST", "")
    if not host:
        return None
    security = env.get("TETHER_SMTP_SECURITY", "starttls")
    if security not in ("starttls", "tls", "none"):
        raise SettingsError("TETHER_SMTP_SECURITY must be starttls, tls or none")
    password = env.get("TETHER_SMTP_PASSWORD", "")
    password_file = env.get("TETHER_SMTP_PASSWORD_FILE")
    if password_file:
        try:
            password = Path(password_file).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise SettingsError(
                f"cannot read TETHER_SMTP_PASSWORD_FILE: {error.strerror}"
            ) from error
    return SmtpSettings(
        host=host,
        port=_int(env, "TETHER_SMTP_PORT", 465 if security == "tls" else 587),
        sender=env.get("TETHER_SMTP_FROM", f"tetherai@{host}"),
        username=env.get("TETHER_SMTP_USERNAME", ""),
        password=password,
        security=security,
    )
