"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import tourism.models  # noqa: F401
from tourism.db import Base


def test_migrations_match_the_models(app):
    engine = app.registry["db.engine"]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_schema_is_at_head(app):
    engine = app.registry["db.engine"]
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() is not None
        assert "experiences" in inspect(connection).get_table_names()
