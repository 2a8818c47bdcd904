"""Browser tests: the app served by waitress on 127.0.0.1, driven by headless Chromium.

Chromium is Debian's (/usr/bin/chromium, installed by .ci/run); Playwright only drives it.
Without the browser these tests are skipped, except under CI=true where they fail.
"""
import os
import shutil
import threading

import pytest
from waitress.server import create_server

from tests.conftest import in_ci, prepare_database
from tourism import make_app

CHROMIUM = os.environ.get("TOURISM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
# WebGL without a GPU (the 3D viewer): ANGLE on SwiftShader, software rendering.
WEBGL_ARGS = [arg for arg in CHROMIUM_ARGS if arg != "--disable-gpu"] + [
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"]


@pytest.fixture(scope="session")
def live_db_url(tmp_path_factory):
    """The live server's SQLite database, migrated, with the demo catalog."""
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.sqlite'}"
    prepare_database(url)
    return url


@pytest.fixture(scope="session")
def live_server(base_settings, live_db_url):
    """The real app with the demo catalog, on a free loopback port."""
    app = make_app(dict(base_settings, **{"sqlalchemy.url": live_db_url}))
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM}: run .ci/run, or apt-get install chromium"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def webgl_browser(browser):
    """A second Chromium with WebGL, from the same Playwright (a second sync_playwright cannot run beside it)."""
    chromium = browser.browser_type.launch(executable_path=CHROMIUM, args=WEBGL_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def phone_page(browser):
    """A phone-sized page that obeys our Content-Security-Policy."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def axe_page(browser):
    # axe is injected as an inline script, which our CSP rightly forbids: bypass it here only.
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


# --- the live server's database, for tests that need rows the pages cannot make (staff) ----

@pytest.fixture(scope="session")
def live_db(live_db_url):
    """A session factory on the live server's database; use `tests.concurrency.committed` to write."""
    from tourism.db import get_engine, get_session_factory

    engine = get_engine({"sqlalchemy.url": live_db_url})
    yield get_session_factory(engine)
    engine.dispose()


LIVE_STAFF_EMAIL = "cong@bat-trang.example"


@pytest.fixture(scope="session")
def live_staff(live_db):
    """(email, password) of a staff member of the demo operator running Bát Tràng."""
    from tests.concurrency import committed
    from tests.factories import STAFF_PASSWORD, make_staff
    from tourism.accounts.services import find_operator

    committed(live_db, lambda db: make_staff(db, find_operator(db, "htx-gom-bat-trang"), email=LIVE_STAFF_EMAIL))
    return LIVE_STAFF_EMAIL, STAFF_PASSWORD


def sign_in_live(page, live_server, credentials, locale="en"):
    """Sign `page` in to the console of the live server through the sign-in form."""
    page.goto(f"{live_server}/console/sign-in?lang={locale}")
    page.fill("#email", credentials[0])
    page.fill("#password", credentials[1])
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/console")
