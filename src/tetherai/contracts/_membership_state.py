"""The membership namespace of world state: its keys, records and how to read them (DESIGN.md §4).

Membership lives in world state so the verifier can judge every past tx by the membership of
its time. The membership contract (people: ``contracts.membership``), channel governance
(``contracts.governance``) and the ledger's view of members (``MembershipRules``) all read and
write these keys through this module, so the layout is written once:

- ``membership/channel``: the channel configuration: orderer and peer keys (``peers``; peers
  removed later move to ``retired_peers``), active contract versions, the approval rule for
  channel changes and the channel's limits;
- ``membership/org/<org>``: an org and its CA certificate; once removed, when, how and why;
- ``membership/cert/<cert_sha256>``: an enrolled certificate with org, id, role and, once
  revoked, when, by whom and why;
- ``membership/participant/<org>/<id>``: the participant's current certificate;
- ``membership/invitation/<org>/<id>``: an invitation not yet accepted;
- ``membership/proposal/<id>``: a proposed change of the channel and who approved it.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tetherai.contracts._common import Record
from tetherai.contracts.errors import InvalidArgument, NotFound, NotPermitted
from tetherai.crypto.jcs import JSONValue
from tetherai.identity.certificate import (
    ParticipantIdentity,
    load_certificate_pem,
    parse_participant_certificate,
    verify_issued_by,
    verify_org_ca,
)
from tetherai.identity.errors import IdentityError
from tetherai.identity.roles import Role
from tetherai.ledger.contract import Context
from tetherai.ledger.results import LEDGER_FORMATS
from tetherai.ledger.state import StateReader
from tetherai.names import name_problem

__all__ = [
    "APPROVAL_RULES",
    "CHANNEL_KEY",
    "DEFAULT_APPROVAL",
    "GENESIS_VERSION",
    "LIMITS",
    "MEMBERSHIP",
    "MEMBERSHIP_VERSION",
    "CertificateCache",
    "actor_of",
    "approval_rule",
    "cert_key",
    "certificate_record",
    "channel_limit",
    "check_issued",
    "check_limit",
    "check_name",
    "check_org_ca",
    "decode_node_key",
    "enrol",
    "invitation_key",
    "is_member",
    "member_orgs",
    "new_channel_config",
    "node_org",
    "org_key",
    "org_record",
    "parse_certificate",
    "participant_key",
    "proposal_key",
    "read_channel",
    "require_admin_of",
    "timestamp",
]

CHANNEL_KEY = "membership/channel"
MEMBERSHIP = "membership"
MEMBERSHIP_VERSION = "2"
"""The membership version with channel governance (version 1 is kept for older channels)."""
GENESIS_VERSION = "1"
"""The version that runs a genesis tx (every version shares it: ``contracts._genesis``)."""

# How many member orgs' admins must approve a change of the channel (Fabric's implicit-meta
# rules over the orgs' Admins): one of them, more than half, or all. "Satisfiable" is what
# matters: each is met by the admins of the member orgs, and every member org keeps an admin.
APPROVAL_RULES = ("ANY", "MAJORITY", "ALL")
DEFAULT_APPROVAL = "MAJORITY"

_HOUR_MS = 3600 * 1000
# The channel's limits: name -> (lowest, highest, default). A proposal must stay open long
# enough for other orgs to approve it, so its lifetime has a floor.
LIMITS: dict[str, tuple[int, int, int]] = {
    "max_skew_ms": (1000, 24 * _HOUR_MS, 5 * 60 * 1000),
    "proposal_ttl_ms": (_HOUR_MS, 90 * 24 * _HOUR_MS, 7 * 24 * _HOUR_MS),
}


def org_key(org: str) -> str:
    return f"membership/org/{org}"


def cert_key(cert_sha256: str) -> str:
    return f"membership/cert/{cert_sha256}"


def participant_key(org: str, participant_id: str) -> str:
    return f"membership/participant/{org}/{participant_id}"


def invitation_key(org: str, participant_id: str) -> str:
    return f"membership/invitation/{org}/{participant_id}"


def proposal_key(proposal: str) -> str:
    return f"membership/proposal/{proposal}"


def timestamp(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def actor_of(ctx: Context) -> str:
    return f"{ctx.creator.id}@{ctx.creator.org}"


def check_name(value: object, what: str) -> str:
    """The one name rule (:mod:`tetherai.names`), refused as a contract argument."""
    problem = name_problem(value, what)
    if problem is not None:
        raise InvalidArgument(problem)
    assert isinstance(value, str)
    return value


# -- certificates ------------------------------------------------------------------------------


class CertificateCache:
    """Parsed certificates by PEM text: parsing X.509 is slow and a certificate never changes."""

    def __init__(self) -> None:
        self._parsed: dict[str, ParticipantIdentity] = {}
        self._periods: dict[str, tuple[int, int]] = {}

    def parse(self, pem: str) -> ParticipantIdentity:
        found = self._parsed.get(pem)
        if found is None:
            found = parse_participant_certificate(load_certificate_pem(pem.encode()))
            self._parsed[pem] = found
        return found

    def valid_at(self, pem: str, ms: int) -> bool:
        """Whether the certificate is within its validity period at ``ms`` (ms since the
        epoch, as a tx's time), both ends included."""
        period = self._periods.get(pem)
        if period is None:
            identity = self.parse(pem)
            # X.509 times are whole seconds, so whole milliseconds compare exactly as the
            # datetimes did (and without building one per tx).
            period = self._periods[pem] = (_ms(identity.not_before), _ms(identity.not_after))
        return period[0] <= ms <= period[1]


def _ms(when: datetime) -> int:
    return round(when.timestamp() * 1000)


def load_pem(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.startswith("-----BEGIN CERTIFICATE-----"):
        raise InvalidArgument(f"{what} must be a PEM certificate")
    return value


def parse_certificate(pem: object) -> ParticipantIdentity:
    """A participant certificate, or :class:`InvalidArgument` saying what is wrong with it."""
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
            at=timestamp(block_ts),
        )
    except IdentityError as error:
        raise InvalidArgument(f"certificate refused: {error.message}") from error


def check_org_ca(org: str, ca_pem: object, block_ts: int) -> str:
    """``ca_pem`` is the self-signed CA certificate of ``org`` (subject ``O=<org>``)."""
    text = load_pem(ca_pem, "ca_cert")
    try:
        verify_org_ca(load_certificate_pem(text.encode()), org, at=timestamp(block_ts))
    except IdentityError as error:
        raise InvalidArgument(f"ca_cert refused: {error.message}") from error
    return text


def certificate_record(
    pem: str, identity: ParticipantIdentity, *, by: str, block_ts: int
) -> dict[str, JSONValue]:
    return {
        "cert": pem,
        "cert_sha256": identity.cert_sha256,
        "org": identity.org,
        "id": identity.participant_id,
        "role": str(identity.role),
        "enrolled_by": by,
        "enrolled_at": block_ts,
        "revoked": None,
    }


def enrol(ctx: Context, pem: str, identity: ParticipantIdentity, *, by: str) -> None:
    ctx.state.put(
        cert_key(identity.cert_sha256),
        certificate_record(pem, identity, by=by, block_ts=ctx.block_ts),
    )
    ctx.state.put(
        participant_key(identity.org, identity.participant_id),
        {"cert_sha256": identity.cert_sha256, "role": str(identity.role)},
    )


def require_admin_of(ctx: Context, org: str) -> None:
    if ctx.creator.role != Role.ORG_ADMIN or ctx.creator.org != org:
        raise NotPermitted(
            f"only an org admin of {org} may do this; you are {ctx.creator.role} of {ctx.creator.org}"
        )


# -- orgs ----------------------------------------------------------------------------------------


def org_record(state: StateReader, org: str) -> Record | None:
    record = state.get(org_key(org))
    return record if isinstance(record, dict) else None


def is_member(state: StateReader, org: str) -> bool:
    """``org`` is in the channel and was not removed."""
    record = org_record(state, org)
    return record is not None and record.get("removed") is None


def member_orgs(state: StateReader) -> list[str]:
    """The channel's current orgs, in name order."""
    return [
        str(value["org"])
        for _, value in state.scan("membership/org/")
        if isinstance(value, dict) and value.get("removed") is None
    ]


# -- the channel configuration --------------------------------------------------------------------


def read_channel(state: StateReader) -> Record:
    config = state.get(CHANNEL_KEY)
    if not isinstance(config, dict):
        raise NotFound("the channel is not bootstrapped")
    return config


def channel_limit(config: Record, name: str) -> int:
    """A limit of the channel; channels made before it existed have its default."""
    value = config.get(name)
    return value if type(value) is int else LIMITS[name][2]


def approval_rule(config: Record) -> str:
    value = config.get("approval")
    return value if isinstance(value, str) and value in APPROVAL_RULES else DEFAULT_APPROVAL


def node_org(entry: Record) -> str:
    """The org of an orderer or peer entry (genesis files before ``org`` was recorded: the
    ``<node>.<org>`` name says it)."""
    org = entry.get("org")
    return str(org) if isinstance(org, str) else str(entry.get("name", "")).rpartition(".")[2]


def decode_node_key(value: object, name: str) -> bytes:
    """A node's key: a raw Ed25519 public key in base64."""
    try:
        raw = base64.b64decode(str(value), validate=True)
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as error:
        raise InvalidArgument(
            f"bad public key for {name}: a base64 Ed25519 key is needed"
        ) from error
    return raw


def check_limit(name: str, value: object) -> int:
    low, high, _ = LIMITS[name]
    if type(value) is not int or not low <= value <= high:
        raise InvalidArgument(f"{name} must be an integer from {low} to {high} (milliseconds)")
    return value


def new_channel_config(channel: dict[str, Any]) -> dict[str, JSONValue]:
    """The genesis tx's channel configuration, checked."""
    required = {"name", "orderers", "peers", "contracts"}
    if not required <= set(channel):
        raise InvalidArgument(f"channel config needs {', '.join(sorted(required))}")
    check_name(channel["name"], "channel")
    names: set[str] = set()
    for entry in [*channel["orderers"], *channel["peers"]]:
        if not isinstance(entry, dict) or not {"name", "public_key"} <= set(entry):
            raise InvalidArgument("each orderer and peer needs a name and an Ed25519 public_key")
        name = check_name(entry["name"], "node name")
        if name in names:
            raise InvalidArgument(f"two nodes are named {name}")
        names.add(name)
        decode_node_key(entry["public_key"], name)
    contracts = channel["contracts"]
    if not isinstance(contracts, dict) or not all(
        isinstance(version, str) for version in contracts.values()
    ):
        raise InvalidArgument("contracts must map each contract to its version")
    config: dict[str, JSONValue] = {
        "name": channel["name"],
        "orderers": channel["orderers"],
        "peers": channel["peers"],
        "contracts": contracts,
        "max_skew_ms": check_limit(
            "max_skew_ms", channel.get("max_skew_ms", LIMITS["max_skew_ms"][2])
        ),
    }
    # What channels made before these settings existed did not name must stay unwritten: their
    # genesis replays to the same writes. Readers take the default of what is absent.
    if "approval" in channel:
        if channel["approval"] not in APPROVAL_RULES:
            raise InvalidArgument(f"approval must be one of {', '.join(APPROVAL_RULES)}")
        config["approval"] = channel["approval"]
    if "proposal_ttl_ms" in channel:
        config["proposal_ttl_ms"] = check_limit("proposal_ttl_ms", channel["proposal_ttl_ms"])
    if "ledger_format" in channel:
        ledger_format = channel["ledger_format"]
        if type(ledger_format) is not int or ledger_format not in LEDGER_FORMATS:
            raise InvalidArgument(
                f"ledger_format must be one of {', '.join(map(str, LEDGER_FORMATS))}"
            )
        config["ledger_format"] = ledger_format
    return config
