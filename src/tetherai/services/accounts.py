"""What an org admin does to a person of their org, and what the person does with the links
they get: each a service-database change and a ledger tx, so the ledger always says who did
what to whose keys (DESIGN.md §4; SECURITY.md "What an org admin can and cannot do").

- **Invite**: the person's account here, and ``membership.invite`` on the ledger (every role,
  auditors included: they enrol a key too, and only ever sign that enrolment).
- **Reset a password**: every session and API token of the person ends, every key of theirs is
  revoked on the ledger and one new key invited (``revoke_participant`` with ``reinvite``);
  the person sets a new password with the link and their new web key is enrolled with their
  own tx, whose record names the admin and "password reset".
- **Sign in**: attempts are counted per address (:class:`SlidingWindow`) and per account
  (the lockout in ``services.auth``); a new key an admin invited is made and enrolled, and the
  person's key is unsealed for the session (a pending reset leaves them reading only).
- **Disable**: sessions and tokens end, every key is revoked on the ledger, so their envelopes
  are refused whoever relays them. **Enable**: a new key is invited, enrolled at their next
  sign-in (their CLI keys stay revoked: they register new ones).

One-time links go by e-mail when the server has SMTP settings, and are then never shown to
the admin; without SMTP the admin is shown the link to hand over.

The use cases are coroutines: the database work, password hashing and e-mail run in a worker
thread, the wait for each tx's block holds none (``Runtime.act_async``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tetherai.errors import TetherError
from tetherai.identity.roles import Role
from tetherai.ledger.errors import TxInvalid
from tetherai.services.auth import AuthService, IssuedPasswordReset, SessionTokens, UserInfo
from tetherai.services.custody import KeyCustody, NoSigningKey
from tetherai.services.keys import LedgerPort, enrol_web_key, pending_invitation
from tetherai.services.mail import Mailer, MailError, NoAddress, masked
from tetherai.services.notifications import NotificationService
from tetherai.services.rate_limit import SlidingWindow
from tetherai.services.txs import Signer

__all__ = ["Accounts", "LinkIssued", "SignedIn"]

log = logging.getLogger(__name__)
RESET_REASON = "password reset"
DISABLED_REASON = "account disabled"
ENABLED_REASON = "account enabled again"


@dataclass(frozen=True, slots=True)
class LinkIssued:
    """An invitation or password reset as the admin may see it."""

    user: UserInfo
    expires_at: datetime
    token: str | None
    """The one-time token, only when there is no SMTP server to send it (``None`` otherwise)."""
    sent_to: str | None
    """The masked address the link was e-mailed to."""
    tx_id: str | None
    """The ledger tx that recorded it (``None`` when the person is not on the ledger yet)."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A password sign-in: who, and the session's tokens (handed to the browser once)."""

    user: UserInfo
    tokens: SessionTokens


class Accounts:
    """People's accounts together with their keys on the ledger.

    Args:
        mailer: sends one-time links and notices; ``None`` when the server has no SMTP.
        link_base: the server's public address, for links in e-mails.
        signin_attempts: sign-in attempts per client address (``None``: not counted).
    """

    def __init__(
        self,
        auth: AuthService,
        custody: KeyCustody,
        ledger: LedgerPort,
        notifications: NotificationService,
        *,
        mailer: Mailer | None,
        link_base: str,
        signin_attempts: SlidingWindow | None = None,
    ) -> None:
        self._auth = auth
        self._custody = custody
        self._ledger = ledger
        self._notifications = notifications
        self._mailer = mailer
        self._link_base = link_base
        self._signin_attempts = signin_attempts

    # --- the admin's side -------------------------------------------------------------------

    async def invite(
        self,
        admin: Signer,
        by: UserInfo,
        username: str,
        role: Role,
        *,
        display_name: str | None = None,
        email: str | None = None,
    ) -> LinkIssued:
        """Invite a person of ``by``'s org as ``role``.

        Raises:
            AuthError (not an admin, a taken name), MailError (``mail.no_address`` with SMTP
            and no ``email``; ``mail.failed``: the invitation is void), TxRefused.
        """
        if self._mailer is not None and not email:
            raise NoAddress(
                "give the person's e-mail address: the invitation link is sent there",
                hint="This server e-mails one-time links; nobody else sees them.",
            )
        issued = await asyncio.to_thread(
            self._auth.invite, by.org, username, role, by, display_name=display_name, email=email
        )
        try:
            tx = await self._ledger.act_async(
                admin, "membership", "invite", {"org": by.org, "id": username, "role": role.value}
            )
        except (TetherError, TxInvalid):
            # no link to a key the ledger would refuse
            await asyncio.to_thread(self._auth.void_link, issued.token)
            raise
        sent_to = await asyncio.to_thread(
            self._deliver,
            issued.user,
            issued.token,
            "Your tetherai invitation",
            f"{by.display_name} ({by.username}@{by.org}) invites you to tetherai as {role.value}.\n"
            f"Set your password here (the link works once, until {issued.expires_at:%Y-%m-%d %H:%M} UTC):\n"
            f"{self._link_base}/accept?token={issued.token}\n",
        )
        token = None if sent_to else issued.token
        return LinkIssued(issued.user, issued.expires_at, token, sent_to, tx.tx_id)

    async def reset(self, admin: Signer, by: UserInfo, user_id: int) -> LinkIssued:
        """Start a password reset: credentials end, keys are revoked and one new key invited.

        Raises:
            AuthError (not an admin of their org), MailError (``mail.no_address``: with SMTP,
            the person has no address; nothing changes), TxRefused.
        """

        def start() -> tuple[UserInfo, IssuedPasswordReset, bool]:
            target = self._auth.get_user(user_id)
            if self._mailer is not None and not target.email:
                raise NoAddress(
                    f"{target.username} has no e-mail address to send the reset link to",
                    hint="The person adds one on their profile; an admin cannot set it for them.",
                )
            issued = self._auth.create_password_reset(target, by_admin=by)
            return target, issued, bool(self._keys_of(target))

        target, issued, on_ledger = await asyncio.to_thread(start)
        tx_id = (
            await self._revoke_keys(admin, target, RESET_REASON, reinvite=True)
            if on_ledger
            else None
        )
        return await asyncio.to_thread(self._reset_done, by, target, issued, tx_id)

    def _reset_done(
        self, by: UserInfo, target: UserInfo, issued: IssuedPasswordReset, tx_id: str | None
    ) -> LinkIssued:
        """Tell the person (when their keys were revoked) and hand over the link."""
        if tx_id is not None:
            self._notify(
                target,
                tx_id,
                {"event": "reset", "by": f"{by.username}@{by.org}"},
                f"{by.username}@{by.org} reset your password: every key of yours is revoked; "
                "set a new password with the link you were given to get a new one.",
            )
        sent_to = self._deliver(
            target,
            issued.token,
            "Your tetherai password reset",
            f"{by.display_name} ({by.username}@{by.org}) reset your tetherai password. Your keys "
            "are revoked; a new one is made when you set a new password here (the link works "
            f"once, until {issued.expires_at:%Y-%m-%d %H:%M} UTC):\n"
            f"{self._link_base}/reset?token={issued.token}\n",
        )
        token = None if sent_to else issued.token
        return LinkIssued(target, issued.expires_at, token, sent_to, tx_id)

    async def set_enabled(
        self, admin: Signer, by: UserInfo, user_id: int, enabled: bool
    ) -> UserInfo:
        """Disable (credentials end, every key revoked on the ledger) or enable (a new key is
        invited, enrolled at the person's next sign-in).

        Raises:
            AuthError (not an admin of their org, disabling oneself), TxRefused.
        """

        def change() -> tuple[UserInfo, UserInfo, list[object]]:
            before = self._auth.get_user(user_id)
            user = self._auth.set_enabled(user_id, enabled, by_admin=by)
            return before, user, self._keys_of(user)

        before, user, keys = await asyncio.to_thread(change)
        if not enabled:  # again too: a retry revokes what a failed first try left active
            if any(isinstance(k, dict) and k.get("revoked") is None for k in keys):
                await self._revoke_keys(admin, user, DISABLED_REASON, reinvite=False)
            return user
        # Enabling an enabled person changes nothing; one not on the ledger has no keys yet.
        if before.enabled or not keys:
            return user
        tx_id = await self._revoke_keys(admin, user, ENABLED_REASON, reinvite=True)
        await asyncio.to_thread(
            self._notify,
            user,
            tx_id,
            {"event": "enabled", "by": f"{by.username}@{by.org}"},
            f"{by.username}@{by.org} enabled your account again: a new key is made for you "
            "when you sign in; register your CLI keys again.",
        )
        return user

    def _keys_of(self, user: UserInfo) -> list[object]:
        """The person's keys as the ledger records them (none: not on the ledger yet)."""
        found = self._ledger.query("membership", "keys", {"org": user.org, "id": user.username})
        return list(found) if isinstance(found, list) else []

    async def _revoke_keys(
        self, admin: Signer, user: UserInfo, reason: str, *, reinvite: bool
    ) -> str:
        """``revoke_participant`` for a person on the ledger (with keys: :meth:`_keys_of`)."""
        args = {"org": user.org, "id": user.username, "reason": reason, "reinvite": reinvite}
        result = await self._ledger.act_async(admin, "membership", "revoke_participant", args)
        return result.tx_id

    # --- the person's side ------------------------------------------------------------------

    async def accept(
        self, token: str, password: str, *, ip: str | None = None
    ) -> tuple[UserInfo, str]:
        """Set the password of an invitation and enrol the person's first web key.

        Raises:
            AuthError (token invalid, weak password), TxRefused (the ledger holds no
            invitation: the account is ready, the key is enrolled at a later sign-in).
        """
        user = await asyncio.to_thread(self._auth.accept_invitation, token, password, ip=ip)
        tx_id = await enrol_web_key(self._ledger, self._custody, user, password)
        return await asyncio.to_thread(self._auth.get_user, user.id), tx_id

    async def finish_reset(
        self, token: str, password: str, *, ip: str | None = None
    ) -> tuple[UserInfo, str | None]:
        """Set a new password with a reset link; the new web key is enrolled with the
        person's own tx, and they are told (in the app, and by e-mail when possible)."""

        def start() -> tuple[UserInfo, bool]:
            user = self._auth.reset_password(token, password, ip=ip).user
            return user, pending_invitation(self._ledger, user)

        user, pending = await asyncio.to_thread(start)
        if not pending:
            return user, None
        tx_id = await enrol_web_key(self._ledger, self._custody, user, password)
        return await asyncio.to_thread(self._replaced, user, tx_id), tx_id

    def _replaced(self, user: UserInfo, tx_id: str) -> UserInfo:
        """Tell the person a reset replaced their key (in the app, by e-mail when possible)."""
        record = self._ledger.query(
            "membership", "participant", {"org": user.org, "id": user.username}
        )
        by = record.get("enrolled_by") if isinstance(record, dict) else None
        text = (
            f"A new key of yours was enrolled after a password reset authorized by {by} "
            f"(tx {tx_id[:12]}). If you did not set a new password, tell another org admin now."
        )
        self._notify(user, tx_id, {"event": "replaced", "by": str(by)}, text)
        if self._mailer is not None and user.email:
            try:
                self._mailer.send(user.email, "Your tetherai key was replaced", text)
            except MailError as error:  # the notice in the app stands; the key is enrolled
                log.warning("could not e-mail %s about their new key: %s", user.username, error)
        return self._auth.get_user(user.id)

    async def sign_in(self, username: str, password: str, *, ip: str | None) -> SignedIn:
        """A password sign-in from ``ip``: a browser session able to sign with the person's key.

        Raises:
            TooManyAttempts: this address tried too often within the last minute.
            AuthError: wrong credentials, a locked or disabled account.
        """
        if self._signin_attempts is not None:
            self._signin_attempts.hit(ip or "unknown")
        user = await asyncio.to_thread(self._auth.login, username, password, ip)
        enrolled = await self.keys_at_sign_in(user, password)

        def session() -> SignedIn:
            found = user if enrolled is None else self._auth.get_user(user.id)
            try:
                key = self._custody.unseal_key(found.id, password)
            except NoSigningKey:
                key = None  # a pending reset: the person reads until they set a new password
            return SignedIn(found, self._auth.start_session(found, signing_key=key, ip=ip))

        return await asyncio.to_thread(session)

    async def keys_at_sign_in(self, user: UserInfo, password: str) -> str | None:
        """At sign-in, with the password at hand: if an org admin invited a new key for the
        person (re-enabled them), make and enrol it. Not while a password reset is pending:
        the reset link sets the password that seals the new key."""

        def due() -> bool:
            return pending_invitation(self._ledger, user) and not self._auth.reset_pending(user)

        if not await asyncio.to_thread(due):
            return None
        try:
            return await enrol_web_key(self._ledger, self._custody, user, password)
        except (TetherError, TxInvalid) as error:  # signing in still works; writes wait
            log.warning("could not enrol a new key for %s: %s", user.username, error)
            return None

    # --- helpers ----------------------------------------------------------------------------

    def _deliver(self, user: UserInfo, token: str, subject: str, text: str) -> str | None:
        """E-mail a one-time link when the server can; the masked address, or ``None``."""
        if self._mailer is None or not user.email:
            return None
        try:
            self._mailer.send(user.email, subject, text)
        except MailError:
            self._auth.void_link(token)
            raise
        return masked(user.email)

    def _notify(self, user: UserInfo, tx_id: str, detail: dict[str, Any], text: str) -> None:
        self._notifications.notify_person(user.id, "keys_changed", text, tx_id, detail)
