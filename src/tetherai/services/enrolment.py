"""Give a participant of the network home a web account whose key the server keeps sealed.

Used once per deployment for the first org admin (whose key ``tether init`` made), and by the
demo for its people. Everyone later joins by invitation (``POST /api/v1/admin/invitations``)
and enrols a key made for them at acceptance.
"""

from __future__ import annotations

import contextlib

from tetherai.identity.roles import Role
from tetherai.services.auth import AuthService, Conflict, UserInfo
from tetherai.services.custody import KeyCustody
from tetherai.services.home import NetworkHome
from tetherai.services.network import load_participant

__all__ = ["web_account_for_participant"]


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
