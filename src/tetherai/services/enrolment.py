"""Give a participant of the network home a web account whose key the server keeps sealed.

Used once per deployment for the first org admin (whose key ``tether init`` made:
``tether admin create-user``), and by the demo for its people. Everyone later joins by
invitation (``POST /api/v1/admin/invitations``) and enrols a key made for them at acceptance.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from tetherai.errors import TetherError
from tetherai.identity.certificate import load_certificate_pem, parse_participant_certificate
from tetherai.identity.roles import Role
from tetherai.services.auth import AuthService, Conflict, UserInfo
from tetherai.services.custody import KeyCustody
from tetherai.services.db import make_engine, make_session_factory, migrate
from tetherai.services.home import NetworkHome
from tetherai.services.network import load_participant
from tetherai.services.settings import Settings

__all__ = [
    "account_services",
    "service_sessions",
    "web_account_for_participant",
    "web_account_of_home",
]


class RoleMismatch(TetherError):
    """The role asked for is not the one the participant's certificate carries."""

    code = "enrolment.role_mismatch"


@contextlib.contextmanager
def service_sessions(
    home: NetworkHome, env: Mapping[str, str]
) -> Iterator[tuple[Settings, sessionmaker[Session]]]:
    """The settings and service-database sessions of a home's server, for work done on the
    node before or beside the server (its database migrated, its secret made if missing).

    ``env``: the server's ``TETHER_*`` settings (``TETHER_PASSPHRASE``, optionally
    ``TETHER_DATABASE_URL``), as ``tether serve`` would read them.
    """
    secret = home.ensure_server_secret()
    settings = Settings.from_env(
        {"TETHER_SECRET_KEY_FILE": str(secret)} | dict(env), home=home.root
    )
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        yield settings, make_session_factory(engine)
    finally:
        engine.dispose()


@contextlib.contextmanager
def account_services(
    home: NetworkHome, env: Mapping[str, str]
) -> Iterator[tuple[AuthService, KeyCustody]]:
    """The people and key-custody services of a home's server (see :func:`service_sessions`)."""
    with service_sessions(home, env) as (settings, sessions):
        yield (
            AuthService(sessions, clock=lambda: datetime.now(tz=UTC), settings=settings),
            KeyCustody(sessions, clock=lambda: datetime.now(tz=UTC), settings=settings),
        )


def web_account_of_home(
    auth: AuthService,
    custody: KeyCustody,
    home: NetworkHome,
    *,
    passphrase: bytes,
    participant_id: str,
    password: str,
    role: Role | None = None,
    display_name: str | None = None,
) -> UserInfo:
    """A web account for a participant whose key is in the home, with the role its
    certificate carries (``role``, when given, must be that role).

    Raises:
        RoleMismatch: the certificate says another role.
        AuthError: the username is taken, or the password is too weak.
        KeyFileError: the participant's key cannot be read with ``passphrase``.
    """
    participant = load_participant(home, home.config()["org"], participant_id, passphrase)
    certified = parse_participant_certificate(
        load_certificate_pem(participant.certificate_pem.encode())
    ).role
    if role is not None and role != certified:
        raise RoleMismatch(
            f"{participant_id} is certified as {certified.value}, not {role.value}",
            hint=f"leave out --role, or give --role {certified.value}",
        )
    return web_account_for_participant(
        auth,
        custody,
        home,
        passphrase=passphrase,
        participant_id=participant_id,
        role=certified,
        password=password,
        display_name=display_name,
    )


def web_account_for_participant(
    auth: AuthService,
    custody: KeyCustody,
    home: NetworkHome,
    *,
    passphrase: bytes,
    participant_id: str,
    role: Role,
    password: str,
    display_name: str | None = None,
) -> UserInfo:
    """Create the user (and their org) and seal the participant's existing key under ``password``.

    Raises:
        AuthError: the username is taken, or the password is too weak.
        KeyFileError: the participant's key cannot be read with ``passphrase``.
    """
    org = home.config()["org"]
    participant = load_participant(home, org, participant_id, passphrase)
    with contextlib.suppress(Conflict):  # the org exists already
        auth.create_org(org)
    user = auth.create_user(org, participant_id, role, password, display_name=display_name)
    custody.store_key(
        user.id,
        participant.private_key,
        password=password,
        certificate_pem=participant.certificate_pem,
    )
    return auth.get_user(user.id)
