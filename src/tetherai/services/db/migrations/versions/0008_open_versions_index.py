"""An index that lists a project's most recently changed versions without sorting them all.

The dashboard asks for the most recently changed open versions of each readable project on
every view; with only (project_ref, status), every open version of the project was read and
sorted to show the newest 200.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_versions_project_ref_updated_at"), "versions", ["project_ref", "updated_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_versions_project_ref_updated_at"), table_name="versions")
