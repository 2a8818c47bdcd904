"""Closing days over sessions that have guests, through WebTest: the closure is refused with
the sessions listed, and the owner may then decide, consciously (a box to tick, a reason for
the guests), to close the days and cancel those sessions: every guest refunded in full and
e-mailed in their own language, then a report per booking. Only the sessions listed are
cancelled: a guest who booked meanwhile brings the list back, nothing changed. Owners only."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_session, make_staff, sign_in
from tests.pages import form_to, soup
from tests.tourism.booking.session_factories import NOW as BOOKED_AT
from tests.tourism.booking.session_factories import Guests, rain_village, refunds_of
from tests.tourism.scheduling.test_console_editing import local
from tourism.booking.bulk import EMAIL_KEY, REFUND_REASON
from tourism.booking.models import Booking, BookingStatus
from tourism.booking.services import format_reference
from tourism.notify.models import OutboxMessage
from tourism.payments.models import RefundStatus
from tourism.scheduling.models import Closure, ExperienceSession, SessionStatus

NOW = BOOKED_AT + timedelta(hours=1)  # Tuesday 1 December 2026, 09:00 in Hà Nội


@pytest.fixture
def experience(dbsession):
    return rain_village(dbsession)  # a pottery class in vi, en and ko


@pytest.fixture
def busy(dbsession, experience):
    """Saturday 5 December, 07:00: it will have guests."""
    return make_session(dbsession, experience, local(2026, 12, 5, 7), capacity=10, is_one_off=True)


@pytest.fixture
def quiet(dbsession, experience):
    """Friday 4 December, 07:00: nobody booked."""
    return make_session(dbsession, experience, local(2026, 12, 4, 7), capacity=10, is_one_off=True)


@pytest.fixture
def guests(dbsession, app, busy):
    return Guests(dbsession, app.registry, busy)


@pytest.fixture
def web(testapp):
    testapp.extra_environ["tourism.now"] = NOW
    testapp.extra_environ["HTTP_ACCEPT_LANGUAGE"] = "en"
    return testapp


@pytest.fixture
def owner(web, dbsession, experience):
    make_staff(dbsession, experience.village.operator, email="owner@closed.example", role="owner")
    sign_in(web, "owner@closed.example")
    return web


@pytest.fixture
def staff(web, dbsession, experience):
    make_staff(dbsession, experience.village.operator, email="staff@closed.example", role="staff")
    sign_in(web, "staff@closed.example")
    return web


def words(node) -> str:
    return " ".join(node.get_text(" ").split())


def close_days(app, experience, starts_on="2026-12-04", ends_on="2026-12-05", reason="Nung lò"):
    """The closure form filled in and sent: the preview (here refused, with the sessions listed)."""
    page = app.get(f"/console/experiences/{experience.id}/schedule")
    form = form_to(page, "/schedule/closures")
    form["starts_on"], form["ends_on"], form["reason"] = starts_on, ends_on, reason
    return form.submit(status="*")


def cancel_form(page):
    (form,) = [f for f in page.forms.values() if "cancel_sessions" in f.fields]
    return form


def choose_cancel(page, reason="equipment", note="Lò nung bị nứt.", tick=True):
    form = cancel_form(page)
    form["cancel_reason"], form["cancel_note"] = reason, note
    form["cancel_sessions"].checked = tick
    return form.submit(status="*")


def state(dbsession, experience) -> tuple:
    """Everything closing and cancelling could touch."""
    dbsession.expire_all()
    closures = sorted((c.starts_on, c.ends_on) for c in dbsession.scalars(
        select(Closure).where(Closure.experience_id == experience.id)))
    sessions = [(s.id, s.status, s.closure_id, s.seats_booked, s.seats_held) for s in dbsession.scalars(
        select(ExperienceSession).where(ExperienceSession.experience_id == experience.id)
        .order_by(ExperienceSession.starts_at))]
    bookings = sorted((b.id, b.status) for b in dbsession.scalars(
        select(Booking).where(Booking.experience_id == experience.id)))
    outbox = dbsession.scalar(select(func.count()).select_from(OutboxMessage))
    return closures, sessions, bookings, outbox


def test_the_owner_closes_two_days_and_cancels_the_session_with_guests(owner, dbsession, experience, busy, quiet,
                                                                      guests):
    transfer = guests.by_transfer(name="Lê Thị Hoa", locale="vi", adults=2)
    village = guests.at_village(name="Kim Min-ji", locale="ko", adults=3)
    before = state(dbsession, experience)
    refused = close_days(owner, experience)
    assert refused.status_int == 200 and state(dbsession, experience) == before
    page = soup(refused)
    blocked = words(page.select_one("#blocked"))
    assert "Saturday, December 5, 2026" in blocked and "5 seats taken; the day would be closed" in blocked
    offer = words(page.select_one("#cancel-sessions"))
    assert "Bookings cancelled: 2 (5 guests)." in offer
    assert "Refunded in full: ₫600,000." in offer and "You pay ₫600,000 back by hand" in offer
    assert ("Close these days and cancel the 1 session with guests: every guest is refunded in full and told by "
            "e-mail in their own language.") in offer
    assert not cancel_form(refused)["cancel_sessions"].checked  # not cancelling is the default

    done = choose_cancel(refused)
    assert done.status_int == 303
    assert f"/console/experiences/{experience.id}/schedule/cancelled?session={busy.id}" in done.location
    report = done.follow()
    text = words(report.html)
    assert "Saved. Sessions closed: 2." in text and "Sessions with guests cancelled: 1." in text
    rows = {r.select_one(".reference").get_text(strip=True): words(r) for r in report.html.select("table tbody tr")}
    assert "₫600,000 to pay back by bank transfer." in rows[format_reference(transfer.reference)]
    assert "Nothing was paid." in rows[format_reference(village.reference)]
    assert all("E-mail waiting to be sent." in row for row in rows.values())
    assert report.html.select_one(f'a[href="/console/sessions/{busy.id}"]')
    assert report.html.select_one('a[href="/console/refunds"]')  # where the transfer is paid back

    # The closure is saved; both days are closed; the session with guests is also cancelled.
    dbsession.expire_all()
    (closure,) = dbsession.scalars(select(Closure).where(Closure.experience_id == experience.id))
    assert (closure.starts_on.isoformat(), closure.ends_on.isoformat(), closure.reason) == (
        "2026-12-04", "2026-12-05", "Nung lò")
    assert (busy.status, busy.closure_id, busy.seats_booked) == (SessionStatus.CANCELLED, closure.id, 0)
    assert (quiet.status, quiet.closure_id) == (SessionStatus.OPEN, closure.id)
    assert {transfer.status, village.status} == {BookingStatus.CANCELLED}
    # The transfer comes back in full, recorded to be paid by hand; nothing was paid at the village.
    (refund,) = refunds_of(dbsession, transfer)
    assert (refund.amount, refund.reason, refund.status) == (600_000, REFUND_REASON, RefundStatus.PENDING)
    assert refunds_of(dbsession, village) == []
    # Each guest is told in their own language, with the owner's words.
    emails = {m.dedupe_key: m for m in dbsession.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.in_(
        [EMAIL_KEY.format(booking_id=b.id) for b in (transfer, village)])))}
    hoa, minji = (emails[EMAIL_KEY.format(booking_id=b.id)] for b in (transfer, village))
    assert hoa.recipient == transfer.contact_email and "Nặn gốm" in hoa.subject
    assert minji.recipient == village.contact_email and "물레 도자기 체험" in minji.subject
    assert "Lò nung bị nứt." in hoa.body_text and "Lò nung bị nứt." in minji.body_text
    # Nobody can book the closed days any more.
    assert "This session was cancelled." in owner.get(f"/book/{busy.id}", status="*").text


def test_without_the_box_ticked_or_a_reason_nothing_changes(owner, dbsession, experience, busy, quiet, guests):
    guests.by_transfer(adults=2)
    refused = close_days(owner, experience)
    before = state(dbsession, experience)
    unticked = choose_cancel(refused, tick=False)
    assert unticked.status_int == 400
    assert "Tick the box to cancel these sessions. Nothing was changed." in words(unticked.html)
    assert state(dbsession, experience) == before
    no_reason = choose_cancel(unticked, reason="other", note="")
    assert no_reason.status_int == 400
    assert "Say in a few words why: the guests read it in their e-mail." in words(no_reason.html)
    assert state(dbsession, experience) == before
    # The ordinary Save, sent anyway (a forged form), is refused as before.
    form = cancel_form(refused)
    fields = {name: form[name].value for name in ("csrf_token", "fingerprint", "starts_on", "ends_on", "reason")}
    forged = owner.post(f"/console/experiences/{experience.id}/schedule/closures", dict(fields, step="save"),
                        status=409)
    assert "Nothing can be saved yet" in forged.text
    assert state(dbsession, experience) == before


def test_a_guest_booking_meanwhile_brings_the_list_back_and_nothing_changes(owner, dbsession, experience, busy,
                                                                           quiet, guests):
    guests.by_transfer(adults=2)
    refused = close_days(owner, experience)
    late = guests.at_village(name="Nguyễn Văn Muộn", adults=1, session=quiet)  # after the owner looked
    before = state(dbsession, experience)
    again = choose_cancel(refused)
    assert again.status_int == 409
    assert "Something changed since you looked" in again.text
    assert state(dbsession, experience) == before  # nothing saved, nobody cancelled, no e-mail
    blocked = words(again.html.select_one("#blocked"))
    assert "Friday, December 4, 2026" in blocked and "Saturday, December 5, 2026" in blocked
    offer = cancel_form(again)
    assert offer["cancel_reason"].value == "equipment" and offer["cancel_note"].value == "Lò nung bị nứt."
    assert not offer["cancel_sessions"].checked  # ticked again only for the new list
    assert "cancel the 2 sessions with guests" in words(again.html.select_one("#cancel-sessions"))
    # Chosen again for the list as it is now: both sessions are cancelled.
    done = choose_cancel(again)
    assert done.status_int == 303
    dbsession.expire_all()
    assert (busy.status, quiet.status) == (SessionStatus.CANCELLED, SessionStatus.CANCELLED)
    assert dbsession.get(Booking, late.id).status == BookingStatus.CANCELLED


def test_more_guests_on_a_listed_session_also_bring_the_list_back(owner, dbsession, experience, busy, guests):
    guests.by_transfer(adults=2)
    refused = close_days(owner, experience)
    guests.at_village(name="Trần Thêm", adults=1)  # the same session, one more guest
    before = state(dbsession, experience)
    again = choose_cancel(refused)
    assert again.status_int == 409 and "3 seats taken; the day would be closed" in words(again.html)
    assert state(dbsession, experience) == before


def test_a_started_session_in_the_way_is_not_offered(owner, dbsession, experience, guests):
    this_morning = make_session(dbsession, experience, local(2026, 12, 1, 10, 30), capacity=10, is_one_off=True)
    guests.at_village(session=this_morning)  # booked at 08:00
    owner.extra_environ["tourism.now"] = local(2026, 12, 1, 12)  # it has started
    refused = close_days(owner, experience, starts_on="2026-12-01", ends_on="2026-12-05")
    assert "Nothing can be saved yet" in refused.text
    assert not [f for f in refused.forms.values() if "cancel_sessions" in f.fields]


def test_staff_may_not_close_and_cancel(staff, dbsession, experience, busy, guests):
    guests.by_transfer(adults=2)
    before = state(dbsession, experience)
    token = staff.get("/console/account").html.select_one("input[name=csrf_token]")["value"]
    staff.post(f"/console/experiences/{experience.id}/schedule/closures",
               {"csrf_token": token, "step": "cancel", "fingerprint": "x", "starts_on": "2026-12-04",
                "ends_on": "2026-12-05", "reason": "Nung lò", "cancel_reason": "rain", "cancel_sessions": "yes"},
               status=403)
    staff.get(f"/console/experiences/{experience.id}/schedule/cancelled", {"session": busy.id}, status=403)
    assert state(dbsession, experience) == before


def test_the_report_lists_only_this_experiences_cancelled_sessions(owner, dbsession, experience, busy, quiet):
    other = rain_village(dbsession, "lang-khac", "htx-khac")
    theirs = make_session(dbsession, other, local(2026, 12, 5, 7), status=SessionStatus.CANCELLED)
    busy.status = SessionStatus.CANCELLED
    dbsession.flush()
    page = owner.get(f"/console/experiences/{experience.id}/schedule/cancelled",
                     [("session", busy.id), ("session", quiet.id), ("session", theirs.id), ("session", "x")])
    assert [a["href"] for a in page.html.select("h2 a")] == [f"/console/sessions/{busy.id}"]
