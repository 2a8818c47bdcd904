"""The schedule console through WebTest, as an operator's owner on a phone would use it:
schedules set with checkboxes, times and dates (never an RRULE), every change previewed and
then saved exactly as previewed, sessions with guests listed with a link when a change
would take them away, seats never below the guests; only the operator's owners get in, every
form needs its CSRF token, and bad input changes nothing."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from tests.factories import make_experience, make_operator, make_staff, make_village, sign_in
from tests.pages import form_to, soup
from tests.tourism.scheduling.test_console_editing import book, local
from tourism.accounts.services import find_operator
from tourism.catalog.models import ExperienceKind
from tourism.scheduling import console_views
from tourism.scheduling.models import Closure, ExperienceSession, ScheduleRule, SessionStatus

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)  # Tuesday 24 November 2026, 10:00 in Hà Nội


@pytest.fixture
def place(dbsession):
    """Our operator's village and workshop (no schedule yet), and its owner."""
    village = make_village(dbsession, slug="lang-lich", province="Tỉnh Lịch")
    operator = make_operator(dbsession, slug="htx-lich", villages=[village])
    workshop = make_experience(dbsession, village, "lang-lich-gom", duration_minutes=120, max_party=8)
    make_staff(dbsession, operator, email="owner@example.com", role="owner")
    return workshop


@pytest.fixture
def others(dbsession, place):
    """Our operator's staff (not an owner) and the owner of another operator (the demo's Chu Đậu)."""
    make_staff(dbsession, place.village.operator, email="staff@example.com", role="staff")
    make_staff(dbsession, find_operator(dbsession, "gom-chu-dau"), email="theirs@example.com", role="owner")


@pytest.fixture
def owner(app_at, place):
    sign_in(app_at, "owner@example.com")
    return app_at


def schedule_url(experience) -> str:
    return f"/console/experiences/{experience.id}/schedule"


def get(app, url, status=200, lang="en"):
    return app.get(url, {"lang": lang} if "?" not in url else None, status=status)


def fill_rule(form, days=("1", "5"), times="07:00", valid_from="2026-12-01", valid_until="2026-12-12",
              capacity="12"):
    for box in form.fields["weekday"]:
        box.checked = box._value in days
    form["times"], form["valid_from"], form["valid_until"], form["capacity"] = times, valid_from, valid_until, capacity
    return form


def preview_rule(app, experience, **fields):
    page = get(app, schedule_url(experience))
    return fill_rule(form_to(page, "/schedule/rules"), **fields).submit(status="*")


def save_form(page):
    (form,) = [f for f in page.forms.values() if "fingerprint" in f.fields]
    return form


def words(page) -> str:
    """A page's (or an element's) text, spaces folded."""
    return " ".join(page.get_text(" ").split())


def sessions_of(dbsession, experience):
    dbsession.expire_all()
    return list(dbsession.scalars(select(ExperienceSession).where(
        ExperienceSession.experience_id == experience.id, ExperienceSession.status == SessionStatus.OPEN)
        .order_by(ExperienceSession.starts_at)))


def state(dbsession, experience) -> tuple:
    """Everything a schedule change could touch."""
    dbsession.expire_all()
    rules = sorted((r.rrule, r.valid_from, r.valid_until, r.capacity) for r in dbsession.scalars(
        select(ScheduleRule).where(ScheduleRule.experience_id == experience.id)))
    closures = sorted((c.starts_on, c.ends_on, c.reason) for c in dbsession.scalars(
        select(Closure).where(Closure.experience_id == experience.id)))
    sessions = [(s.starts_at, s.capacity, s.status, s.closure_id, s.is_one_off) for s in dbsession.scalars(
        select(ExperienceSession).where(ExperienceSession.experience_id == experience.id)
        .order_by(ExperienceSession.starts_at))]
    return rules, closures, sessions


def with_schedule(app, dbsession, experience, **fields):
    save_form(preview_rule(app, experience, **fields)).submit(status=303)
    return sessions_of(dbsession, experience)


# --- the main journey ------------------------------------------------------------------------

def test_a_schedule_from_checkboxes_times_and_dates_is_previewed_then_saved_as_previewed(owner, dbsession, place):
    before = state(dbsession, place)
    preview = preview_rule(owner, place, times="7h, 14:30")
    assert preview.status_code == 200
    assert state(dbsession, place) == before  # a preview saves nothing
    page = soup(preview)
    assert "Tuesday and Saturday" in page.select_one(".sc-facts").get_text(" ")
    listed = [li.get_text(" ", strip=True) for li in page.select(".sc-effect")[0].select("li")]
    assert len(listed) == 8
    assert listed[0].replace("\u202f", " ") == "Tuesday, December 1, 2026, 7:00 AM · 12 seats"
    assert listed[1].replace("\u202f", " ") == "Tuesday, December 1, 2026, 2:30 PM · 12 seats"
    done = save_form(preview).submit(status=303).follow()
    assert "Saved. New sessions: 8." in done.text
    assert [s.starts_at for s in sessions_of(dbsession, place)] == [
        local(2026, 12, d, h, m) for d in (1, 5, 8, 12) for h, m in ((7, 0), (14, 30))]
    assert sorted(r.rrule for r in dbsession.scalars(select(ScheduleRule).where(
        ScheduleRule.experience_id == place.id))) == ["FREQ=WEEKLY;BYDAY=TU,SA;BYHOUR=14;BYMINUTE=30",
                                                      "FREQ=WEEKLY;BYDAY=TU,SA;BYHOUR=7;BYMINUTE=0"]
    # The schedule page shows the schedules in words and the coming sessions with their seats.
    schedule = soup(get(owner, schedule_url(place)))
    assert [card.select_one("dd").get_text() for card in schedule.select("#schedules ~ ul .transfer-card")][:2] == [
        "Tuesday and Saturday", "Tuesday and Saturday"]
    assert len(schedule.select(".sc-session")) == 4  # the coming two weeks: 1 and 5 December


def test_the_save_button_saves_only_what_was_previewed(owner, dbsession, place):
    first = preview_rule(owner, place)
    with_schedule(owner, dbsession, place, days=("5",))  # meanwhile Saturdays were saved (another tab)
    before = state(dbsession, place)
    again = save_form(first).submit(status=409)
    assert "Something changed since you looked" in again.text
    assert state(dbsession, place) == before
    # The new preview shows what saving does now (only the Tuesdays are new), and saves that.
    assert len(soup(again).select(".sc-effect")[0].select("li")) == 2
    save_form(again).submit(status=303)
    assert len(sessions_of(dbsession, place)) == 4


def test_a_save_without_its_preview_is_not_taken(owner, dbsession, place):
    before = state(dbsession, place)
    page = get(owner, schedule_url(place))
    form = fill_rule(form_to(page, "/schedule/rules"))
    form["step"] = "save"  # a forged or stale form: no fingerprint of a preview
    assert form.submit(status=409)
    assert state(dbsession, place) == before


def test_changing_a_schedule_through_its_page(owner, dbsession, place):
    with_schedule(owner, dbsession, place)
    rule = dbsession.scalar(select(ScheduleRule).where(ScheduleRule.experience_id == place.id))
    page = get(owner, f"/console/schedule/rules/{rule.id}")
    form = form_to(page, f"/console/schedule/rules/{rule.id}")
    assert form["times"].value == "07:00" and form["capacity"].value == "12"
    assert sorted(b._value for b in form.fields["weekday"] if b.checked) == ["1", "5"]
    fill_rule(form, days=("3",), capacity="15")
    preview = form.submit()
    texts = [s.get_text(" ", strip=True) for s in soup(preview).select(".sc-effect summary")]
    assert texts == ["New sessions (2)", "Sessions removed (4)"]
    save_form(preview).submit(status=303)
    assert [(s.starts_at, s.capacity) for s in sessions_of(dbsession, place)] == [
        (local(2026, 12, 3, 7), 15), (local(2026, 12, 10, 7), 15)]


def test_a_seasonal_rule_written_elsewhere_is_shown_in_words_with_a_warning(owner, dbsession, place):
    dbsession.add(ScheduleRule(experience_id=place.id, rrule="FREQ=DAILY;BYMONTH=3,4,5;BYHOUR=7,14;BYMINUTE=0",
                               valid_from=date(2026, 3, 1), capacity=20))
    dbsession.flush()
    page = soup(get(owner, schedule_url(place)))
    assert "Only in: March, April, and May." in words(page)
    rule = dbsession.scalar(select(ScheduleRule).where(ScheduleRule.experience_id == place.id))
    edit = get(owner, f"/console/schedule/rules/{rule.id}")
    assert "more conditions than this form has" in edit.text
    assert form_to(edit, f"/console/schedule/rules/{rule.id}")["times"].value == "07:00, 14:00"


# --- guests in the way -----------------------------------------------------------------------

def test_removing_a_schedule_with_booked_sessions_lists_them_and_saves_nothing(owner, dbsession, place, monkeypatch):
    sessions = with_schedule(owner, dbsession, place)
    book(dbsession, sessions[0], 2)
    rule = dbsession.scalar(select(ScheduleRule).where(ScheduleRule.experience_id == place.id))
    before = state(dbsession, place)
    monkeypatch.setattr(console_views, "SESSION_ROUTE", "tickets.manifest")  # a route with a session_id
    page = get(owner, f"/console/schedule/rules/{rule.id}/remove")
    blocked = soup(page).select_one("#blocked")
    assert "Nothing can be saved yet" in blocked.get_text()
    assert [a["href"] for a in blocked.select("a")] == [f"/console/sessions/{sessions[0].id}/manifest.pdf"]
    assert "2 seats taken; the session would go" in words(blocked)
    assert not [f for f in page.forms.values() if "fingerprint" in f.fields]  # no Save button
    # Sent anyway (a forged form), it is refused the same way.
    token = form_to(get(owner, schedule_url(place)), "/schedule/rules")["csrf_token"].value
    refused = owner.post(f"/console/schedule/rules/{rule.id}/remove",
                         {"csrf_token": token, "step": "save", "fingerprint": "x"}, status=409)
    assert "Nothing can be saved yet" in refused.text
    assert state(dbsession, place) == before
    # Before the session pages exist, the sessions are listed without links.
    monkeypatch.setattr(console_views, "SESSION_ROUTE", "no.such.route")
    assert soup(get(owner, f"/console/schedule/rules/{rule.id}/remove")).select("#blocked a") == []


def test_closing_days_with_guests_is_refused_with_the_list(owner, dbsession, place):
    sessions = with_schedule(owner, dbsession, place)
    book(dbsession, sessions[1], 3)  # Saturday 5 December, 07:00
    before = state(dbsession, place)
    form = form_to(get(owner, schedule_url(place)), "/schedule/closures")
    form["starts_on"], form["ends_on"], form["reason"] = "2026-12-04", "2026-12-06", "Nung lò"
    preview = form.submit(status=200)
    assert preview.status_code == 200 and not [f for f in preview.forms.values()  # no Save button
                                               if "step" in f.fields and f["step"].value == "save"]
    blocked = words(soup(preview).select_one("#blocked"))
    assert "Saturday, December 5, 2026" in blocked and "3 seats taken; the day would be closed" in blocked
    assert state(dbsession, place) == before
    # The same closure on a day without guests closes its sessions (the form to change it,
    # not the one to cancel those sessions).
    (form,) = [f for f in preview.forms.values() if f.action.endswith("/schedule/closures")
               and f["step"].value == "preview"]
    form["starts_on"], form["ends_on"] = "2026-12-08", ""
    preview = form.submit()
    assert "Sessions closed (1)" in words(soup(preview))
    save_form(preview).submit(status=303)
    closure = dbsession.scalar(select(Closure).where(Closure.experience_id == place.id))
    assert (closure.starts_on, closure.ends_on, closure.reason) == (date(2026, 12, 8), date(2026, 12, 8), "Nung lò")
    # Opening the day again: previewed, then saved.
    reopen = get(owner, f"/console/schedule/closures/{closure.id}/remove")
    assert "Sessions open again (1)" in words(soup(reopen))
    save_form(reopen).submit(status=303)
    assert dbsession.get(Closure, closure.id) is None
    assert all(s.closure_id is None for s in sessions_of(dbsession, place))


def test_a_village_closure_is_shown_here_and_changed_on_the_villages_page(owner, dbsession, place):
    closure = Closure(village_id=place.village_id, starts_on=date(2027, 2, 4), ends_on=date(2027, 2, 10), reason="Tết")
    dbsession.add(closure)
    dbsession.flush()
    page = get(owner, schedule_url(place))
    assert "(the whole village)" in page.text
    assert not soup(page).select(f'a[href="/console/schedule/closures/{closure.id}/remove"]')
    village_page = page.click("Change the village's closed days")
    assert village_page.request.path == f"/console/villages/{place.village_id}/closures"
    assert soup(village_page).select(f'a[href="/console/schedule/closures/{closure.id}/remove"]')


# --- one session's seats, extra sessions ---------------------------------------------------------

def test_a_sessions_seats_never_go_below_its_guests(owner, dbsession, place):
    sessions = with_schedule(owner, dbsession, place)
    book(dbsession, sessions[0], 4)
    page = get(owner, schedule_url(place))
    form = form_to(page, f"/console/schedule/sessions/{sessions[0].id}/capacity")
    form["capacity"] = "3"
    refused = form.submit(status=400)
    assert "4 seats of this session are already booked or held" in refused.text
    assert soup(refused).select_one(f"#seats-{sessions[0].id}-capacity")["aria-invalid"] == "true"
    assert sessions_of(dbsession, place)[0].capacity == 12
    form = form_to(refused, f"/console/schedule/sessions/{sessions[0].id}/capacity")
    form["capacity"] = "4"
    done = form.submit(status=303).follow()
    assert "now 4 seats" in done.text and "keeps its own number of seats" in done.text
    assert sessions_of(dbsession, place)[0].capacity == 4


def test_an_extra_session_is_previewed_added_and_removed(owner, dbsession, place):
    form = form_to(get(owner, schedule_url(place)), "/schedule/extra")
    form["day"], form["time"], form["capacity"] = "2026-12-20", "09:00", "6"
    preview = form.submit()
    assert "New sessions (1)" in words(soup(preview))
    assert sessions_of(dbsession, place) == []
    save_form(preview).submit(status=303)
    (session,) = sessions_of(dbsession, place)
    assert (session.starts_at, session.capacity, session.is_one_off) == (local(2026, 12, 20, 9), 6, True)
    page = get(owner, schedule_url(place))
    remove = page.click(href=f"/console/schedule/sessions/{session.id}/remove")
    assert "Sessions removed (1)" in words(soup(remove))
    save_form(remove).submit(status=303)
    assert sessions_of(dbsession, place) == []


def test_admission_tickets_have_no_schedules_to_set(owner, dbsession, place):
    museum = make_experience(dbsession, place.village, "lang-lich-bao-tang", kind=ExperienceKind.ADMISSION,
                             daily_capacity=50)
    page = get(owner, schedule_url(museum))
    assert "This is an admission ticket" in page.text and "/schedule/rules" not in page.text
    token = form_to(page, "/schedule/closures")["csrf_token"].value
    owner.post(f"{schedule_url(museum)}/rules", {"csrf_token": token, "weekday": "1", "times": "9",
                                                  "valid_from": "2026-12-01", "capacity": "5"}, status=404)


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, field, message", [
    ({"days": ()}, "weekday", "Tick at least one day"),
    ({"times": "25:00"}, "times", "is not a time of day"),
    ({"times": ""}, "times", "at least one start time"),
    ({"valid_from": "2027-02-30"}, "valid_from", "not a date we can read"),
    ({"valid_until": "2026-11-01"}, "valid_until", "before the first day"),
    ({"capacity": "0"}, "capacity", "from 1 to 1000 seats"),
    ({"capacity": "mười"}, "capacity", "whole number"),
])
def test_a_wrong_schedule_form_is_refused_next_to_its_field_and_changes_nothing(owner, dbsession, place, fields,
                                                                               field, message):
    before = state(dbsession, place)
    refused = preview_rule(owner, place, **fields)
    assert refused.status_code == 400
    page = soup(refused)
    assert message in page.select_one(f"#rule-{field}-error").get_text()
    assert page.select_one(f"#rule-{field}")["aria-invalid"] == "true"
    assert page.select_one("#rule-problems a")["href"] == f"#rule-{field}"
    assert state(dbsession, place) == before


@pytest.mark.parametrize("url_end, fields, field", [
    ("/schedule/closures", {"starts_on": "", "reason": "x"}, "closure-starts_on"),
    ("/schedule/closures", {"starts_on": "2026-12-05", "ends_on": "2026-12-01", "reason": "x"}, "closure-ends_on"),
    ("/schedule/closures", {"starts_on": "2026-12-05", "reason": ""}, "closure-reason"),
    ("/schedule/extra", {"day": "2026-11-23", "time": "09:00", "capacity": "5"}, "one-off-day"),
    ("/schedule/extra", {"day": "2026-12-01", "time": "9:99", "capacity": "5"}, "one-off-time"),
    ("/schedule/extra", {"day": "2026-12-01", "time": "09:00", "capacity": "5000"}, "one-off-capacity"),
])
def test_wrong_closure_and_extra_session_forms_change_nothing(owner, dbsession, place, url_end, fields, field):
    before = state(dbsession, place)
    form = form_to(get(owner, schedule_url(place)), url_end)
    for name, value in fields.items():
        form[name] = value
    refused = form.submit(status=400)
    assert soup(refused).select_one(f"#{field}")["aria-invalid"] == "true"
    assert state(dbsession, place) == before


def test_absurd_input_never_breaks_a_page(owner, dbsession, place):
    sessions = with_schedule(owner, dbsession, place)
    before = state(dbsession, place)
    token = form_to(get(owner, schedule_url(place)), "/schedule/rules")["csrf_token"].value
    for url, fields in [
        (f"{schedule_url(place)}/rules", {"weekday": ["9", "-1", "x" * 5000], "times": "\x00", "valid_from": "9" * 500,
                                           "capacity": "1" * 500, "step": "save", "fingerprint": "x" * 1000}),
        (f"{schedule_url(place)}/closures", {"starts_on": "2026-12-01\x00", "reason": "x\x00" * 200}),
        (f"{schedule_url(place)}/extra", {"day": "０１/12/2026", "time": "٠٩:٠٠", "capacity": "５"}),
        (f"/console/schedule/sessions/{sessions[0].id}/capacity", {"capacity": "1e3"}),
    ]:
        owner.post(url, dict(fields, csrf_token=token), status=400)
    get(owner, schedule_url(place) + "?from=99999-01-01&lang=en")
    get(owner, schedule_url(place) + "?from=2026-13-45&lang=en")
    assert state(dbsession, place) == before


# --- who may do what ---------------------------------------------------------------------------

def urls(dbsession, experience, app) -> tuple[list[str], dict[str, dict]]:
    """(every GET URL, every POST URL with plausible fields) of the experience's schedule."""
    sessions = with_schedule(app, dbsession, experience)
    rule = dbsession.scalar(select(ScheduleRule).where(ScheduleRule.experience_id == experience.id))
    closure = Closure(experience_id=experience.id, starts_on=date(2027, 1, 5), ends_on=date(2027, 1, 5), reason="x")
    one_off = ExperienceSession(experience_id=experience.id, starts_at=local(2026, 12, 20, 9),
                                ends_at=local(2026, 12, 20, 11), capacity=5, is_one_off=True)
    dbsession.add_all([closure, one_off])
    dbsession.flush()
    base = schedule_url(experience)
    rule_fields = {"weekday": "1", "times": "08:00", "valid_from": "2026-12-01", "capacity": "3", "step": "save"}
    gets = [base, f"/console/schedule/rules/{rule.id}", f"/console/schedule/rules/{rule.id}/remove",
            f"/console/schedule/closures/{closure.id}/remove", f"/console/schedule/sessions/{one_off.id}/remove",
            f"/console/schedule/sessions/{sessions[0].id}/capacity", f"{base}/rules", f"{base}/closures",
            f"{base}/extra"]
    posts = {f"{base}/rules": rule_fields, f"/console/schedule/rules/{rule.id}": rule_fields,
             f"/console/schedule/rules/{rule.id}/remove": {"step": "save"},
             f"{base}/closures": {"starts_on": "2026-12-01", "reason": "x", "step": "save"},
             f"/console/schedule/closures/{closure.id}/remove": {"step": "save"},
             f"{base}/extra": {"day": "2026-12-21", "time": "9", "capacity": "3", "step": "save"},
             f"/console/schedule/sessions/{one_off.id}/remove": {"step": "save"},
             f"/console/schedule/sessions/{sessions[0].id}/capacity": {"capacity": "1"}}
    return gets, posts


@pytest.mark.parametrize("who", ["theirs@example.com", "staff@example.com"])
@pytest.mark.usefixtures("others")
def test_only_the_operators_owners_get_in_and_others_change_nothing(app_at, dbsession, place, who):
    sign_in(app_at, "owner@example.com")
    gets, posts = urls(dbsession, place, app_at)
    app_at.post("/console/sign-out", {"csrf_token": form_to(get(app_at, "/console"), "/console/sign-out")[
        "csrf_token"].value})
    before = state(dbsession, place)
    sign_in(app_at, who)
    token = form_to(get(app_at, "/console"), "/console/sign-out")["csrf_token"].value
    for url in gets:
        app_at.get(url, status=403)
    for url, fields in posts.items():
        app_at.post(url, dict(fields, csrf_token=token), status=403)
    for url in ("/console/schedule/rules/999999999", "/console/schedule/rules/abc",
                "/console/schedule/sessions/99999999999999/capacity", "/console/experiences/999999999/schedule"):
        app_at.get(url, status=404)
    assert state(dbsession, place) == before


def test_strangers_are_sent_to_sign_in_and_cannot_post(app_at, dbsession, place):
    sign_in(app_at, "owner@example.com")
    gets, posts = urls(dbsession, place, app_at)
    app_at.post("/console/sign-out", {"csrf_token": form_to(get(app_at, "/console"), "/console/sign-out")[
        "csrf_token"].value})
    before = state(dbsession, place)
    for url in gets:
        assert "/console/sign-in" in app_at.get(url).location, url
    token = app_at.get("/console/sign-in").forms[0]["csrf_token"].value
    for url, fields in posts.items():
        app_at.post(url, dict(fields, csrf_token=token), status=403)
    assert state(dbsession, place) == before


def test_every_form_needs_its_csrf_token(owner, dbsession, place):
    gets, posts = urls(dbsession, place, owner)
    before = state(dbsession, place)
    for url, fields in posts.items():
        owner.post(url, fields, status=400)
        owner.post(url, dict(fields, csrf_token="not-the-token"), status=400)
    assert state(dbsession, place) == before


def test_an_admin_gets_in_too(app_at, dbsession, place):
    make_staff(dbsession, None, email="admin@example.com")
    sign_in(app_at, "admin@example.com")
    get(app_at, schedule_url(place))
    assert with_schedule(app_at, dbsession, place)


def test_counts_stay_the_same_for_other_experiences(owner, dbsession, place):
    others = dbsession.scalar(select(func.count()).select_from(ExperienceSession).where(
        ExperienceSession.experience_id != place.id))
    with_schedule(owner, dbsession, place)
    assert dbsession.scalar(select(func.count()).select_from(ExperienceSession).where(
        ExperienceSession.experience_id != place.id)) == others
