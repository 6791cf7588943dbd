"""The service database (DESIGN.md §6): SQLAlchemy 2 models, engines, Alembic migrations.

SQLite by default, PostgreSQL for deployments; see :mod:`.engine` for how each is opened and
:mod:`.schema` for migrations. Tables: :mod:`.people` (orgs, users, sessions, tokens,
invitations, resets, activity log), :mod:`.keys` (sealed and registered signing keys),
:mod:`.projection_tables` (query projections of the ledger), :mod:`.notification_tables`
(notifications and webhooks), :mod:`.object_tables` (who had which object's bytes),
:mod:`.idempotency_tables` (write requests' idempotency keys). Importing this package registers every table on ``Base.metadata``.
"""

from tetherai.services.db.base import NAMING_CONVENTION, Base
from tetherai.services.db.bulk import insert_rows
from tetherai.services.db.engine import (
    SessionFactory,
    make_engine,
    make_session_factory,
    transaction,
)
from tetherai.services.db.errors import (
    DatabaseError,
    DatabaseUnavailable,
    SchemaOutdated,
    UnsupportedDatabase,
)
from tetherai.services.db.idempotency_tables import IdempotencyRecord
from tetherai.services.db.keys import RegisteredKey, SealedKey
from tetherai.services.db.notification_tables import Notification, Webhook
from tetherai.services.db.object_tables import ObjectHolder
from tetherai.services.db.people import (
    USER_ROLES,
    ActivityLogEntry,
    ApiToken,
    BrowserSession,
    Invitation,
    LoginThrottle,
    Org,
    PasswordReset,
    User,
)
from tetherai.services.db.projection_tables import (
    HistoryProjection,
    ProjectionCursor,
    ProjectProjection,
    VersionProjection,
)
from tetherai.services.db.schema import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    head_revision,
    migrate,
    require_current_schema,
)

__all__ = [
    "MIGRATIONS_DIR",
    "NAMING_CONVENTION",
    "USER_ROLES",
    "ActivityLogEntry",
    "ApiToken",
    "Base",
    "BrowserSession",
    "DatabaseError",
    "DatabaseUnavailable",
    "HistoryProjection",
    "IdempotencyRecord",
    "Invitation",
    "LoginThrottle",
    "Notification",
    "ObjectHolder",
    "Org",
    "PasswordReset",
    "ProjectProjection",
    "ProjectionCursor",
    "RegisteredKey",
    "SchemaOutdated",
    "SealedKey",
    "SessionFactory",
    "UnsupportedDatabase",
    "User",
    "VersionProjection",
    "Webhook",
    "alembic_config",
    "current_revision",
    "head_revision",
    "insert_rows",
    "make_engine",
    "make_session_factory",
    "migrate",
    "require_current_schema",
    "transaction",
]
