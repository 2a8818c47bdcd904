"""VietQR transfers: the guest sees the QR; an operator (or the bank statement) confirms."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.factories import contact, make_experience, make_session, make_village
from tourism.booking import services as booking_services
from tourism.booking.models import BookingStatus
from tourism.notify.models import OutboxMessage
from tourism.payments import vietqr
from tourism.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from tourism.payments.services import providers
from tourism.payments.vietqr_provider import awaited_transfer, import_statement, mark_received

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def session(dbsession):
    village = make_village(dbsession, slug="chuyen-khoan", province="Tỉnh Chuyển")
    experience = make_experience(dbsession, village, "chuyen-khoan-gom", max_party=6, prices=(("adult", 350000),))
    return make_session(dbsession, experience, NOW + timedelta(days=2), capacity=4)


def hold(dbsession, session, seats=2, now=NOW):
    return booking_services.create_hold(dbsession, session=session, party={"adult": seats},
                                        contact=contact(email="chuyen@example.vn"), now=now)


def choose_transfer(app, token):
    manage = app.get(f"/booking/{token}")
    form = manage.forms[0]
    form["provider"] = "vietqr"
    return form.submit(status=303).follow()


def test_the_guest_sees_a_qr_with_the_amount_and_reference(app_at, dbsession, session):
    booking, token = hold(dbsession, session)
    page = choose_transfer(app_at, token)
    assert page.html.select_one(".transfer svg") is not None
    assert booking_services.format_reference(booking.reference) in page.text
    provider = providers(app_at.app.registry)["vietqr"]
    fields = vietqr.parse_payload(provider.instructions(booking).payload)
    assert (fields["amount"], fields["purpose"], fields["bank_bin"]) == (700000, booking.reference, "970436")
    assert booking.status == BookingStatus.HELD and awaited_transfer(dbsession, booking).amount == 700000


def test_marking_the_transfer_received_confirms_once(app_at, app, dbsession, session):
    booking, token = hold(dbsession, session)
    choose_transfer(app_at, token)
    payment = awaited_transfer(dbsession, booking)
    kw = dict(providers=providers(app.registry), now=NOW + timedelta(minutes=5), registry=app.registry)
    assert mark_received(dbsession, payment, **kw) == "processed: booking confirmed"
    assert mark_received(dbsession, payment, **kw).startswith("no change")
    assert booking.status == BookingStatus.CONFIRMED and payment.status == PaymentStatus.SUCCEEDED
    assert booking.payment_provider == "vietqr"
    # One confirmation, besides the transfer instructions sent when the guest chose the transfer.
    keys = dbsession.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.recipient == "chuyen@example.vn"))
    assert sorted(keys) == sorted([f"booking-confirmed:{booking.id}", f"vietqr-instructions:{payment.id}"])


def test_a_late_transfer_for_seats_now_taken_is_given_back(app_at, app, dbsession, session):
    booking, token = hold(dbsession, session, seats=4)
    choose_transfer(app_at, token)
    payment = awaited_transfer(dbsession, booking)
    hold(dbsession, session, seats=4, now=NOW + timedelta(minutes=30))  # the hold expired; others took the seats
    outcome = mark_received(dbsession, payment, providers=providers(app.registry), now=NOW + timedelta(minutes=40),
                            registry=app.registry)
    assert outcome == "refunded: late_payment"
    assert booking.status != BookingStatus.CONFIRMED
    (refund,) = dbsession.scalars(select(Refund).where(Refund.payment_id == payment.id)).all()
    assert (refund.amount, refund.status) == (1_400_000, RefundStatus.PENDING)  # for the operator to send back


def test_the_bank_statement_confirms_matching_lines_and_lists_the_rest(app_at, app, dbsession, session):
    paid, token = hold(dbsession, session, seats=1)
    choose_transfer(app_at, token)
    short, token2 = hold(dbsession, session, seats=1)
    choose_transfer(app_at, token2)
    csv = ("Ngày giao dịch;Số tiền ghi có;Số tiền ghi nợ;Nội dung\n"
           f"01/12/2026;350.000;;MBVCB.123.{paid.reference.lower()}.CT tu Nguyen Thi Lan\n"
           f"01/12/2026;300.000;;{short.reference[:4]}-{short.reference[4:]} chuyen khoan\n"
           "01/12/2026;500.000;;tien hang khong ro\n")
    report, outcomes = import_statement(dbsession, csv.encode(), providers=providers(app.registry),
                                        now=NOW + timedelta(minutes=3), registry=app.registry)
    assert outcomes == {paid.reference: "processed: booking confirmed"}
    assert [m.booking.reference for m in report.amount_mismatch] == [short.reference]
    assert len(report.unmatched) == 1
    assert paid.status == BookingStatus.CONFIRMED and short.status == BookingStatus.HELD
    assert awaited_transfer(dbsession, short).status == PaymentStatus.PENDING


def test_missing_bank_details_stop_start_up_naming_them(app_settings):
    from pyramid.exceptions import ConfigurationError

    from tourism import configure

    with pytest.raises(ConfigurationError, match="vietqr.account"):
        configure(dict(app_settings, **{"vietqr.account": ""}))


def test_a_transfer_after_choosing_to_pay_at_the_village_counts_and_closes_the_cash_payment(app_at, app, dbsession,
                                                                                             session):
    booking, token = hold(dbsession, session)
    choose_transfer(app_at, token)
    transfer = awaited_transfer(dbsession, booking)
    app_at.get(f"/booking/{token}").forms[0].submit(status=303)  # then "pay at the village" after all
    assert booking.status == BookingStatus.CONFIRMED
    outcome = mark_received(dbsession, transfer, providers=providers(app.registry), now=NOW + timedelta(hours=1),
                            registry=app.registry)
    assert outcome == "processed: booking was confirmed already, now paid"
    cash = dbsession.scalar(select(Payment).where(Payment.booking_id == booking.id, Payment.provider == "on_site"))
    assert cash.status == PaymentStatus.CANCELLED and booking.payment_provider == "vietqr"
