"""``/api/v1/ledger``: summary, blocks, txs, proofs and checkpoints (read-only).

Txs, blocks, proofs and key history go through ``services.ledger_views``: the one visibility
rule decides what the caller sees, and a tx they may not see answers as one that is not there.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from tetherai.api._http import cached_json
from tetherai.api.schemas import ERRORS
from tetherai.http.auth import current_user
from tetherai.http.errors import ApiError
from tetherai.http.runtime import runtime
from tetherai.ledger.tlog_proof import format_tlog_proof
from tetherai.services import ledger_views
from tetherai.services.access import viewer_of
from tetherai.services.auth import UserInfo
from tetherai.services.runtime import Runtime

router = APIRouter(
    prefix="/api/v1/ledger", tags=["ledger"], responses=ERRORS, dependencies=[Depends(current_user)]
)
Rt = Annotated[Runtime, Depends(runtime)]
_MAX_INT = 2**63 - 1
"""The largest number SQLite stores: larger ones are refused as input, not a server error."""
Me = Annotated[UserInfo, Depends(current_user)]


@router.get("", summary="Ledger summary: height, txs, roots, latest checkpoint")
async def summary(request: Request, rt: Rt) -> Response:
    body = rt.cached_ledger_summary() or await run_in_threadpool(rt.ledger_summary)
    return cached_json(request, body)


@router.get("/blocks", summary="Blocks, newest first (cursor pagination)")
def blocks(
    request: Request,
    rt: Rt,
    user: Me,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    before: Annotated[
        int | None, Query(ge=0, description="list blocks numbered below this")
    ] = None,
) -> Response:
    store = rt.reader()
    end = store.height if before is None else min(before, store.height)
    start = max(0, end - limit)
    items = list(reversed(ledger_views.block_summaries(store, start, end - start, viewer_of(user))))
    body: dict[str, Any] = {"items": items, "next": str(start) if start > 0 else None}
    return cached_json(request, body)


@router.get(
    "/blocks/{number}",
    summary="One block: header, orderer signature and its txs (others' as their hash only)",
)
def block(
    request: Request, rt: Rt, user: Me, number: Annotated[int, Path(ge=0, le=_MAX_INT)]
) -> Response:
    found = ledger_views.block_view(rt.reader(), number, viewer_of(user))
    if found is None:
        raise ApiError(404, f"there is no block {number}", code="ledger.not_found")
    return cached_json(request, found)


@router.get(
    "/txs/{tx_id}", summary="One tx: who called what, where it is, valid or why not, its writes"
)
def tx(request: Request, rt: Rt, user: Me, tx_id: str) -> Response:
    return cached_json(request, ledger_views.visible_tx(rt.reader(), tx_id, viewer_of(user)))


@router.get(
    "/txs/{tx_id}/proof",
    summary="Inclusion proof against the latest signed checkpoint (C2SP tlog-proof)",
    response_model=None,
)
def proof(rt: Rt, user: Me, tx_id: str) -> dict[str, Any]:
    tlog = ledger_views.visible_tx_proof(rt.reader(), tx_id, viewer_of(user))
    return {
        "tx_id": tx_id,
        "index": tlog.index,
        "proof": [node.hex() for node in tlog.hashes],
        "checkpoint": tlog.checkpoint_note,
        "leaf": (tlog.extra or b"").decode(),
        "tlog_proof": format_tlog_proof(tlog),
    }


@router.get("/checkpoints/latest", summary="The latest checkpoint, a C2SP signed note")
def latest_checkpoint(request: Request, rt: Rt) -> Response:
    found = rt.reader().latest_checkpoint()
    if found is None:
        raise ApiError(404, "no checkpoint yet", code="ledger.not_found")
    size, number, note = found
    return cached_json(request, {"block": number, "size": size, "note": note})


@router.get(
    "/keys", summary="Public keys of the channel's orderers and peers (vkeys for checkpoints)"
)
def keys(request: Request, rt: Rt) -> Response:
    from tetherai.ledger.checkpoint import CosignatureVerifier, NoteVerifier

    state = rt.reader()
    rules = rt.peer.rules
    return cached_json(
        request,
        {
            "origin": f"tetherai/{rt.node.channel}",
            "orderers": [NoteVerifier(n.name, n.public_key).vkey for n in rules.orderers(state)],
            "peers": [CosignatureVerifier(n.name, n.public_key).vkey for n in rules.peers(state)],
        },
    )


@router.get(
    "/state/history",
    summary="GetHistoryForKey: every write of one state key, with tx, block and time",
)
def key_history(
    request: Request,
    rt: Rt,
    user: Me,
    key: Annotated[
        str, Query(min_length=1, max_length=512, description="a state key, e.g. workflow/Org1/p/v1")
    ],
) -> Response:
    history = ledger_views.key_history(rt.reader(), key, viewer_of(user))
    return cached_json(request, {"key": key, "history": history})


@router.post(
    "/verify",
    summary="Replay the whole ledger now and report (org admins and auditors)",
    response_model=None,
)
def verify_now(rt: Rt, user: Me) -> dict[str, Any]:
    return rt.verify_ledger(user)


@router.get(
    "/verify",
    summary="The result of the last full verification (null if none ran yet)",
    response_model=None,
)
def verification_status(rt: Rt, user: Me) -> dict[str, Any] | None:
    return ledger_views.verification_view(rt.last_verification, rt.reader(), viewer_of(user))
