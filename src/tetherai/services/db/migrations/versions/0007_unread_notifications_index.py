"""An index that answers "how many unread notifications" from the index alone.

The dashboard and the notification badge count a person's unread notifications of the
projects they may read on every view; with only (user_id, id) every one of the person's
notifications was read from the table.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_notifications_user_id_read_at_project_ref"),
        "notifications",
        ["user_id", "read_at", "project_ref"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_notifications_user_id_read_at_project_ref"), table_name="notifications")
