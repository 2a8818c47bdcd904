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
from tourism import configure

CHROMIUM = os.environ.get("TOURISM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def live_server(base_settings, tmp_path_factory):
    """The real app with the demo catalog, on a free loopback port."""
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.sqlite'}"
    prepare_database(url)
    app = configure(dict(base_settings, **{"sqlalchemy.url": url})).make_wsgi_app()
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
