"""The ledger explorer: blocks, a block's txs, a tx, checkpoints.

Shows what the API's ledger routes serve, through the same visibility rule
(``services.ledger_views``): a tx the person may not see is "not found", and in a block it
shows as its hash only. Checkpoint
signatures are verified here against the channel's orderer and peer keys
(``ledger.checkpoint.open_note``), and each tx page has the in-page "prove" button.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi import APIRouter, Path, Query, Request, Response

from tetherai.http.errors import ApiError
from tetherai.ledger.checkpoint import CosignatureVerifier, NoteVerifier, open_note
from tetherai.ledger.errors import LedgerError
from tetherai.services import ledger_info, ledger_views
from tetherai.services.access import viewer_of
from tetherai.services.auth import UserInfo
from tetherai.services.ledger_info import NotFoundError
from tetherai.services.runtime import Runtime
from tetherai.web.i18n import gettext
from tetherai.web.pages import PageUser, redirect, render, runtime_of

router = APIRouter(include_in_schema=False)  # pages: not in the API description

BLOCKS_PER_PAGE = 20
CHECKPOINTS_SHOWN = 10
FIND_LIMIT = 20
"""Txs listed when a short id matches several."""
_MAX_INT = 2**63 - 1


@router.get("/ledger")
def ledger_page(
    request: Request,
    user: PageUser,
    before: int | None = Query(None, ge=0, le=_MAX_INT),
) -> Response:
    rt = runtime_of(request)
    store = rt.reader()
    height = store.height
    end = height if before is None else min(before, height)
    start = max(0, end - BLOCKS_PER_PAGE)
    blocks = list(
        reversed(ledger_views.block_summaries(store, start, end - start, viewer_of(user)))
    )
    return render(
        request,
        "ledger/blocks.html",
        summary=rt.ledger_summary(),
        blocks=blocks,
        older=f"/ledger?before={start}" if start > 0 else None,
        newer=f"/ledger?before={min(height, end + BLOCKS_PER_PAGE)}" if end < height else None,
        verification=ledger_views.verification_view(
            rt.last_verification, rt.reader(), viewer_of(user)
        ),
    )


@router.get("/ledger/blocks/{number}")
def block_page(request: Request, user: PageUser, number: int = Path(ge=0, le=_MAX_INT)) -> Response:
    rt = runtime_of(request)
    found = ledger_views.block_view(rt.reader(), number, viewer_of(user))
    if found is None:
        raise ApiError(
            404, gettext("There is no block %(n)d.") % {"n": number}, code="ledger.not_found"
        )
    return render(
        request,
        "ledger/block.html",
        number=found["number"],
        hash=found["hash"],
        header=found["header"],
        orderer_sig=found["orderer_sig"],
        state_root=found["state_root"],
        txs=found["txs"],
        previous=number - 1 if number > 0 else None,
        following=number + 1 if number + 1 < rt.reader().height else None,
    )


@router.get("/ledger/txs")
def find_tx(request: Request, user: PageUser, tx: str = "") -> Response:
    """The search form's target: a whole tx id, or a unique start of at least 8 hex digits
    (any case, spaces trimmed), leads to its page; several matches are listed. Only txs the
    person may read count (a short id never hints at another project's tx)."""
    rt = runtime_of(request)
    try:
        readable, more = ledger_views.find_visible_txs(
            rt.reader(), tx, viewer_of(user), limit=FIND_LIMIT
        )
    except ledger_info.BadTxId:
        raise ApiError(
            422,
            gettext("Enter a tx id, or at least its first %(n)d characters (0-9, a-f).")
            % {"n": ledger_info.SHORT_ID_LENGTH},
            code="request.invalid",
            hint=gettext("Copy it from an audit trail, a block or a message of this site."),
        ) from None
    prefix = tx.strip().lower()
    if not readable:
        raise ApiError(
            404,
            gettext("No tx on this ledger starts with %(prefix)s.") % {"prefix": prefix},
            code="ledger.not_found",
            hint=gettext("Check the characters, or find the tx in an audit trail."),
        )
    if len(readable) == 1:
        return redirect(request, f"/ledger/txs/{readable[0]['tx_id']}")
    return render(
        request,
        "ledger/found.html",
        prefix=prefix,
        txs=readable,
        more=more,
    )


def _readable_tx(rt: Runtime, user: UserInfo, tx_id: str) -> dict[str, Any]:
    """The tx, or "not found" when the person may not see it (the API's rule and answer)."""
    try:
        return ledger_views.visible_tx(rt.reader(), tx_id, viewer_of(user))
    except NotFoundError:
        raise ApiError(
            404,
            gettext("There is no tx %(tx)s on this ledger.") % {"tx": tx_id},
            code="ledger.not_found",
        ) from None


@router.get("/ledger/txs/{tx_id}")
def tx_page(
    request: Request, user: PageUser, tx_id: str = Path(pattern="^[0-9a-f]{64}$")
) -> Response:
    rt = runtime_of(request)
    detail = _readable_tx(rt, user, tx_id)
    tx = detail["tx"]
    assert isinstance(tx, dict)
    return render(
        request,
        "ledger/tx.html",
        detail=detail,
        tx=tx,
        args_json=json.dumps(tx.get("args"), indent=2, ensure_ascii=False, sort_keys=True),
        result_json=json.dumps(detail.get("result"), indent=2, ensure_ascii=False, sort_keys=True),
        writes=[
            {
                "key": w["key"],
                "deleted": w["deleted"],
                "value": json.dumps(w["value"], ensure_ascii=False, sort_keys=True),
            }
            for w in detail.get("writes") or []
            if isinstance(w, dict)
        ],
    )


def _signature_lines(note: str) -> list[dict[str, str]]:
    lines = []
    for line in note.rpartition("\n\n")[2].splitlines():
        name, _, encoded = line.removeprefix("— ").partition(" ")
        try:
            key_id = base64.b64decode(encoded)[:4].hex()
        except ValueError:
            key_id = "?"
        lines.append({"name": name, "key_id": key_id})
    return lines


def _checkpoint_view(rt: Runtime, size: int, block: int, note: str) -> dict[str, Any]:
    """A checkpoint's body, and for each signature line whether it verifies with the channel's keys."""
    state = rt.reader()
    rules = rt.peer.rules
    verifiers: list[NoteVerifier | CosignatureVerifier] = [
        NoteVerifier(n.name, n.public_key) for n in rules.orderers(state)
    ] + [CosignatureVerifier(n.name, n.public_key) for n in rules.peers(state)]
    signatures = _signature_lines(note)
    error = ""
    verified: set[str] = set()
    try:
        opened = open_note(note, verifiers)
        verified = set(opened.verified)
    except LedgerError as failure:
        error = failure.message
    kinds = {v.name: "orderer" if isinstance(v, NoteVerifier) else "peer" for v in verifiers}
    for line in signatures:
        line["kind"] = kinds.get(line["name"], "unknown")
        line["state"] = (
            "verified" if line["name"] in verified else ("failed" if error else "unknown")
        )
    body = note.rpartition("\n\n")[0] + "\n"
    lines = body.splitlines()
    return {
        "size": size,
        "block": block,
        "origin": lines[0] if lines else "",
        "root": base64.b64decode(lines[2]).hex() if len(lines) > 2 else "",
        "extensions": lines[3:],
        "note": note,
        "signatures": signatures,
        "error": error,
    }


@router.get("/ledger/checkpoints")
def checkpoints_page(request: Request, user: PageUser) -> Response:
    rt = runtime_of(request)
    store = rt.reader()
    # The newest few: every block has one, so a long ledger has many (verify checks them all).
    shown = store.checkpoints(newest=CHECKPOINTS_SHOWN)[::-1]
    keys = {
        "orderers": [
            NoteVerifier(n.name, n.public_key).vkey for n in rt.peer.rules.orderers(store)
        ],
        "peers": [
            CosignatureVerifier(n.name, n.public_key).vkey for n in rt.peer.rules.peers(store)
        ],
    }
    return render(
        request,
        "ledger/checkpoints.html",
        checkpoints=[_checkpoint_view(rt, *c) for c in shown],
        keys=keys,
    )
