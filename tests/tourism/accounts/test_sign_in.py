"""Staff sign-in: the form, where it leads, signing out, and what a stranger may not see."""
from datetime import datetime, timezone

from pyramid.authorization import ACLHelper

from tests.factories import make_operator, make_staff, make_village, sign_in
from tourism.accounts.permissions import (
    CHECKIN,
    PAYMENTS,
    ConsoleRoot,
    OperatorResource,
    principals_for,
    visible_operator_id,
)

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)


def test_console_asks_strangers_to_sign_in_then_returns_them(testapp, dbsession):
    make_staff(dbsession, make_operator(dbsession))
    response = testapp.get("/console?tab=today")
    assert response.status_int == 303
    assert response.location.endswith("/console/sign-in?next=%2Fconsole%3Ftab%3Dtoday")
    form = response.follow().forms[0]
    form["email"], form["password"] = "STAFF@example.com ", "a long staff password"
    landing = form.submit()
    assert landing.status_int == 303 and landing.location.endswith("/console?tab=today")
    page = landing.follow()
    assert "no-store" in page.headers["Cache-Control"] and page.headers["X-Robots-Tag"] == "noindex"
    # The staff bar names who is signed in (make_staff's display name: the e-mail's first part).
    assert "staff" in page.html.select_one(".staff-bar__who").get_text()


def test_wrong_password_and_unknown_email_get_the_same_answer(testapp, dbsession):
    make_staff(dbsession, make_operator(dbsession))
    answers = []
    for email, password in (("staff@example.com", "not the password"), ("nobody@example.com", "whatever it is")):
        form = testapp.get("/console/sign-in", {"lang": "en"}).forms[0]
        form["email"], form["password"] = email, password
        response = form.submit(status=400)
        answers.append(response.html.select_one("[role=alert]").get_text(strip=True))
        assert response.html.select_one("#email")["aria-invalid"] == "true"
    assert answers[0] == answers[1] and "do not match" in answers[0]
    assert testapp.get("/console").status_int == 303  # still signed out


def test_the_sign_in_page_speaks_the_visitors_language(testapp):
    page = testapp.get("/console/sign-in", headers={"Accept-Language": "vi"})
    assert page.html.html["lang"] == "vi"
    assert page.html.h1.get_text(strip=True) != "Staff sign-in"


def test_next_never_leads_to_another_site(testapp, dbsession):
    make_staff(dbsession, make_operator(dbsession))
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        form = testapp.get("/console/sign-in", params={"next": target}).forms[0]
        form["email"], form["password"] = "staff@example.com", "a long staff password"
        response = form.submit()
        assert response.location == "http://example.com/console", target
        testapp.post("/console/sign-out", {"csrf_token": response.follow().forms[0]["csrf_token"].value})


def test_sign_out_ends_the_session_and_needs_the_form_token(testapp, dbsession):
    make_staff(dbsession, make_operator(dbsession))
    page = sign_in(testapp)
    testapp.post("/console/sign-out", {"csrf_token": "forged"}, status=400)
    assert testapp.get("/console").status_int == 200
    token = page.forms[0]["csrf_token"].value
    assert testapp.post("/console/sign-out", {"csrf_token": token}).status_int == 303
    assert testapp.get("/console").status_int == 303


def test_signing_in_starts_a_fresh_session(testapp, dbsession):
    make_staff(dbsession, make_operator(dbsession))
    before = testapp.get("/console/sign-in").forms[0]["csrf_token"].value
    page = sign_in(testapp)
    assert page.forms[0]["csrf_token"].value != before


def test_raising_the_session_version_signs_out_everywhere(testapp, dbsession):
    user = make_staff(dbsession, make_operator(dbsession))
    sign_in(testapp)
    assert testapp.get("/console").status_int == 200
    user.session_version += 1
    dbsession.flush()
    assert testapp.get("/console").status_int == 303


def test_operators_people_may_act_only_on_their_own_objects(dbsession):
    tan_cuong = make_operator(dbsession, "htx-che", villages=[make_village(dbsession, "che")])
    bat_trang = make_operator(dbsession, "htx-gom", villages=[make_village(dbsession, "gom")])
    staff = make_staff(dbsession, tan_cuong)
    owner = make_staff(dbsession, tan_cuong, email="owner@example.com", role="owner")
    admin = make_staff(dbsession, None, email="admin@example.com")
    acl = ACLHelper()
    for permission in (CHECKIN, PAYMENTS):
        for user in (staff, owner):
            assert acl.permits(OperatorResource(tan_cuong.id), principals_for(user), permission)
            assert not acl.permits(OperatorResource(bat_trang.id), principals_for(user), permission)
            assert not acl.permits(OperatorResource(None), principals_for(user), permission)
        assert acl.permits(OperatorResource(bat_trang.id), principals_for(admin), permission)
        assert acl.permits(OperatorResource(None), principals_for(admin), permission)
        assert not acl.permits(OperatorResource(tan_cuong.id), principals_for(None), permission)
    assert not acl.permits(ConsoleRoot(), principals_for(None), "console")
    assert visible_operator_id(staff) == tan_cuong.id and visible_operator_id(admin) is None


def _try(testapp, email, password, status):
    form = testapp.get("/console/sign-in", {"lang": "en"}).forms[0]
    form["email"], form["password"] = email, password
    return form.submit(status=status)


def test_wrong_passwords_are_throttled_per_account_then_allowed_again(app_at, dbsession):
    from datetime import timedelta

    make_staff(dbsession, make_operator(dbsession))
    for _attempt in range(5):
        _try(app_at, "staff@example.com", "wrong password", 400)
    refused = _try(app_at, "staff@example.com", "a long staff password", 429)
    assert "Too many attempts" in refused.html.select_one("[role=alert]").get_text()
    assert app_at.get("/console").status_int == 303  # even the right password did not sign in
    app_at.extra_environ["tourism.now"] = NOW + timedelta(minutes=16)
    assert _try(app_at, "staff@example.com", "a long staff password", 303).location.endswith("/console")


def test_the_address_limit_stops_trying_many_accounts(app_at, dbsession):
    from tourism.accounts.throttle import PER_ADDRESS

    make_staff(dbsession, make_operator(dbsession))
    for attempt in range(PER_ADDRESS):
        _try(app_at, f"guess{attempt}@example.com", "wrong password", 400)
    _try(app_at, "staff@example.com", "a long staff password", 429)
    other_address = dict(app_at.extra_environ, REMOTE_ADDR="192.0.2.7")
    form = app_at.get("/console/sign-in", extra_environ=other_address).forms[0]
    form["email"], form["password"] = "staff@example.com", "a long staff password"
    assert form.submit(extra_environ=other_address).status_int == 303


def test_a_right_password_forgives_the_accounts_earlier_mistakes(app_at, dbsession):
    make_staff(dbsession, make_operator(dbsession))
    for _attempt in range(4):
        _try(app_at, "staff@example.com", "wrong password", 400)
    _try(app_at, "staff@example.com", "a long staff password", 303)
    app_at.post("/console/sign-out", {"csrf_token": app_at.get("/console").forms[0]["csrf_token"].value})
    for _attempt in range(4):
        _try(app_at, "staff@example.com", "wrong password", 400)
    _try(app_at, "staff@example.com", "a long staff password", 303)


def test_the_console_home_puts_the_days_pages_first_and_the_account_last(testapp, dbsession):
    make_staff(dbsession, make_operator(dbsession))
    page = sign_in(testapp)
    hrefs = [a["href"] for a in page.html.select("main .console-links a")]
    assert hrefs[:2] == ["/console/today", "/console/checkin"] and "/console/refunds" in hrefs
    assert hrefs[-1] == "/console/account"
    assert "/console/staff" not in hrefs  # the team is for owners
    assert len(hrefs) == len(set(hrefs))
