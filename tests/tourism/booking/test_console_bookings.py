"""The console's list of bookings (/console/bookings) through WebTest: each operator sees only
its own villages' bookings (an admin all), today's and upcoming ones by default; the search
finds a booking by its reference (with or without the dash, any case), the guest's name
without accents ("tran" finds "Trần"), e-mail or phone (digits only); the filters (dates,
experience, status, channel) and the pages work with a plain GET form.

The fixtures here (two operators, their sessions and staff, `book`) serve the other
test_console_* modules too."""
import unicodedata
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.factories import contact, make_experience, make_operator, make_session, make_staff, make_village, sign_in
from tourism.accounts.models import User
from tourism.booking import console_search, services
from tourism.booking.models import BookingStatus

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)  # 08:00 on Tuesday 1 December in Vietnam


class World:
    """Two operators: ours runs a pottery village with two experiences, theirs a tea village."""


@pytest.fixture
def world(dbsession) -> World:
    w = World()
    village = make_village(dbsession, slug="lang-gom-bk", province="Tỉnh Gốm",
                           texts={"vi": "Làng Gốm BK", "en": "Pottery Village BK", "ko": "도자기 마을"})
    w.ours = make_operator(dbsession, "htx-gom-bk", "HTX Gốm BK", villages=[village])
    w.pottery = make_experience(dbsession, village, "gom-bk", max_party=8,
                                texts={"vi": "Nặn gốm BK", "en": "Pottery BK", "ko": "도자기 BK"})
    w.painting = make_experience(dbsession, village, "ve-gom-bk", prices=(("adult", 200000),),
                                 texts={"vi": "Vẽ gốm BK", "en": "Painting BK"})
    w.today = make_session(dbsession, w.pottery, NOW + timedelta(hours=6), capacity=10)  # 14:00 today
    w.tomorrow = make_session(dbsession, w.pottery, NOW + timedelta(days=1), capacity=10)
    w.later = make_session(dbsession, w.pottery, NOW + timedelta(days=5), capacity=10)
    w.small = make_session(dbsession, w.pottery, NOW + timedelta(days=6), capacity=2)
    w.past = make_session(dbsession, w.pottery, NOW - timedelta(days=2), capacity=10)
    w.painting_session = make_session(dbsession, w.painting, NOW + timedelta(days=1, hours=2), capacity=10)
    tea = make_village(dbsession, slug="lang-che-bk", province="Tỉnh Chè", texts={"vi": "Làng Chè BK", "en": "Tea BK"})
    w.theirs = make_operator(dbsession, "htx-che-bk", "HTX Chè BK", villages=[tea])
    w.tea = make_experience(dbsession, tea, "che-bk", texts={"vi": "Hái chè BK", "en": "Tea picking BK"})
    w.tea_session = make_session(dbsession, w.tea, NOW + timedelta(days=1), capacity=10)
    # Who may sign in, made when first needed (a password hash takes a third of a second).
    w.people = {"ours": (w.ours, "staff"), "owner": (w.ours, "owner"), "theirs": (w.theirs, "staff"),
                "their-owner": (w.theirs, "owner"), "admin": (None, None)}
    w.dbsession = dbsession
    return w


def enter(app, world, who: str):
    """Sign `app` in (signing out whoever was in) as one of the world's people:
    ours, owner (ours), theirs, their-owner, admin."""
    email = f"{who}@example.com"
    if world.dbsession.scalar(select(User.id).where(User.email == email)) is None:
        operator, role = world.people[who]
        make_staff(world.dbsession, operator, email=email, role=role or "staff")
    app.reset()
    return sign_in(app, email)


def book(dbsession, session, name="Nguyễn Thị Lan", *, email="lan@example.com", phone="+84 912 345 678",
         adults=2, channel="web", confirm=True, locale="vi", now=NOW):
    """A booking made as the website makes it (held, then confirmed without e-mails)."""
    booking, _token = services.create_hold(dbsession, session=session, party={"adult": adults}, now=now,
                                           contact=contact(name=name, email=email, phone=phone, locale=locale),
                                           channel=channel)
    if confirm:
        services.confirm_booking(dbsession, booking, now=now)
    return booking


def dashed(booking) -> str:
    return services.format_reference(booking.reference)


def names(page) -> list[str]:
    return [card.get_text(strip=True) for card in page.html.select(".bk-card .transfer-card__name")]


def references(page) -> list[str]:
    return [card.get_text(strip=True) for card in page.html.select(".bk-card .transfer-card__reference")]


def listing(app, lang="en", **query):
    return app.get("/console/bookings", dict(query, lang=lang))


# --- who sees what -------------------------------------------------------------------------

def test_strangers_are_sent_to_sign_in(app_at, world):
    response = app_at.get("/console/bookings")
    assert response.status_int == 303 and "/console/sign-in?next=" in response.location


def test_the_list_shows_the_operators_bookings_and_never_anothers(app_at, dbsession, world):
    ours = book(dbsession, world.tomorrow, "Trần Văn Bảo")
    theirs = book(dbsession, world.tea_session, "Trần Văn Bảo", email="bao@example.com")
    enter(app_at, world, "ours")
    page = listing(app_at)
    assert "no-store" in page.headers["Cache-Control"]
    assert names(page) == ["Trần Văn Bảo"]
    assert references(page) == [dashed(ours)]
    # Whatever they search for, another operator's bookings never appear.
    for q in ("Trần", theirs.reference, dashed(theirs), "bao@example.com", "912 345"):
        found = references(listing(app_at, q=q))
        assert dashed(theirs) not in found, q
    assert references(listing(app_at, status="all", to="2030-01-01")) == [dashed(ours)]
    # Nor an experience of theirs as a filter.
    refused = listing(app_at, experience=str(world.tea.id))
    assert "We do not know that experience" in refused.text and references(refused) == [dashed(ours)]

    enter(app_at, world, "theirs")
    assert references(listing(app_at)) == [dashed(theirs)]


def test_an_admin_sees_every_operators_bookings(app_at, dbsession, world):
    ours = book(dbsession, world.tomorrow, "Trần Văn Bảo")
    theirs = book(dbsession, world.tea_session, "Trần Văn Bảo", email="bao@example.com")
    enter(app_at, world, "admin")
    page = listing(app_at, q="Trần Văn Bảo")
    assert set(references(page)) == {dashed(ours), dashed(theirs)}


# --- the default list ------------------------------------------------------------------------

def test_by_default_today_and_upcoming_sessions_soonest_first_without_abandoned_holds(app_at, dbsession, world):
    book(dbsession, world.later, "Khách Sau")
    book(dbsession, world.today, "Khách Hôm Nay")
    book(dbsession, world.tomorrow, "Khách Ngày Mai")
    book(dbsession, world.past, "Khách Đã Qua", now=NOW - timedelta(days=3))
    abandoned = book(dbsession, world.tomorrow, "Khách Bỏ Dở", confirm=False, now=NOW - timedelta(hours=1))
    waiting = book(dbsession, world.later, "Khách Chờ Tiền", confirm=False)
    enter(app_at, world, "ours")
    page = listing(app_at)
    assert names(page) == ["Khách Hôm Nay", "Khách Ngày Mai", "Khách Sau", "Khách Chờ Tiền"]
    assert "4 bookings" in page.text
    card = page.html.select(".bk-card")[-1]
    assert "Waiting for payment" in card.text and dashed(waiting) in card.text
    assert "tel:+84912345678" in str(card)

    past = app_at.get(page.html.find("a", string="Past")["href"])  # the "Past" link: latest first
    assert names(past) == ["Khách Đã Qua"]
    expired = listing(app_at, status="expired")
    assert names(expired) == ["Khách Bỏ Dở"] and references(expired) == [dashed(abandoned)]
    assert "Not paid in time" in expired.html.select_one(".bk-card").text


def test_each_card_says_what_is_to_pay(app_at, dbsession, world):
    from tourism.payments.models import Payment, PaymentStatus

    booking = book(dbsession, world.tomorrow, "Khách Trả Sau")
    dbsession.add(Payment(booking_id=booking.id, provider="on_site", amount=booking.total_amount, currency="VND",
                          status=PaymentStatus.DUE_ON_SITE, updated_at=NOW))
    dbsession.flush()
    enter(app_at, world, "ours")
    card = listing(app_at).html.select_one(".bk-card").get_text(" ", strip=True)
    assert "To pay at the village: ₫600,000" in card and "2 × Adult" in card and "Pottery BK" in card
    assert "Website" in card


# --- search ----------------------------------------------------------------------------------

@pytest.fixture
def guests(dbsession, world):
    decomposed = unicodedata.normalize("NFD", "Đặng Thu Hà")
    return {
        "bao": book(dbsession, world.tomorrow, "Trần Văn Bảo", email="bao.tran@example.com", phone="+84 912-345-678"),
        "lan": book(dbsession, world.later, "Nguyễn Thị Lan", email="lan@example.com", phone="0987 654 321"),
        "trang": book(dbsession, world.later, "Lê Trang", email="trang@example.vn", phone="+84 (24) 3826 1234"),
        "minjun": book(dbsession, world.tomorrow, "김민준", email="minjun@example.kr", phone="+82 10 1234 5678"),
        "ha": book(dbsession, world.past, decomposed, email="ha@example.com", phone="+84 903 111 222",
                   now=NOW - timedelta(days=3)),
        "cancelled": _cancelled(dbsession, book(dbsession, world.tomorrow, "Phạm Hủy", email="huy@example.com",
                                                phone="+84 911 000 999")),
    }


def _cancelled(dbsession, booking):
    services.cancel_booking(dbsession, booking, now=NOW)
    return booking


@pytest.mark.parametrize("q, expected", [
    ("tran", {"bao", "trang"}),  # "Trần" and "Trang": the accents do not matter
    ("TRẦN", {"bao", "trang"}),
    ("tran bao", {"bao"}),  # every word, in any place of the name
    ("bao tran", {"bao"}),
    ("nguyen lan", {"lan"}),
    ("NGUYỄN", {"lan"}),
    ("dang ha", {"ha"}),  # typed with separate accent marks (decomposed), and a past session
    ("đặng", {"ha"}),
    ("민준", {"minjun"}),
    ("LAN@EXAMPLE.COM", {"lan"}),
    ("example.kr", {"minjun"}),
    ("0912 345 678", {"bao"}),  # a national number finds the international one
    ("912345678", {"bao"}),
    ("+84912345678", {"bao"}),
    ("0987-654-321", {"lan"}),
    ("3826 1234", {"trang"}),
    ("hủy", {"cancelled"}),  # cancelled bookings are found too
    ("nobody", set()),
])
def test_search_by_name_email_or_phone(app_at, dbsession, guests, q, expected, world):
    enter(app_at, world, "ours")
    page = listing(app_at, q=q)
    found = {key for key, booking in guests.items() if dashed(booking) in references(page)}
    assert found == expected
    assert page.html.select_one("#f-q")["value"] == q


def test_search_by_reference_with_or_without_the_dash_in_any_case(app_at, dbsession, guests, world):
    enter(app_at, world, "ours")
    booking = guests["lan"]
    for q in (booking.reference, booking.reference.lower(), dashed(booking), dashed(booking).lower(),
              f"  {dashed(booking)} ", booking.reference[:5]):
        page = listing(app_at, q=q)
        assert references(page) == [dashed(booking)], q


def test_search_words_with_sql_wildcards_match_nothing_more(app_at, dbsession, guests, world):
    enter(app_at, world, "ours")
    for q in ("%", "_", "%@%", "\\"):
        assert names(listing(app_at, q=q)) == [], q


def test_fold_matches_the_database_fold(dbsession, world):
    """The search term and the stored names are folded alike, on both databases."""
    from sqlalchemy import select

    from tourism.booking.models import Booking

    dialect = console_search.prepare_fold(dbsession)
    for text in ("Trần Văn Bảo", unicodedata.normalize("NFD", "Đặng Thu Hà"), "ĐỖ ÁNH", "Françoise Müller", "김민준"):
        booking = book(dbsession, world.later, text, adults=1)
        in_sql = dbsession.scalar(select(console_search.folded(Booking.contact_name, dialect))
                                  .where(Booking.id == booking.id))
        assert in_sql == console_search.fold(text), text
    assert console_search.fold("Trần Văn Bảo") == "tran van bao"
    assert console_search.fold("ĐỖ ÁNH") == "do anh"


# --- filters and pages -----------------------------------------------------------------------

def test_filters_dates_experience_status_and_channel(app_at, dbsession, world):
    tomorrow = book(dbsession, world.tomorrow, "Khách Ngày Mai", channel="phone")
    later = book(dbsession, world.later, "Khách Sau")
    painting = book(dbsession, world.painting_session, "Khách Vẽ", channel="walk_in")
    cancelled = _cancelled(dbsession, book(dbsession, world.tomorrow, "Khách Hủy"))
    enter(app_at, world, "ours")

    day = (NOW + timedelta(days=1)).date().isoformat()
    assert set(names(listing(app_at, **{"from": day, "to": day}))) == {"Khách Ngày Mai", "Khách Vẽ", "Khách Hủy"}
    assert names(listing(app_at, experience=str(world.painting.id))) == ["Khách Vẽ"]
    assert names(listing(app_at, status="cancelled")) == ["Khách Hủy"]
    assert set(names(listing(app_at, status="confirmed"))) == {"Khách Ngày Mai", "Khách Sau", "Khách Vẽ"}
    assert names(listing(app_at, channel="phone")) == ["Khách Ngày Mai"]
    assert names(listing(app_at, channel="walk_in", experience=str(world.painting.id))) == ["Khách Vẽ"]
    # Latest session first when asked.
    assert names(listing(app_at, sort="latest", status="confirmed")) == ["Khách Sau", "Khách Vẽ", "Khách Ngày Mai"]
    # The form keeps what was chosen.
    page = listing(app_at, experience=str(world.painting.id), channel="walk_in")
    assert page.html.select_one("#f-experience option[selected]")["value"] == str(world.painting.id)
    assert page.html.select_one("#f-channel option[selected]")["value"] == "walk_in"
    assert {tomorrow.status, later.status, painting.status, cancelled.status} == {BookingStatus.CONFIRMED,
                                                                                 BookingStatus.CANCELLED}


@pytest.mark.parametrize("query, message", [
    ({"from": "2026-13-45"}, "Enter dates like 2026-12-31"),
    ({"from": "2026-12-10", "to": "2026-12-01"}, "The end date is before the start date"),
    ({"status": "lost"}, "We do not know that status"),
    ({"channel": "pigeon"}, "We do not know that way of booking"),
    ({"experience": "abc"}, "We do not know that experience"),
    ({"experience": "999999999999999999"}, "We do not know that experience"),
])
def test_bad_filters_are_dropped_with_a_message(app_at, dbsession, world, query, message):
    book(dbsession, world.tomorrow, "Khách Ngày Mai")
    enter(app_at, world, "ours")
    page = listing(app_at, **query)
    assert page.status_int == 200 and message in page.text
    assert "Khách Ngày Mai" in names(page)


def test_pages_of_results(app_at, dbsession, world, monkeypatch):
    monkeypatch.setattr(console_search, "PAGE_SIZE", 2)
    for number in range(5):
        book(dbsession, world.later, f"Khách {number}", adults=1)
    enter(app_at, world, "ours")
    first = listing(app_at)
    assert names(first) == ["Khách 0", "Khách 1"] and "5 bookings" in first.text
    assert "Page 1 of 3" in first.text and first.html.find("a", rel="prev") is None
    second = app_at.get(first.html.find("a", rel="next")["href"])
    assert names(second) == ["Khách 2", "Khách 3"]
    third = app_at.get(second.html.find("a", rel="next")["href"])
    assert names(third) == ["Khách 4"] and third.html.find("a", rel="next") is None
    # Pages keep the search; a page past the end shows the last one.
    assert names(listing(app_at, q="khach", page="2")) == ["Khách 2", "Khách 1"]  # every date: latest first
    assert names(listing(app_at, page="99")) == ["Khách 4"]
    assert names(listing(app_at, page="-1")) == ["Khách 0", "Khách 1"]


def test_the_list_works_in_vietnamese(app_at, dbsession, world):
    book(dbsession, world.tomorrow, "Trần Văn Bảo")
    enter(app_at, world, "ours")
    page = listing(app_at, lang="vi")
    assert page.html.find("html")["lang"] == "vi" and names(page) == ["Trần Văn Bảo"]
