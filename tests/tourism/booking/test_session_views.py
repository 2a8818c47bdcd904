"""The console's session page (/console/sessions/<id>): seats and guests, then cancelling the
whole session (a confirm page with the reason and what it will cost, a report per booking,
"Try again" after a refund failed) and moving all its guests; owners only for those two, and
another operator's people refused on every URL."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_session, make_staff, sign_in
from tests.pages import form_to
from tests.tourism.booking.session_factories import (LATER, NOW, STARTS, Guests, at_stripe, outbox_count,
                                                     payment_of, rain_village, refunds_of)
from tests.tourism.payments.conftest import (localstripe, stripe_app, stripe_client,  # noqa: F401
                                             stripe_settings, stripe_testapp, webhook_secret)
from tourism.booking.models import Booking, BookingStatus
from tourism.booking.services import format_reference
from tourism.payments.models import RefundStatus
from tourism.scheduling.models import SessionStatus

AT = NOW + timedelta(hours=1)  # the operator's clock: the session starts in 19 hours


@pytest.fixture
def experience(dbsession):
    return rain_village(dbsession)


@pytest.fixture
def session(dbsession, experience):
    return make_session(dbsession, experience, STARTS, capacity=20)


@pytest.fixture
def later(dbsession, experience):
    return make_session(dbsession, experience, LATER, capacity=8)


@pytest.fixture
def guests(dbsession, stripe_app, session, stripe_client):  # noqa: F811
    return Guests(dbsession, stripe_app.registry, session, stripe_client)


@pytest.fixture
def web(stripe_testapp):  # noqa: F811
    stripe_testapp.extra_environ["tourism.now"] = AT
    stripe_testapp.extra_environ["HTTP_ACCEPT_LANGUAGE"] = "en"
    return stripe_testapp


@pytest.fixture
def owner(web, dbsession, experience):
    make_staff(dbsession, experience.village.operator, email="owner@rain.example", role="owner")
    sign_in(web, "owner@rain.example")
    return web


@pytest.fixture
def staff(web, dbsession, experience):
    make_staff(dbsession, experience.village.operator, email="staff@rain.example", role="staff")
    sign_in(web, "staff@rain.example")
    return web


@pytest.fixture
def stranger(web, dbsession):
    """The owner of another operator's village."""
    other = rain_village(dbsession, "lang-khac", "htx-khac")
    make_staff(dbsession, other.village.operator, email="owner@other.example", role="owner")
    sign_in(web, "owner@other.example")
    return web


def text(page, selector) -> str:
    return " ".join(" ".join(n.get_text(" ", strip=True).split()) for n in page.html.select(selector))


def token_of(page) -> str:
    return page.html.select_one("input[name=csrf_token]")["value"]


def confirmed(dbsession, session) -> int:
    return dbsession.scalar(select(func.count()).select_from(Booking).where(
        Booking.session_id == session.id, Booking.status == BookingStatus.CONFIRMED))


def cancel_for_rain(testapp, session, note="Mưa to, đường trơn."):
    page = testapp.get(f"/console/sessions/{session.id}").click(href=f"/console/sessions/{session.id}/cancel$")
    form = form_to(page, f"/console/sessions/{session.id}/cancel")
    form["reason"], form["note"] = "rain", note
    return form.submit()


# --- the page ------------------------------------------------------------------------------------------

def test_the_page_shows_the_seats_the_guests_and_the_way_to_check_in(staff, dbsession, session, guests):
    paid = guests.by_transfer(name="Lê Thị Hoa", adults=3)
    due = guests.at_village(name="Trần Văn Nam", adults=2)
    guests.hold(now=AT - timedelta(minutes=5))  # someone paying now
    page = staff.get(f"/console/sessions/{session.id}")
    assert "no-store" in page.headers["Cache-Control"]
    assert "Throw a pot" in page.text and "Rain Village" in page.text
    seats = text(page, ".sv-seats")
    assert "Booked 5" in seats and "Paying now 1" in seats and "Free 14" in seats and "Seats 20" in seats
    rows = [" ".join(r.get_text(" ", strip=True).split()) for r in page.html.select("#guests-title ~ table tbody tr")]
    assert len(rows) == 2
    hoa = next(r for r in rows if "Lê Thị Hoa" in r)
    assert format_reference(paid.reference) in hoa and "Adult: 3" in hoa and "Paid" in hoa and "0 of 3" in hoa
    nam = next(r for r in rows if "Trần Văn Nam" in r)
    assert format_reference(due.reference) in nam and "Due at the village: ₫600,000" in nam
    assert page.html.select_one(f'a[href="/console/sessions/{session.id}/checkin"]')
    assert page.html.select_one(f'a[href="/console/sessions/{session.id}/manifest.pdf"]')
    # Staff see the session; cancelling it and moving its guests are for the owners.
    assert not page.html.select_one(f'a[href="/console/sessions/{session.id}/cancel"]')
    assert not page.html.select_one(f'a[href="/console/sessions/{session.id}/move"]')


def test_owners_get_the_two_actions(owner, session, guests):
    guests.at_village()
    page = owner.get(f"/console/sessions/{session.id}")
    assert page.html.select_one(f'a[href="/console/sessions/{session.id}/cancel"]')
    assert page.html.select_one(f'a[href="/console/sessions/{session.id}/move"]')


# --- cancelling -----------------------------------------------------------------------------------------

def test_the_confirm_page_says_how_many_bookings_and_how_much_comes_back(owner, session, guests):
    guests.by_card(adults=2), guests.by_transfer(adults=3), guests.at_village(adults=1)
    page = owner.get(f"/console/sessions/{session.id}/cancel")
    summary = text(page, ".notice--warning")
    assert "Bookings cancelled: 3 (6 guests)." in summary
    assert "Refunded in full: ₫1,500,000." in summary
    assert "₫600,000 goes back to the guests' cards at once." in summary
    assert "You pay ₫900,000 back by hand" in summary
    assert "Bookings with nothing paid: 1." in summary
    labels = text(page, "fieldset label")
    assert "Rain or bad weather" in labels and "Kiln or equipment failure" in labels and "Illness" in labels


def test_cancelling_for_rain_refunds_everyone_and_reports_each_booking(owner, dbsession, session, guests,
                                                                        stripe_client):
    card, transfer, village = guests.by_card(name="Kim Min-ji"), guests.by_transfer(name="Lê Thị Hoa"), \
        guests.at_village(name="Trần Văn Nam")
    response = cancel_for_rain(owner, session)
    assert response.status_int == 303
    page = response.follow()
    assert "The session is cancelled. Bookings cancelled, refunded and e-mailed: 3." in text(page, "[role=status]")
    assert "Session cancelled" in page.text
    rows = {r.select_one(".reference").get_text(strip=True): " ".join(r.get_text(" ", strip=True).split())
            for r in page.html.select("#report-title ~ table tbody tr")}
    assert "Refunded ₫600,000 by card." in rows[format_reference(card.reference)]
    assert "₫600,000 to pay back by bank transfer." in rows[format_reference(transfer.reference)]
    assert "Nothing was paid." in rows[format_reference(village.reference)]
    assert all("E-mail waiting to be sent." in row for row in rows.values())
    assert page.html.select_one('a[href="/console/refunds"]')  # where the transfer is paid back
    assert not page.html.select_one(f'form[action="/console/sessions/{session.id}/cancel"]')  # nothing left
    assert confirmed(dbsession, session) == 0 and len(at_stripe(stripe_client, payment_of(dbsession, card))) == 1
    # The session no longer takes bookings, and cannot be cancelled or emptied again.
    assert "This session was cancelled." in owner.get(f"/book/{session.id}", status="*").text
    assert owner.get(f"/console/sessions/{session.id}/cancel").status_int == 303
    assert owner.get(f"/console/sessions/{session.id}/move").status_int == 303


def test_a_cancelled_session_is_opened_again_for_new_guests_and_the_cancelled_stay_cancelled(
        owner, dbsession, session, guests):
    transfer = guests.by_transfer(name="Lê Thị Hoa")
    cancel_for_rain(owner, session)
    page = owner.get(f"/console/sessions/{session.id}")
    emails_before = outbox_count(dbsession)
    reopened = form_to(page, f"/console/sessions/{session.id}/reopen").submit().follow()
    assert "The session is open for booking again." in text(reopened, "[role=status]")
    dbsession.refresh(session)
    dbsession.refresh(transfer)
    assert session.status == SessionStatus.OPEN and transfer.status == BookingStatus.CANCELLED
    assert outbox_count(dbsession) == emails_before  # the cancelled guests are not told
    assert not reopened.html.select_one(f'form[action="/console/sessions/{session.id}/reopen"]')
    # Guests can book it again; pressed twice (an old page), nothing changes and it says so.
    assert "This session was cancelled." not in owner.get(f"/book/{session.id}").text
    again = owner.post(f"/console/sessions/{session.id}/reopen", {"csrf_token": token_of(page)}).follow()
    assert "This session is not cancelled." in text(again, "[role=status]")


def test_a_started_or_still_cancelling_session_is_not_offered_to_reopen(owner, dbsession, web, session, guests):
    guests.by_transfer()
    page = owner.get(f"/console/sessions/{session.id}")
    assert not page.html.select_one(f'form[action="/console/sessions/{session.id}/reopen"]')  # not cancelled
    cancel_for_rain(owner, session)
    token = token_of(owner.get(f"/console/sessions/{session.id}"))
    web.extra_environ["tourism.now"] = STARTS + timedelta(minutes=1)
    refused = owner.post(f"/console/sessions/{session.id}/reopen", {"csrf_token": token}).follow()
    assert "already started" in text(refused, "[role=status]")
    dbsession.refresh(session)
    assert session.status == SessionStatus.CANCELLED


def test_a_failed_card_refund_is_reported_and_try_again_finishes_it_once(owner, dbsession, session, guests,
                                                                          stripe_client):
    card, other = guests.by_card(name="Kim Min-ji"), guests.by_card(name="Park Ji-hoon")
    payment = payment_of(dbsession, card)
    intent, payment.provider_reference = payment.provider_reference, "pi_unknownToStripe"
    dbsession.flush()
    page = cancel_for_rain(owner, session).follow()
    row = next(" ".join(r.get_text(" ", strip=True).split()) for r in page.html.select("#report-title ~ table tbody tr")
               if "Kim Min-ji" in r.get_text())
    assert "The card refund of ₫600,000 failed" in row and "Try again" in row
    again = form_to(page, f"/console/sessions/{session.id}/cancel")
    assert not again.fields.get("reason")  # every guest was told: no reason asked again

    payment.provider_reference = intent  # Stripe answers again
    dbsession.flush()
    page = again.submit().follow()
    assert "Refunds tried again: 1." in text(page, "[role=status]")
    assert "Refunded ₫600,000 by card." in text(page, "#report-title ~ table")
    assert not page.html.select_one(f'form[action="/console/sessions/{session.id}/cancel"]')
    for booking in (card, other):
        assert len(at_stripe(stripe_client, payment_of(dbsession, booking))) == 1
    assert [r.status for r in refunds_of(dbsession, card)] == [RefundStatus.FAILED, RefundStatus.SUCCEEDED]
    emails = outbox_count(dbsession)
    again.submit().follow()  # the old page's button, pressed again
    assert outbox_count(dbsession) == emails and len(refunds_of(dbsession, card)) == 2


def test_a_booking_left_booked_is_finished_with_the_reason_asked_again(owner, dbsession, stripe_app, session,  # noqa: F811
                                                                      guests, monkeypatch):
    ok, crashing = guests.by_card(name="Kim Min-ji"), guests.by_card(name="Park Ji-hoon")
    stripe = stripe_app.registry["payments.providers"]["stripe"]
    real_send, crashing_payment = stripe.send_refund, payment_of(dbsession, crashing)

    def send(dbsession, payment, refund, *, now):
        if payment.id == crashing_payment.id:
            raise RuntimeError("the provider's library crashed")
        return real_send(dbsession, payment, refund, now=now)

    monkeypatch.setattr(stripe, "send_refund", send)
    page = cancel_for_rain(owner, session).follow()
    assert "Something went wrong with this booking; nothing was changed for it." in text(page, ".notice--warning")
    row = next(" ".join(r.get_text(" ", strip=True).split()) for r in page.html.select("#report-title ~ table tbody tr")
               if "Park Ji-hoon" in r.get_text())
    assert "Not cancelled yet: still booked." in row and "Not e-mailed yet." in row
    # Its guest has not been told yet: "Try again" asks for the reason again.
    confirm = page.click(href=f"/console/sessions/{session.id}/cancel$")
    assert "Finish cancelling this session" in confirm.text and "Bookings cancelled: 1 (2 guests)." in confirm.text

    monkeypatch.setattr(stripe, "send_refund", real_send)
    form = form_to(confirm, f"/console/sessions/{session.id}/cancel")
    form["reason"] = "rain"
    page = form.submit().follow()
    assert "Bookings cancelled, refunded and e-mailed: 1." in text(page, "[role=status]")
    assert crashing.status == BookingStatus.CANCELLED and ok.status == BookingStatus.CANCELLED
    assert [r.status for r in refunds_of(dbsession, crashing)] == [RefundStatus.SUCCEEDED]
    assert [r.status for r in refunds_of(dbsession, ok)] == [RefundStatus.SUCCEEDED]


@pytest.mark.parametrize("fields, message", [
    ({}, "Choose why the session is cancelled."),
    ({"reason": "other", "note": ""}, "Say in a few words why"),
    ({"reason": "rain", "note": "x" * 501}, "At most 500 characters"),
])
def test_a_bad_reason_changes_nothing(owner, dbsession, session, guests, fields, message):
    guests.by_transfer()
    token = owner.get("/console").forms[0]["csrf_token"].value
    response = owner.post(f"/console/sessions/{session.id}/cancel", dict(fields, csrf_token=token), status=400)
    assert message in text(response, ".cf-summary")
    dbsession.refresh(session)
    assert session.status == SessionStatus.OPEN and confirmed(dbsession, session) == 1
    (booking,) = dbsession.scalars(select(Booking).where(Booking.session_id == session.id))
    assert refunds_of(dbsession, booking) == []


def test_a_started_session_cannot_be_cancelled(owner, dbsession, session, guests):
    guests.by_transfer()
    owner.extra_environ["tourism.now"] = STARTS + timedelta(minutes=5)
    page = owner.get(f"/console/sessions/{session.id}/cancel").follow()
    assert "already started" in text(page, ".notice--warning")
    token = page.forms[0]["csrf_token"].value
    owner.post(f"/console/sessions/{session.id}/cancel", {"csrf_token": token, "reason": "rain"}, status=303)
    dbsession.refresh(session)
    assert session.status == SessionStatus.OPEN and confirmed(dbsession, session) == 1


# --- moving everyone --------------------------------------------------------------------------------------

def test_moving_everyone_lists_only_sessions_with_room_and_moves_all(owner, dbsession, experience, session, later,
                                                                     guests):
    make_session(dbsession, experience, LATER + timedelta(hours=3), capacity=4)  # too small
    a, b = guests.at_village(adults=3), guests.by_transfer(adults=2)
    page = owner.get(f"/console/sessions/{session.id}").click(href=f"/console/sessions/{session.id}/move$")
    choices = {i["value"] for i in page.html.select("input[name=session]")}
    assert choices == {str(later.id)}  # the small one has 4 seats for 5 guests
    form = form_to(page, f"/console/sessions/{session.id}/move")
    form["session"] = str(later.id)
    landing = form.submit().follow()
    assert landing.request.path == f"/console/sessions/{later.id}"
    assert "Moved 2 bookings (5 guests) here" in text(landing, "[role=status]")
    assert {a.session_id, b.session_id} == {later.id}
    dbsession.refresh(session)
    assert session.status == SessionStatus.CANCELLED


def test_moving_is_all_or_nothing_when_the_seats_went_meanwhile(owner, dbsession, session, later, guests):
    a, b = guests.at_village(adults=3), guests.by_transfer(adults=2)
    page = owner.get(f"/console/sessions/{session.id}/move")
    form = form_to(page, f"/console/sessions/{session.id}/move")
    form["session"] = str(later.id)
    guests.at_village(session=later, adults=4)  # someone booked there while the page was open
    emails = outbox_count(dbsession)
    response = form.submit(status=400)  # no longer a session with room: not offered, nothing moved
    assert "Nothing was moved: that session no longer has room for everyone." in text(response, ".cf-summary")
    dbsession.refresh(later)
    assert {a.session_id, b.session_id} == {session.id} and later.seats_booked == 4
    assert outbox_count(dbsession) == emails
    dbsession.refresh(session)
    assert session.status == SessionStatus.OPEN


def test_with_no_session_with_room_the_page_says_so(owner, session, guests):
    guests.at_village(adults=3)
    page = owner.get(f"/console/sessions/{session.id}/move")
    assert "No other session in the next 90 days has room for 3 guests." in page.text
    assert not page.html.select("input[name=session]")


# --- who may -----------------------------------------------------------------------------------------------

URLS = ["/console/sessions/{id}", "/console/sessions/{id}/cancel", "/console/sessions/{id}/move",
        "/console/sessions/{id}/reopen"]


@pytest.mark.parametrize("url", URLS)
def test_another_operators_owner_is_refused_everywhere(stranger, dbsession, session, later, guests, url):
    guests.by_transfer()
    stranger.get(url.format(id=session.id), status=403)
    token = stranger.get("/console").forms[0]["csrf_token"].value
    # The page itself takes no POST (404 for anyone); its two actions refuse (403).
    stranger.post(url.format(id=session.id), {"csrf_token": token, "reason": "rain", "session": str(later.id)},
                  status=404 if url == URLS[0] else 403)
    dbsession.refresh(session)
    assert session.status == SessionStatus.OPEN and confirmed(dbsession, session) == 1


@pytest.mark.parametrize("url", URLS[1:])
def test_staff_may_not_cancel_nor_move(staff, dbsession, session, later, guests, url):
    guests.by_transfer()
    staff.get(url.format(id=session.id), status=403)
    token = staff.get("/console").forms[0]["csrf_token"].value
    staff.post(url.format(id=session.id), {"csrf_token": token, "reason": "rain", "session": str(later.id)},
               status=403)
    dbsession.refresh(session)
    assert session.status == SessionStatus.OPEN and confirmed(dbsession, session) == 1


@pytest.mark.parametrize("url", URLS[1:])
def test_csrf_is_required(owner, dbsession, session, later, guests, url):
    guests.by_transfer()
    for token in ({}, {"csrf_token": "forged"}):
        owner.post(url.format(id=session.id), dict(token, reason="rain", session=str(later.id)), status=400)
    dbsession.refresh(session)
    assert session.status == SessionStatus.OPEN and confirmed(dbsession, session) == 1


@pytest.mark.parametrize("session_id", ["999999", "99999999999999999999", "abc"])
def test_unknown_sessions_are_not_found(owner, session_id):
    owner.get(f"/console/sessions/{session_id}", status=404)
    owner.get(f"/console/sessions/{session_id}/cancel", status=404)


def test_strangers_are_asked_to_sign_in(web, session):
    response = web.get(f"/console/sessions/{session.id}")
    assert response.status_int == 303 and "/console/sign-in?next=" in response.location
