"""One booking in the console (/console/bookings/<id>): what it shows, and what the staff do
with it — cancel (the policy's refund, or for owners another amount), move to another
session, send the ticket again (a double press sends one e-mail), cash received at the
village — each refused to another operator's staff (403 on every URL, GET and POST), to a
form without its CSRF token, and for bad input with nothing changed."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.tourism.booking.test_console_bookings import NOW, book, dashed, enter, world  # noqa: F401
from tourism.booking.models import Booking, BookingStatus
from tourism.notify.models import OutboxMessage
from tourism.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from tourism.payments.vietqr_provider import pending_payment


def at_village(dbsession, booking, paid=False) -> Payment:
    """The booking is to be paid at the village (or was, in cash)."""
    payment = Payment(booking_id=booking.id, provider="on_site", amount=booking.total_amount, currency="VND",
                      status=PaymentStatus.SUCCEEDED if paid else PaymentStatus.DUE_ON_SITE, updated_at=NOW)
    booking.payment_provider = "on_site"
    dbsession.add(payment)
    dbsession.flush()
    return payment


def url(booking, action="") -> str:
    return f"/console/bookings/{booking.id}" + (f"/{action}" if action else "")


def emails_to(dbsession, address) -> list[OutboxMessage]:
    return list(dbsession.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)
                                  .order_by(OutboxMessage.id)))


def state(dbsession, booking) -> tuple:
    """Everything the actions could change, to compare before and after."""
    dbsession.expire_all()
    count = func.count()
    return (booking.status, booking.session_id, booking.session.seats_booked, booking.session.seats_held,
            dbsession.scalar(select(count).select_from(Booking)), dbsession.scalar(select(count).select_from(Payment)),
            dbsession.scalar(select(count).select_from(Refund)),
            dbsession.scalar(select(count).select_from(OutboxMessage)),
            sorted((p.id, p.status, p.refunded_amount) for p in dbsession.scalars(select(Payment))))


def token_of(page) -> str:
    return page.html.select_one("input[name=csrf_token]")["value"]


@pytest.fixture
def lan(dbsession, world):
    """Nguyễn Thị Lan, 2 adults (600,000 ₫) in five days, to pay at the village."""
    booking = book(dbsession, world.later, "Nguyễn Thị Lan", email="lan@example.com", locale="ko")
    at_village(dbsession, booking)
    return booking


# --- what it shows ---------------------------------------------------------------------------

def test_the_page_shows_the_guest_the_party_the_money_and_what_happened(app_at, dbsession, world, lan):
    enter(app_at, world, "ours")
    page = app_at.get(url(lan), {"lang": "en"})
    assert "no-store" in page.headers["Cache-Control"]
    text = page.html.select_one("main").get_text(" ", strip=True)
    for expected in ("Nguyễn Thị Lan", dashed(lan), "Confirmed", "To pay at the village: ₫600,000",
                     "lan@example.com", "Vietnam", "Korean", "Website", "Pottery BK", "Pottery Village BK",
                     "Adult 2 × ₫300,000", "Total ₫600,000", "At the village", "Booked (Website)"):
        assert expected in text, expected
    assert page.html.select_one("a[href='tel:+84912345678']") is not None
    assert page.html.select_one(f"a[href='/console/bookings/{lan.id}/ticket.pdf']") is not None
    assert page.html.select_one(f"a[href='/console/sessions/{lan.session_id}/manifest.pdf']") is not None
    # Paid at the village: one button says who paid what.
    assert "Nguyễn Thị Lan paid ₫600,000 at the village" in text


def test_the_page_lists_the_products_bought_with_the_booking(app_at, dbsession, world):
    from tests.factories import contact
    from tests.tourism.shop.factories import make_product
    from tourism.booking import services
    from tourism.booking.models import Fulfilment
    from tourism.shop.checkout import Basket

    cups = make_product(dbsession, world.pottery.village, "chen-bk", price=120000,
                        texts={"vi": "Chén men lam", "en": "Blue glaze cups"})
    booking, _token = services.create_hold(dbsession, session=world.later, party={"adult": 1}, now=NOW,
                                           contact=contact(name="Khách Mua Chén"),
                                           basket=Basket(((cups.id, 2),), Fulfilment.PICKUP))
    services.confirm_booking(dbsession, booking, now=NOW)
    enter(app_at, world, "ours")
    text = app_at.get(url(booking), {"lang": "en"}).html.select_one("main").get_text(" ", strip=True)
    assert "Blue glaze cups 2 × ₫120,000" in text and "To pick up at the village on the day" in text
    assert "Total ₫540,000" in text


def test_the_ticket_pdf_of_a_confirmed_booking(app_at, dbsession, world, lan):
    enter(app_at, world, "ours")
    response = app_at.get(url(lan, "ticket.pdf"))
    assert response.content_type == "application/pdf" and response.body.startswith(b"%PDF")
    assert "no-store" in response.headers["Cache-Control"]
    held = book(dbsession, world.later, "Khách Giữ Chỗ", confirm=False)
    app_at.get(url(held, "ticket.pdf"), status=404)


def test_an_awaited_transfer_links_to_the_payments_page(app_at, dbsession, world):
    booking = book(dbsession, world.later, "Khách Chuyển Khoản", confirm=False)
    pending_payment(dbsession, booking, now=NOW)
    enter(app_at, world, "ours")
    page = app_at.get(url(booking), {"lang": "en"})
    link = page.html.select_one(f"a[href='/console/transfers/{booking.reference}/received']")
    assert link is not None and "Transfer awaited: ₫600,000" in page.text
    assert app_at.get(link["href"], {"lang": "en"}).status_int == 200


# --- who may do what -------------------------------------------------------------------------

def posts(world, booking) -> dict[str, dict]:
    return {url(booking, "cancel"): {"refund": "policy"},
            url(booking, "move"): {"session_id": str(world.tomorrow.id)},
            url(booking, "resend"): {"key": "k" * 32},
            url(booking, "cash-received"): {},
            f"/console/bookings/new/{world.later.id}": {"form_key": "f" * 32, "tier_adult": "1", "name": "Kẻ Lạ",
                                                       "email": "x@example.com", "phone": "+84 900 000 000",
                                                       "country": "VN", "language": "vi", "channel": "phone",
                                                       "payment": "at_village"}}


def test_another_operators_staff_get_403_on_every_url_and_change_nothing(app_at, dbsession, world, lan):
    before = state(dbsession, lan)
    for who in ("theirs", "their-owner"):
        page = enter(app_at, world, who)
        token = token_of(page)
        for path in (url(lan), url(lan, "cancel"), url(lan, "move"), url(lan, "ticket.pdf"),
                     f"/console/bookings/new/{world.later.id}"):
            app_at.get(path, status=403)
        for path, fields in posts(world, lan).items():
            app_at.post(path, dict(fields, csrf_token=token), status=403)
        app_at.post(url(lan, "cancel"), {"refund": "other", "amount": "0", "csrf_token": token}, status=403)
    assert state(dbsession, lan) == before
    # Ids that are no booking (or no number) are simply not found.
    for path in ("/console/bookings/999999999", "/console/bookings/99999999999", "/console/bookings/abc",
                 "/console/bookings/1e3/cancel", "/console/bookings/new/999999999"):
        app_at.get(path, status=404)


def test_strangers_are_sent_to_sign_in_and_cannot_post(app_at, dbsession, world, lan):
    before = state(dbsession, lan)
    for path in (url(lan), url(lan, "cancel"), url(lan, "move"), url(lan, "ticket.pdf"), "/console/bookings/new",
                 f"/console/bookings/new/{world.later.id}"):
        response = app_at.get(path)
        assert response.status_int == 303 and "/console/sign-in" in response.location, path
    token = token_of(app_at.get("/console/sign-in"))
    for path, fields in posts(world, lan).items():
        app_at.post(path, dict(fields, csrf_token=token), status=403)
    assert state(dbsession, lan) == before


def test_every_form_needs_its_csrf_token(app_at, dbsession, world, lan):
    enter(app_at, world, "owner")
    before = state(dbsession, lan)
    for path, fields in posts(world, lan).items():
        app_at.post(path, fields, status=400)
        app_at.post(path, dict(fields, csrf_token="not-the-token"), status=400)
    assert state(dbsession, lan) == before


def test_an_admin_may_open_any_booking(app_at, dbsession, world):
    theirs = book(dbsession, world.tea_session, "Khách Chè")
    enter(app_at, world, "admin")
    assert "Khách Chè" in app_at.get(url(theirs)).text


# --- cancelling ------------------------------------------------------------------------------

def test_staff_cancel_with_the_policys_refund(app_at, dbsession, world, lan):
    payment = at_village(dbsession, book(dbsession, world.later, "Trần Văn Bảo", email="bao@example.com"),
                         paid=True)
    booking = payment.booking
    enter(app_at, world, "ours")
    confirm = app_at.get(url(booking, "cancel"), {"lang": "en"})
    text = confirm.html.select_one("main").get_text(" ", strip=True)
    assert "Cancelling now gives back ₫600,000 (100% of what was paid)" in text
    assert confirm.html.select_one("input[name=amount]") is None  # staff: the policy only
    done = confirm.forms[1].submit().follow()  # forms[0] signs out
    assert "is cancelled. ₫600,000 goes back to Trần Văn Bảo" in done.text
    dbsession.expire_all()
    assert booking.status == BookingStatus.CANCELLED
    (refund,) = payment.refunds
    assert (refund.amount, refund.status, refund.reason) == (600000, RefundStatus.PENDING, "cancellation")
    assert world.later.seats_booked == 2  # Lan's two seats are left
    assert [m.dedupe_key for m in emails_to(dbsession, "bao@example.com")] == [f"booking-cancelled:{booking.id}"]
    assert "/console/refunds" in done.text  # the money to pay back by hand


def test_the_policy_gives_less_close_to_the_session(app_at, dbsession, world):
    payment = at_village(dbsession, book(dbsession, world.tomorrow, "Khách Gấp"), paid=True)
    enter(app_at, world, "ours")
    app_at.extra_environ["tourism.now"] = world.tomorrow.starts_at - timedelta(hours=30)
    page = app_at.get(url(payment.booking, "cancel"), {"lang": "en"})
    assert "gives back ₫300,000 (50% of what was paid)" in page.text
    page.forms[1].submit().follow()
    assert payment.refunds[0].amount == 300000


def test_staff_may_not_choose_another_amount(app_at, dbsession, world, lan):
    payment = at_village(dbsession, book(dbsession, world.later, "Khách Tiền Mặt"), paid=True)
    enter(app_at, world, "ours")
    before = state(dbsession, payment.booking)
    token = token_of(app_at.get(url(payment.booking, "cancel")))
    app_at.post(url(payment.booking, "cancel"), {"csrf_token": token, "refund": "other", "amount": "0"}, status=403)
    assert state(dbsession, payment.booking) == before


def test_an_owner_cancels_with_another_amount(app_at, dbsession, world):
    payment = at_village(dbsession, book(dbsession, world.tomorrow, "Khách Ưu Tiên", email="vip@example.com"),
                         paid=True)
    booking = payment.booking
    enter(app_at, world, "owner")
    app_at.extra_environ["tourism.now"] = world.tomorrow.starts_at - timedelta(hours=2)  # the policy: nothing
    page = app_at.get(url(booking, "cancel"), {"lang": "en"})
    assert "gives back ₫0 (0% of what was paid)" in page.text and "From 0 to ₫600,000" in page.text
    form = page.forms[1]
    form["refund"], form["amount"] = "other", "450.000"  # typed with the thousands dot
    done = form.submit().follow()
    assert "₫450,000 goes back to Khách Ưu Tiên" in done.text
    (refund,) = payment.refunds
    assert (refund.amount, refund.reason, refund.status) == (450000, "operator", RefundStatus.PENDING)
    assert booking.status == BookingStatus.CANCELLED and payment.status == PaymentStatus.PARTIALLY_REFUNDED
    (email,) = emails_to(dbsession, "vip@example.com")
    assert "450,000" in email.body_text or "450.000" in email.body_text


def test_an_owner_may_give_nothing_back(app_at, dbsession, world):
    payment = at_village(dbsession, book(dbsession, world.later, "Khách Không Hoàn"), paid=True)
    enter(app_at, world, "owner")
    form = app_at.get(url(payment.booking, "cancel"), {"lang": "en"}).forms[1]
    form["refund"], form["amount"] = "other", "0"
    assert "nothing is given back" in form.submit().follow().text
    assert payment.booking.status == BookingStatus.CANCELLED and payment.refunds == []


@pytest.mark.parametrize("amount, message", [
    ("600001", "Enter an amount from 0 to ₫600,000"),
    ("-1", "Enter an amount from 0 to ₫600,000"),
    ("a lot", "Enter the amount to give back in dong"),
    ("", "Enter the amount to give back in dong"),
    ("99999999999999999999", "Enter the amount to give back in dong"),
])
def test_an_override_out_of_range_changes_nothing(app_at, dbsession, world, amount, message):
    payment = at_village(dbsession, book(dbsession, world.later, "Khách Sai Số"), paid=True)
    enter(app_at, world, "owner")
    before = state(dbsession, payment.booking)
    form = app_at.get(url(payment.booking, "cancel"), {"lang": "en"}).forms[1]
    form["refund"], form["amount"] = "other", amount
    refused = form.submit(status=400)
    assert message in refused.text and refused.html.select_one("[role=alert]") is not None
    assert refused.html.select_one("#cancel-amount")["aria-invalid"] == "true"
    assert state(dbsession, payment.booking) == before


def test_cancelling_twice_refunds_once(app_at, dbsession, world):
    payment = at_village(dbsession, book(dbsession, world.later, "Khách Bấm Hai Lần"), paid=True)
    enter(app_at, world, "ours")
    form = app_at.get(url(payment.booking, "cancel"), {"lang": "en"}).forms[1]
    form.submit().follow()
    again = form.submit(status=400)  # the same page's button pressed again
    assert "already cancelled" in again.text
    assert len(payment.refunds) == 1


def test_a_started_session_cannot_be_cancelled(app_at, dbsession, world, lan):
    enter(app_at, world, "ours")
    form = app_at.get(url(lan, "cancel"), {"lang": "en"}).forms[1]
    before = state(dbsession, lan)
    app_at.extra_environ["tourism.now"] = world.later.starts_at + timedelta(minutes=5)
    assert "already started" in form.submit(status=400).text
    assert state(dbsession, lan) == before


# --- moving ----------------------------------------------------------------------------------

def test_move_lists_only_sessions_with_room_and_moves(app_at, dbsession, world, lan):
    book(dbsession, world.small, "Khách Đầy", adults=1)  # one seat left there: no room for Lan's two
    enter(app_at, world, "ours")
    page = app_at.get(url(lan, "move"), {"lang": "en"})
    offered = {int(radio["value"]) for radio in page.html.select("input[name=session_id]")}
    assert world.tomorrow.id in offered and world.today.id in offered
    assert lan.session_id not in offered and world.small.id not in offered and world.past.id not in offered
    assert world.painting_session.id not in offered and world.tea_session.id not in offered
    form = page.forms[1]
    form["session_id"] = str(world.tomorrow.id)
    done = form.submit().follow()
    assert "Moved to" in done.text and "gets the new date and a new ticket" in done.text
    dbsession.expire_all()
    assert lan.session_id == world.tomorrow.id
    assert (world.tomorrow.seats_booked, world.later.seats_booked) == (2, 0)
    assert any(m.dedupe_key.startswith(f"booking-moved:{lan.id}:") for m in emails_to(dbsession, "lan@example.com"))


@pytest.mark.parametrize("target", ["painting", "tea", "small", "past", "garbage", "none"])
def test_moving_to_a_session_not_offered_changes_nothing(app_at, dbsession, world, lan, target):
    book(dbsession, world.small, "Khách Đầy", adults=1)
    sessions = {"painting": world.painting_session, "tea": world.tea_session, "small": world.small,
                "past": world.past}
    value = {"garbage": "12abc", "none": "999999999"}.get(target) or str(sessions[target].id)
    enter(app_at, world, "ours")
    before = state(dbsession, lan)
    token = token_of(app_at.get(url(lan, "move")))
    refused = app_at.post(url(lan, "move"), {"csrf_token": token, "session_id": value}, {"Accept-Language": "en"},
                          status=400)
    assert refused.html.select_one("[role=alert]") is not None
    assert state(dbsession, lan) == before


# --- the ticket sent again -------------------------------------------------------------------

def test_resending_the_ticket_sends_one_email_per_press(app_at, dbsession, world, lan):
    enter(app_at, world, "ours")
    page = app_at.get(url(lan), {"lang": "en"})
    form = [f for f in page.forms.values() if f.action.endswith("/resend")][0]
    first = form.submit().follow()
    assert "The ticket is on its way to lan@example.com again" in first.text
    second = form.submit().follow()  # a double press: the same form again
    assert "already sent again" in second.text
    resent = [m for m in emails_to(dbsession, "lan@example.com") if m.dedupe_key.startswith("booking-resent:")]
    assert len(resent) == 1
    assert any(a["content_type"] == "application/pdf" for a in resent[0].attachments)
    # Pressed again from a fresh page: a new e-mail.
    fresh = [f for f in second.forms.values() if f.action.endswith("/resend")][0]
    fresh.submit().follow()
    assert len([m for m in emails_to(dbsession, "lan@example.com")
                if m.dedupe_key.startswith("booking-resent:")]) == 2
    assert "Sent" in second.text or "Waiting to be sent" in second.text  # the e-mails in the history


def test_resending_is_refused_for_a_booking_without_ticket_or_a_bad_key(app_at, dbsession, world, lan):
    held = book(dbsession, world.later, "Khách Chưa Trả", confirm=False, email="held@example.com")
    enter(app_at, world, "ours")
    token = token_of(app_at.get(url(lan)))
    refused = app_at.post(url(held, "resend") + "?lang=en", {"csrf_token": token, "key": "k" * 32}).follow()
    assert "Only a confirmed booking has a ticket" in refused.text
    stale = app_at.post(url(lan, "resend") + "?lang=en", {"csrf_token": token, "key": "<script>"}).follow()
    assert "out of date" in stale.text
    assert emails_to(dbsession, "held@example.com") == [] and emails_to(dbsession, "lan@example.com") == []


# --- cash received at the village ------------------------------------------------------------

def test_cash_received_at_the_village_once(app_at, dbsession, world, lan):
    enter(app_at, world, "ours")
    page = app_at.get(url(lan), {"lang": "en"})
    form = [f for f in page.forms.values() if f.action.endswith("/cash-received")][0]
    done = form.submit().follow()
    assert "Paid: ₫600,000 received from Nguyễn Thị Lan at the village" in done.text
    (payment,) = dbsession.scalars(select(Payment).where(Payment.booking_id == lan.id))
    assert payment.status == PaymentStatus.SUCCEEDED and "Paid" in done.html.select_one(".transfer-card__money").text
    assert not [f for f in done.forms.values() if f.action.endswith("/cash-received")]
    # The guest's own booking page no longer asks them to pay at the village.
    from tourism.booking.services import issue_token
    guest_page = app_at.get(f"/booking/{issue_token(dbsession, lan)}", {"lang": "en"})
    payment_line = [row for row in guest_page.html.select("dl div") if row.dt.text == "Payment"][0]
    assert payment_line.dd.text == "Paid"
    again = form.submit().follow()  # a stale page's button
    assert "Nothing is due at the village" in again.text
    assert dbsession.scalar(select(func.count()).select_from(Refund)) == 0
