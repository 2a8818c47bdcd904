"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import tourism.models  # noqa: F401
from tourism.db import Base
from tourism.migrations import alembic_config


def test_migrations_match_the_models(app):
    engine = app.registry["db.engine"]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_schema_is_at_head(app):
    """At the head of every branch: tourism's and each add-on's (they have their own)."""
    engine = app.registry["db.engine"]
    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
        applied = {revision.revision for revision in script.iterate_revisions(current, "base")}
        assert applied == {revision.revision for revision in script.walk_revisions()}
        assert {"experiences", "audio_stops", "heritage_assets"} <= set(inspect(connection).get_table_names())
