"""The service database: migrations agree with the models on both backends; engines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from tetherai.services.custody import Argon2Parameters
from tetherai.services.db import (
    Base,
    DatabaseUnavailable,
    Org,
    SchemaOutdated,
    SessionFactory,
    UnsupportedDatabase,
    User,
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    make_session_factory,
    migrate,
    require_current_schema,
    transaction,
)

NOW = datetime(2026, 9, 21, tzinfo=UTC)


def test_the_migrated_schema_is_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}


def test_a_migrated_database_is_at_the_head_revision(engine: Engine) -> None:
    assert current_revision(engine) == head_revision() == "0011"
    require_current_schema(engine)
    migrate(engine)  # upgrading again changes nothing
    assert current_revision(engine) == head_revision()


def test_an_empty_database_is_refused_until_migrated(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    try:
        with pytest.raises(SchemaOutdated) as raised:
            require_current_schema(engine)
        assert raised.value.code == "db.schema_outdated"
        assert raised.value.details == {"found": None, "expected": head_revision()}
        migrate(engine)
        require_current_schema(engine)
    finally:
        engine.dispose()


def test_downgrade_to_nothing_and_up_again(engine: Engine) -> None:
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert inspect(engine).get_table_names() == ["alembic_version"]
    migrate(engine)
    assert current_revision(engine) == head_revision()


def test_times_come_back_aware_in_utc(session_factory: SessionFactory) -> None:
    from datetime import timedelta, timezone

    paris = timezone(timedelta(hours=2))
    with transaction(session_factory) as session:
        session.add(Org(id="Org1", name="Org One", created_at=NOW.astimezone(paris)))
    with transaction(session_factory) as session:
        created = session.scalars(select(Org.created_at)).one()
    assert created == NOW and created.tzinfo is not None and created.utcoffset() == timedelta(0)


def test_naive_times_are_refused(session_factory: SessionFactory) -> None:
    with (
        pytest.raises(StatementError, match="naive datetime"),
        transaction(session_factory) as session,
    ):
        session.add(Org(id="Org1", name="Org One", created_at=datetime(2026, 1, 1)))


def test_foreign_keys_and_role_checks_are_enforced(session_factory: SessionFactory) -> None:
    def user(org: str, role: str) -> User:
        return User(
            username="u",
            display_name="u",
            org_id=org,
            role=role,
            enabled=True,
            password_hash=None,
            failed_logins=0,
            locked_until=None,
            cert_sha256=None,
            created_at=NOW,
            updated_at=NOW,
        )

    with pytest.raises(IntegrityError), transaction(session_factory) as session:
        session.add(user("NoSuchOrg", "ai_engineer"))
    with transaction(session_factory) as session:
        session.add(Org(id="Org1", name="Org One", created_at=NOW))
    with pytest.raises(IntegrityError), transaction(session_factory) as session:
        session.add(user("Org1", "operator"))  # a role for nodes, not for users


def test_sqlite_is_opened_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    try:
        with engine.connect() as connection:
            pragma = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
        assert pragma == {
            "journal_mode": "wal",
            "foreign_keys": 1,
            "busy_timeout": 10_000,
            "synchronous": 2,
        }
    finally:
        engine.dispose()


def test_a_new_sqlite_database_and_its_wal_are_private(tmp_path: Path) -> None:
    path = tmp_path / "service.sqlite"
    migrate(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:  # a connection keeps the -wal and -shm files
            connection.exec_driver_sql("SELECT 1")
            files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
            assert {f.name: f.stat().st_mode & 0o777 for f in files} == {
                f.name: 0o600 for f in files
            }
    finally:
        engine.dispose()


def test_sqlite_write_sessions_take_the_write_lock_at_begin(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    migrate(url)
    engine = make_engine(url, busy_timeout_ms=50)
    try:
        writer, reader = (
            make_session_factory(engine),
            make_session_factory(engine, for_writes=False),
        )
        with writer.begin() as first:
            first.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock is held already
            with reader.begin() as read:  # a deferred reader is not blocked by it
                assert read.scalars(select(Org)).all() == []
            with pytest.raises(Exception, match="locked"), writer.begin() as second:
                second.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def test_an_in_memory_sqlite_database_is_one_shared_database() -> None:
    engine = make_engine("sqlite://")
    try:
        migrate(engine)
        factory = make_session_factory(engine)
        with transaction(factory) as session:
            session.add(Org(id="Org1", name="Org One", created_at=NOW))
        with transaction(factory) as session:
            assert session.scalars(select(Org.id)).all() == ["Org1"]
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "url", ["mysql://user@localhost/db", "postgresql+asyncpg://u@h/db", "not a url"]
)
def test_other_databases_are_refused_clearly(url: str) -> None:
    with pytest.raises(UnsupportedDatabase) as raised:
        make_engine(url)
    assert raised.value.code == "db.unsupported_url"


def test_postgresql_urls_use_psycopg_3() -> None:
    engine = make_engine("postgresql://user:secret@127.0.0.1:1/db")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_an_unreachable_database_is_reported_without_its_password(tmp_path: Path) -> None:
    from tetherai.services.auth import AuthService
    from tetherai.services.settings import Settings

    url = "postgresql+psycopg://tether:hunter2-secret@127.0.0.1:1/nowhere"
    engine = make_engine(url)
    settings = Settings(home=tmp_path, database_url=url, secret_key=b"s" * 32, passphrase=b"p")
    auth = AuthService(
        make_session_factory(engine),
        clock=lambda: NOW,
        settings=settings,
        hashing=Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1),
    )
    try:
        with pytest.raises(DatabaseUnavailable) as raised:
            auth.login("admin", "a password")
        assert raised.value.code == "db.unavailable"
        assert "hunter2" not in raised.value.message
        with pytest.raises(DatabaseUnavailable):
            migrate(url)
    finally:
        engine.dispose()


def test_a_person_s_language_is_kept(engine: Engine) -> None:
    from tetherai.identity.roles import Role
    from tetherai.services.auth import AuthService, InvalidInput
    from tetherai.services.settings import Settings

    migrate(engine)
    settings = Settings(
        home=Path("."), database_url="sqlite://", secret_key=b"x" * 32, passphrase=b"p"
    )
    auth = AuthService(
        make_session_factory(engine),
        clock=lambda: NOW,
        settings=settings,
        hashing=Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1),
    )
    auth.create_org("Org1")
    user = auth.create_user("Org1", "lin", Role.AI_ENGINEER, "a long enough password")
    assert user.language is None
    assert auth.set_language(user, "zh").language == "zh"
    assert auth.get_user(user.id).language == "zh"
    assert auth.set_language(user, None).language is None
    with pytest.raises(InvalidInput):
        auth.set_language(user, "zh'; drop table users")
