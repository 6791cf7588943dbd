"""The versions-by-time index also holds ``ref``, so it gives the dashboard's whole order.

Versions changed in the same block share their time; with only (project_ref, updated_at),
every version of such a group was read and sorted by ``ref`` to show the newest 200 (all of
them, where a clock stood still or one block registered many).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_versions_project_ref_updated_at"), table_name="versions")
    op.create_index(
        op.f("ix_versions_project_ref_updated_at_ref"),
        "versions",
        ["project_ref", "updated_at", "ref"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_versions_project_ref_updated_at_ref"), table_name="versions")
    op.create_index(
        op.f("ix_versions_project_ref_updated_at"), "versions", ["project_ref", "updated_at"]
    )
