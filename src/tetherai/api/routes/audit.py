"""Audit bundles, reports and interop exports of a project or a version.

Same access rule as the project's other reads (a project the caller may not read answers 404).
The bundle is what an auditor verifies offline; the reports and exports are built from that
same bundle after verifying it here, so they never show more than the bundle proves.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import HTMLResponse, JSONResponse

from tetherai.api.schemas import ERRORS
from tetherai.api.security_headers import document_policy
from tetherai.auditverify import Verdict, verify_bundle
from tetherai.http.auth import current_user, require_project_access
from tetherai.http.errors import ApiError
from tetherai.http.runtime import runtime
from tetherai.services.audit_bundle import AuditError, BundleRequest, export_bundle
from tetherai.services.auth import UserInfo
from tetherai.services.reports import render_html, render_pdf, report_content
from tetherai.services.reports.interop import export as interop_export
from tetherai.services.runtime import Runtime

router = APIRouter(
    prefix="/api/v1/projects/{org}/{slug}",
    tags=["audit"],
    responses=ERRORS,
    dependencies=[Depends(current_user)],
)
Rt = Annotated[Runtime, Depends(runtime)]
Me = Annotated[UserInfo, Depends(current_user)]
Since = Annotated[
    str | None,
    Query(
        max_length=20_000,
        description="A signed checkpoint note you hold: the bundle adds the consistency proof from it.",
    ),
]


def _bundle(
    rt: Runtime, user: UserInfo, org: str, slug: str, version: str | None, since: str | None
) -> bytes:
    project = f"{org}/{slug}"
    require_project_access(rt, user, project)
    if version is not None:  # an unknown version answers 404 like the version's other reads
        rt.peer.query("model_version", "get", {"project": project, "version": version})
    try:
        return export_bundle(rt.reader(), rt.node.channel, BundleRequest(project, version, since))
    except AuditError as error:
        status = 404 if error.code == "audit.not_found" else 422
        raise ApiError(status, error.message, code=error.code, hint=error.hint or None) from error


def _attachment(data: bytes, name: str, media: str) -> Response:
    return Response(
        data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _name(org: str, slug: str, version: str | None) -> str:
    return "-".join(part for part in (org, slug, version) if part)


def _verified(rt: Runtime, user: UserInfo, org: str, slug: str, version: str | None) -> Verdict:
    return verify_bundle(_bundle(rt, user, org, slug, version, None))


@router.get("/audit-bundle", summary="The project's audit bundle (verify it offline)")
def project_bundle(rt: Rt, user: Me, org: str, slug: str, since: Since = None) -> Response:
    data = _bundle(rt, user, org, slug, None, since)
    return _attachment(data, f"{_name(org, slug, None)}-audit-bundle.json", "application/json")


@router.get(
    "/versions/{version}/audit-bundle", summary="A version's audit bundle (verify it offline)"
)
def version_bundle(
    rt: Rt, user: Me, org: str, slug: str, version: str, since: Since = None
) -> Response:
    data = _bundle(rt, user, org, slug, version, since)
    return _attachment(data, f"{_name(org, slug, version)}-audit-bundle.json", "application/json")


@router.get(
    "/audit-report.html", summary="The project's audit report (HTML)", response_class=HTMLResponse
)
def project_report_html(rt: Rt, user: Me, org: str, slug: str) -> Response:
    return _report(render_html(report_content(_verified(rt, user, org, slug, None))))


@router.get("/audit-report.pdf", summary="The project's audit report (PDF)")
def project_report_pdf(rt: Rt, user: Me, org: str, slug: str) -> Response:
    pdf = render_pdf(report_content(_verified(rt, user, org, slug, None)))
    return _attachment(pdf, f"{_name(org, slug, None)}-audit-report.pdf", "application/pdf")


@router.get(
    "/versions/{version}/audit-report.html",
    summary="A version's audit report (HTML)",
    response_class=HTMLResponse,
)
def version_report_html(rt: Rt, user: Me, org: str, slug: str, version: str) -> Response:
    return _report(render_html(report_content(_verified(rt, user, org, slug, version))))


def _report(html: str) -> HTMLResponse:
    """The report as a page: the site's policy, with the report's own inline style allowed by
    its hash (the report is one self-contained file, also when saved)."""
    return HTMLResponse(html, headers={"Content-Security-Policy": document_policy(html.encode())})


@router.get("/versions/{version}/audit-report.pdf", summary="A version's audit report (PDF)")
def version_report_pdf(rt: Rt, user: Me, org: str, slug: str, version: str) -> Response:
    pdf = render_pdf(report_content(_verified(rt, user, org, slug, version)))
    return _attachment(pdf, f"{_name(org, slug, version)}-audit-report.pdf", "application/pdf")


def _interop(rt: Runtime, user: UserInfo, org: str, slug: str, version: str, kind: str) -> Response:
    content = report_content(_verified(rt, user, org, slug, version))
    if not content.verdict.ok:
        raise ApiError(
            409,
            "the version's record does not verify; nothing is exported from it",
            code="audit.unverified",
            details={"problems": [p.message for p in content.verdict.problems]},
        )
    try:
        document = interop_export(content, kind)
    except AuditError as error:
        raise ApiError(
            404 if error.code == "audit.not_found" else 422, error.message, code=error.code
        ) from error
    return JSONResponse(document)


@router.get(
    "/versions/{version}/exports/intoto", summary="in-toto Statement v1 with SLSA provenance v1"
)
def export_intoto(rt: Rt, user: Me, org: str, slug: str, version: str) -> Response:
    return _interop(rt, user, org, slug, version, "intoto")


@router.get(
    "/versions/{version}/exports/model-signing", summary="OpenSSF model-signing v1.0 manifest"
)
def export_model_signing(rt: Rt, user: Me, org: str, slug: str, version: str) -> Response:
    return _interop(rt, user, org, slug, version, "model-signing")


@router.get("/versions/{version}/exports/cyclonedx", summary="CycloneDX 1.6 ML-BOM")
def export_cyclonedx(rt: Rt, user: Me, org: str, slug: str, version: str) -> Response:
    return _interop(rt, user, org, slug, version, "cyclonedx")
