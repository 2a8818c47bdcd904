"""Bulk actions on a session (tourism.booking.bulk): cancelling it refunds every booking in full
through its own provider whatever the policy, tells every guest in their own language with other
dates to book, and is safe to run again — a provider failing for one booking, a booking whose
work raised, the button pressed twice: nothing is lost, nothing is refunded twice. Moving all
guests is all or nothing."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import contact, make_session
from tests.tourism.booking.session_factories import (LATER, NOW, STARTS, Guests, at_stripe, outbox_count, payment_of,
                                                     rain_village, refunds_of)
# The payments suite's fixtures: localstripe on 127.0.0.1 and the app pointed at it.
from tests.tourism.payments.conftest import (localstripe, stripe_app, stripe_client,  # noqa: F401
                                             stripe_settings, webhook_secret)
from tests.tourism.shop.factories import make_product
from tourism.booking import bulk, services
from tourism.booking.models import BookingStatus, Fulfilment
from tourism.exceptions import DomainError
from tourism.forms import InvalidInput
from tourism.notify.models import OutboxMessage
from tourism.notify.services import send_due
from tourism.payments.models import PaymentStatus, Refund, RefundStatus
from tourism.payments.services import providers
from tourism.scheduling.models import Closure, ExperienceSession, SessionStatus
from tourism.shop import checkout

RAIN = bulk.Reason(bulk.CancelReason.RAIN, "Mưa to, đường trơn.", "vi")


# --- fixtures ------------------------------------------------------------------------------------------

@pytest.fixture
def experience(dbsession):
    return rain_village(dbsession)


@pytest.fixture
def session(dbsession, experience):
    return make_session(dbsession, experience, STARTS, capacity=20)


@pytest.fixture
def registry(stripe_app):
    return stripe_app.registry


@pytest.fixture
def guests(dbsession, registry, session, stripe_client):  # noqa: F811
    return Guests(dbsession, registry, session, stripe_client)


def cancel(dbsession, session, registry, reason=RAIN, at=NOW + timedelta(hours=1)):
    return bulk.cancel_session(dbsession, session, reason, now=at, registry=registry, providers=providers(registry))


# --- cancelling: everyone refunded in full, through their own provider --------------------------------

def test_every_booking_is_refunded_in_full_through_its_own_provider_whatever_the_policy(
        dbsession, registry, session, guests, stripe_client):
    card, transfer, village = guests.by_card(), guests.by_transfer(), guests.at_village()
    preview = bulk.cancel_preview(dbsession, session, now=NOW + timedelta(hours=1), providers=providers(registry))
    assert (preview.bookings, preview.guests, preview.refund, preview.by_provider, preview.by_hand,
            preview.nothing_paid) == (3, 6, 1_200_000, 600_000, 600_000, 1)
    assert services.refund_due(card, 600_000, NOW + timedelta(hours=1)) == (0, 0)  # what the policy would give

    run = cancel(dbsession, session, registry)

    assert sorted(b.id for b in run.cancelled) == sorted([card.id, transfer.id, village.id]) and not run.failed
    dbsession.refresh(session)
    assert session.status == SessionStatus.CANCELLED and (session.seats_booked, session.seats_held) == (0, 0)
    assert all(b.status == BookingStatus.CANCELLED for b in (card, transfer, village))
    # The card: sent back through Stripe at once.
    (refund,) = refunds_of(dbsession, card)
    assert (refund.amount, refund.status, refund.reason) == (600_000, RefundStatus.SUCCEEDED, "session_cancelled")
    (sent,) = at_stripe(stripe_client, payment_of(dbsession, card))
    assert sent.id == refund.provider_reference and sent.amount == 600_000
    # The transfer: recorded for the operator to pay back by bank transfer.
    (refund,) = refunds_of(dbsession, transfer)
    assert (refund.amount, refund.status, refund.provider_reference) == (600_000, RefundStatus.PENDING, None)
    assert payment_of(dbsession, transfer).status == PaymentStatus.REFUNDED
    # Nothing was paid at the village yet: nothing to give back, and nothing to collect any more.
    assert refunds_of(dbsession, village) == []
    assert payment_of(dbsession, village).status == PaymentStatus.CANCELLED

    report = {row.booking.id: row for row in bulk.cancellation_report(dbsession, session, now=NOW)}
    assert report[card.id].money.by_provider == 600_000 and not report[card.id].work_left
    assert report[transfer.id].money.by_hand == 600_000 and report[transfer.id].money.paid_with == ("vietqr",)
    assert report[village.id].money.nothing_paid
    assert {row.cancelled for row in report.values()} == {True}


def test_nobody_can_book_or_confirm_on_a_cancelled_session(dbsession, registry, session, guests):
    guests.at_village()
    paying = guests.hold(now=NOW + timedelta(minutes=55))  # a guest paying right now: the hold is let go
    run = cancel(dbsession, session, registry)
    assert run.holds_released == 1 and paying.status == BookingStatus.CANCELLED
    with pytest.raises(DomainError):
        services.confirm_booking(dbsession, paying, now=NOW + timedelta(hours=2))  # the card payment arrives late
    with pytest.raises(DomainError) as refused:
        services.create_hold(dbsession, session=session, party={"adult": 1}, contact=contact(), now=NOW)
    assert "cancelled" in str(refused.value.message)


def test_products_not_handed_over_come_back_in_full_and_handed_over_ones_are_kept(dbsession, registry, session,
                                                                                  guests, experience):
    tea = make_product(dbsession, experience.village, "tra-mua", price=150_000, stock=10)
    cups = make_product(dbsession, experience.village, "chen-mua", price=80_000, stock=10)
    basket = checkout.Basket(((tea.id, 2), (cups.id, 1)), Fulfilment.PICKUP)
    booking = guests.by_transfer(adults=1, basket=basket)  # 300,000 + 300,000 + 80,000
    cups_line = next(line for line in booking.product_lines if line.product_id == cups.id)
    cups_line.handed_over_at = NOW  # the cups were given at the gate the day before
    dbsession.flush()
    cancel(dbsession, session, registry)
    (refund,) = refunds_of(dbsession, booking)
    assert refund.amount == 680_000 - 80_000
    dbsession.refresh(tea)
    assert tea.stock == 10  # the tea is back on the shelf


def test_a_started_session_cannot_be_cancelled_and_nothing_changes(dbsession, registry, session, guests):
    booking = guests.by_transfer()
    with pytest.raises(DomainError):
        cancel(dbsession, session, registry, at=STARTS + timedelta(minutes=1))
    dbsession.refresh(session)
    assert session.status == SessionStatus.OPEN and booking.status == BookingStatus.CONFIRMED
    assert refunds_of(dbsession, booking) == []


def test_guests_left_to_tell_need_a_reason(dbsession, registry, session, guests):
    booking = guests.at_village()
    with pytest.raises(DomainError):
        cancel(dbsession, session, registry, reason=None)
    dbsession.refresh(session)
    assert session.status == SessionStatus.OPEN and booking.status == BookingStatus.CONFIRMED


@pytest.mark.parametrize("form, field", [
    ({}, "reason"),
    ({"reason": "hail"}, "reason"),
    ({"reason": "other", "note": "  "}, "note"),  # guests must be told something
    ({"reason": "rain", "note": "x" * (bulk.MAX_NOTE + 1)}, "note"),
])
def test_a_bad_reason_is_refused_field_by_field(form, field):
    with pytest.raises(InvalidInput) as refused:
        bulk.read_reason(form, "vi")
    assert field in refused.value.errors


def test_the_reason_is_read_with_the_note_as_typed():
    reason = bulk.read_reason({"reason": "equipment", "note": " Lò nung bị nứt.\r\n"}, "vi")
    assert reason == bulk.Reason(bulk.CancelReason.EQUIPMENT, "Lò nung bị nứt.", "vi")


# --- every guest told, in their own language ----------------------------------------------------------

def deliver(dbsession, smtp_server):
    send_due(dbsession, now=NOW + timedelta(hours=2), mailer=smtp_server.mailer(), batch=100,
             sender="LàngViệt <no-reply@langviet.test>")
    return smtp_server.received


def test_each_guest_is_emailed_in_their_own_language_with_the_reason_and_other_dates(
        dbsession, registry, session, guests, experience, smtp_server):
    later = make_session(dbsession, experience, LATER, capacity=20)
    small = make_session(dbsession, experience, LATER + timedelta(hours=4), capacity=2)  # no room for three
    korean = guests.by_card(name="Kim Min-ji", locale="ko", adults=3)
    vietnamese = guests.by_transfer(name="Lê Thị Hoa", locale="vi")
    english = guests.at_village(name="Anna Smith", locale="en")
    cancel(dbsession, session, registry, reason=bulk.Reason(bulk.CancelReason.RAIN, "Mưa to, đường trơn.", "vi"))

    received = deliver(dbsession, smtp_server)  # through the loopback SMTP server

    def mail_to(booking):
        (mail,) = [m for m in received if m["To"] == booking.contact_email
                   and "Mưa to, đường trơn." in m.get_body(("plain",)).get_content()]
        return mail

    mails = {b.id: mail_to(b) for b in (korean, vietnamese, english)}

    ko = mails[korean.id].get_body(("plain",)).get_content()
    assert "물레 도자기 체험" in mails[korean.id]["Subject"]
    assert "Kim Min-ji 님, 안녕하세요." in ko
    assert "결제하신 카드로" in ko and "900,000" in ko  # the card refund, said in Korean
    assert f"/book/{later.id}" in ko and f"/book/{small.id}" not in ko  # other dates with room for three
    assert "/experiences/mua-to-gom" in ko

    vi = mails[vietnamese.id].get_body(("plain",)).get_content()
    assert "Nặn gốm" in mails[vietnamese.id]["Subject"]
    assert "Mã đặt chỗ" in vi and "Mưa to, đường trơn." in vi
    assert f"/book/{later.id}" in vi and f"/book/{small.id}" in vi  # two fit

    en = mails[english.id].get_body(("plain",)).get_content()
    assert mails[english.id]["Subject"].startswith("Cancelled by the village: Throw a pot")
    assert "because of the weather" in en
    assert "Nothing was paid for this booking" in en
    html = mails[english.id].get_body(("html",)).get_content()
    assert '<q lang="vi">Mưa to, đường trơn.</q>' in html  # the operator's words, marked as Vietnamese
    # One e-mail each, and not the guest's own "your booking is cancelled" as well.
    keys = list(dbsession.scalars(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.recipient.in_([b.contact_email for b in (korean, vietnamese, english)]))))
    assert sorted(k for k in keys if "cancel" in k) == sorted(
        f"session-cancelled:{b.id}" for b in (korean, vietnamese, english))


# --- safe to run again ----------------------------------------------------------------------------------

def test_a_provider_failing_for_one_booking_is_finished_by_running_again_and_nothing_is_refunded_twice(
        dbsession, registry, session, guests, stripe_client):
    first, second, third = (guests.by_card(name=n) for n in ("Kim Min-ji", "Park Ji-hoon", "Lee Seo-yeon"))
    transfer = guests.by_transfer()
    broken = payment_of(dbsession, second)
    real_intent = broken.provider_reference
    broken.provider_reference = "pi_unknownToStripe"  # Stripe refuses this one's refund
    dbsession.flush()

    run = cancel(dbsession, session, registry)
    assert len(run.cancelled) == 4 and not run.failed  # the cancellation stands; the refund is owed
    (failed,) = refunds_of(dbsession, second)
    assert failed.status == RefundStatus.FAILED and failed.failure_reason
    report = {row.booking.id: row for row in bulk.cancellation_report(dbsession, session, now=NOW)}
    assert report[second.id].work_left and report[second.id].money.left == 600_000
    assert report[second.id].money.failure == failed.failure_reason
    assert not any(report[b.id].work_left for b in (first, third, transfer))
    emails = outbox_count(dbsession)

    broken.provider_reference = real_intent  # Stripe answers again
    dbsession.flush()
    assert bulk.needs_reason(dbsession, session, now=NOW) is False  # every guest was told
    run = cancel(dbsession, session, registry, reason=None, at=NOW + timedelta(hours=2))
    assert [b.id for b in run.refunds_finished] == [second.id] and not run.cancelled

    retried = refunds_of(dbsession, second)[-1]
    assert (retried.status, retried.amount, retried.reason) == (RefundStatus.SUCCEEDED, 600_000,
                                                                f"retry-of-{failed.id}")
    for booking in (first, second, third):
        (sent,) = at_stripe(stripe_client, payment_of(dbsession, booking))  # one refund each at Stripe
        assert sent.amount == 600_000
        payment = payment_of(dbsession, booking)
        assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, 600_000)
    assert len(refunds_of(dbsession, transfer)) == 1
    assert outbox_count(dbsession) == emails  # nobody e-mailed twice

    # And once more: nothing left, nothing done.
    run = cancel(dbsession, session, registry, reason=None, at=NOW + timedelta(hours=3))
    assert (run.cancelled, run.refunds_finished, run.failed) == ([], [], [])
    assert [len(refunds_of(dbsession, b)) for b in (first, second, third, transfer)] == [1, 2, 1, 1]
    assert not any(row.work_left for row in bulk.cancellation_report(dbsession, session, now=NOW))


def test_a_booking_whose_work_raises_is_left_as_it_was_and_finished_later(dbsession, registry, session, guests,
                                                                          stripe_client, monkeypatch):
    ok, crashing = guests.by_card(name="Kim Min-ji"), guests.by_card(name="Park Ji-hoon")
    stripe = providers(registry)["stripe"]
    real_send = stripe.send_refund
    crashing_payment = payment_of(dbsession, crashing)

    def send(dbsession, payment, refund, *, now):
        if payment.id == crashing_payment.id:
            raise RuntimeError("the provider's library crashed")  # not a StripeError: nothing caught it
        return real_send(dbsession, payment, refund, now=now)

    monkeypatch.setattr(stripe, "send_refund", send)
    run = cancel(dbsession, session, registry)
    assert [b.id for b in run.cancelled] == [ok.id] and [b.id for b, _msg in run.failed] == [crashing.id]
    # That booking's unit of work was rolled back whole: still booked, no refund, no e-mail.
    assert crashing.status == BookingStatus.CONFIRMED and refunds_of(dbsession, crashing) == []
    dbsession.refresh(session)
    assert session.status == SessionStatus.CANCELLED and session.seats_booked == 2
    assert not dbsession.scalar(select(OutboxMessage.id).where(
        OutboxMessage.dedupe_key == f"session-cancelled:{crashing.id}"))
    report = {row.booking.id: row for row in bulk.cancellation_report(dbsession, session, now=NOW)}
    assert report[crashing.id].cancelled is False and report[crashing.id].work_left
    assert bulk.needs_reason(dbsession, session, now=NOW)

    monkeypatch.setattr(stripe, "send_refund", real_send)
    run = cancel(dbsession, session, registry, at=NOW + timedelta(hours=2))
    assert [b.id for b in run.cancelled] == [crashing.id] and not run.failed
    for booking in (ok, crashing):
        assert booking.status == BookingStatus.CANCELLED
        assert len(at_stripe(stripe_client, payment_of(dbsession, booking))) == 1
        assert [r.status for r in refunds_of(dbsession, booking)] == [RefundStatus.SUCCEEDED]
    dbsession.refresh(session)
    assert session.seats_booked == 0


def test_reopening_waits_until_every_booking_is_cancelled_and_the_day_is_not_closed(
        dbsession, registry, session, guests, stripe_client, monkeypatch):
    card = guests.by_card(name="Kim Min-ji")
    stripe = providers(registry)["stripe"]
    monkeypatch.setattr(stripe, "send_refund", lambda *args, **kwargs: 1 / 0)
    cancel(dbsession, session, registry)  # the booking's unit of work failed: it is still booked
    with pytest.raises(DomainError, match="not cancelled yet"):
        bulk.reopen_session(dbsession, session, now=NOW)
    assert session.status == SessionStatus.CANCELLED
    monkeypatch.undo()
    cancel(dbsession, session, registry, at=NOW + timedelta(hours=2))
    closure = Closure(experience_id=session.experience_id, starts_on=STARTS.date(), ends_on=STARTS.date(),
                      reason="Bão")
    dbsession.add(closure)
    dbsession.flush()
    session.closure_id = closure.id
    with pytest.raises(DomainError, match="Its day is closed"):
        bulk.reopen_session(dbsession, session, now=NOW)
    session.closure_id = None
    bulk.reopen_session(dbsession, session, now=NOW)
    assert session.status == SessionStatus.OPEN and card.status == BookingStatus.CANCELLED
    assert session.seats_booked == 0
    # Open again: a new guest books it; reopening again is refused.
    assert guests.by_transfer(name="Lê Thị Hoa").status == BookingStatus.CONFIRMED
    with pytest.raises(DomainError, match="not cancelled"):
        bulk.reopen_session(dbsession, session, now=NOW)


def test_pressing_twice_does_everything_once(dbsession, registry, session, guests, stripe_client):
    card, transfer = guests.by_card(), guests.by_transfer()
    cancel(dbsession, session, registry)
    emails, refunds = outbox_count(dbsession), dbsession.scalar(select(func.count()).select_from(Refund))
    run = cancel(dbsession, session, registry)  # the same form, sent again
    assert (run.cancelled, run.refunds_finished, run.failed, run.holds_released) == ([], [], [], 0)
    assert outbox_count(dbsession) == emails
    assert dbsession.scalar(select(func.count()).select_from(Refund)) == refunds
    assert len(at_stripe(stripe_client, payment_of(dbsession, card))) == 1


def test_a_booking_the_guest_cancelled_before_is_left_alone(dbsession, registry, session, guests):
    own = guests.by_transfer(name="Bà Tư")
    services.cancel_booking(dbsession, own, now=NOW)  # the guest's own cancellation: no refund by the policy here
    cancel(dbsession, session, registry)
    assert refunds_of(dbsession, own) == []
    assert bulk.cancellation_report(dbsession, session, now=NOW) == []


# --- moving all guests -----------------------------------------------------------------------------------

@pytest.fixture
def later(dbsession, experience):
    return make_session(dbsession, experience, LATER, capacity=6)


def test_move_all_moves_every_guest_and_closes_the_session(dbsession, registry, session, guests, later):
    a, b = guests.at_village(adults=2), guests.by_transfer(adults=3)
    paying = guests.hold()
    assert [c.session_id for c in bulk.move_candidates(dbsession, session, now=NOW)] == [later.id]
    moved = bulk.move_all(dbsession, session, later, now=NOW, registry=registry, providers=providers(registry))
    assert sorted(m.id for m in moved) == sorted([a.id, b.id])
    assert {a.session_id, b.session_id} == {later.id} and paying.status == BookingStatus.CANCELLED
    dbsession.refresh(session)
    dbsession.refresh(later)
    assert session.status == SessionStatus.CANCELLED and (session.seats_booked, session.seats_held) == (0, 0)
    assert later.seats_booked == 5
    keys = set(dbsession.scalars(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.dedupe_key.like("booking-moved:%"))))
    assert {f"booking-moved:{x.id}:{later.id}:{NOW.isoformat()}" for x in (a, b)} <= keys


def test_move_all_is_refused_when_the_seats_do_not_allow_and_nothing_changes(dbsession, registry, session, guests,
                                                                            later):
    a, b = guests.at_village(adults=3), guests.by_transfer(adults=2)
    assert [c.session_id for c in bulk.move_candidates(dbsession, session, now=NOW)] == [later.id]
    guests.at_village(session=later, adults=2)  # meanwhile someone books there: 4 left for 5
    assert bulk.move_candidates(dbsession, session, now=NOW) == []
    emails = outbox_count(dbsession)
    with pytest.raises(DomainError) as refused:
        bulk.move_all(dbsession, session, later, now=NOW, registry=registry, providers=providers(registry))
    assert "Nothing was moved" in str(refused.value.message)
    dbsession.refresh(session)
    dbsession.refresh(later)
    assert session.status == SessionStatus.OPEN and (session.seats_booked, later.seats_booked) == (5, 2)
    assert {a.session_id, b.session_id} == {session.id}
    assert outbox_count(dbsession) == emails


def test_move_all_only_to_another_open_session_of_the_same_experience(dbsession, registry, session, guests, later):
    guests.at_village()
    other = make_session(dbsession, rain_village(dbsession, "mua-khac", "htx-mua-khac"), LATER, capacity=10)
    for target in (session, other):
        with pytest.raises(DomainError):
            bulk.move_all(dbsession, session, target, now=NOW, registry=registry, providers=providers(registry))
    later.status = SessionStatus.CANCELLED
    dbsession.flush()
    with pytest.raises(DomainError):
        bulk.move_all(dbsession, session, later, now=NOW, registry=registry, providers=providers(registry))
    dbsession.refresh(session)
    assert session.status == SessionStatus.OPEN and session.seats_booked == 2


def test_an_empty_session_has_nobody_to_move(dbsession, registry, session, later):
    with pytest.raises(DomainError):
        bulk.move_all(dbsession, session, later, now=NOW, registry=registry, providers=providers(registry))
    assert dbsession.get(ExperienceSession, session.id).status == SessionStatus.OPEN
