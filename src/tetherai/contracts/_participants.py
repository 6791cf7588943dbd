"""People and their keys on the ledger (DESIGN.md §4): invitations, several keys per person,
revocation, and the rule that authenticates every tx's creator.

State (all under ``membership/``, written by the membership contract):

- ``membership/cert/<cert_sha256>``: an enrolled certificate with org, id, role, who
  authorized it (``enrolled_by``), how (``via``: ``genesis``, ``add_org``, ``enroll``,
  ``invitation``, ``add_key``), after what (``after``: e.g. a password reset) and, once
  revoked, when, by whom and why;
- ``membership/participant/<org>/<id>``: the participant's role and latest certificate;
- ``membership/key/<org>/<id>/<cert_sha256>``: every certificate ever enrolled for them, so
  all of a person's keys can be listed and revoked at once;
- ``membership/public_key/<sha256 of the key>``: the certificate a public key was enrolled in.
  A key is enrolled once, ever: a revoked (maybe stolen) key never comes back, and a key
  cannot belong to two people;
- ``membership/invitation/<org>/<id>``: an org admin's authorization for ``id@org`` to enrol
  a key of their own as a role (a first key, or a new one once all their keys are revoked).

Who enrols which key, so that nobody but its holder enrols a key in a person's name:

- ``accept_invitation`` is signed with the new key itself (it proves possession);
- ``add_key`` is signed with one of the person's active keys and carries the new key's
  signature of :func:`~tetherai.identity.possession.possession_statement`;
- ``enroll`` (set-up: a network home's own participants) lets an org admin enrol a certificate
  for someone who has no active key; it is recorded as the admin's act, and refused for a
  person who has keys, so an admin can never add a key beside a person's own unnoticed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tetherai.contracts._common import Record
from tetherai.contracts.errors import Conflict, InvalidArgument, NotFound, NotPermitted
from tetherai.crypto.jcs import JSONValue
from tetherai.crypto.signature import public_key_fingerprint
from tetherai.identity.certificate import (
    ParticipantIdentity,
    load_certificate_pem,
    parse_participant_certificate,
    validate_name,
    verify_issued_by,
)
from tetherai.identity.errors import IdentityError
from tetherai.identity.possession import check_possession
from tetherai.identity.roles import Role
from tetherai.ledger.contract import Context, StateReader

__all__ = [
    "MAX_ACTIVE_KEYS",
    "active_certificates",
    "cert_key",
    "certificates_of",
    "check_issued",
    "enrol",
    "invitation_key",
    "load_pem",
    "org_key",
    "parse_certificate",
    "participant_key",
    "record",
    "require_admin_of",
    "revoke_certificate",
]

MAX_ACTIVE_KEYS = 50
"""Active keys one person may hold at once (a web key and CLI/SDK keys): bounds the work of
revoking them all in one tx."""


def cert_key(cert_sha256: str) -> str:
    return f"membership/cert/{cert_sha256}"


def org_key(org: str) -> str:
    return f"membership/org/{org}"


def invitation_key(org: str, participant_id: str) -> str:
    return f"membership/invitation/{org}/{participant_id}"


def participant_key(org: str, participant_id: str) -> str:
    return f"membership/participant/{org}/{participant_id}"


def _index_prefix(org: str, participant_id: str) -> str:
    return f"membership/key/{org}/{participant_id}/"


def _public_key_key(fingerprint: str) -> str:
    return f"membership/public_key/{fingerprint}"


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def load_pem(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.startswith("-----BEGIN CERTIFICATE-----"):
        raise InvalidArgument(f"{what} must be a PEM certificate")
    return value


def parse_certificate(pem: object) -> ParticipantIdentity:
    text = load_pem(pem, "certificate")
    try:
        return parse_participant_certificate(load_certificate_pem(text.encode()))
    except IdentityError as error:
        raise InvalidArgument(f"certificate refused: {error.message}") from error


def check_issued(pem: str, ca_pem: str, block_ts: int) -> None:
    try:
        verify_issued_by(
            load_certificate_pem(pem.encode()),
            load_certificate_pem(ca_pem.encode()),
            at=at(block_ts),
        )
    except IdentityError as error:
        raise InvalidArgument(f"certificate refused: {error.message}") from error


def _org_ca(state: StateReader, org: str) -> str:
    found = state.get(org_key(org))
    if not isinstance(found, dict):
        raise NotFound(f"org {org} is not a member of this channel")
    return str(found["ca_cert"])


def actor_of(ctx: Context) -> str:
    return f"{ctx.creator.id}@{ctx.creator.org}"


def require_admin_of(ctx: Context, org: str) -> None:
    if ctx.creator.role != Role.ORG_ADMIN or ctx.creator.org != org:
        raise NotPermitted(
            f"only an org admin of {org} may do this; you are {ctx.creator.role} of {ctx.creator.org}"
        )


def record(
    pem: str,
    identity: ParticipantIdentity,
    *,
    by: str,
    block_ts: int,
    via: str,
    after: str | None = None,
) -> dict[str, JSONValue]:
    """The state record of an enrolled certificate."""
    found: dict[str, JSONValue] = {
        "cert": pem,
        "cert_sha256": identity.cert_sha256,
        "org": identity.org,
        "id": identity.participant_id,
        "role": str(identity.role),
        "enrolled_by": by,
        "enrolled_at": block_ts,
        "via": via,
        "revoked": None,
    }
    if after is not None:
        found["after"] = after
    return found


def certificates_of(state: StateReader, org: str, participant_id: str) -> list[Record]:
    """Every certificate ever enrolled for ``participant_id@org``, oldest first."""
    found: list[tuple[int, str, Record]] = []
    for key, _ in state.scan(_index_prefix(org, participant_id)):
        cert = state.get(cert_key(key.rsplit("/", 1)[1]))
        if isinstance(cert, dict):
            enrolled = cert.get("enrolled_at")
            when = enrolled if isinstance(enrolled, int) else 0
            found.append((when, str(cert["cert_sha256"]), cert))
    return [cert for _, _, cert in sorted(found)]


def active_certificates(state: StateReader, org: str, participant_id: str) -> list[Record]:
    """The participant's certificates that are not revoked."""
    return [c for c in certificates_of(state, org, participant_id) if c.get("revoked") is None]


def enrol(
    ctx: Context,
    pem: str,
    identity: ParticipantIdentity,
    *,
    by: str,
    via: str,
    after: str | None = None,
) -> None:
    """Enrol a certificate (already checked as issued by its org's CA).

    Raises:
        Conflict: the certificate or its public key was enrolled before, or the person holds
            the most keys allowed.
    """
    if ctx.state.get(cert_key(identity.cert_sha256)) is not None:
        raise Conflict(f"certificate {identity.cert_sha256[:12]} is already enrolled")
    fingerprint = public_key_fingerprint(identity.public_key)
    earlier = ctx.state.get(_public_key_key(fingerprint))
    if isinstance(earlier, dict):
        raise Conflict(
            f"this public key is already enrolled (certificate {str(earlier['cert_sha256'])[:12]}); "
            "a key is enrolled once: make a new key"
        )
    org, participant_id = identity.org, identity.participant_id
    if len(active_certificates(ctx.state, org, participant_id)) >= MAX_ACTIVE_KEYS:
        raise Conflict(
            f"{participant_id}@{org} holds {MAX_ACTIVE_KEYS} active keys: revoke one first"
        )
    ctx.state.put(
        cert_key(identity.cert_sha256),
        record(pem, identity, by=by, block_ts=ctx.block_ts, via=via, after=after),
    )
    ctx.state.put(
        participant_key(org, participant_id),
        {"cert_sha256": identity.cert_sha256, "role": str(identity.role)},
    )
    ctx.state.put(
        _index_prefix(org, participant_id) + identity.cert_sha256,
        {"cert_sha256": identity.cert_sha256},
    )
    ctx.state.put(
        _public_key_key(fingerprint),
        {"cert_sha256": identity.cert_sha256, "org": org, "id": participant_id},
    )


def revoke_certificate(ctx: Context, found: Record, reason: str) -> None:
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


def check_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        raise InvalidArgument("give a reason of 1 to 500 characters")
    return reason


def check_participant_id(value: object) -> str:
    try:
        return validate_name(value, "participant id")  # type: ignore[arg-type]
    except IdentityError as error:
        raise InvalidArgument(error.message) from error


# --- the tx functions' bodies (the Membership contract's methods call these) --------------


def enroll(ctx: Context, certificate: str) -> Record:
    """Set-up: an org admin enrols a certificate for someone who holds no active key."""
    identity = parse_certificate(certificate)
    require_admin_of(ctx, identity.org)
    check_issued(certificate, _org_ca(ctx.state, identity.org), ctx.block_ts)
    who = f"{identity.participant_id}@{identity.org}"
    if active_certificates(ctx.state, identity.org, identity.participant_id):
        raise Conflict(
            f"{who} holds keys already: a person adds their own keys (add_key); to re-key them, "
            "revoke their keys and invite them again"
        )
    enrol(ctx, certificate, identity, by=actor_of(ctx), via="enroll")
    return {"cert_sha256": identity.cert_sha256, "org": identity.org, "id": identity.participant_id}


def invite(ctx: Context, org: str, participant_id: str, role: str) -> Record:
    """An org admin authorizes ``participant_id@org`` to enrol a key of their own as ``role``."""
    require_admin_of(ctx, org)
    check_participant_id(participant_id)
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
    check_issued(certificate, _org_ca(ctx.state, org), ctx.block_ts)
    if active_certificates(ctx.state, org, participant_id):
        raise Conflict(f"{participant_id}@{org} holds keys already; the invitation is stale")
    after = invitation.get("after")
    enrol(
        ctx,
        certificate,
        identity,
        by=str(invitation["by"]),
        via="invitation",
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
    check_issued(certificate, _org_ca(ctx.state, identity.org), ctx.block_ts)
    try:
        check_possession(identity.public_key, identity.org, identity.participant_id, proof)
    except IdentityError as error:
        raise InvalidArgument(error.message) from error
    enrol(ctx, certificate, identity, by=actor_of(ctx), via="add_key")
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
    check_reason(reason)
    if own and len(active_certificates(ctx.state, org, participant_id)) == 1:
        raise Conflict(
            "this is your last active key: without it you could sign nothing",
            hint="ask your org admin to re-key you (a password reset) instead",
        )
    revoke_certificate(ctx, found, reason)
    return {"revoked": cert_sha256}


def revoke_participant(
    ctx: Context, org: str, participant_id: str, reason: str, reinvite: bool
) -> Record:
    """An org admin revokes every active key of a person of their org (disabled, re-keyed);
    with ``reinvite`` the person may then enrol one new key of their own, and that key's
    record says it came after ``reason`` and whom."""
    require_admin_of(ctx, org)
    if (ctx.creator.org, ctx.creator.id) == (org, participant_id):
        raise NotPermitted("you cannot revoke all your own keys; ask another org admin")
    current = ctx.state.get(participant_key(org, participant_id))
    if not isinstance(current, dict):
        raise NotFound(f"there is no participant {participant_id}@{org} on this channel")
    check_reason(reason)
    revoked = []
    for found in active_certificates(ctx.state, org, participant_id):
        revoke_certificate(ctx, found, reason)
        revoked.append(str(found["cert_sha256"]))
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
                "replaces": list(revoked),
            },
        )
    return {"participant": f"{participant_id}@{org}", "revoked": revoked, "invited": reinvite}
