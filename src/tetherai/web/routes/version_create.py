"""Register a model version from the browser (the "create a version" page).

The form works without JavaScript (a multipart POST); with it, ``upload.js`` shows the upload's
progress. Each artifact row is either a file, hashed while it streams into the object store
(``ObjectStore.put``, one read), or an object-store URI hashed where it is
(``Artifacts.build_manifest``); an experiment log becomes an experiment record
(``read_experiment_log``) and a ``log`` artifact. Nothing is registered unless every file and
URI was stored and hashed: the ``model_version.create`` tx is signed last.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from starlette.datastructures import UploadFile

from tetherai.contracts import calls
from tetherai.contracts.calls import Call
from tetherai.contracts.commits import check_commit
from tetherai.errors import TetherError
from tetherai.http.auth import require_project_access
from tetherai.http.errors import ApiError, status_for
from tetherai.names import is_name
from tetherai.services.auth import UserInfo
from tetherai.services.db import VersionProjection
from tetherai.services.experiment_logs import read_experiment_log
from tetherai.services.runtime import Runtime
from tetherai.services.txs import Signer
from tetherai.storage import ArtifactSpec
from tetherai.vocabulary import REPLACEABLE
from tetherai.web.i18n import gettext
from tetherai.web.pages import Form, PageForm, PageUser, error_page, redirect, render, runtime_of
from tetherai.web.routes._abilities import may_register

router = APIRouter(include_in_schema=False)  # pages: not in the API description

ROW_KINDS = ("model", "train_dataset", "test_dataset", "code")
"""The kind each row of the form starts with (one row each)."""
ARTIFACT_ROWS = len(ROW_KINDS)
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class _Row:
    kind: str
    name: str
    upload: UploadFile | None
    uri: str


def _failed_versions(rt: Runtime, project: str) -> list[str]:
    """Versions a new one may replace (review failed), newest first, from the projections."""
    if rt.projections is None:
        return []
    with rt.projections() as session:
        rows = session.scalars(
            select(VersionProjection.version)
            .where(
                VersionProjection.project_ref == project,
                VersionProjection.status.in_(REPLACEABLE),
            )
            .order_by(VersionProjection.updated_at.desc())
            .limit(50)
        )
        return list(rows)


@router.get("/projects/{org}/{slug}/versions/new")
def new_version_page(
    request: Request, user: PageUser, org: str, slug: str, replaces: str = ""
) -> Response:
    rt = runtime_of(request)
    project = f"{org}/{slug}"
    require_project_access(rt, user, project)
    allowed, reason = may_register(rt, user, project)
    if not allowed:
        return error_page(
            request,
            403,
            gettext("You cannot register versions here: %(reason)s") % {"reason": reason},
            code="contract.not_permitted",
            back=f"/projects/{project}",
        )
    return render(
        request,
        "versions/new.html",
        project=project,
        row_kinds=ROW_KINDS,
        failed=_failed_versions(rt, project),
        replaces=replaces,
    )


def _rows(form_data: Any) -> list[_Row]:
    rows = []
    for index in range(ARTIFACT_ROWS):
        upload = form_data.get(f"file_{index}")
        if not isinstance(upload, UploadFile) or not upload.filename:
            upload = None
        uri = str(form_data.get(f"uri_{index}") or "").strip()
        name = str(form_data.get(f"name_{index}") or "").strip()
        kind = str(form_data.get(f"kind_{index}") or "").strip()
        if upload is None and not uri:
            continue
        if upload is not None and uri:
            raise ApiError(
                422,
                gettext("Artifact row %(row)d has both a file and a URI; give one.")
                % {"row": index + 1},
                code="request.invalid",
            )
        if not name:
            name = (
                upload.filename
                if upload is not None and upload.filename
                else uri.rstrip("/").rsplit("/", 1)[-1]
            )
        calls.check_artifact_kind(kind, name)  # before anything is uploaded
        rows.append(_Row(kind, name, upload, uri))
    return rows


def _store_rows(rt: Runtime, user: UserInfo, rows: list[_Row]) -> list[dict[str, Any]]:
    """Hash (and store) every artifact; raises before anything is registered."""
    manifest: list[dict[str, Any]] = []
    for row in rows:
        if row.upload is not None:
            row.upload.file.seek(0)
            stored = rt.upload(row.upload.file, user.org, user.username)
            manifest.append(
                {
                    "kind": row.kind,
                    "name": row.name,
                    "uri": stored.uri,
                    "size": stored.size,
                    "sha256": stored.sha256,
                }
            )
        else:
            built = rt.hash_in_place(
                [ArtifactSpec(row.kind, row.name, row.uri)], user.org, user.username
            )
            manifest.extend(entry for entry in built if isinstance(entry, dict))
    return manifest


def _experiment(
    rt: Runtime, user: UserInfo, upload: UploadFile, name: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The experiment record of an uploaded training log, and the log as an artifact."""
    filename = upload.filename or "log.jsonl"
    # Saved under its own name, made safe (the reader tells formats by name or content, and
    # names the log in its messages): no folders, no leading dot, nothing but [A-Za-z0-9._-].
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    safe = _UNSAFE_NAME_CHARS.sub("_", base).lstrip(".")[-200:] or "log"
    with tempfile.TemporaryDirectory(prefix="tether-log-") as folder:
        path = Path(folder) / safe
        upload.file.seek(0)
        with path.open("wb") as out:
            while chunk := upload.file.read(1024 * 1024):
                out.write(chunk)
        record = read_experiment_log(path, name=name or Path(filename).stem)
        with path.open("rb") as source:
            stored = rt.upload(source, user.org, user.username)
    log = {
        "kind": "log",
        "name": filename,
        "uri": stored.uri,
        "size": stored.size,
        "sha256": stored.sha256,
    }
    return dict(record.to_json()), log


def _prepare(rt: Runtime, form: PageForm, form_data: Any, project: str) -> tuple[Signer, Call]:
    """The checks and uploads before the tx: the person's key and the tx's call."""
    version = form.get("version")
    if not is_name(version):
        raise ApiError(
            422,
            gettext(
                "A version name is 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit."
            ),
            code="contract.bad_argument",  # as the contract would refuse it, before any upload
        )
    for field, label in (
        ("code_repo", gettext("the code repository")),
        ("commit", gettext("the commit")),
    ):
        if not form.get(field):
            raise ApiError(
                422, gettext("Fill in %(field)s.") % {"field": label}, code="contract.bad_argument"
            )
    commit = check_commit(form.get("commit"))  # before any upload is stored
    rows = _rows(form_data)
    artifacts = _store_rows(rt, form.user, rows)
    experiments: list[dict[str, Any]] = []
    log_upload = form_data.get("experiment_log")
    if isinstance(log_upload, UploadFile) and log_upload.filename:
        experiment, log = _experiment(rt, form.user, log_upload, form.get("experiment_name"))
        experiments.append(experiment)
        if all(a["name"] != log["name"] for a in artifacts):
            artifacts.append(log)
    call = calls.create_version(
        project,
        version,
        code_repo=form.get("code_repo"),
        commit=commit,
        notebook_version=form.get("notebook_version"),
        comment=form.get("comment"),
        artifacts=artifacts,
        experiments=experiments,
        replaces=form.get("replaces") or None,
        submit=form.get("submit") == "yes",
    )
    return form.signer(), call


def upload_limit(request: Request) -> None:
    """Refuse an upload larger than the server's limit before any of it is read (the API's
    ``POST /objects`` has the same limit). Declared before the form, so it runs first."""
    limit = runtime_of(request).settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(
            413,
            gettext("The upload is %(size)s bytes; the limit is %(limit)s.")
            % {"size": declared, "limit": limit},
            code="request.too_large",
        )


@router.post("/projects/{org}/{slug}/versions/new", dependencies=[Depends(upload_limit)])
async def create_version(request: Request, form: Form, org: str, slug: str) -> Response:
    rt = runtime_of(request)
    project = f"{org}/{slug}"
    back = f"/projects/{project}/versions/new"
    form_data = await request.form()  # parsed once by the CSRF check; files included
    try:
        require_project_access(rt, form.user, project)
        signer, call = await run_in_threadpool(_prepare, rt, form, form_data, project)
        # The wait for the block holds no worker thread.
        result = await rt.act_async(signer, call.contract, call.fn, call.args)
        version, tx_id = str(call.args["version"]), result.tx_id
    except TetherError as error:
        return error_page(
            request, status_for(error), error.message, hint=error.hint, code=error.code, back=back
        )
    finally:
        await form_data.close()  # the uploads' spooled temp files
    return redirect(
        request,
        f"/projects/{project}/versions/{version}",
        flash=gettext("Version %(version)s registered in tx %(tx)s.")
        % {"version": version, "tx": tx_id[:12]},
        tx=tx_id,
    )
