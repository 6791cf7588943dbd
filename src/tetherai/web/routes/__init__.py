"""The page routers, in the order they are included. A page module appends its router here."""

from __future__ import annotations

from fastapi import APIRouter

from tetherai.web.routes.account import router as account_pages
from tetherai.web.routes.admin import router as admin_pages
from tetherai.web.routes.audit import router as audit_pages
from tetherai.web.routes.channel import router as channel_pages
from tetherai.web.routes.dashboard import router as dashboard_pages
from tetherai.web.routes.ledger import router as ledger_pages
from tetherai.web.routes.profile import router as profile_pages
from tetherai.web.routes.projects import router as project_pages
from tetherai.web.routes.version_create import router as version_create_pages
from tetherai.web.routes.versions import router as version_pages

PAGE_ROUTERS: list[APIRouter] = [
    account_pages,
    dashboard_pages,
    project_pages,
    admin_pages,
    channel_pages,
    profile_pages,
    version_create_pages,  # "/versions/new" before "/versions/{version}"
    version_pages,
    audit_pages,
    ledger_pages,
]
