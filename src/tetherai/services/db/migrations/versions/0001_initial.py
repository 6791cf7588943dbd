"""Create the service database: people, sign-in, signing keys, ledger projections.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

Written out in full on purpose: a revision never imports the models, which will change after
it, so it creates exactly what it created the day it was written.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLES = "'ai_engineer', 'mlops_engineer', 'stakeholder', 'auditor', 'org_admin'"


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _string(name: str, length: int, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _integer(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _big(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"))


def _one_time_tokens(table: str) -> None:
    """Invitations and password resets: a hashed one-time token for a user, made by an admin."""
    op.create_table(
        table,
        _integer("id"),
        _string("token_sha256", 64),
        _integer("user_id"),
        _integer("created_by_id"),
        _time("created_at"),
        _time("expires_at"),
        _time("used_at", nullable=True),
        _user_fk(table, "created_by_id"),
        _user_fk(table, "user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("token_sha256", name=op.f(f"uq_{table}_token_sha256")),
    )
    op.create_index(op.f(f"ix_{table}_user_id"), table, ["user_id"])


def upgrade() -> None:
    # people and sign-in
    op.create_table(
        "orgs",
        _string("id", 64),
        _string("name", 200),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orgs")),
    )
    op.create_table(
        "users",
        _integer("id"),
        _string("username", 64),
        _string("display_name", 200),
        _string("org_id", 64),
        _string("role", 32),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _string("password_hash", 512, nullable=True),
        _integer("failed_logins"),
        _time("locked_until", nullable=True),
        _string("cert_sha256", 64, nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.CheckConstraint(f"role IN ({_ROLES})", name=op.f("ck_users_role")),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_users_org_id_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_org_id"), "users", ["org_id"])
    op.create_table(
        "login_throttles",
        _string("username", 200),
        _integer("failed_logins"),
        _time("locked_until", nullable=True),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_login_throttles")),
    )
    op.create_table(
        "browser_sessions",
        _string("id", 64),
        _integer("user_id"),
        _time("created_at"),
        _time("expires_at"),
        _time("last_seen_at"),
        _string("csrf_sha256", 64),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        _string("ip", 64, nullable=True),
        _time("revoked_at", nullable=True),
        _user_fk("browser_sessions", "user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_browser_sessions")),
    )
    op.create_index(op.f("ix_browser_sessions_user_id"), "browser_sessions", ["user_id"])
    op.create_table(
        "api_tokens",
        _integer("id"),
        _integer("user_id"),
        _string("name", 100),
        _string("token_sha256", 64),
        _string("prefix", 16),
        _time("created_at"),
        _time("expires_at"),
        _time("last_used_at", nullable=True),
        _time("revoked_at", nullable=True),
        _user_fk("api_tokens", "user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_tokens_token_sha256")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])
    _one_time_tokens("invitations")
    _one_time_tokens("password_resets")
    op.create_table(
        "activity_log",
        _integer("id"),
        _time("at"),
        _integer("user_id", nullable=True),
        _string("username", 200, nullable=True),
        _string("org_id", 64, nullable=True),
        _string("event", 64),
        _string("ip", 64, nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        _integer("actor_id", nullable=True),
        _user_fk("activity_log", "actor_id"),
        _user_fk("activity_log", "user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_log")),
    )
    op.create_index(op.f("ix_activity_log_org_id_id"), "activity_log", ["org_id", "id"])
    op.create_index(op.f("ix_activity_log_user_id_id"), "activity_log", ["user_id", "id"])

    # signing keys
    op.create_table(
        "sealed_keys",
        _integer("id"),
        _integer("user_id"),
        _string("algorithm", 16),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        _string("cert_sha256", 64),
        _time("created_at"),
        _time("retired_at", nullable=True),
        _user_fk("sealed_keys", "user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sealed_keys")),
    )
    op.create_index(op.f("ix_sealed_keys_cert_sha256"), "sealed_keys", ["cert_sha256"])
    op.create_index(op.f("ix_sealed_keys_user_id"), "sealed_keys", ["user_id"])
    op.create_table(
        "registered_keys",
        _integer("id"),
        _integer("user_id"),
        _string("name", 100),
        _string("algorithm", 16),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        _string("fingerprint", 64),
        sa.Column("certificate_pem", sa.Text(), nullable=True),
        _string("cert_sha256", 64, nullable=True),
        _time("created_at"),
        _time("retired_at", nullable=True),
        _user_fk("registered_keys", "user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registered_keys")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_registered_keys_fingerprint")),
    )
    op.create_index(op.f("ix_registered_keys_cert_sha256"), "registered_keys", ["cert_sha256"])
    op.create_index(op.f("ix_registered_keys_user_id"), "registered_keys", ["user_id"])

    # projections of the ledger
    op.create_table(
        "projects",
        _string("ref", 200),
        _string("org", 64),
        _string("name", 200),
        _string("domain", 200),
        _string("created_by", 64),
        _time("created_at"),
        _string("last_tx", 64),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_projects")),
    )
    op.create_index(op.f("ix_projects_org"), "projects", ["org"])
    op.create_table(
        "versions",
        _string("ref", 300),
        _string("project_ref", 200),
        _string("version", 100),
        _string("author", 64),
        _string("status", 32),
        _time("updated_at"),
        _string("last_tx", 64),
        sa.ForeignKeyConstraint(
            ["project_ref"], ["projects.ref"], name=op.f("fk_versions_project_ref_projects")
        ),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_versions")),
    )
    op.create_index(op.f("ix_versions_project_ref_status"), "versions", ["project_ref", "status"])
    op.create_table(
        "history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        _big("seq"),
        _string("tx_id", 64),
        _big("block"),
        _big("ts"),
        _string("participant", 64),
        _string("org", 64),
        _string("action", 100),
        _string("project_ref", 200),
        _string("version_ref", 300, nullable=True),
        _string("status_before", 32, nullable=True),
        _string("status_after", 32, nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history")),
    )
    op.create_index(op.f("ix_history_project_ref_seq"), "history", ["project_ref", "seq"])
    op.create_index(op.f("ix_history_tx_id"), "history", ["tx_id"])
    op.create_index(op.f("ix_history_version_ref_seq"), "history", ["version_ref", "seq"])
    op.create_table(
        "projection_cursors",
        _string("channel", 64),
        _big("last_block"),
        _string("state_root", 64),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_projection_cursors")),
    )


def downgrade() -> None:
    for table in (
        "projection_cursors",
        "history",
        "versions",
        "projects",
        "registered_keys",
        "sealed_keys",
        "activity_log",
        "password_resets",
        "invitations",
        "api_tokens",
        "browser_sessions",
        "login_throttles",
        "users",
        "orgs",
    ):
        op.drop_table(table)  # their indexes go with them
