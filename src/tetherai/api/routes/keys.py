"""``/api/v1/me/keys``: my keys — the web key this server keeps sealed for me and the CLI/SDK
keys I hold — as the ledger records them (``services.keys``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import Field

from tetherai.api._http import Cursor, Limit, offset_page
from tetherai.api.schemas import ERRORS
from tetherai.http.auth import acting_signer, current_session, current_user
from tetherai.http.bodies import In
from tetherai.http.runtime import runtime
from tetherai.services import keys
from tetherai.services.auth import SessionInfo, UserInfo
from tetherai.services.runtime import Runtime
from tetherai.services.txs import Signer

router = APIRouter(prefix="/api/v1/me/keys", tags=["people"], responses=ERRORS)
Rt = Annotated[Runtime, Depends(runtime)]
Me = Annotated[UserInfo, Depends(current_user)]
Signing = Annotated[Signer, Depends(acting_signer)]
Session = Annotated[SessionInfo, Depends(current_session)]
CertSha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]


class KeyIn(In):
    name: str = Field(min_length=1, max_length=100)
    public_key_pem: str = Field(min_length=1, max_length=4000)
    proof: str = Field(
        min_length=1,
        max_length=200,
        description="base64 signature, by the key registered, of the possession statement "
        "(tetherai.identity.possession): proves you hold it",
    )


class RevokeIn(In):
    reason: str = Field(min_length=1, max_length=500)


@router.post(
    "",
    summary="Register a public key you hold (CLI/SDK), with proof of possession: certified "
    "and enrolled by your web key; your other keys are untouched",
    status_code=201,
)
async def register_key(body: KeyIn, rt: Rt, signer: Signing, session: Session) -> dict[str, Any]:
    key, pem, tx_id = await keys.register_key(
        rt,
        rt.custody,
        signer,
        session.user,
        name=body.name,
        public_key_pem=body.public_key_pem,
        proof=body.proof,
    )
    return key.to_json() | {"certificate_pem": pem, "enrolled_tx": tx_id}


@router.get(
    "",
    summary="My keys as the ledger records them (revoked ones say when and why)",
    response_model=None,
)
def list_keys(rt: Rt, user: Me, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    items = [key.to_json() for key in keys.list_keys(rt, rt.custody, user)]
    return offset_page(items, limit, cursor)


@router.post(
    "/{cert_sha256}/revoke",
    summary="Revoke one of my CLI/SDK keys (signed by my web key); the others keep working",
)
async def revoke_key(
    cert_sha256: CertSha256, body: RevokeIn, rt: Rt, signer: Signing, session: Session
) -> dict[str, Any]:
    tx_id = await keys.revoke_key(rt, rt.custody, signer, session.user, cert_sha256, body.reason)
    return {"revoked": cert_sha256, "tx_id": tx_id}
