"""The operator's VietQR pages: the transfers awaited, "the money has arrived" (safe to press
twice), and the bank statement import — each operator seeing and settling only its own."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select
from webtest import Upload

from tests.concurrency import all_at_once, committed, guard_switched_off
from tests.factories import contact, make_experience, make_operator, make_session, make_staff, make_village, sign_in
from tourism.booking import services as booking_services
from tourism.booking.models import Booking, BookingLine, BookingStatus, BookingToken
from tourism.catalog.models import Experience, Village
from tourism.db import get_engine, get_session_factory
from tourism.notify.models import OutboxMessage
from tourism.payments.models import Payment, PaymentStatus, Refund
from tourism.payments.services import providers
from tourism.payments.vietqr_provider import RECEIPT_GUARD, awaited_transfer, mark_received, pending_payment
from tourism.scheduling.models import ExperienceSession

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def villages(dbsession):
    """Two operators, one village and one session each; adults pay 350,000 ₫."""
    sessions = {}
    for key, slug in (("gom", "lang-gom-ck"), ("che", "lang-che-ck")):
        village = make_village(dbsession, slug=slug, province=f"Tỉnh {key}")
        make_operator(dbsession, f"htx-{key}-ck", villages=[village])
        experience = make_experience(dbsession, village, f"{slug}-trai-nghiem", max_party=6,
                                     prices=(("adult", 350000),), texts={"vi": f"Trải nghiệm {key}",
                                                                         "en": f"Experience {key}"})
        sessions[key] = make_session(dbsession, experience, NOW + timedelta(days=3), capacity=4)
    return sessions


@pytest.fixture
def staff(dbsession, villages):
    """Sign-in e-mails: gom@… works for the first operator, che@… for the second, admin@…"""
    for key in villages:
        operator = villages[key].experience.village.operator
        make_staff(dbsession, operator, email=f"{key}@example.com")
    make_staff(dbsession, None, email="admin@example.com")


def awaiting(dbsession, session, name="Nguyễn Thị Lan", seats=1, email="khach@example.vn", now=NOW):
    """A held booking whose guest chose a VietQR transfer."""
    booking, _token = booking_services.create_hold(dbsession, session=session, party={"adult": seats}, now=now,
                                                   contact=contact(name=name, email=email))
    pending_payment(dbsession, booking, now=now)
    return booking


def dashed(reference: str) -> str:
    return f"{reference[:4]}-{reference[4:]}"


def confirmations(dbsession, email="khach@example.vn") -> int:
    return dbsession.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.recipient == email))


# --- the list ---------------------------------------------------------------------------

def test_the_list_shows_only_the_operators_own_transfers_newest_first(app_at, dbsession, villages, staff):
    first = awaiting(dbsession, villages["gom"], "Nguyễn Văn Một")
    second = awaiting(dbsession, villages["gom"], "김민준")
    other = awaiting(dbsession, villages["che"], "Trần Thị Khác")
    sign_in(app_at, "gom@example.com")
    page = app_at.get("/console/transfers", headers={"Accept-Language": "en"})
    assert "no-store" in page.headers["Cache-Control"]
    cards = page.html.select(".transfer-card")
    assert [c.select_one(".transfer-card__name").get_text(strip=True) for c in cards] == ["김민준", "Nguyễn Văn Một"]
    assert dashed(second.reference) in cards[0].get_text() and "₫350,000" in cards[0].get_text()
    assert "Experience gom" in cards[0].get_text()
    assert dashed(other.reference) not in page.text and dashed(first.reference) in page.text


def test_an_admin_sees_every_operators_transfers(app_at, dbsession, villages, staff):
    awaiting(dbsession, villages["gom"], "Nguyễn Văn Một")
    awaiting(dbsession, villages["che"], "Trần Thị Khác")
    sign_in(app_at, "admin@example.com")
    assert len(app_at.get("/console/transfers").html.select(".transfer-card")) == 2


def test_strangers_are_sent_to_sign_in(app_at, dbsession, villages):
    booking = awaiting(dbsession, villages["gom"])
    for url in ("/console/transfers", "/console/transfers/import", f"/console/transfers/{booking.reference}/received"):
        response = app_at.get(url)
        assert response.status_int == 303 and "/console/sign-in?next=" in response.location, url


def test_the_console_links_to_both_pages(app_at, staff):
    home = sign_in(app_at, "gom@example.com")
    links = {a["href"] for a in home.html.select(".console-links a")}
    assert {"/console/transfers", "/console/transfers/import"} <= links


# --- marking a transfer received -----------------------------------------------------------

def confirm_page(app, booking, **kw):
    page = app.get("/console/transfers", headers={"Accept-Language": "en"}, **kw)
    link = page.html.select_one(f'a[href$="/{booking.reference}/received"]')
    return app.get(link["href"], headers={"Accept-Language": "en"})


def test_marking_received_confirms_the_booking_and_sends_the_ticket(app_at, dbsession, villages, staff):
    booking = awaiting(dbsession, villages["gom"])
    sign_in(app_at, "gom@example.com")
    page = confirm_page(app_at, booking)
    assert "Has this transfer arrived?" in page.text and dashed(booking.reference) in page.text
    listing = page.forms["received-form"].submit(headers={"Accept-Language": "en"}).follow(headers={"Accept-Language": "en"})
    assert booking.status == BookingStatus.CONFIRMED and booking.payment_provider == "vietqr"
    assert awaited_transfer(dbsession, booking) is None
    assert confirmations(dbsession) == 1
    notice = listing.html.select_one("[role=status]").get_text(" ", strip=True)
    assert notice == f"Booking {dashed(booking.reference)} is confirmed. Nguyễn Thị Lan gets the ticket by e-mail."
    assert not listing.html.select(".transfer-card")  # no longer awaited


def test_pressing_twice_changes_nothing_the_second_time_and_says_so(app_at, dbsession, villages, staff):
    booking = awaiting(dbsession, villages["gom"])
    sign_in(app_at, "gom@example.com")
    form = confirm_page(app_at, booking).forms["received-form"]
    english = {"Accept-Language": "en"}
    form.submit(status=303, headers=english)
    again = form.submit(status=303, headers=english).follow(headers=english)  # the same form, sent again
    first, second = [n.get_text(strip=True) for n in again.html.select("[role=status]")]  # both, in order
    assert "is confirmed" in first and "Nothing changed: the transfer for booking" in second
    assert confirmations(dbsession) == 1
    assert dbsession.scalar(select(func.count()).select_from(Refund)) == 0
    (payment,) = dbsession.scalars(select(Payment).where(Payment.booking_id == booking.id)).all()
    assert payment.status == PaymentStatus.SUCCEEDED
    # Opened again afterwards, the page says it is done and offers no button.
    page = app_at.get(f"/console/transfers/{booking.reference}/received", headers={"Accept-Language": "en"})
    assert "already marked received" in page.text and "received-form" not in page.forms


def test_a_late_transfer_for_seats_now_taken_tells_the_staff_to_send_it_back(app_at, dbsession, villages, staff):
    booking = awaiting(dbsession, villages["gom"], seats=4)
    sign_in(app_at, "gom@example.com")
    form = confirm_page(app_at, booking).forms["received-form"]
    awaiting(dbsession, villages["gom"], seats=4, email="other@example.vn",
             now=NOW + timedelta(minutes=30))  # the hold expired; someone else took the seats
    app_at.extra_environ["tourism.now"] = NOW + timedelta(minutes=40)
    listing = form.submit(headers={"Accept-Language": "en"}, status=303).follow()
    notice = listing.html.select_one(".notice--warning[role=status]").get_text(" ", strip=True)
    assert "Send ₫1,400,000 back to Nguyễn Thị Lan" in notice
    assert booking.status != BookingStatus.CONFIRMED


def test_another_operators_booking_is_refused_even_with_a_guessed_reference(app_at, dbsession, villages, staff):
    theirs = awaiting(dbsession, villages["che"])
    mine = awaiting(dbsession, villages["gom"], email="mine@example.vn")
    sign_in(app_at, "gom@example.com")
    token = confirm_page(app_at, mine).forms["received-form"]["csrf_token"].value
    app_at.get(f"/console/transfers/{theirs.reference}/received", status=403)
    payment = awaited_transfer(dbsession, theirs)
    app_at.post(f"/console/transfers/{theirs.reference}/received", {"csrf_token": token, "payment": payment.id},
                status=403)
    # Nor through a payment of theirs sent on my booking's page.
    app_at.post(f"/console/transfers/{mine.reference}/received", {"csrf_token": token, "payment": payment.id},
                status=400)
    assert theirs.status == BookingStatus.HELD and payment.status == PaymentStatus.PENDING
    app_at.get("/console/transfers/ZZZZZZZZ/received", status=404)


def test_marking_received_needs_the_form_token(app_at, dbsession, villages, staff):
    booking = awaiting(dbsession, villages["gom"])
    sign_in(app_at, "gom@example.com")
    payment = awaited_transfer(dbsession, booking)
    app_at.post(f"/console/transfers/{booking.reference}/received", {"payment": payment.id}, status=400)
    assert payment.status == PaymentStatus.PENDING


# --- the bank statement import ------------------------------------------------------------

def statement(*rows: tuple[str, str]) -> bytes:
    """A Vietcombank-style export: a preamble, then (amount, description) credit rows."""
    lines = ["NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM", "Sao kê tài khoản 0011000123456", "",
             "STT,Ngày giao dịch,Số tiền ghi có,Số tiền ghi nợ,Nội dung"]
    lines += [f'{i},01/12/2026,"{amount}",,{description}' for i, (amount, description) in enumerate(rows, 1)]
    return ("\n".join(lines) + "\n").encode()


def upload(app, data: bytes, filename="sao-ke.csv"):
    form = app.get("/console/transfers/import", headers={"Accept-Language": "en"}).forms["import-form"]
    form["statement"] = Upload(filename, data, "text/csv")
    return form.submit(headers={"Accept-Language": "en"}, status="*")


def rows(page, anchor: str) -> list[list[str]]:
    """The cells of each row of the table under the heading with id `anchor`."""
    table = page.html.select_one(f"#{anchor}").find_next_sibling("table")
    return [[cell.get_text(" ", strip=True) for cell in tr.select("td")] for tr in table.select("tbody tr")]


def section(page, anchor: str) -> str:
    """The text of the table (or "None.") under the heading with id `anchor`."""
    return page.html.select_one(f"#{anchor}").find_next_sibling().get_text(" ", strip=True)


def test_the_import_settles_matching_lines_and_lists_the_rest(app_at, dbsession, villages, staff):
    paid = awaiting(dbsession, villages["gom"], "Nguyễn Văn Đủ")
    short = awaiting(dbsession, villages["gom"], "Lê Thị Thiếu", email="thieu@example.vn")
    theirs = awaiting(dbsession, villages["che"], "Trần Khác", email="khac@example.vn")
    sign_in(app_at, "gom@example.com")
    page = upload(app_at, statement(
        ("350.000", f"MBVCB.8812345.{paid.reference.lower()}.CT tu NGUYEN VAN DU"),
        ("300.000", f"{dashed(short.reference)} chuyen khoan"),
        ("500.000", "tien hang khong ro"),
        ("350.000", f"IBFT {theirs.reference}"),
    ))
    assert page.status_int == 200
    assert paid.status == BookingStatus.CONFIRMED and short.status == BookingStatus.HELD
    assert theirs.status == BookingStatus.HELD and awaited_transfer(dbsession, theirs) is not None  # not ours
    ((line, reference, name, amount, result),) = rows(page, "confirmed")
    assert (line, reference, name, amount) == ("5", dashed(paid.reference), "Nguyễn Văn Đủ", "₫350,000")
    assert result == f"Booking {dashed(paid.reference)} is confirmed. Nguyễn Văn Đủ gets the ticket by e-mail."
    ((line, reference, name, expected, received, description),) = rows(page, "mismatched")
    assert (line, reference, name, expected, received) == ("6", dashed(short.reference), "Lê Thị Thiếu", "₫350,000",
                                                           "₫300,000")
    assert description == f"{dashed(short.reference)} chuyen khoan"
    unmatched = rows(page, "unmatched")
    assert [(row[0], row[2], row[3]) for row in unmatched] == [("7", "₫500,000", "tien hang khong ro"),
                                                               ("8", "₫350,000", f"IBFT {theirs.reference}")]
    assert section(page, "duplicates") == "None." and section(page, "recorded") == "None."
    assert confirmations(dbsession, "khach@example.vn") == 1


def test_importing_the_same_statement_again_says_recorded_before(app_at, dbsession, villages, staff):
    paid = awaiting(dbsession, villages["gom"])
    sign_in(app_at, "gom@example.com")
    data = statement(("350.000", f"{paid.reference} thanh toan"))
    upload(app_at, data)
    again = upload(app_at, data)
    assert section(again, "confirmed") == "None." and section(again, "unmatched") == "None."
    assert dashed(paid.reference) in section(again, "recorded")
    assert confirmations(dbsession) == 1


def test_more_money_for_a_booking_paid_already_is_pointed_out(app_at, dbsession, villages, staff):
    paid = awaiting(dbsession, villages["gom"])
    sign_in(app_at, "gom@example.com")
    upload(app_at, statement(("350.000", f"{paid.reference} thanh toan")))
    again = upload(app_at, statement(("350.000", f"{paid.reference} thanh toan"),
                                     ("50.000", f"{paid.reference} them")))
    # Two lines name it: which one is the transfer recorded before is not guessed.
    found = [(row[0], row[2], row[4]) for row in rows(again, "unmatched")]
    why = f"It names booking {dashed(paid.reference)}, which is paid already. This money may be extra: " \
          "check with the guest."
    assert found == [("5", "₫350,000", why), ("6", "₫50,000", why)]
    assert section(again, "recorded") == "None." and section(again, "confirmed") == "None."
    assert confirmations(dbsession) == 1


def test_an_admin_import_settles_any_operators_booking(app_at, dbsession, villages, staff):
    theirs = awaiting(dbsession, villages["che"])
    sign_in(app_at, "admin@example.com")
    upload(app_at, statement(("350.000", f"{theirs.reference}")))
    assert theirs.status == BookingStatus.CONFIRMED


def test_the_same_booking_on_two_lines_settles_neither(app_at, dbsession, villages, staff):
    booking = awaiting(dbsession, villages["gom"])
    sign_in(app_at, "gom@example.com")
    page = upload(app_at, statement(("175.000", f"{booking.reference} lan 1"), ("175.000", f"{booking.reference} lan 2")))
    assert dashed(booking.reference) in section(page, "duplicates") and "lan 2" in section(page, "duplicates")
    assert booking.status == BookingStatus.HELD


@pytest.mark.parametrize("data, status, message", [
    (b"hello,world\n1,2\n", 400, "could not be read as a bank statement"),
    ("Nội dung;Số tiền\nabc;1,2,3\n".encode(), 400, "could not be read as a bank statement"),
    (b"\xff\xfe\x00\x00garbage" * 10, 400, "could not be read as a bank statement"),
    (b"", 400, "This file is empty"),
    (b"x" * (2 * 1024 * 1024 + 1), 413, "larger than 2 MB"),
])
def test_a_bad_file_gets_a_clear_message_and_changes_nothing(app_at, dbsession, villages, staff, data, status,
                                                               message):
    booking = awaiting(dbsession, villages["gom"])
    sign_in(app_at, "gom@example.com")
    page = upload(app_at, data)
    assert page.status_int == status
    alert = page.html.select_one("[role=alert]").get_text(" ", strip=True)
    assert message in alert and "nothing" in alert.lower()
    assert page.html.select_one("#statement")["aria-invalid"] == "true"
    assert booking.status == BookingStatus.HELD and awaited_transfer(dbsession, booking) is not None


def test_no_file_chosen(app_at, staff):
    sign_in(app_at, "gom@example.com")
    token = app_at.get("/console/transfers/import").forms["import-form"]["csrf_token"].value
    page = app_at.post("/console/transfers/import", {"csrf_token": token}, headers={"Accept-Language": "en"},
                       status=400)
    assert "Choose the bank statement file" in page.html.select_one("[role=alert]").text


def test_the_import_needs_the_form_token(app_at, dbsession, villages, staff):
    booking = awaiting(dbsession, villages["gom"])
    sign_in(app_at, "gom@example.com")
    app_at.post("/console/transfers/import", upload_files=[("statement", "s.csv", statement(
        ("350.000", booking.reference)))], status=400)
    assert booking.status == BookingStatus.HELD


# --- two presses at the same moment, on a committed database ---------------------------------

RACE_EMAIL = "dua-chuyen-khoan@example.vn"


@pytest.fixture
def committed_transfer(db_url, app):
    """A held booking awaiting its transfer, committed through its own engine (the rolled-back
    test session cannot race); its rows are deleted afterwards."""
    engine = get_engine({"sqlalchemy.url": db_url})
    factory = get_session_factory(engine)

    def create(db):
        village = make_village(db, slug="dua-chuyen-khoan", province="Tỉnh Đua Chuyển")
        experience = make_experience(db, village, "dua-chuyen-khoan-gom", prices=(("adult", 350000),))
        booking = awaiting(db, make_session(db, experience, NOW + timedelta(days=3), capacity=4), email=RACE_EMAIL)
        return booking.id, awaited_transfer(db, booking).id

    booking_id, payment_id = committed(factory, create)
    yield factory, booking_id, payment_id
    with engine.begin() as conn:
        session_id = conn.scalar(select(Booking.session_id).where(Booking.id == booking_id))
        conn.execute(delete(Refund).where(Refund.payment_id == payment_id))
        conn.execute(delete(Payment).where(Payment.booking_id == booking_id))
        conn.execute(delete(OutboxMessage).where(OutboxMessage.recipient == RACE_EMAIL))
        conn.execute(delete(BookingToken).where(BookingToken.booking_id == booking_id))
        conn.execute(delete(BookingLine).where(BookingLine.booking_id == booking_id))
        conn.execute(delete(Booking).where(Booking.id == booking_id))
        conn.execute(delete(ExperienceSession).where(ExperienceSession.id == session_id))
        conn.execute(delete(Experience).where(Experience.slug == "dua-chuyen-khoan-gom"))
        conn.execute(delete(Village).where(Village.slug == "dua-chuyen-khoan"))
    engine.dispose()


def press_twice_at_once(app, factory, booking_id, payment_id) -> list[str]:
    """Two staff press "the money has arrived" at the same moment; what each was told."""
    def press(_i):
        def work(db):
            # The page's route factory loaded the booking first and holds it for the request.
            booking = db.get(Booking, booking_id)
            outcome = mark_received(db, db.get(Payment, payment_id), providers=providers(app.registry),
                                    now=NOW + timedelta(minutes=5), registry=app.registry)
            return outcome if booking is not None else None
        return committed(factory, work)

    return sorted(all_at_once(2, press))


def refunds_and_emails(factory, payment_id) -> tuple[int, int]:
    return committed(factory, lambda db: (
        db.scalar(select(func.count()).select_from(Refund).where(Refund.payment_id == payment_id)),
        db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.recipient == RACE_EMAIL))))


@pytest.fixture
def lock_off():
    with guard_switched_off(RECEIPT_GUARD, pause_seconds=0.1):
        yield


@pytest.mark.usefixtures("lock_off")
def test_negative_control_without_the_lock_two_presses_both_settle(backend, app, committed_transfer):
    if backend == "sqlite":
        pytest.skip("SQLite takes its write lock at BEGIN IMMEDIATE, so even unlocked presses never interleave")
    factory, booking_id, payment_id = committed_transfer
    outcomes = press_twice_at_once(app, factory, booking_id, payment_id)
    # The second press, working from the booking as it was, took the confirmed booking for a
    # cancelled one: the guest's money was "given back" and the guest told so.
    assert outcomes == ["processed: booking confirmed", "refunded: booking_cancelled"]
    assert refunds_and_emails(factory, payment_id) == (1, 2)  # confirmed, then "your money is coming back"


def test_two_presses_at_the_same_moment_settle_once(app, committed_transfer):
    RECEIPT_GUARD.pause_seconds = 0.1  # the same window as the negative control, the lock on
    try:
        factory, booking_id, payment_id = committed_transfer
        outcomes = press_twice_at_once(app, factory, booking_id, payment_id)
    finally:
        RECEIPT_GUARD.pause_seconds = 0.0
    assert outcomes == ["no change: payment already succeeded", "processed: booking confirmed"]
    assert refunds_and_emails(factory, payment_id) == (0, 1)  # no refund; one confirmation
