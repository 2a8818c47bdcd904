"""The session manifest for staff: confirmed guests only, party by tier, what is paid and what
is still to collect, who is already in; only the session's operator (and admins) may print it."""
import io
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader

from tests.factories import contact, make_experience, make_operator, make_session, make_staff, make_village, sign_in
from tourism.booking import services as booking_services
from tourism.booking.emails import request_for
from tourism.booking.models import BookingStatus
from tourism.catalog.models import PRICE_TIERS
from tourism.payments.models import Payment, PaymentStatus
from tourism.tickets.models import Admission
from tourism.tickets.services import manifest_for

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)  # 08:00 in Hà Nội
STARTS = datetime(2026, 12, 2, 7, 30, tzinfo=timezone.utc)  # 14:30 in Hà Nội


@pytest.fixture
def village(dbsession):
    return make_village(dbsession, slug="lang-danh-sach", province="Tỉnh Danh Sách")


@pytest.fixture
def operator(dbsession, village):
    return make_operator(dbsession, "htx-danh-sach", villages=[village])


@pytest.fixture
def session(dbsession, village, operator):
    experience = make_experience(dbsession, village, "danh-sach-gom", max_party=8,
                                 texts={"vi": "Nặn gốm danh sách", "en": "Manifest pottery"},
                                 prices=(("adult", 300000), ("child", 200000), ("senior", 250000)))
    return make_session(dbsession, experience, STARTS, capacity=20)


def book(dbsession, session, name, party, *, locale="vi", payment=None, status=BookingStatus.CONFIRMED):
    """A booking of `party` ({"adult": 2}); `payment` is (provider, PaymentStatus) recorded for its total."""
    booking, _token = booking_services.create_hold(dbsession, session=session, party=party, now=NOW,
                                                   contact=contact(name=name, locale=locale))
    if status == BookingStatus.CONFIRMED:
        booking_services.confirm_booking(dbsession, booking, now=NOW)
    elif status == BookingStatus.CANCELLED:
        booking_services.cancel_booking(dbsession, booking, now=NOW)
    if payment is not None:
        provider, payment_status = payment
        booking.payment_provider = provider
        dbsession.add(Payment(booking_id=booking.id, provider=provider, amount=booking.total_amount,
                              currency=booking.currency, status=payment_status, updated_at=NOW))
    dbsession.flush()
    return booking


@pytest.fixture
def bookings(dbsession, session):
    return {
        "cash": book(dbsession, session, "Nguyễn Thị Hương", {"adult": 2, "child": 1},
                     payment=("on_site", PaymentStatus.DUE_ON_SITE)),
        "transfer": book(dbsession, session, "김민준", {"adult": 1, "senior": 1}, locale="ko",
                         payment=("vietqr", PaymentStatus.SUCCEEDED)),
        "card": book(dbsession, session, "Trần Văn Đức", {"adult": 3}, locale="en",
                     payment=("stripe", PaymentStatus.SUCCEEDED)),
        "cancelled": book(dbsession, session, "Phạm Bỏ Về", {"adult": 1}, status=BookingStatus.CANCELLED),
        "held": book(dbsession, session, "Lê Còn Giữ", {"adult": 1}, locale="ko",
                     payment=("vietqr", PaymentStatus.PENDING), status=BookingStatus.HELD),
    }


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


def manifest_url(session) -> str:
    return f"/console/sessions/{session.id}/manifest.pdf"


def test_the_manifest_lists_confirmed_guests_with_party_and_payment(app_at, dbsession, operator, session, bookings):
    make_staff(dbsession, operator)
    sign_in(app_at)
    response = app_at.get(manifest_url(session), headers={"Accept-Language": "en"})
    assert response.content_type == "application/pdf"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="manifest-danh-sach-gom-2026-12-02-1430.pdf"'
    assert "no-store" in response.headers["Cache-Control"]
    text = pdf_text(response.body)
    for name in ("Nguyễn Thị Hương", "김민준", "Trần Văn Đức"):
        assert name in text
    for absent in ("Phạm Bỏ Về", "Lê Còn Giữ"):  # cancelled; held and not paid yet
        assert absent not in text
    assert "Manifest pottery" in text
    for heading in ("Adult", "Child", "Senior", "Payment", "Language", "Here"):
        assert heading in text
    assert "Due at the village: ₫800,000" in text and text.count("Paid") == 2
    assert "Vietnamese" in text and "Korean" in text
    assert "Bookings: 3 · Guests: 8" in text and "Not paid yet, not listed: 1" in text
    assert "Total 6 1 1" in text  # adults, children, seniors


def test_the_manifest_data_in_order_with_admissions(app, dbsession, session, bookings):
    dbsession.add(Admission(booking_id=bookings["card"].id, scan_id="gate-1", people=2, admitted_at=NOW,
                            received_at=NOW))
    dbsession.flush()
    data = manifest_for(app.registry, dbsession, session, "en", now=NOW)
    assert [g.name for g in data.guests] == ["Nguyễn Thị Hương", "Trần Văn Đức", "김민준"]  # by name, marks aside
    assert data.tiers == ("Adult", "Child", "Senior")
    by_name = {g.name: g for g in data.guests}
    assert by_name["Nguyễn Thị Hương"].party == (2, 1, 0) and by_name["Nguyễn Thị Hương"].due
    assert by_name["김민준"].party == (1, 0, 1) and not by_name["김민준"].due
    assert by_name["Trần Văn Đức"].admitted == 2 and by_name["김민준"].admitted == 0
    assert "Checked in: 2" in data.summary
    assert data.printed == "Printed 12/1/26, 8:00\u202fAM"  # the village's time


def test_a_transfer_still_awaited_is_flagged(app, dbsession, session):
    booking = book(dbsession, session, "Đỗ Chờ Chuyển", {"adult": 1}, payment=("vietqr", PaymentStatus.PENDING))
    (guest,) = manifest_for(app.registry, dbsession, session, "en", now=NOW).guests
    assert guest.reference == f"{booking.reference[:4]}-{booking.reference[4:]}"
    assert (guest.payment, guest.due) == ("Transfer awaited: ₫300,000", True)


def test_the_manifest_speaks_the_staff_members_language(app, app_at, dbsession, operator, session, bookings):
    make_staff(dbsession, operator)
    sign_in(app_at)
    text = pdf_text(app_at.get(manifest_url(session), params={"lang": "ko"}).body)
    translate = request_for(app.registry, "ko").localizer.translate
    assert translate(PRICE_TIERS["adult"]) in text and "Adult" not in text
    assert "Nặn gốm danh sách" in text or "Manifest pottery" in text  # no Korean title: the fallback


def test_strangers_are_sent_to_sign_in(app_at, session):
    response = app_at.get(manifest_url(session))
    assert response.status_int == 303 and "/console/sign-in?next=" in response.location


def test_another_operators_staff_may_not_print_it(app_at, dbsession, session):
    other = make_operator(dbsession, "htx-khac", villages=[make_village(dbsession, "lang-khac")])
    make_staff(dbsession, other, email="khac@example.com")
    sign_in(app_at, "khac@example.com")
    app_at.get(manifest_url(session), status=403)


def test_an_admin_may_print_any(app_at, dbsession, session, bookings):
    make_staff(dbsession, None, email="admin@example.com")
    sign_in(app_at, "admin@example.com")
    assert app_at.get(manifest_url(session)).content_type == "application/pdf"


def test_unknown_sessions_are_not_found(app_at, dbsession, operator, session):
    make_staff(dbsession, operator)
    sign_in(app_at)
    for session_id in (session.id + 10_000, "abc", "99999999999999999999", "%D9%A1%D9%A2"):  # the last: Arabic-Indic digits
        app_at.get(f"/console/sessions/{session_id}/manifest.pdf", status=404)
