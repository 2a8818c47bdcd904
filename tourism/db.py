"""Database infrastructure: the declarative Base, the engine, and `request.dbsession`.

`request.dbsession` is joined to the request's transaction by zope.sqlalchemy, so pyramid_tm
commits or aborts it: application code never calls `commit()`, it `flush()`es when it needs
an id. pyramid_retry replays a request that failed on a transient database conflict.
"""
from datetime import datetime, timezone

import zope.sqlalchemy
from sqlalchemy import DateTime, Enum, MetaData, engine_from_config, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so alembic migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored in UTC on every backend.

    SQLite has no time zone type: without this, values would come back naive.
    Naive datetimes are refused on the way in, because their meaning is a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: attach a time zone before storing it")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def str_enum(cls, name: str) -> Enum:
    """A StrEnum column stored as its value ("held"), checked by a CHECK constraint on every backend."""
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=20,
                values_callable=lambda members: [m.value for m in members])


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime}


def get_engine(settings: dict, prefix: str = "sqlalchemy.") -> Engine:
    engine = engine_from_config(settings, prefix)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite_connection(dbapi_connection, connection_record):
    # Foreign keys are off by default in SQLite; WAL lets readers work while one writer
    # writes; the busy timeout makes a writer wait for the lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (see below);
    # this also makes SAVEPOINTs work.
    dbapi_connection.isolation_level = None


def _begin_immediate(connection):
    # Take SQLite's write lock when the transaction starts. With a deferred BEGIN, two
    # transactions that both read and then write make one fail at once with "database is
    # locked" (the busy timeout cannot help there); IMMEDIATE makes the second one wait.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def get_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_tm_session(session_factory, transaction_manager, request=None):
    """A session joined to `transaction_manager`: committed or aborted with it."""
    dbsession = session_factory(info={"request": request})
    zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


def includeme(config):
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    config.include("pyramid_tm")
    config.include("pyramid_retry")

    engine = get_engine(settings)
    session_factory = get_session_factory(engine)
    config.registry["db.engine"] = engine
    config.registry["dbsession_factory"] = session_factory

    def dbsession(request):
        # Tests hand in a session bound to their own rolled-back transaction.
        session = request.environ.get("app.dbsession")
        if session is None:
            session = get_tm_session(session_factory, request.tm, request=request)
        return session

    config.add_request_method(dbsession, reify=True)
