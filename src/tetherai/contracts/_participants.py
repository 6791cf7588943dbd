"""People and their keys on the ledger (DESIGN.md §4): invitations, several keys per person,
revocation of one key or all of a person's (membership version 2; the state layout is
``contracts._membership_state``).

Besides the records every version writes (``membership/cert/…``, ``membership/participant/…``,
``membership/invitation/…``), this version keeps:

- ``membership/key/<org>/<id>/<cert_sha256>``: every certificate enrolled for a person, so all
  of a person's keys can be listed and revoked at once. Certificates enrolled by the genesis or
  ``add_org`` (written as every version writes them) join the index when the person's next key
  is enrolled; until then the participant record names the one they have;
- ``membership/public_key/<sha256 of the key>``: the certificate a public key was enrolled in.
  A key is enrolled once, ever: a revoked (maybe stolen) key never comes back, and one key is
  never two people's.

A certificate enrolled here records how (``via``: ``enroll``, ``invitation``, ``add_key``) and
after what (``after``: e.g. a password reset), besides who authorized it (``enrolled_by``).

Who enrols which key, so that nobody but its holder enrols a key in a person's name:

- ``accept_invitation`` is signed with the new key itself (it proves possession);
- ``add_key`` is signed with one of the person's active keys and carries the new key's
  signature of :func:`~tetherai.identity.possession.possession_statement`;
- ``enroll`` (set-up: a network home's own participants) lets an org admin enrol a certificate
  for someone who holds no active key; it is recorded as the admin's act, and refused for a
  person who has keys, so an admin can never add a key beside a person's own unnoticed.
"""

from __future__ import annotations

from tetherai.contracts._common import Record
from tetherai.contracts._membership_state import (
    CertificateCache,
    actor_of,
    cert_key,
    certificate_record,
    check_issued,
    check_name,
    invitation_key,
    is_member,
    org_record,
    parse_certificate,
    participant_key,
    require_admin_of,
)
from tetherai.contracts.errors import Conflict, InvalidArgument, NotFound, NotPermitted
from tetherai.crypto.signature import public_key_fingerprint
from tetherai.identity.certificate import ParticipantIdentity
from tetherai.identity.errors import IdentityError
from tetherai.identity.possession import check_possession
from tetherai.identity.roles import Role
from tetherai.ledger.contract import Context
from tetherai.ledger.state import StateReader

__all__ = [
    "MAX_ACTIVE_KEYS",
    "MAX_REASON",
    "accept_invitation",
    "active_certificates",
    "add_key",
    "certificates_of",
    "enroll",
    "invite",
    "revoke",
    "revoke_participant",
]

MAX_ACTIVE_KEYS = 50
"""Active keys one person may hold at once (a web key and CLI/SDK keys): bounds the work of
revoking them all in one tx."""
MAX_REASON = 500

_CERTIFICATES = CertificateCache()


def _index_key(org: str, participant_id: str, cert_sha256: str = "") -> str:
    return f"membership/key/{org}/{participant_id}/{cert_sha256}"


def _public_key_key(fingerprint: str) -> str:
    return f"membership/public_key/{fingerprint}"


def _ca_of(state: StateReader, org: str) -> str:
    record = org_record(state, org)
    if record is None or not is_member(state, org):
        raise NotFound(f"org {org} is not a member of this channel")
    return str(record["ca_cert"])


def certificates_of(state: StateReader, org: str, participant_id: str) -> list[Record]:
    """Every certificate enrolled for ``participant_id@org``, oldest first."""
    shas = [key.rsplit("/", 1)[1] for key, _ in state.scan(_index_key(org, participant_id))]
    if not shas and state.get(participant_key(org, participant_id)) is None:
        return []  # nobody enrolled yet (no scan for a newcomer)
    if not shas:  # enrolled by a genesis, add_org or membership version 1: not indexed yet
        shas = [
            str(value["cert_sha256"])
            for _, value in state.scan("membership/cert/")
            if isinstance(value, dict)
            and (value.get("org"), value.get("id")) == (org, participant_id)
        ]
    found: list[tuple[int, str, Record]] = []
    for sha in shas:
        cert = state.get(cert_key(sha))
        if isinstance(cert, dict):
            enrolled = cert.get("enrolled_at")
            found.append((enrolled if isinstance(enrolled, int) else 0, sha, cert))
    return [cert for _, _, cert in sorted(found)]


def active_certificates(state: StateReader, org: str, participant_id: str) -> list[Record]:
    """The participant's certificates that are not revoked."""
    return [c for c in certificates_of(state, org, participant_id) if c.get("revoked") is None]


def _index(ctx: Context, org: str, participant_id: str, pem: str, cert_sha256: str) -> None:
    fingerprint = public_key_fingerprint(_CERTIFICATES.parse(pem).public_key)
    ctx.state.put(_index_key(org, participant_id, cert_sha256), {"cert_sha256": cert_sha256})
    ctx.state.put(
        _public_key_key(fingerprint),
        {"cert_sha256": cert_sha256, "org": org, "id": participant_id},
    )


def _enrol_key(
    ctx: Context, pem: str, identity: ParticipantIdentity, *, via: str, by: str,
    after: str | None = None,
) -> None:  # fmt: skip
    """Enrol a certificate (already checked as issued by its org's CA).

    Raises:
        Conflict: the certificate or its public key was enrolled before, or the person holds
            the most keys allowed.
    """
    org, participant_id = identity.org, identity.participant_id
    if ctx.state.get(cert_key(identity.cert_sha256)) is not None:
        raise Conflict(f"certificate {identity.cert_sha256[:12]} is already enrolled")
    for known in certificates_of(ctx.state, org, participant_id):  # index what came before
        sha = str(known["cert_sha256"])
        if ctx.state.get(_index_key(org, participant_id, sha)) is None:
            _index(ctx, org, participant_id, str(known["cert"]), sha)
    earlier = ctx.state.get(_public_key_key(public_key_fingerprint(identity.public_key)))
    if isinstance(earlier, dict):
        raise Conflict(
            f"this public key is already enrolled (certificate {str(earlier['cert_sha256'])[:12]}); "
            "a key is enrolled once: make a new key"
        )
    if len(active_certificates(ctx.state, org, participant_id)) >= MAX_ACTIVE_KEYS:
        raise Conflict(
            f"{participant_id}@{org} holds {MAX_ACTIVE_KEYS} active keys: revoke one first"
        )
    found = certificate_record(pem, identity, by=by, block_ts=ctx.block_ts) | {"via": via}
    if after is not None:
        found["after"] = after
    ctx.state.put(cert_key(identity.cert_sha256), found)
    ctx.state.put(
        participant_key(org, participant_id),
        {"cert_sha256": identity.cert_sha256, "role": str(identity.role)},
    )
    _index(ctx, org, participant_id, pem, identity.cert_sha256)


def _revoke(ctx: Context, found: Record, reason: str) -> None:
    ctx.state.put(
        cert_key(str(found["cert_sha256"])),
        dict(found)
        | {
            "revoked": {
                "block": ctx.block_number,
                "ts": ctx.block_ts,
                "by": actor_of(ctx),
                "reason": reason,
            }
        },
    )


def _check_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise InvalidArgument(f"give a reason of 1 to {MAX_REASON} characters")
    return reason


def _active_admin_certs(state: StateReader, org: str, at_ms: int) -> list[str]:
    """The org's org admin certificates that are neither revoked nor expired at ``at_ms``."""
    found = []
    for _, value in state.scan("membership/cert/"):
        if (
            isinstance(value, dict)
            and value.get("org") == org
            and value.get("role") == Role.ORG_ADMIN
            and value.get("revoked") is None
            and _CERTIFICATES.valid_at(str(value["cert"]), at_ms)
        ):
            found.append(str(value["cert_sha256"]))
    return found


def _keep_an_admin(ctx: Context, org: str, revoking: set[str]) -> None:
    """An org keeps a valid org admin certificate: without one nobody could enrol anyone of it
    again, nor approve a change of the channel for it."""
    admins = set(_active_admin_certs(ctx.state, org, ctx.block_ts))
    if admins and admins <= revoking:
        raise Conflict(
            f"this would revoke the last valid org admin certificate of {org}",
            hint=f"enrol another org admin of {org} first",
        )


# --- the tx functions' bodies (the Membership contract's methods call these) --------------


def enroll(ctx: Context, certificate: str) -> Record:
    """Set-up: an org admin enrols a certificate for someone who holds no active key."""
    identity = parse_certificate(certificate)
    require_admin_of(ctx, identity.org)
    check_issued(certificate, _ca_of(ctx.state, identity.org), ctx.block_ts)
    if active_certificates(ctx.state, identity.org, identity.participant_id):
        raise Conflict(
            f"{identity.participant_id}@{identity.org} holds keys already: a person adds their "
            "own keys (add_key); to re-key them, revoke their keys and invite them again"
        )
    _enrol_key(ctx, certificate, identity, via="enroll", by=actor_of(ctx))
    return {"cert_sha256": identity.cert_sha256, "org": identity.org, "id": identity.participant_id}


def invite(ctx: Context, org: str, participant_id: str, role: str) -> Record:
    """An org admin authorizes ``participant_id@org`` to enrol a key of their own as ``role``."""
    require_admin_of(ctx, org)
    check_name(participant_id, "participant id")
    try:
        Role(role)
    except ValueError:
        raise InvalidArgument(f"{role!r} is not a role") from None
    if role == Role.OPERATOR:
        raise InvalidArgument("operators run nodes; invite people as another role")
    if active_certificates(ctx.state, org, participant_id):
        raise Conflict(
            f"{participant_id}@{org} is already a participant with keys; revoke their keys "
            "first to re-key them"
        )
    ctx.state.put(
        invitation_key(org, participant_id),
        {"org": org, "id": participant_id, "role": role, "by": actor_of(ctx), "at": ctx.block_ts},
    )
    return {"invited": f"{participant_id}@{org}", "role": role}


def accept_invitation(ctx: Context, certificate: str) -> Record:
    """The invited person enrols the certificate of their new key, signing with that key."""
    identity = parse_certificate(certificate)
    org, participant_id = identity.org, identity.participant_id
    invitation = ctx.state.get(invitation_key(org, participant_id))
    if not isinstance(invitation, dict) or invitation["role"] != identity.role:
        raise NotPermitted(f"there is no invitation for {participant_id}@{org} as {identity.role}")
    if ctx.creator.cert_sha256 != identity.cert_sha256:
        raise NotPermitted("an invitation is accepted with a tx signed by the key it enrols")
    check_issued(certificate, _ca_of(ctx.state, org), ctx.block_ts)
    if active_certificates(ctx.state, org, participant_id):
        raise Conflict(f"{participant_id}@{org} holds keys already; the invitation is stale")
    after = invitation.get("after")
    _enrol_key(
        ctx,
        certificate,
        identity,
        via="invitation",
        by=str(invitation["by"]),
        after=None if after is None else str(after),
    )
    ctx.state.delete(invitation_key(org, participant_id))
    return {"enrolled": f"{participant_id}@{org}", "cert_sha256": identity.cert_sha256}


def add_key(ctx: Context, certificate: str, proof: str) -> Record:
    """A person enrols another key of their own: signed with a key they have, and ``proof``
    signed with the new key (see :mod:`tetherai.identity.possession`)."""
    identity = parse_certificate(certificate)
    creator = ctx.creator
    if (identity.org, identity.participant_id, str(identity.role)) != (
        creator.org,
        creator.id,
        creator.role,
    ):
        raise NotPermitted(
            f"a participant may add only their own keys: this certificate is for "
            f"{identity.participant_id}@{identity.org} as {identity.role}"
        )
    check_issued(certificate, _ca_of(ctx.state, identity.org), ctx.block_ts)
    try:
        check_possession(identity.public_key, identity.org, identity.participant_id, proof)
    except IdentityError as error:
        raise InvalidArgument(error.message) from error
    _enrol_key(ctx, certificate, identity, via="add_key", by=actor_of(ctx))
    return {"cert_sha256": identity.cert_sha256}


def revoke(ctx: Context, cert_sha256: str, reason: str) -> Record:
    """An org admin of the certificate's org, or its own holder, revokes one certificate."""
    found = ctx.state.get(cert_key(cert_sha256))
    if not isinstance(found, dict):
        raise NotFound(f"no enrolled certificate {cert_sha256[:12]}")
    org, participant_id = str(found["org"]), str(found["id"])
    own = (ctx.creator.org, ctx.creator.id) == (org, participant_id)
    if not own:
        require_admin_of(ctx, org)
    if found.get("revoked") is not None:
        raise Conflict(f"certificate {cert_sha256[:12]} is already revoked")
    _check_reason(reason)
    _keep_an_admin(ctx, org, {cert_sha256})
    if own and len(active_certificates(ctx.state, org, participant_id)) == 1:
        raise Conflict(
            "this is your last active key: without it you could sign nothing",
            hint="ask your org admin to re-key you (a password reset) instead",
        )
    _revoke(ctx, found, reason)
    return {"revoked": cert_sha256}


def revoke_participant(
    ctx: Context, org: str, participant_id: str, reason: str, reinvite: bool
) -> Record:
    """An org admin revokes every active key of a person of their org (disabled, re-keyed);
    with ``reinvite`` the person may then enrol one new key of their own, and that key's
    record says it came after ``reason`` and on whose word."""
    require_admin_of(ctx, org)
    if (ctx.creator.org, ctx.creator.id) == (org, participant_id):
        raise NotPermitted("you cannot revoke all your own keys; ask another org admin")
    current = ctx.state.get(participant_key(org, participant_id))
    if not isinstance(current, dict):
        raise NotFound(f"there is no participant {participant_id}@{org} on this channel")
    _check_reason(reason)
    active = active_certificates(ctx.state, org, participant_id)
    _keep_an_admin(ctx, org, {str(found["cert_sha256"]) for found in active})
    for found in active:
        _revoke(ctx, found, reason)
    if reinvite:
        ctx.state.put(
            invitation_key(org, participant_id),
            {
                "org": org,
                "id": participant_id,
                "role": str(current["role"]),
                "by": actor_of(ctx),
                "at": ctx.block_ts,
                "after": reason,
                "replaces": [str(found["cert_sha256"]) for found in active],
            },
        )
    revoked = [str(found["cert_sha256"]) for found in active]
    return {"participant": f"{participant_id}@{org}", "revoked": revoked, "invited": reinvite}
