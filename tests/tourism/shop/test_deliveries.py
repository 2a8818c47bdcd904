"""The console's deliveries: confirmed bookings whose products are still to be sent, per
operator, and "Mark sent" with its "Undo" (plain forms: CSRF, another operator's booking
refused, twice is once)."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.factories import contact, make_experience, make_operator, make_session, make_staff, make_village, sign_in
from tests.tourism.shop.factories import make_product
from tourism.booking import services
from tourism.booking.models import BookingProductLine, Fulfilment
from tourism.shop import checkout

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)  # 08:00 in Hà Nội
ADDRESS = checkout.DeliveryAddress("Trần Văn Minh", "0912 345 678", "12 Hàng Bạc", "Phường Hàng Bạc",
                                   "Quận Hoàn Kiếm", "Hà Nội")
OTHER_ADDRESS = checkout.DeliveryAddress("Lê Thị Hoa", "0987 654 321", "5 Bạch Đằng", "Phường Hải Châu 1",
                                         "Quận Hải Châu", "Đà Nẵng")


def experience_of(dbsession, slug, operator_slug):
    village = make_village(dbsession, slug=slug, province=f"Tỉnh {slug}",
                           texts={"vi": f"Làng {slug}", "en": f"{slug} village"})
    make_operator(dbsession, slug=operator_slug, name=f"HTX {operator_slug}", villages=[village])
    return make_experience(dbsession, village, f"{slug}-hai-che", texts={"vi": "Hái chè", "en": "Tea picking"})


@pytest.fixture
def experience(dbsession):
    return experience_of(dbsession, "giao-hang", "htx-giao")


@pytest.fixture
def tea(dbsession, experience):
    return make_product(dbsession, experience.village, "che-giao-hang", price=180000, stock=20,
                        texts={"vi": "Trà móc câu Tân Cương, hộp 200 g", "en": "Tân Cương fish-hook tea, 200 g box"})


@pytest.fixture
def session(dbsession, experience):
    return make_session(dbsession, experience, NOW + timedelta(days=3), capacity=20)


def book(dbsession, session, product, fulfilment=Fulfilment.DELIVERY, *, address=ADDRESS, name="Nguyễn Thị Lan",
         confirm=True, quantity=2):
    booking, _token = services.create_hold(
        dbsession, session=session, party={"adult": 1}, contact=contact(name=name, phone="+84 912 000 111"), now=NOW,
        basket=checkout.Basket(((product.id, quantity),), fulfilment,
                               address if fulfilment == Fulfilment.DELIVERY else None))
    if confirm:
        services.confirm_booking(dbsession, booking, now=NOW)
    return booking


@pytest.fixture
def delivery(dbsession, session, tea):
    return book(dbsession, session, tea)


@pytest.fixture
def other(dbsession):
    """Another operator's delivery."""
    experience = experience_of(dbsession, "giao-khac", "htx-khac")
    session = make_session(dbsession, experience, NOW + timedelta(days=3), capacity=20)
    vase = make_product(dbsession, experience.village, "binh-khac", texts={"vi": "Bình gốm", "en": "Clay vase"})
    return book(dbsession, session, vase, address=OTHER_ADDRESS, name="Kim Min-ji", quantity=1)


@pytest.fixture
def staff_app(app_at, dbsession, experience):
    make_staff(dbsession, experience.village.operator)
    app_at.extra_environ["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(app_at)
    return app_at


def sent_at(dbsession, booking) -> list:
    return list(dbsession.scalars(select(BookingProductLine.handed_over_at)
                                  .where(BookingProductLine.booking_id == booking.id)))


def cards(page) -> list[str]:
    return [" ".join(card.get_text(" ", strip=True).split()) for card in page.html.select(".transfer-card")]


def notices(page) -> str:
    return " ".join(n.get_text(" ", strip=True) for n in page.html.select("[role=status]"))


def mark_sent(testapp, booking):
    page = testapp.get("/console/deliveries")
    form = next(f for f in page.forms.values() if f.action == f"/console/deliveries/{booking.id}/sent")
    return form.submit().follow()


# --- the list ---------------------------------------------------------------------------------

def test_the_list_shows_what_to_send_and_where(staff_app, delivery, other):
    page = staff_app.get("/console/deliveries")
    assert "no-store" in page.headers["Cache-Control"]
    (card,) = cards(page)  # not the other operator's
    assert services.format_reference(delivery.reference) in card
    assert "2 × Tân Cương fish-hook tea, 200 g box" in card
    assert "Nguyễn Thị Lan" in card  # the guest
    assert "Trần Văn Minh" in card and "0912 345 678" in card
    assert "12 Hàng Bạc, Phường Hàng Bạc, Quận Hoàn Kiếm, Hà Nội, Vietnam" in card
    assert page.html.select_one('a[href="tel:0912345678"]')
    assert "Kim Min-ji" not in page.text and "Lê Thị Hoa" not in page.text and "Bình gốm" not in page.text
    button = page.html.select_one(".transfer-card button")
    assert button.get_text(" ", strip=True).startswith("Mark sent")


def test_only_confirmed_deliveries_not_yet_sent_are_listed(staff_app, dbsession, session, tea, delivery):
    pickup = book(dbsession, session, tea, Fulfilment.PICKUP, name="Ông Ba")
    held = book(dbsession, session, tea, name="Bà Tư", confirm=False)
    cancelled = book(dbsession, session, tea, name="Chị Năm")
    services.cancel_booking(dbsession, cancelled, now=NOW)
    text = " ".join(cards(staff_app.get("/console/deliveries")))
    assert "Nguyễn Thị Lan" in text
    for booking in (pickup, held, cancelled):
        assert services.format_reference(booking.reference) not in text


def test_an_admin_sees_every_operators_deliveries(app_at, dbsession, delivery, other):
    make_staff(dbsession, None, email="admin@example.com")
    sign_in(app_at, "admin@example.com")
    text = " ".join(cards(app_at.get("/console/deliveries", headers={"Accept-Language": "en"})))
    assert "Trần Văn Minh" in text and "Lê Thị Hoa" in text


def test_nothing_to_send_says_so(staff_app):
    assert "Nothing to send at the moment." in staff_app.get("/console/deliveries").text


def test_the_console_links_to_the_deliveries(staff_app):
    links = {a.get_text(strip=True): a["href"] for a in staff_app.get("/console").html.select(".console-links a")}
    assert links["Deliveries"] == "/console/deliveries"


def test_strangers_are_asked_to_sign_in(app_at, delivery):
    response = app_at.get("/console/deliveries")
    assert response.status_int == 303 and "/console/sign-in?next=" in response.location


# --- "Mark sent" -------------------------------------------------------------------------------

def test_mark_sent_hands_the_products_over_and_the_booking_leaves_the_list(staff_app, dbsession, delivery):
    page = mark_sent(staff_app, delivery)
    assert "Marked as sent to Trần Văn Minh: 2 × Tân Cương fish-hook tea, 200 g box." in notices(page)
    assert sent_at(dbsession, delivery) == [NOW]
    assert cards(page) == [] and "Nothing to send at the moment." in page.text


def test_mark_sent_twice_is_once(staff_app, dbsession, delivery):
    form = next(f for f in staff_app.get("/console/deliveries").forms.values()
                if f.action.endswith(f"/{delivery.id}/sent"))
    form.submit()
    again = form.submit().follow()  # a second phone's page, or the browser's "send again"
    assert "were already marked as sent; nothing changed" in notices(again)
    assert sent_at(dbsession, delivery) == [NOW]


def test_a_cancelled_booking_is_not_marked_sent(staff_app, dbsession, delivery):
    form = next(f for f in staff_app.get("/console/deliveries").forms.values()
                if f.action.endswith(f"/{delivery.id}/sent"))
    services.cancel_booking(dbsession, delivery, now=NOW)  # cancelled while the page was open
    page = form.submit().follow()
    assert "This booking was cancelled" in page.html.select_one(".notice--warning").get_text()
    assert sent_at(dbsession, delivery) == [None]


def test_a_pickup_is_not_marked_sent(staff_app, dbsession, session, tea):
    pickup = book(dbsession, session, tea, Fulfilment.PICKUP)
    token = staff_app.get("/console/deliveries").forms[0]["csrf_token"].value
    page = staff_app.post(f"/console/deliveries/{pickup.id}/sent", {"csrf_token": token}).follow()
    assert "to be picked up at the village, not delivered" in notices(page)
    assert sent_at(dbsession, pickup) == [None]


def test_another_operators_staff_get_403_on_mark_sent(staff_app, dbsession, other):
    token = staff_app.get("/console").forms[0]["csrf_token"].value
    staff_app.post(f"/console/deliveries/{other.id}/sent", {"csrf_token": token}, status=403)
    assert sent_at(dbsession, other) == [None]


def test_mark_sent_needs_the_csrf_token(staff_app, dbsession, delivery):
    staff_app.post(f"/console/deliveries/{delivery.id}/sent", {}, status=400)
    staff_app.post(f"/console/deliveries/{delivery.id}/sent", {"csrf_token": "forged"}, status=400)
    assert sent_at(dbsession, delivery) == [None]


def test_mark_sent_is_a_post(staff_app, dbsession, delivery):
    staff_app.get(f"/console/deliveries/{delivery.id}/sent", status=404)
    assert sent_at(dbsession, delivery) == [None]


@pytest.mark.parametrize("booking_id", ["999999", "99999999999999999999", "abc"])
def test_unknown_bookings_are_not_found(staff_app, booking_id):
    token = staff_app.get("/console").forms[0]["csrf_token"].value
    staff_app.post(f"/console/deliveries/{booking_id}/sent", {"csrf_token": token}, status=404)


def test_strangers_cannot_mark_sent(app_at, dbsession, delivery):
    app_at.post(f"/console/deliveries/{delivery.id}/sent", {}, status=(303, 400, 403))
    assert sent_at(dbsession, delivery) == [None]


# --- "Undo" after "Mark sent" ------------------------------------------------------------------

def undo_form(page):
    return next(f for f in page.forms.values() if f.action.endswith("/undo"))


def test_undo_puts_the_parcel_back_on_the_list(staff_app, dbsession, delivery):
    page = mark_sent(staff_app, delivery)
    form = undo_form(page)
    assert form.action == f"/console/deliveries/{delivery.id}/undo"
    assert page.html.select_one("[role=status] button").get_text(strip=True) == "Undo: Mark sent, Trần Văn Minh"
    page = form.submit().follow()
    reference = services.format_reference(delivery.reference)
    assert f"Undone: the products for {reference} are on the list to send again." in notices(page)
    assert sent_at(dbsession, delivery) == [None]
    (card,) = cards(page)
    assert reference in card
    assert not any(f.action.endswith("/undo") for f in page.forms.values())  # offered once, after "Mark sent"
    again = form.submit().follow()  # a second phone's page, or the browser's "send again"
    assert f"“Mark sent” for {reference} was already undone; nothing changed." in notices(again)
    assert sent_at(dbsession, delivery) == [None]


def test_undo_after_the_window_is_refused(staff_app, dbsession, delivery):
    form = undo_form(mark_sent(staff_app, delivery))
    staff_app.extra_environ["tourism.now"] = NOW + timedelta(minutes=16)
    page = form.submit().follow()
    assert "more than 15 minutes ago" in page.html.select_one(".notice--warning").get_text()
    assert sent_at(dbsession, delivery) == [NOW]


def test_another_operators_staff_get_403_on_undo(staff_app, dbsession, other):
    other.product_lines[0].handed_over_at = NOW  # marked sent by its own staff a moment ago
    dbsession.flush()
    token = staff_app.get("/console").forms[0]["csrf_token"].value
    staff_app.post(f"/console/deliveries/{other.id}/undo", {"csrf_token": token, "marked_at": NOW.isoformat()},
                   status=403)
    assert sent_at(dbsession, other) == [NOW]


def test_undo_needs_the_csrf_token_and_the_time_of_the_press(staff_app, dbsession, delivery):
    form = undo_form(mark_sent(staff_app, delivery))
    url, marked_at = form.action, form["marked_at"].value
    staff_app.post(url, {"marked_at": marked_at}, status=400)
    staff_app.post(url, {"csrf_token": "forged", "marked_at": marked_at}, status=400)
    staff_app.post(url, {"csrf_token": form["csrf_token"].value, "marked_at": "noon"}, status=400)
    staff_app.get(url, status=404)
    assert sent_at(dbsession, delivery) == [NOW]
