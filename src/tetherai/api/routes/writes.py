"""Use-case routes that write: each one is a tx signed with the signed-in person's own key.

The route only passes the person's input to the use case's call builder
(:mod:`tetherai.contracts.calls`, which the pages and the SDK use too); the contracts decide
whether it is allowed: the call is run against the current state before the person's key signs
it, so a refusal comes back in the one error shape and nothing reaches the ledger (only a tx
that lost a race with another is recorded invalid, and its refusal names it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from tetherai.api.idempotency import Idem, Idempotency
from tetherai.api.schemas import ERRORS, TxOutcome
from tetherai.contracts import calls
from tetherai.contracts.calls import Call
from tetherai.http.auth import acting_signer, current_user, require_project_access
from tetherai.http.runtime import runtime
from tetherai.services.auth import UserInfo
from tetherai.services.runtime import Runtime
from tetherai.services.txs import Signer
from tetherai.vocabulary import MONITORING_STATUSES, RATING_MAX, RATING_MIN, VERIFICATION_METHODS

router = APIRouter(prefix="/api/v1", tags=["actions"], responses=ERRORS)
Rt = Annotated[Runtime, Depends(runtime)]
Outcome = dict[str, Any] | Response


@dataclass(frozen=True)
class _Acting:
    """The signed-in person (who signs, and as whom the access checks read) and the
    request's ``Idempotency-Key``."""

    signer: Signer
    user: UserInfo
    idem: Idempotency


async def _acting(
    signer: Annotated[Signer, Depends(acting_signer)],
    user: Annotated[UserInfo, Depends(current_user)],
    idem: Idem,
) -> _Acting:
    return _Acting(signer, user, idem)  # one session: the same person


Me = Annotated[_Acting, Depends(_acting)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _documented(**schema: Any) -> Any:
    """Bounds shown in the OpenAPI schema but left to the contracts to judge, so a refusal is
    the same whether it comes through the API, the pages or the SDK."""
    return Field(json_schema_extra=schema)


class ProjectIn(_In):
    name: str = _documented(minLength=1, maxLength=200)
    domain: str = ""
    details: str = ""


class ProjectChange(_In):
    name: str | None = None
    domain: str | None = None
    details: str | None = None


class MemberIn(_In):
    org: str
    id: str


class Reason(_In):
    reason: str = _documented(minLength=1, maxLength=2000)


class VersionIn(_In):
    version: str
    code_repo: str
    commit: str
    notebook_version: str = ""
    comment: str = ""
    artifacts: list[dict[str, Any]] = []
    experiments: list[dict[str, Any]] = []
    parents: list[dict[str, Any]] = []
    replaces: str | None = None
    submit: bool = False


class VersionChange(_In):
    code_repo: str | None = None
    commit: str | None = None
    notebook_version: str | None = None
    comment: str | None = None
    artifacts: list[dict[str, Any]] | None = None
    experiments: list[dict[str, Any]] | None = None


class TransitionIn(_In):
    to: str
    reason: str = ""
    details: dict[str, Any] | None = None


class VerificationIn(_In):
    artifacts: list[dict[str, Any]]
    reproduction: list[dict[str, Any]] | None = None
    metrics: dict[str, Any] | None = None
    method: str = Field("store", json_schema_extra={"enum": list(VERIFICATION_METHODS)})


class CommentIn(_In):
    text: str = _documented(minLength=1, maxLength=10000)
    reply_to: str | None = None


class RatingIn(_In):
    stars: int = _documented(minimum=RATING_MIN, maximum=RATING_MAX)
    note: str = ""


class VoteIn(_In):
    to: str
    approve: bool
    comment: str = ""


class DocumentIn(_In):
    name: str
    sha256: str
    uri: str = ""


class MonitoringIn(_In):
    status: str = _documented(enum=list(MONITORING_STATUSES))
    metrics: dict[str, float] | None = None
    note: str = ""
    other: str = ""


class RollbackIn(_In):
    version: str
    reason: str = _documented(minLength=1, maxLength=2000)


async def _do(rt: Runtime, me: _Acting, call: Call) -> Outcome:
    """The write: access check (ledger reads), then the tx, in one trip to the thread pool;
    the wait for its block holds no worker thread (the routes are async for that)."""
    project = call.project

    def access() -> None:
        if project is not None:
            # Someone who may not read a project must not learn from a refusal that it exists.
            require_project_access(rt, me.user, project)

    async def run() -> dict[str, Any]:
        result = await rt.act_async(me.signer, call.contract, call.fn, call.args, first=access)
        return {"tx_id": result.tx_id, "valid": True, "result": result.result}

    who = f"{me.signer.org}/{me.signer.id}"
    return await me.idem.respond(who, call.to_json(), run)


def _project(org: str, slug: str) -> str:
    return f"{org}/{slug}"


@router.post("/projects", summary="Create a project", status_code=201, response_model=TxOutcome)
async def create_project(body: ProjectIn, rt: Rt, me: Me) -> Outcome:
    call = calls.create_project(body.name, domain=body.domain, details=body.details)
    return await _do(rt, me, call)


@router.patch(
    "/projects/{org}/{slug}",
    summary="Change a project's name, domain or details",
    response_model=TxOutcome,
)
async def update_project(org: str, slug: str, body: ProjectChange, rt: Rt, me: Me) -> Outcome:
    return await _do(rt, me, calls.update_project(_project(org, slug), **body.model_dump()))


@router.post("/projects/{org}/{slug}/members", summary="Add a member", response_model=TxOutcome)
async def add_member(org: str, slug: str, body: MemberIn, rt: Rt, me: Me) -> Outcome:
    return await _do(rt, me, calls.add_member(_project(org, slug), body.org, body.id))


@router.post(
    "/projects/{org}/{slug}/members/{member_org}/{member_id}/remove",
    summary="Remove a member",
    response_model=TxOutcome,
)
async def remove_member(
    org: str, slug: str, member_org: str, member_id: str, body: Reason, rt: Rt, me: Me
) -> Outcome:
    call = calls.remove_member(_project(org, slug), member_org, member_id, body.reason)
    return await _do(rt, me, call)


@router.put(
    "/projects/{org}/{slug}/factsheet",
    summary="Set the purpose and AI factsheet",
    response_model=TxOutcome,
)
async def set_factsheet(org: str, slug: str, body: dict[str, Any], rt: Rt, me: Me) -> Outcome:
    return await _do(rt, me, calls.set_factsheet(_project(org, slug), body))


@router.put(
    "/projects/{org}/{slug}/policy", summary="Set the workflow policy", response_model=TxOutcome
)
async def set_policy(org: str, slug: str, body: dict[str, Any], rt: Rt, me: Me) -> Outcome:
    return await _do(rt, me, calls.set_policy(_project(org, slug), body))


@router.post(
    "/projects/{org}/{slug}/versions",
    summary="Register a version (draft, or submitted)",
    status_code=201,
    response_model=TxOutcome,
)
async def create_version(org: str, slug: str, body: VersionIn, rt: Rt, me: Me) -> Outcome:
    return await _do(rt, me, calls.create_version(_project(org, slug), **body.model_dump()))


@router.patch(
    "/projects/{org}/{slug}/versions/{version}", summary="Change a draft", response_model=TxOutcome
)
async def update_version(
    org: str, slug: str, version: str, body: VersionChange, rt: Rt, me: Me
) -> Outcome:
    return await _do(
        rt, me, calls.update_version(_project(org, slug), version, **body.model_dump())
    )


@router.post(
    "/projects/{org}/{slug}/versions/{version}/submit",
    summary="Submit a draft for review",
    response_model=TxOutcome,
)
async def submit_version(org: str, slug: str, version: str, rt: Rt, me: Me) -> Outcome:
    return await _do(rt, me, calls.submit_version(_project(org, slug), version))


@router.post(
    "/projects/{org}/{slug}/versions/{version}/transitions",
    summary="Move a version: submit, start_review, pass, fail, deploy, QA, production, …",
    response_model=TxOutcome,
)
async def transition(
    org: str, slug: str, version: str, body: TransitionIn, rt: Rt, me: Me
) -> Outcome:
    return await _do(rt, me, calls.transition(_project(org, slug), version, **body.model_dump()))


@router.post(
    "/projects/{org}/{slug}/rollback",
    summary="Put an earlier approved version back into production",
    response_model=TxOutcome,
)
async def rollback(org: str, slug: str, body: RollbackIn, rt: Rt, me: Me) -> Outcome:
    return await _do(rt, me, calls.rollback(_project(org, slug), body.version, body.reason))


_VERSION = "/projects/{org}/{slug}/versions/{version}"


@router.post(
    f"{_VERSION}/verifications",
    summary="Record recomputed digests; a mismatch fails the review",
    response_model=TxOutcome,
)
async def verify(
    org: str, slug: str, version: str, body: VerificationIn, rt: Rt, me: Me
) -> Outcome:
    return await _do(rt, me, calls.verify(_project(org, slug), version, **body.model_dump()))


@router.post(
    f"{_VERSION}/comments", summary="Comment, or answer a comment", response_model=TxOutcome
)
async def comment(org: str, slug: str, version: str, body: CommentIn, rt: Rt, me: Me) -> Outcome:
    return await _do(rt, me, calls.comment(_project(org, slug), version, **body.model_dump()))


@router.post(
    f"{_VERSION}/ratings",
    summary=f"Rate a version from {RATING_MIN} to {RATING_MAX} stars",
    response_model=TxOutcome,
)
async def rate(org: str, slug: str, version: str, body: RatingIn, rt: Rt, me: Me) -> Outcome:
    return await _do(rt, me, calls.rate(_project(org, slug), version, **body.model_dump()))


@router.post(
    f"{_VERSION}/votes",
    summary="Vote on a transition the policy puts to a vote",
    response_model=TxOutcome,
)
async def vote(org: str, slug: str, version: str, body: VoteIn, rt: Rt, me: Me) -> Outcome:
    return await _do(rt, me, calls.vote(_project(org, slug), version, **body.model_dump()))


@router.post(
    f"{_VERSION}/documents",
    summary="Attach a review document by its digest",
    response_model=TxOutcome,
)
async def attach_document(
    org: str, slug: str, version: str, body: DocumentIn, rt: Rt, me: Me
) -> Outcome:
    return await _do(
        rt, me, calls.attach_document(_project(org, slug), version, **body.model_dump())
    )


@router.post(f"{_VERSION}/monitoring", summary="Report on a live version", response_model=TxOutcome)
async def monitor(org: str, slug: str, version: str, body: MonitoringIn, rt: Rt, me: Me) -> Outcome:
    return await _do(rt, me, calls.monitor(_project(org, slug), version, **body.model_dump()))
