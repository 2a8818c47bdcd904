"""/console/account: changing one's own password (with the current one, throttled) keeps this
browser signed in and signs the others out; "Sign out everywhere" signs out every browser."""
from datetime import datetime, timezone

import pytest

from tests.factories import STAFF_PASSWORD, make_operator, make_staff, sign_in
from tests.tourism.accounts.helpers import csrf, other_browser, try_sign_in
from tourism.accounts.services import verify_password
from tourism.accounts.throttle import PER_ACCOUNT

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)
NEW_PASSWORD = "mưa phùn trên đồi chè"


@pytest.fixture
def staff(dbsession):
    return make_staff(dbsession, make_operator(dbsession))


@pytest.fixture
def signed_in(app_at, staff):
    sign_in(app_at)
    return app_at


def change(testapp, current, password, confirm=None, status=303):
    form = testapp.get("/console/account", {"lang": "en"}).forms[1]
    assert form.action.endswith("/console/account/password")
    form["current"], form["password"], form["confirm"] = current, password, password if confirm is None else confirm
    return form.submit(status=status)


def test_strangers_are_asked_to_sign_in_and_cannot_post(app_at, staff):
    assert "/console/sign-in" in app_at.get("/console/account").location
    token = csrf(app_at)
    for url in ("/console/account/password", "/console/account/sign-out-everywhere"):
        app_at.post(url, {"csrf_token": token, "current": STAFF_PASSWORD, "password": NEW_PASSWORD,
                          "confirm": NEW_PASSWORD}, status=403)


def test_everyone_signed_in_finds_their_account_from_the_console(signed_in):
    home = signed_in.get("/console", {"lang": "en"})
    page = home.click("Your account", index=1)  # the console's button; the staff bar's name leads there too
    assert page.html.h1.get_text(strip=True) == "Your account"
    assert home.click(description="Signed in as", index=0).request.path == "/console/account"
    assert "staff@example.com" in page.text and "no-store" in page.headers["Cache-Control"]


def test_changing_the_password_signs_out_the_other_browsers_only(signed_in, dbsession, staff):
    elsewhere = other_browser(signed_in)
    sign_in(elsewhere)
    version = staff.session_version
    done = change(signed_in, STAFF_PASSWORD, NEW_PASSWORD)
    assert "Your password is changed" in done.follow().text
    dbsession.refresh(staff)
    assert staff.session_version == version + 1 and verify_password(staff, NEW_PASSWORD)
    assert signed_in.get("/console").status_int == 200
    assert elsewhere.get("/console").status_int == 303
    assert try_sign_in(other_browser(signed_in), password=NEW_PASSWORD) == 303


@pytest.mark.parametrize("current, password, confirm, field", [
    ("not my password", NEW_PASSWORD, NEW_PASSWORD, "current"),
    (STAFF_PASSWORD, "too short", "too short", "password"),
    (STAFF_PASSWORD, NEW_PASSWORD, "something else entirely", "confirm"),
    (STAFF_PASSWORD, "staff@example.com", "staff@example.com", "password"),
])
def test_a_refused_change_changes_nothing(signed_in, dbsession, staff, current, password, confirm, field):
    before = (staff.password_hash, staff.session_version)
    refused = change(signed_in, current, password, confirm, status=400)
    assert refused.html.select_one(f"#password-{field}")["aria-invalid"] == "true"
    assert refused.html.select_one(f"#password-{field}-error")
    dbsession.refresh(staff)
    assert (staff.password_hash, staff.session_version) == before
    assert signed_in.get("/console").status_int == 200


def test_guessing_the_current_password_is_throttled(signed_in, dbsession, staff):
    for _attempt in range(PER_ACCOUNT):
        change(signed_in, "wrong guess", NEW_PASSWORD, status=400)
    refused = change(signed_in, STAFF_PASSWORD, NEW_PASSWORD, status=429)
    assert "Too many attempts" in refused.html.select_one("#password-current-error").get_text()
    dbsession.refresh(staff)
    assert verify_password(staff, STAFF_PASSWORD)


def test_sign_out_everywhere_signs_out_every_browser(signed_in, dbsession, staff):
    elsewhere = other_browser(signed_in)
    sign_in(elsewhere)
    form = signed_in.get("/console/account", {"lang": "en"}).forms[2]
    assert form.action.endswith("/console/account/sign-out-everywhere")
    done = form.submit(status=303)
    assert done.location.endswith("/console/sign-in")
    assert "signed out on every phone and computer" in done.follow().text
    assert signed_in.get("/console").status_int == 303
    assert elsewhere.get("/console").status_int == 303
    assert try_sign_in(other_browser(signed_in)) == 303  # the password still works


def test_the_account_forms_need_their_csrf_token(signed_in, dbsession, staff):
    before = (staff.password_hash, staff.session_version)
    for url in ("/console/account/password", "/console/account/sign-out-everywhere"):
        for fields in ({}, {"csrf_token": "forged"}):
            signed_in.post(url, dict(fields, current=STAFF_PASSWORD, password=NEW_PASSWORD, confirm=NEW_PASSWORD),
                           status=400)
    dbsession.refresh(staff)
    assert (staff.password_hash, staff.session_version) == before
