"""Shared fixtures: a migrated database per backend, a rolled-back transaction per test,
and the application driven through WebTest.

Every test that uses the database runs on SQLite and on PostgreSQL (localhost:5432,
database `test`, or TOURISM_TEST_DATABASE_URL). Without a reachable PostgreSQL the
PostgreSQL half is skipped, except when CI=true: then it fails the run.
"""
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import transaction
from pyramid.paster import get_appsettings
from webtest import TestApp

from tests.smtp import SMTPServer
from tourism import make_app, migrations
from tourism.addons import demo_loaders
from tourism.catalog import demo
from tourism.scheduling import demo as schedule_demo
from tourism.shop import demo as shop_demo
from tourism.db import get_engine, get_session_factory, get_tm_session

ROOT = Path(__file__).resolve().parents[1]
TESTING_INI = str(ROOT / "testing.ini")
DEFAULT_PG_URL = "postgresql+psycopg://postgres@localhost:5432/test"
BACKENDS = ("sqlite", "postgresql")
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def postgresql_url() -> str:
    return os.environ.get("TOURISM_TEST_DATABASE_URL", DEFAULT_PG_URL)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def reset_database(url: str) -> None:
    """Drop every table (and alembic's record) so `alembic upgrade head` starts from nothing."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            meta = sa.MetaData()
            meta.reflect(conn)
            meta.drop_all(conn)
    engine.dispose()


def prepare_database(url: str) -> None:
    """A fresh schema built by the migrations, with the demo data (catalog, add-ons) committed."""
    reset_database(url)
    migrations.upgrade(url)
    engine = get_engine({"sqlalchemy.url": url})
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        dbsession = get_tm_session(get_session_factory(engine), manager)
        demo.load(dbsession)
        schedule_demo.load(dbsession, today=datetime.now(VIETNAM).date())
        shop_demo.load(dbsession)
        # Add-ons' demo data (audio tours…), their media in the suite's media folder.
        settings = dict(get_appsettings(TESTING_INI), **{"sqlalchemy.url": url})
        for load in demo_loaders():
            load(dbsession, settings)
    engine.dispose()


@pytest.fixture(scope="session")
def base_settings():
    return dict(get_appsettings(TESTING_INI))


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def db_url(backend, tmp_path_factory):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    else:
        url = postgresql_url()
        try:
            sa.create_engine(url).connect().close()
        except sa.exc.OperationalError as error:
            message = f"PostgreSQL is unreachable at {url}: {error.orig}"
            if in_ci():
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
    prepare_database(url)
    return url


@pytest.fixture(scope="session")
def app_settings(base_settings, db_url):
    return dict(base_settings, **{"sqlalchemy.url": db_url})


@pytest.fixture(scope="session")
def app(app_settings):
    wsgi_app = make_app(app_settings)
    yield wsgi_app
    wsgi_app.registry["db.engine"].dispose()


@pytest.fixture
def tm():
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    manager.doom()  # whatever a test writes is rolled back
    yield manager
    manager.abort()


@pytest.fixture
def dbsession(app, tm):
    return get_tm_session(app.registry["dbsession_factory"], tm)


@pytest.fixture
def testapp(app, tm, dbsession):
    return TestApp(
        app,
        extra_environ={
            "HTTP_HOST": "example.com",
            "tm.active": True,
            "tm.manager": tm,
            "app.dbsession": dbsession,
        },
    )


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 (aiosmtpd) collecting what it receives."""
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_at(testapp, request):
    """The app with its clock (`request.now`) at the test module's NOW."""
    testapp.extra_environ["tourism.now"] = request.module.NOW
    return testapp


@pytest.fixture
def fresh_media_store(app, tmp_path, monkeypatch):
    """The app's media store, in a fresh directory for this test: it sees exactly what was stored."""
    from tourism.media import REGISTRY_KEY, MediaStore

    media = MediaStore(tmp_path / "media")
    monkeypatch.setitem(app.registry, REGISTRY_KEY, media)
    return media


def stored_files(store) -> list[str]:
    """The names of the files in a media store."""
    return sorted(p.name for p in store.root.rglob("*") if p.is_file()) if store.root.exists() else []
