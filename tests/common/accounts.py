"""Web accounts for the test cast: a user of the service database whose sealed key is the
participant's own (what an invitation accepted on the pages makes, without the pages)."""

from __future__ import annotations

from fastapi import FastAPI

from tests.common.network import PASSPHRASE
from tetherai.identity.roles import Role
from tetherai.services.auth import UserInfo
from tetherai.services.enrolment import web_account_for_participant
from tetherai.services.home import NetworkHome


def web_account(
    app: FastAPI,
    home: NetworkHome,
    name: str,
    role: Role,
    password: str,
    *,
    display_name: str | None = None,
) -> UserInfo:
    """The account of participant ``name`` on the running ``app``, signing in with ``password``."""
    rt = app.state.runtime
    return web_account_for_participant(
        rt.auth,
        rt.custody,
        home,
        passphrase=PASSPHRASE,
        participant_id=name,
        role=role,
        password=password,
        display_name=display_name,
    )
