"""The Alembic migrations and the SQLAlchemy models describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from backend.core.db import Base, get_engine
from backend.models import *  # noqa: F403


def test_models_and_migrations_agree(database: None) -> None:
    with get_engine().connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models differ from migrations; run `make migration m=...`: {diff}"


def test_every_table_has_a_migration(database: None) -> None:
    from sqlalchemy import inspect

    tables = set(inspect(get_engine()).get_table_names())
    assert set(Base.metadata.tables) <= tables
