"""Forgot your password: the same answer for any e-mail, a link e-mailed (through a real SMTP
server) in the person's language, usable once within an hour, that signs every other browser
out and this one in; expired, used and forged links change nothing; requests are throttled
per e-mail and per address."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.factories import STAFF_PASSWORD, make_operator, make_staff, sign_in
from tests.tourism.accounts.helpers import count, csrf, deliver, link_in, other_browser, try_sign_in
from tourism.accounts import passwords
from tourism.accounts.models import PasswordToken, ResetRequest, TokenPurpose, User
from tourism.accounts.services import verify_password
from tourism.accounts.throttle import RESETS_PER_ACCOUNT, RESETS_PER_ADDRESS
from tourism.notify.models import OutboxMessage

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)
NEW_PASSWORD = "bốn mùa chè xanh"  # 16 characters, Vietnamese: any script works


@pytest.fixture
def staff(dbsession):
    return make_staff(dbsession, make_operator(dbsession))


def ask(testapp, email, status=303, **environ):
    page = testapp.get("/console/forgot-password", {"lang": "en"}, extra_environ=dict(environ))
    form = page.forms[0]
    form["email"] = email
    return form.submit(status=status, extra_environ=dict(environ))


def at(testapp, moment):
    testapp.extra_environ["tourism.now"] = moment


def test_the_sign_in_page_leads_to_forgot_password(app_at):
    page = app_at.get("/console/sign-in", {"lang": "en"})
    forgot = page.click("Forgot your password?")
    assert forgot.html.h1.get_text(strip=True) == "Forgot your password?"
    assert "no-store" in forgot.headers["Cache-Control"]


def test_the_answer_is_the_same_whether_or_not_the_account_exists(app_at, dbsession, staff):
    pages = []
    for email in ("staff@example.com", "nobody@example.com"):
        response = ask(app_at, email)
        pages.append((response.status_int, response.location, response.follow().html.main.get_text(" ", strip=True)))
    assert pages[0] == pages[1]
    assert pages[0][1].endswith("/console/forgot-password/sent")
    assert "If an account uses this e-mail address" in pages[0][2]
    # Only the real account got a link.
    assert dbsession.scalars(select(OutboxMessage.recipient)).all().count("nobody@example.com") == 0
    assert dbsession.scalar(select(PasswordToken).where(PasswordToken.user_id == staff.id)).purpose == TokenPurpose.RESET


def test_the_link_arrives_in_the_persons_language_and_sets_a_new_password(app_at, dbsession, staff, smtp_server):
    elsewhere = other_browser(app_at)
    elsewhere.get("/console/sign-in", {"lang": "ko"})  # they use the console in Korean
    sign_in(elsewhere)
    assert elsewhere.get("/console").status_int == 200
    version = staff.session_version

    ask(app_at, " Staff@Example.com ")  # as people type it
    (message,) = deliver(dbsession, smtp_server, NOW, "staff@example.com")
    assert message.get_body(("html",)).get_content().count('lang="ko"') == 1  # the account's language
    path = link_in(message)
    token = path.rsplit("/", 1)[1]
    stored = dbsession.scalar(select(PasswordToken).where(PasswordToken.user_id == staff.id))
    assert stored.token_hash == passwords.hash_token(token) and token not in stored.token_hash
    assert stored.expires_at == NOW + timedelta(hours=1)

    page = app_at.get(path, {"lang": "en"})
    assert page.headers["Referrer-Policy"] == "no-referrer" and "no-store" in page.headers["Cache-Control"]
    assert "staff@example.com" in page.text
    form = page.forms[0]
    form["password"], form["confirm"] = NEW_PASSWORD, NEW_PASSWORD
    done = form.submit(status=303)
    assert done.location.endswith("/console")
    home = done.follow()
    assert "Your password is saved and you are signed in" in home.text

    dbsession.refresh(staff)
    assert staff.session_version == version + 1
    assert verify_password(staff, NEW_PASSWORD) and not verify_password(staff, STAFF_PASSWORD)
    assert elsewhere.get("/console").status_int == 303  # the other browser was signed out
    assert app_at.get("/console").status_int == 200  # this one is signed in
    # The old password no longer signs in; the new one does.
    third = other_browser(app_at)
    assert try_sign_in(third, password=STAFF_PASSWORD) == 400
    assert try_sign_in(third, password=NEW_PASSWORD) == 303


@pytest.mark.parametrize("password, confirm, field, message", [
    ("short one", "short one", "password", "at least 12 characters"),
    ("STAFF@example.com", "STAFF@example.com", "password", "e-mail address"),
    (NEW_PASSWORD, NEW_PASSWORD + "!", "confirm", "not the same"),
    ("", "", "password", "at least 12 characters"),
])
def test_a_refused_password_changes_nothing_and_the_link_still_works(app_at, dbsession, staff, password, confirm,
                                                                     field, message):
    token = passwords.issue_link(dbsession, staff, TokenPurpose.RESET, now=NOW)
    before = (staff.password_hash, staff.session_version)
    form = app_at.get(f"/console/password/{token}", {"lang": "en"}).forms[0]
    form["password"], form["confirm"] = password, confirm
    refused = form.submit(status=400)
    assert message in refused.html.select_one(f"#choose-{field}-error").get_text()
    assert refused.html.select_one(f"#choose-{field}")["aria-invalid"] == "true"
    assert refused.html.select_one("#choose-password")["value"] == ""  # a password is never sent back
    dbsession.refresh(staff)
    assert (staff.password_hash, staff.session_version) == before
    assert app_at.get("/console").status_int == 303
    assert app_at.get(f"/console/password/{token}").status_int == 200


def choose(testapp, token, status, password=NEW_PASSWORD):
    token_field = csrf(testapp)
    return testapp.post(f"/console/password/{token}", {"csrf_token": token_field, "password": password,
                                                       "confirm": password}, status=status)


def test_a_link_works_once(app_at, dbsession, staff):
    token = passwords.issue_link(dbsession, staff, TokenPurpose.RESET, now=NOW)
    choose(app_at, token, 303)
    app_at.post("/console/sign-out", {"csrf_token": csrf(app_at, "/console")})
    again = app_at.get(f"/console/password/{token}", {"lang": "en"}, status=410)
    assert again.html.h1.get_text(strip=True) == "This link was already used"
    assert again.html.select_one("a[href='/console/forgot-password']")
    dbsession.refresh(staff)
    version, hash_ = staff.session_version, staff.password_hash
    choose(app_at, token, 410, password="another long password")
    dbsession.refresh(staff)
    assert (staff.session_version, staff.password_hash) == (version, hash_)
    assert app_at.get("/console").status_int == 303


def test_a_new_password_kills_the_other_links(app_at, dbsession, staff):
    first = passwords.issue_link(dbsession, staff, TokenPurpose.RESET, now=NOW)
    second = passwords.issue_link(dbsession, staff, TokenPurpose.RESET, now=NOW)
    choose(app_at, second, 303)
    app_at.get(f"/console/password/{first}", status=410)


def test_an_expired_link_changes_nothing(app_at, dbsession, staff):
    token = passwords.issue_link(dbsession, staff, TokenPurpose.RESET, now=NOW)
    at(app_at, NOW + timedelta(minutes=59))
    assert app_at.get(f"/console/password/{token}").status_int == 200
    at(app_at, NOW + timedelta(hours=1))
    page = app_at.get(f"/console/password/{token}", {"lang": "en"}, status=410)
    assert page.html.h1.get_text(strip=True) == "This link has expired"
    assert "work for one hour" in page.text
    before = (staff.password_hash, staff.session_version)
    choose(app_at, token, 410)
    dbsession.refresh(staff)
    assert (staff.password_hash, staff.session_version) == before
    assert dbsession.scalar(select(PasswordToken.used_at).where(PasswordToken.user_id == staff.id)) is None


def test_forged_links_are_not_found_and_change_nothing(app_at, dbsession, staff):
    token = passwords.issue_link(dbsession, staff, TokenPurpose.RESET, now=NOW)
    before = (staff.password_hash, staff.session_version)
    # The stored hash itself, a near miss, a cut link, something long: none opens the account.
    stored = dbsession.scalar(select(PasswordToken.token_hash).where(PasswordToken.user_id == staff.id))
    for forged in (stored, token[:-1] + ("A" if token[-1] != "A" else "B"), token[:20], "x" * 500):
        page = app_at.get(f"/console/password/{forged}", {"lang": "en"}, status=404)
        assert page.html.h1.get_text(strip=True) == "This link does not work"
        choose(app_at, forged, 404)
    dbsession.refresh(staff)
    assert (staff.password_hash, staff.session_version) == before
    assert app_at.get("/console").status_int == 303


def test_forms_need_their_csrf_token(app_at, dbsession, staff):
    token = passwords.issue_link(dbsession, staff, TokenPurpose.RESET, now=NOW)
    requests = count(dbsession, ResetRequest)
    app_at.post("/console/forgot-password", {"email": "staff@example.com"}, status=400)
    app_at.post("/console/forgot-password", {"email": "staff@example.com", "csrf_token": "forged"}, status=400)
    for fields in ({}, {"csrf_token": "forged"}):
        app_at.post(f"/console/password/{token}", dict(fields, password=NEW_PASSWORD, confirm=NEW_PASSWORD),
                    status=400)
    assert count(dbsession, ResetRequest) == requests
    dbsession.refresh(staff)
    assert verify_password(staff, STAFF_PASSWORD)


def test_a_malformed_email_is_refused_without_counting(app_at, dbsession):
    refused = ask(app_at, "not an address", status=400)
    assert "valid email" in refused.html.select_one("#forgot-email-error").get_text()
    assert count(dbsession, ResetRequest) == 0


def test_requests_are_throttled_per_account_whether_or_not_it_exists(app_at, dbsession, staff):
    for email in ("staff@example.com", "nobody@example.com"):
        for _attempt in range(RESETS_PER_ACCOUNT):
            ask(app_at, email, 303)
        refused = ask(app_at, email, 429)
        assert "Too many requests. Wait 60 min" in refused.html.select_one("#forgot-email-error").get_text()
    links = dbsession.scalars(select(PasswordToken).where(PasswordToken.user_id == staff.id)).all()
    assert len(links) == RESETS_PER_ACCOUNT
    # Another e-mail from the same address may still ask; the throttled one, an hour later.
    ask(app_at, "someone@example.com", 303)
    at(app_at, NOW + timedelta(hours=1, seconds=1))
    ask(app_at, "staff@example.com", 303)


def test_requests_are_throttled_per_address(app_at, dbsession, staff):
    for attempt in range(RESETS_PER_ADDRESS):
        ask(app_at, f"guess{attempt}@example.com", 303)
    ask(app_at, "staff@example.com", 429)
    assert dbsession.scalar(select(PasswordToken).where(PasswordToken.user_id == staff.id)) is None
    ask(app_at, "staff@example.com", 303, REMOTE_ADDR="192.0.2.9")  # another address


def test_a_removed_person_gets_no_link_and_old_links_die(app_at, dbsession, staff):
    token = passwords.issue_link(dbsession, staff, TokenPurpose.RESET, now=NOW)
    staff.deactivated_at = NOW
    dbsession.flush()
    ask(app_at, "staff@example.com")
    assert dbsession.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "staff@example.com")).all() == []
    app_at.get(f"/console/password/{token}", status=410)
    choose(app_at, token, 410)
    assert app_at.get("/console").status_int == 303


def test_the_pages_speak_vietnamese_by_default(app_at, dbsession, staff):
    token = passwords.issue_link(dbsession, staff, TokenPurpose.RESET, now=NOW)
    for url, status in (("/console/forgot-password", 200), ("/console/forgot-password/sent", 200),
                        (f"/console/password/{token}", 200), ("/console/password/nope", 404)):
        page = app_at.get(url, headers={"Accept-Language": "vi"}, status=status)
        assert page.html.html["lang"] == "vi"


def test_a_user_who_never_chose_a_language_gets_the_pages_language(app_at, dbsession, smtp_server):
    user = make_staff(dbsession, make_operator(dbsession), email="lan@example.com")
    assert user.locale is None
    page = app_at.get("/console/forgot-password", {"lang": "ja"})
    form = page.forms[0]
    form["email"] = "lan@example.com"
    form.submit(status=303)
    (message,) = deliver(dbsession, smtp_server, NOW, "lan@example.com")
    assert 'lang="ja"' in message.get_body(("html",)).get_content()
    dbsession.refresh(user)
    assert dbsession.scalar(select(User.locale).where(User.id == user.id)) is None  # asking is not signing in


def test_the_worker_forgets_requests_that_no_longer_count(dbsession, app):
    from tourism.accounts.throttle import forget_old_failures_task, record_reset_request, wait_before_reset

    for minutes in (61, 59, 30, 1):
        record_reset_request(dbsession, "staff@example.com", "192.0.2.1", NOW - timedelta(minutes=minutes))
    assert wait_before_reset(dbsession, "staff@example.com", "192.0.2.2", NOW) is not None  # 3 in the last hour
    forget_old_failures_task(dbsession, NOW, app.registry)
    assert sorted(dbsession.scalars(select(ResetRequest.requested_at)).all()) == [
        NOW - timedelta(minutes=m) for m in (59, 30, 1)]
    assert wait_before_reset(dbsession, "staff@example.com", "192.0.2.2", NOW + timedelta(minutes=2)) is None
