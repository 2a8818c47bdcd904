"""The days a whole village closes (Tết), through WebTest: the owner adds and removes them on
the village's page exactly as one experience's closed days (a preview first, across every
experience of the village, each session named with its experience); sessions with guests
refuse the closure with the list, and the owner may choose to cancel them with it (a box to
tick, a reason), then sees what happened to each booking. A guest booking meanwhile brings the
new list back, nothing changed. Owners of the village's operator only."""
import pytest
from sqlalchemy import func, select

from tests.factories import make_experience, make_session, make_staff, sign_in
from tests.pages import form_to, soup
from tests.tourism.booking.session_factories import rain_village
# One experience's closures' clock, guests and choice. Fixtures: `experience` is the pottery
# class ("Throw a pot") of the Rain Village, `quiet` its session on Friday 4 December at 07:00
# (nobody booked), `guests` book on `busy`, `web` is the app at that time, in English.
from tests.tourism.scheduling.test_console_closures import (  # noqa: F401
    choose_cancel,
    experience,
    guests,
    quiet,
    web,
    words,
)
from tests.tourism.scheduling.test_console_editing import local
from tourism.booking.bulk import EMAIL_KEY
from tourism.booking.models import Booking, BookingStatus
from tourism.notify.models import OutboxMessage
from tourism.scheduling.models import Closure, ExperienceSession, SessionStatus


@pytest.fixture
def village(experience):
    return experience.village


@pytest.fixture
def tea(dbsession, village):
    """The village's other experience."""
    return make_experience(dbsession, village, "mua-to-che", texts={"vi": "Hái chè", "en": "Pick tea"})


@pytest.fixture
def busy(dbsession, tea):
    """The tea morning on Saturday 5 December, 07:00: it will have guests."""
    return make_session(dbsession, tea, local(2026, 12, 5, 7), capacity=10, is_one_off=True)


def signed_in(web, dbsession, operator, email, role):
    make_staff(dbsession, operator, email=email, role=role)
    sign_in(web, email)
    return web


@pytest.fixture
def owner(web, dbsession, village):
    return signed_in(web, dbsession, village.operator, "owner@village.example", "owner")


def village_url(village) -> str:
    return f"/console/villages/{village.id}/closures"


def close_village(app, village, starts_on="2026-12-04", ends_on="2026-12-05", reason="Tết"):
    """The village's closure form filled in and sent: its preview, or its refusal."""
    form = form_to(app.get(village_url(village)), f"/console/villages/{village.id}/closures")
    form["starts_on"], form["ends_on"], form["reason"] = starts_on, ends_on, reason
    return form.submit(status="*")


def save_forms(page) -> list:
    return [f for f in page.forms.values() if "step" in f.fields and f["step"].value == "save"]


def save(page):
    (form,) = save_forms(page)
    return form.submit(status="*")


def village_closures(village):
    return select(Closure).where(Closure.village_id == village.id)


def state(dbsession, village) -> tuple:
    """Everything closing the village and cancelling could touch."""
    dbsession.expire_all()
    closures = [(c.id, c.village_id, c.experience_id, c.starts_on, c.ends_on, c.reason)
                for c in dbsession.scalars(select(Closure).order_by(Closure.id))]
    sessions = [(s.id, s.status, s.closure_id, s.seats_booked, s.seats_held) for s in dbsession.scalars(
        select(ExperienceSession).order_by(ExperienceSession.id))]
    bookings = sorted((b.id, b.status) for b in dbsession.scalars(select(Booking)))
    outbox = dbsession.scalar(select(func.count()).select_from(OutboxMessage))
    return closures, sessions, bookings, outbox


def test_the_owner_closes_the_whole_village_and_opens_it_again(owner, dbsession, village, tea, busy,
                                                               quiet):
    before = state(dbsession, village)
    preview = close_village(owner, village)
    assert preview.status_int == 200 and state(dbsession, village) == before  # a preview changes nothing
    assert words(preview.html.select_one(".sc-what")) == "Closed: Dec 4, 2026 to Dec 5, 2026 · Tết (the whole village)"
    closed = [words(li) for li in preview.html.select(".sc-effect li")]
    assert closed == ["Friday, December 4, 2026, 7:00 AM · Throw a pot",
                      "Saturday, December 5, 2026, 7:00 AM · Pick tea"]

    done = save(preview)
    assert done.status_int == 303 and done.location.endswith(f"{village_url(village)}#closures")
    page = done.follow()
    assert "Saved. Sessions closed: 2." in words(page.html)
    dbsession.expire_all()
    (closure,) = dbsession.scalars(village_closures(village))
    assert (closure.village_id, closure.experience_id, closure.reason) == (village.id, None, "Tết")
    assert (quiet.closure_id, busy.closure_id) == (closure.id, closure.id)
    # Each experience's schedule shows it, read-only there.
    assert "(the whole village)" in owner.get(f"/console/experiences/{tea.id}/schedule").text

    removal = page.click("Open again")
    assert "Sessions open again: 2" in words(removal.html)
    assert save(removal).status_int == 303
    dbsession.expire_all()
    assert dbsession.scalars(village_closures(village)).all() == []
    assert (quiet.closure_id, busy.closure_id) == (None, None)


def test_a_form_that_cannot_be_read_comes_back_on_the_villages_page(owner, dbsession, village, busy):
    before = state(dbsession, village)
    refused = close_village(owner, village, starts_on="31/2/2026", reason="")
    assert refused.status_int == 400
    summary = soup(refused).select_one("#closure-problems")
    assert summary.has_attr("autofocus") and "Say why, in a few words" in words(summary)
    assert soup(refused).select_one("#closure-starts_on")["aria-invalid"] == "true"
    assert state(dbsession, village) == before


def test_sessions_with_guests_refuse_the_closure_and_may_be_cancelled_with_it(owner, dbsession, village, tea,
                                                                            busy, quiet, guests):
    transfer = guests.by_transfer(name="Lê Thị Hoa", locale="vi", adults=2)
    before = state(dbsession, village)
    refused = close_village(owner, village)
    assert refused.status_int == 200 and state(dbsession, village) == before
    blocked = soup(refused).select_one("#blocked")
    assert blocked.has_attr("autofocus")
    assert "Saturday, December 5, 2026, 7:00 AM · Pick tea · 2 seats taken; the day would be closed" in words(
        blocked)
    # The ordinary Save, sent anyway, is refused as before.
    assert save_forms(refused) == []

    done = choose_cancel(refused, reason="rain", note="Bão số 9.")
    assert done.status_int == 303
    assert f"/console/villages/{village.id}/closures/cancelled?session={busy.id}" in done.location
    report = done.follow()
    assert report.html.select_one("h1#cancelled-title").has_attr("autofocus")
    text = words(report.html)
    assert "Saved. Sessions closed: 2." in text and "Sessions with guests cancelled: 1." in text
    assert [words(h2) for h2 in report.html.select("section h2")] == ["Saturday, December 5, 2026, 7:00 AM · Pick tea"]
    assert "₫600,000 to pay back by bank transfer." in words(report.html.select_one("table"))
    assert report.html.select_one(f'a[href="{village_url(village)}#closures"]')

    dbsession.expire_all()
    (closure,) = dbsession.scalars(village_closures(village))
    assert closure.village_id == village.id
    assert (busy.status, busy.closure_id, busy.seats_booked) == (SessionStatus.CANCELLED, closure.id, 0)
    assert (quiet.status, quiet.closure_id) == (SessionStatus.OPEN, closure.id)
    assert dbsession.get(Booking, transfer.id).status == BookingStatus.CANCELLED
    email = dbsession.scalar(select(OutboxMessage).where(
        OutboxMessage.dedupe_key == EMAIL_KEY.format(booking_id=transfer.id)))
    assert "Hái chè" in email.subject and "Bão số 9." in email.body_text


def test_the_choice_needs_the_box_ticked_and_focuses_what_is_missing(owner, dbsession, village, busy, guests):
    guests.by_transfer(adults=2)
    refused = close_village(owner, village)
    before = state(dbsession, village)
    unticked = choose_cancel(refused, tick=False)
    assert unticked.status_int == 400 and state(dbsession, village) == before
    summary = soup(unticked).select_one("#cancel-problems")
    assert summary.has_attr("autofocus") and "Tick the box to cancel these sessions." in words(summary)
    assert not soup(unticked).select_one("#blocked").has_attr("autofocus")  # one place takes the focus


def test_a_guest_booking_meanwhile_on_another_experience_brings_the_list_back(owner, dbsession, village, busy,
                                                                             quiet, guests):
    guests.by_transfer(adults=2)
    refused = close_village(owner, village)
    late = guests.at_village(name="Nguyễn Văn Muộn", adults=1, session=quiet)  # the pottery class, after the look
    before = state(dbsession, village)
    again = choose_cancel(refused)
    assert again.status_int == 409 and state(dbsession, village) == before  # nothing saved, nobody cancelled
    assert "Something changed since you looked" in again.text
    blocked = words(again.html.select_one("#blocked"))
    assert "Friday, December 4, 2026, 7:00 AM · Throw a pot" in blocked and "Pick tea" in blocked
    assert "cancel the 2 sessions with guests" in words(again.html.select_one("#cancel-sessions"))
    assert choose_cancel(again).status_int == 303
    dbsession.expire_all()
    assert (busy.status, quiet.status) == (SessionStatus.CANCELLED, SessionStatus.CANCELLED)
    assert dbsession.get(Booking, late.id).status == BookingStatus.CANCELLED


def village_requests(app, village, busy, closure) -> list:
    """Every village closure page and form, as someone who may not use them would try them."""
    token = app.get("/console/account").html.select_one("input[name=csrf_token]")["value"]
    form = {"csrf_token": token, "starts_on": "2026-12-04", "ends_on": "2026-12-05", "reason": "Tết"}
    url = village_url(village)
    return [app.get(url, status="*"),
            app.post(url, dict(form, step="preview"), status="*"),
            app.post(url, dict(form, step="save", fingerprint="x"), status="*"),
            app.post(url, dict(form, step="cancel", fingerprint="x", cancel_reason="rain", cancel_sessions="yes"),
                     status="*"),
            app.get(f"{url}/cancelled", {"session": busy.id}, status="*"),
            app.get(f"/console/schedule/closures/{closure.id}/remove", status="*"),
            app.post(f"/console/schedule/closures/{closure.id}/remove",
                     {"csrf_token": token, "step": "save", "fingerprint": "x"}, status="*")]


@pytest.mark.parametrize("who", ["staff", "another operator's owner"])
def test_only_the_villages_owners_get_in(web, dbsession, village, busy, guests, who):
    guests.by_transfer(adults=2)
    closure = Closure(village_id=village.id, starts_on=busy.starts_at.date(), ends_on=busy.starts_at.date(),
                      reason="Lễ hội")
    dbsession.add(closure)
    dbsession.flush()
    if who == "staff":
        app = signed_in(web, dbsession, village.operator, "staff@village.example", "staff")
    else:
        other = rain_village(dbsession, "lang-khac", "htx-khac").village.operator
        app = signed_in(web, dbsession, other, "owner@khac.example", "owner")
    before = state(dbsession, village)
    assert [r.status_int for r in village_requests(app, village, busy, closure)] == [403] * 7
    assert state(dbsession, village) == before


def test_the_experiences_list_leads_to_each_villages_closed_days(owner, village, tea):
    page = owner.get("/console/experiences")
    links = soup(page).select(f'a[href="{village_url(village)}"]')
    assert [words(a) for a in links] == ["The whole village's closed days: Rain Village"]
    assert "Schedule: Pick tea" in words(page.click(href=village_url(village)).html)
