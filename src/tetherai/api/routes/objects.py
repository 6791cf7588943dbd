"""``/api/v1/objects``: upload and download artifacts; re-hash a version's artifacts (DESIGN.md §6).

Files never go on the ledger: an upload is hashed while it streams into the object store and
answers with the pointer and digest a manifest entry needs; a download is checked against its
digest while it streams, and the connection is cut rather than finished when the content does
not match.

Possession, not knowledge (``services.possession``): an upload records that its uploader holds
the bytes; a download is served only to a holder or to a reader of a version grounded on them,
and anyone else — whether or not the object exists — gets the same "no object" answer.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from tetherai.api.schemas import ERRORS
from tetherai.contracts import calls
from tetherai.crypto.digest import is_sha256_hex
from tetherai.http.auth import acting_signer, current_user, require_project_access
from tetherai.http.errors import ApiError
from tetherai.http.runtime import runtime
from tetherai.identity.roles import Role
from tetherai.services.access import viewer_of
from tetherai.services.auth import UserInfo
from tetherai.services.runtime import Runtime
from tetherai.services.txs import Signer
from tetherai.storage import ObjectNotFound, VerificationReport, VerifyingReader

router = APIRouter(prefix="/api/v1", tags=["artifacts"], responses=ERRORS)
Rt = Annotated[Runtime, Depends(runtime)]
Me = Annotated[UserInfo, Depends(current_user)]

_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_CHUNK = 1024 * 1024


@router.post(
    "/objects",
    summary="Upload a file (the request body); answers its URI, SHA-256 and size",
    status_code=201,
)
async def upload(request: Request, rt: Rt, user: Me) -> dict[str, Any]:
    if user.role == Role.AUDITOR:
        raise ApiError(403, "auditors only read", code="auth.not_permitted")
    limit = rt.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(
            413, f"the upload is {declared} bytes; the limit is {limit}", code="request.too_large"
        )
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - closed below
    try:
        # The limits middleware counts the streamed bytes against the same limit (a chunked
        # body has no Content-Length to check above) and stops the read past it.
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        stored = await run_in_threadpool(rt.upload, spool, user.org, user.username)  # type: ignore[arg-type]
    finally:
        spool.close()
    return {"uri": stored.uri, "sha256": stored.sha256, "size": stored.size}


@router.get(
    "/objects/{sha256}", summary="Download an object, checked against its digest as it streams"
)
def download(
    sha256: str,
    rt: Rt,
    user: Me,
    version: Annotated[
        str | None,
        Query(
            max_length=300,
            description="the version (<org>/<project>/<version>) that lists the object, "
            "e.g. a draft or a folder artifact's file",
        ),
    ] = None,
) -> StreamingResponse:
    if not is_sha256_hex(sha256):
        raise ApiError(
            422, "give the object's SHA-256 as 64 lowercase hex characters", code="request.invalid"
        )
    if not rt.possession.fetch(rt.reader(), viewer_of(user), sha256, version):
        raise _no_object(sha256)
    uri = rt.artifacts.store.uri_for(sha256)
    try:
        size = rt.artifacts.store.size(uri)
        stream = rt.artifacts.store.open(uri)
    except ObjectNotFound:  # its message names where the store is on the server: not for clients
        raise _no_object(sha256) from None
    reader = VerifyingReader(stream, expected_sha256=sha256, expected_size=size, what=uri)

    def chunks() -> Iterator[bytes]:
        # One chunk is held back until the next is read: the last one goes out only after the
        # digest checked, so a mismatch cuts the connection short of Content-Length.
        try:
            held = reader.read(_CHUNK)
            while held:
                following = reader.read(_CHUNK)
                if not following:
                    reader.read()  # end of stream: raises DigestMismatch on a difference
                yield held
                held = following
        finally:
            stream.close()

    headers = {"Content-Length": str(size), "X-Content-SHA256": sha256}
    return StreamingResponse(chunks(), media_type="application/octet-stream", headers=headers)


def _no_object(sha256: str) -> ApiError:
    """The one answer for an object that is not there and one the caller may not have."""
    return ApiError(
        404,
        f"no object {sha256} you may read",
        code="storage.not_found",
        hint="upload it, or download it through a version you may read (?version=…)",
    )


@router.post(
    "/projects/{org}/{slug}/versions/{version}/rehash",
    summary="Re-hash the version's artifacts from the object store; optionally record the verification",
)
async def rehash(
    org: str,
    slug: str,
    version: str,
    rt: Rt,
    me: Annotated[Signer, Depends(acting_signer)],
    user: Annotated[UserInfo, Depends(current_user)],  # the same session's person
    record: Annotated[
        bool, Query(description="also record it with review.verify (MLOps engineers)")
    ] = False,
) -> dict[str, Any]:
    project = f"{org}/{slug}"

    def check_and_rehash() -> VerificationReport:
        require_project_access(rt, user, project)
        found = rt.peer.query("model_version", "get", {"project": project, "version": version})
        content = found["version"] if isinstance(found, dict) else None
        manifest = content.get("artifacts") if isinstance(content, dict) else None
        if not isinstance(manifest, list):
            raise ApiError(
                404, f"project {project} has no version {version}", code="contract.not_found"
            )
        return rt.rehash(f"{project}/{version}", [e for e in manifest if isinstance(e, dict)])

    # Async: the checks and the hashing run in the thread pool; the wait for the block of the
    # recorded verification holds no thread.
    report = await run_in_threadpool(check_and_rehash)
    answer: dict[str, Any] = {"report": report.to_json()}
    if record:
        call = calls.verify(project, version, report.recomputed(), method="store")
        result = await rt.act_async(me, call.contract, call.fn, call.args)
        answer["verification"] = {"tx_id": result.tx_id, "result": result.result}
    return answer
