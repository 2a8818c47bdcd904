"""Alembic environment: every model's table, compared and migrated on SQLite and PostgreSQL."""
from alembic import context
from sqlalchemy import create_engine, pool

import tourism.models  # noqa: F401  (imports every domain's and add-on's models)
from tourism.db import Base

config = context.config
url = config.attributes["sqlalchemy.url"]


def run_migrations_offline():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        # Batch mode lets SQLite alter tables (it recreates them), harmless on PostgreSQL.
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
