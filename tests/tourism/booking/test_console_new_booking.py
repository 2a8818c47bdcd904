"""A booking taken by hand in the console (/console/bookings/new): for a guest on the phone or
at the gate, paid in cash now, at the village on the day, or by VietQR transfer; the same
capacity rules as the website (never more seats than the session has), one booking however
often the form is sent, a confirmation e-mail in the guest's language, and bad input
refused with every problem named and nothing changed.

Two rules are the desk's own: the e-mail address is optional (a guest without one is e-mailed
nothing, ever: the staff print the ticket and are told to tell the guest themselves), and a
session stays bookable past the online cut-off, until it starts."""
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


def walk_in(app, dbsession, world, session, **fields) -> Booking:
    """Phạm Văn Đức at the gate, without an e-mail address, booked by the staff ("ours")."""
    enter(app, world, "ours")
    _page, form = the_form(app, session)
    fill(form, **dict({"email": "", "channel": "walk_in", "payment": "cash_now"}, **fields)).submit().follow()
    return dbsession.scalar(select(Booking).where(Booking.contact_name == "Phạm Văn Đức"))


def guests_form(app, session):
    """The guests' own booking form on the website for `session`."""
    page = app.get(f"/book/{session.id}", {"lang": "en"})
    return [f for f in page.forms.values() if "tier_adult" in f.fields and "email" in f.fields][0]


def fill_web(form, **fields):
    """A guest's own booking: Nguyễn Thị Lan, two adults."""
    values = dict({"tier_adult": "2", "name": "Nguyễn Thị Lan", "email": "lan@example.com",
                   "phone": "+84 912 345 678", "country": "VN", "language": "vi"}, **fields)
    for name, value in values.items():
        form[name] = value
    return form


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


# --- past the online cut-off: the staff book until the session starts ------------------------

def test_staff_book_past_the_online_cutoff_while_the_website_refuses(app_at, dbsession, world):
    assert world.pottery.booking_cutoff_minutes == 120
    late = world.today.starts_at - timedelta(minutes=30)  # 13:30, it starts at 14:00
    enter(app_at, world, "ours")
    app_at.extra_environ["tourism.now"] = late
    # The desk's list offers the session, saying the website no longer does.
    picker = app_at.get("/console/bookings/new", {"experience": str(world.pottery.id), "lang": "en"})
    card = picker.html.select_one(f"a[href='/console/bookings/new/{world.today.id}']").find_parent("li")
    assert "Online booking closed — you can still book here" in card.get_text(" ", strip=True)
    assert "10 seats left" in card.text
    page, form = the_form(app_at, world.today)
    assert "You can still book it here until it starts" in page.text
    done = fill(form, channel="walk_in").submit().follow()
    booking = booking_of(dbsession, "duc@example.com")
    assert "Booked:" in done.text and booking.status == BookingStatus.CONFIRMED and world.today.seats_booked == 2
    # A guest's own form for the same session (opened while it could be booked), sent at the
    # same moment: refused, nothing booked. And the website no longer offers a form.
    app_at.reset()
    app_at.extra_environ["tourism.now"] = NOW
    web_form = fill_web(guests_form(app_at, world.today))
    app_at.extra_environ["tourism.now"] = late
    before = counts(dbsession)
    refused = web_form.submit(status=400)
    assert "Booking for this session has closed" in refused.text
    assert counts(dbsession) == before and world.today.seats_booked == 2
    closed = app_at.get(f"/book/{world.today.id}", {"lang": "en"})
    assert "Booking for this session has closed" in closed.text
    assert not [f for f in closed.forms.values() if "tier_adult" in f.fields]


def test_a_session_that_has_started_is_refused_at_the_desk_too(app_at, dbsession, world):
    enter(app_at, world, "ours")
    _page, form = the_form(app_at, world.today)
    fill(form)
    before = counts(dbsession)
    app_at.extra_environ["tourism.now"] = world.today.starts_at + timedelta(minutes=1)
    refused = form.submit(status=400)
    assert "This session has already started" in refused.text
    assert counts(dbsession) == before and world.today.seats_booked == 0
    picker = app_at.get("/console/bookings/new", {"experience": str(world.pottery.id), "lang": "en"})
    assert not picker.html.select(f"a[href='/console/bookings/new/{world.today.id}']")
    page = app_at.get(f"/console/bookings/new/{world.today.id}", {"lang": "en"})
    assert "This session has already started" in page.text
    assert not [f for f in page.forms.values() if f.action.endswith(f"/new/{world.today.id}")]


def test_past_the_online_cutoff_capacity_still_holds(app_at, dbsession, world):
    book(dbsession, world.small, "Khách Trước", adults=1)  # capacity 2: one seat left
    enter(app_at, world, "ours")
    app_at.extra_environ["tourism.now"] = world.small.starts_at - timedelta(minutes=30)
    _page, form = the_form(app_at, world.small)
    before = counts(dbsession)
    refused = fill(form, tier_adult="2", email="").submit(status=400)
    assert "Only 1 seat" in refused.text and counts(dbsession) == before and world.small.seats_booked == 1
    form = [f for f in refused.forms.values() if f.action.endswith(f"/new/{world.small.id}")][0]
    fill(form, tier_adult="1", email="").submit().follow()
    assert world.small.seats_booked == 2
    # Full: the list says sold out and offers nothing.
    picker = app_at.get("/console/bookings/new", {"experience": str(world.pottery.id),
                                                  "day": world.small.starts_at.date().isoformat(), "lang": "en"})
    assert not picker.html.select(f"a[href='/console/bookings/new/{world.small.id}']")
    assert "Sold out" in picker.text


# --- a guest without an e-mail address -------------------------------------------------------

@pytest.mark.parametrize("channel, payment", [("walk_in", "cash_now"), ("phone", "at_village")])
def test_a_guest_without_email_is_booked_and_emailed_nothing(app_at, dbsession, world, channel, payment):
    enter(app_at, world, "ours")
    page, form = the_form(app_at, world.tomorrow)
    assert "Guest's e-mail (optional)" in page.text
    assert "The ticket and any change of plan are sent there" in page.text
    assert not page.html.select_one("#new-email").has_attr("required")
    before = counts(dbsession)
    done = fill(form, email="", channel=channel, payment=payment).submit().follow()
    booking = dbsession.scalar(select(Booking).where(Booking.contact_name == "Phạm Văn Đức"))
    assert (booking.status, booking.channel, booking.contact_email) == (BookingStatus.CONFIRMED, channel, "")
    assert counts(dbsession)[2] == before[2]  # nothing in the outbox
    text = done.html.select_one("main").get_text(" ", strip=True)
    assert "No e-mail address: print the ticket and give it to the guest" in text
    assert "go to" not in text and "None given" in text
    # The printed ticket is what the guest gets: first thing on the page, and no resend button.
    notice = done.html.select_one(".bk-no-email")
    assert "No e-mail address: nothing is sent to this guest" in notice.text
    ticket = notice.select_one(f"a.button[href='/console/bookings/{booking.id}/ticket.pdf']")
    assert ticket is not None
    assert not [f for f in done.forms.values() if f.action.endswith("/resend")]
    assert app_at.get(ticket["href"]).body.startswith(b"%PDF")
    # A resend posted all the same (a stale page) is refused, and still nothing is e-mailed.
    again = app_at.post(f"/console/bookings/{booking.id}/resend?lang=en",
                        {"csrf_token": done.html.select_one("input[name=csrf_token]")["value"], "key": "k" * 32})
    assert "No e-mail address: tell the guest yourself" in again.follow().text
    assert counts(dbsession)[2] == before[2]


def test_a_transfer_without_email_is_refused(app_at, dbsession, world):
    enter(app_at, world, "ours")
    _page, form = the_form(app_at, world.later)
    before = counts(dbsession)
    refused = fill(form, email="", payment="vietqr").submit(status=400)
    error = refused.html.select_one("#new-payment-error").get_text(" ", strip=True)
    assert "A bank transfer needs the guest's e-mail address" in error
    assert counts(dbsession) == before and world.later.seats_held == 0
    # With the address it goes through.
    form = [f for f in refused.forms.values() if f.action.endswith(f"/new/{world.later.id}")][0]
    fill(form, email="duc@example.com", payment="vietqr").submit().follow()
    assert booking_of(dbsession, "duc@example.com").status == BookingStatus.HELD


def test_the_guests_own_form_still_needs_an_email_address(app_at, dbsession, world):
    form = fill_web(guests_form(app_at, world.tomorrow), email="")
    before = counts(dbsession)
    refused = form.submit(status=400)
    assert "Enter a valid email address" in refused.text and counts(dbsession) == before


def test_cancelling_a_booking_without_email_sends_nothing_and_says_so(app_at, dbsession, world):
    booking = walk_in(app_at, dbsession, world, world.later)  # in five days: all of it comes back
    before = counts(dbsession)
    page = app_at.get(f"/console/bookings/{booking.id}/cancel", {"lang": "en"})
    assert "No e-mail address: tell the guest yourself" in page.text and "told by e-mail" not in page.text
    done = [f for f in page.forms.values() if f.action.endswith("/cancel")][0].submit().follow()
    text = done.html.select_one("main").get_text(" ", strip=True)
    assert "is cancelled. ₫600,000 goes back to Phạm Văn Đức." in text
    assert "No e-mail address: tell the guest yourself" in text and "told by e-mail" not in text
    dbsession.expire_all()
    assert booking.status == BookingStatus.CANCELLED
    assert counts(dbsession)[2] == before[2]


def test_cancelling_the_session_tells_the_staff_whom_to_tell_themselves(app_at, dbsession, world):
    lan = book(dbsession, world.tomorrow, "Nguyễn Thị Lan", email="lan@example.com")
    duc = walk_in(app_at, dbsession, world, world.tomorrow)
    outbox_before = counts(dbsession)[2]
    enter(app_at, world, "owner")
    confirm = app_at.get(f"/console/sessions/{world.tomorrow.id}/cancel", {"lang": "en"})
    assert "Bookings with no e-mail address: 1" in confirm.text
    form = [f for f in confirm.forms.values() if f.action.endswith("/cancel")][0]
    form["reason"] = "rain"
    done = form.submit().follow()
    dbsession.expire_all()
    assert (lan.status, duc.status) == (BookingStatus.CANCELLED, BookingStatus.CANCELLED)
    # Lan is e-mailed; Đức, who gave no address, is not, and the staff are told so.
    keys = [m.dedupe_key for m in dbsession.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert keys[outbox_before:] == [f"session-cancelled:{lan.id}"]
    text = done.html.select_one("main").get_text(" ", strip=True)
    assert "Bookings cancelled, refunded and e-mailed: 1" in text
    assert "Bookings cancelled and refunded with no e-mail address: 1" in text
    rows = [row.get_text(" ", strip=True) for row in done.html.select("table tbody tr")]
    (duc_row,) = [row for row in rows if "Phạm Văn Đức" in row]
    assert "No e-mail address: tell the guest yourself" in duc_row and "0912 000 111" in duc_row
    (lan_row,) = [row for row in rows if "Nguyễn Thị Lan" in row]
    assert "No e-mail address" not in lan_row


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
