"""A booking taken by hand in the console (/console/bookings/new): for a guest on the phone or
at the gate, paid in cash now, at the village on the day, or by VietQR transfer; the same
capacity rules as the website (never more seats than the session has), one booking however
often the form is sent, a confirmation e-mail in the guest's language, and bad input
refused with every problem named and nothing changed."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.tourism.booking.test_console_bookings import NOW, book, enter, world  # noqa: F401
from tourism.booking.models import Booking, BookingStatus
from tourism.notify.models import OutboxMessage
from tourism.payments.models import Payment, PaymentStatus


def counts(dbsession) -> tuple:
    dbsession.expire_all()
    return tuple(dbsession.scalar(select(func.count()).select_from(model))
                 for model in (Booking, Payment, OutboxMessage))


def the_form(app, session, lang="en"):
    page = app.get(f"/console/bookings/new/{session.id}", {"lang": lang})
    return page, [f for f in page.forms.values() if f.action.endswith(f"/console/bookings/new/{session.id}")][0]


def fill(form, **fields):
    values = {"tier_adult": "2", "tier_child": "0", "name": "Phạm Văn Đức", "phone": "0912 000 111",
              "email": "duc@example.com", "country": "VN", "language": "vi", "channel": "phone",
              "payment": "at_village"}
    values.update(fields)
    for name, value in values.items():
        form[name] = value
    return form


def booking_of(dbsession, email) -> Booking:
    return dbsession.scalar(select(Booking).where(Booking.contact_email == email))


# --- choosing the session --------------------------------------------------------------------

def test_choosing_the_experience_and_the_day_lists_its_sessions(app_at, dbsession, world):
    enter(app_at, world, "ours")
    page = app_at.get("/console/bookings", {"lang": "en"}).click(href="/console/bookings/new")
    options = [o["value"] for o in page.html.select("#new-experience option")]
    assert options == sorted([str(world.pottery.id), str(world.painting.id)], key=lambda v: {
        str(world.pottery.id): "gom-bk", str(world.painting.id): "ve-gom-bk"}[v])
    assert str(world.tea.id) not in options  # another operator's experience
    form = page.forms[1]
    form["experience"] = str(world.pottery.id)
    sessions = form.submit()
    links = [a["href"] for a in sessions.html.select("a[href^='/console/bookings/new/']")]
    assert links == [f"/console/bookings/new/{s.id}" for s in (world.today, world.tomorrow, world.later, world.small)]
    later = app_at.get("/console/bookings/new", {"experience": str(world.pottery.id),
                                                 "day": (NOW + timedelta(days=5)).date().isoformat(), "lang": "en"})
    assert [a["href"] for a in later.html.select("a[href^='/console/bookings/new/']")] == [
        f"/console/bookings/new/{s.id}" for s in (world.later, world.small)]


@pytest.mark.parametrize("query", [{"experience": "tea"}, {"experience": "999999"}, {"day": "2026-02-31"}])
def test_a_wrong_experience_or_day_says_so(app_at, dbsession, world, query):
    enter(app_at, world, "ours")
    if query.get("experience") == "tea":
        query = {"experience": str(world.tea.id)}
    page = app_at.get("/console/bookings/new", dict(query, lang="en"), status=400)
    assert page.html.select_one("[role=alert]") is not None
    assert not page.html.select("a[href^='/console/bookings/new/']")


# --- booking ---------------------------------------------------------------------------------

def test_a_phone_booking_to_pay_at_the_village(app_at, dbsession, world):
    enter(app_at, world, "ours")
    _page, form = the_form(app_at, world.tomorrow)
    done = fill(form, language="ko").submit().follow()
    booking = booking_of(dbsession, "duc@example.com")
    assert "Booked:" in done.text and "The confirmation and ticket go to duc@example.com" in done.text
    assert done.request.path == f"/console/bookings/{booking.id}"
    assert (booking.status, booking.channel, booking.seats, booking.locale) == (
        BookingStatus.CONFIRMED, "phone", 2, "ko")
    assert booking.total_amount == 600000 and world.tomorrow.seats_booked == 2
    (payment,) = dbsession.scalars(select(Payment).where(Payment.booking_id == booking.id))
    assert (payment.provider, payment.status) == ("on_site", PaymentStatus.DUE_ON_SITE)
    (email,) = dbsession.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "duc@example.com"))
    assert email.dedupe_key == f"booking-confirmed:{booking.id}"
    assert any(a["content_type"] == "application/pdf" for a in email.attachments)
    assert "도자기 BK" in email.subject or "도자기 BK" in email.body_text  # in the guest's language


def test_a_walk_in_paid_in_cash_now(app_at, dbsession, world):
    enter(app_at, world, "ours")
    _page, form = the_form(app_at, world.today)
    done = fill(form, channel="walk_in", payment="cash_now", tier_adult="1", tier_child="1").submit().follow()
    booking = booking_of(dbsession, "duc@example.com")
    assert (booking.status, booking.channel, booking.total_amount) == (BookingStatus.CONFIRMED, "walk_in", 500000)
    (payment,) = dbsession.scalars(select(Payment).where(Payment.booking_id == booking.id))
    assert (payment.provider, payment.status, payment.amount) == ("on_site", PaymentStatus.SUCCEEDED, 500000)
    assert "Paid" in done.html.select_one(".transfer-card__money").text
    (email,) = dbsession.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "duc@example.com"))
    assert "Pay at the village" not in email.body_text  # it was paid already


def test_a_phone_booking_paid_by_transfer_holds_the_seats(app_at, dbsession, world):
    enter(app_at, world, "ours")
    _page, form = the_form(app_at, world.later)
    done = fill(form, payment="vietqr").submit().follow()
    booking = booking_of(dbsession, "duc@example.com")
    assert booking.status == BookingStatus.HELD and world.later.seats_held == 2
    assert "Seats held" in done.text and f"/console/transfers/{booking.reference}/received" in done.text
    (payment,) = dbsession.scalars(select(Payment).where(Payment.booking_id == booking.id))
    assert (payment.provider, payment.status) == ("vietqr", PaymentStatus.PENDING)
    keys = [m.dedupe_key for m in dbsession.scalars(select(OutboxMessage)
                                                    .where(OutboxMessage.recipient == "duc@example.com"))]
    assert keys == [f"vietqr-instructions:{payment.id}"]


def test_the_same_form_sent_twice_books_once(app_at, dbsession, world):
    enter(app_at, world, "ours")
    _page, form = the_form(app_at, world.tomorrow)
    fill(form)
    form.submit().follow()
    before = counts(dbsession)
    again = form.submit().follow()
    assert "already sent" in again.text and counts(dbsession) == before
    assert world.tomorrow.seats_booked == 2


# --- capacity: the website's rules -----------------------------------------------------------

def test_never_more_seats_than_the_session_has(app_at, dbsession, world):
    book(dbsession, world.small, "Khách Trước", adults=1)  # capacity 2: one seat left
    enter(app_at, world, "ours")
    page, form = the_form(app_at, world.small)
    assert "1 seat left" in page.text
    before = counts(dbsession)
    refused = fill(form, tier_adult="2").submit(status=400)
    assert "Only 1 seats are left in this session" in refused.text or "Only 1 seat" in refused.text
    assert counts(dbsession) == before and world.small.seats_booked == 1
    # One seat still fits; then the session is full and the form is gone.
    form = [f for f in refused.forms.values() if f.action.endswith(f"/new/{world.small.id}")][0]
    fill(form, tier_adult="1").submit().follow()
    full, _form = app_at.get(f"/console/bookings/new/{world.small.id}", {"lang": "en"}), None
    assert "This session is full" in full.text
    assert not [f for f in full.forms.values() if f.action.endswith(f"/new/{world.small.id}")]
    assert world.small.seats_booked == 2


def test_a_session_whose_booking_has_closed_cannot_be_booked(app_at, dbsession, world):
    enter(app_at, world, "ours")
    _page, form = the_form(app_at, world.today)
    fill(form)
    before = counts(dbsession)
    app_at.extra_environ["tourism.now"] = world.today.starts_at - timedelta(minutes=30)  # within the cut-off
    refused = form.submit(status=400)
    assert "Booking for this session has closed" in refused.text
    assert counts(dbsession) == before


# --- bad input -------------------------------------------------------------------------------

def test_bad_input_names_every_problem_and_changes_nothing(app_at, dbsession, world):
    enter(app_at, world, "ours")
    _page, form = the_form(app_at, world.tomorrow)
    before = counts(dbsession)
    fill(form, tier_adult="0", name="", email="not an address", phone="call me")
    token = form["csrf_token"].value
    fields = dict(form.submit_fields())
    fields.update(channel="pigeon", payment="bitcoin", csrf_token=token)
    refused = app_at.post(form.action, fields, {"Accept-Language": "en"}, status=400)
    summary = refused.html.select_one(".cf-summary").get_text(" ", strip=True)
    for message in ("Book for at least 1 people", "Enter the name of the person booking",
                    "Choose how the guest booked", "Choose how the guest pays"):
        assert message in summary, message
    assert counts(dbsession) == before
    # What was typed stays in the form, with the same one-time key.
    assert refused.html.select_one("#new-phone")["value"] == "call me"
    assert refused.html.select_one("input[name=form_key]")["value"] == form["form_key"].value


@pytest.mark.parametrize("field, value, message", [
    ("email", "not an address", "Enter a valid email address"),
    ("phone", "12", "Enter a phone number"),
    ("country", "XX", "Choose your country"),
    ("language", "xx", "Choose a language"),
    ("tier_adult", "9", "Book for at most 8 people"),
    ("tier_adult", "-1", "Enter how many people as a whole number"),
])
def test_each_bad_field_is_refused(app_at, dbsession, world, field, value, message):
    enter(app_at, world, "ours")
    _page, form = the_form(app_at, world.tomorrow)
    fill(form)
    fields = dict(form.submit_fields())
    fields[field] = value
    before = counts(dbsession)
    refused = app_at.post(form.action, fields, {"Accept-Language": "en"}, status=400)
    assert message in refused.text and counts(dbsession) == before


def test_a_forged_form_key_is_refused(app_at, dbsession, world):
    enter(app_at, world, "ours")
    _page, form = the_form(app_at, world.tomorrow)
    fill(form)
    fields = dict(form.submit_fields())
    fields["form_key"] = "x"
    before = counts(dbsession)
    refused = app_at.post(form.action, fields, {"Accept-Language": "en"}, status=400)
    assert "This form is out of date" in refused.text and counts(dbsession) == before
    assert len(refused.html.select_one("input[name=form_key]")["value"]) >= 16  # a fresh key to try again
