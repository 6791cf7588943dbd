"""The versions-by-time index also holds ``status`` and ``version``: the dashboard's open work
is read from the index alone.

The dashboard reads a project's 200 most recently changed versions on every view and keeps the
open ones; with (project_ref, updated_at, ref) each of those rows was also looked up in the
table for its status and name (~26 % of that read in the load benchmark).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_versions_project_ref_updated_at_ref"), table_name="versions")
    op.create_index(
        op.f("ix_versions_project_ref_updated_at_ref_status_version"),
        "versions",
        ["project_ref", "updated_at", "ref", "status", "version"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_versions_project_ref_updated_at_ref_status_version"), table_name="versions"
    )
    op.create_index(
        op.f("ix_versions_project_ref_updated_at_ref"),
        "versions",
        ["project_ref", "updated_at", "ref"],
    )
