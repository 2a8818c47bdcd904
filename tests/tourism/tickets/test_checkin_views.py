"""The check-in scanner over HTTP: the day's sessions, the scanner form without JavaScript,
the JSON the scanner's script talks to, the products a guest picks up ("Handed over"), undoing
either for a few minutes, and who may use any of it.

Every bad scan — forged, truncated, another day's, another session's, cancelled, all
admitted, replayed — gets a clear answer in the user's language and changes nothing.
"""
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.factories import contact, make_experience, make_operator, make_session, make_staff, make_village, sign_in
from tests.tourism.shop.factories import make_product
from tourism.booking import services
from tourism.booking.models import BookingProductLine, Fulfilment
from tourism.shop import checkout
from tourism.tickets import checkin, codes
from tourism.tickets.models import Admission
from tourism.tickets.services import ticket_code

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)  # 08:00 in Hà Nội
TODAY = NOW + timedelta(hours=6)  # 14:00 local
TOMORROW = TODAY + timedelta(days=1)
PARTY = 4


@pytest.fixture
def keys(app):
    return app.registry[codes.REGISTRY_KEY]


@pytest.fixture
def village(dbsession):
    return make_village(dbsession, slug="cong-lang", province="Tỉnh Cổng",
                        texts={"vi": "Làng Cổng", "en": "Gate Village"})


@pytest.fixture
def operator(dbsession, village):
    return make_operator(dbsession, villages=[village])


@pytest.fixture
def experience(dbsession, village):
    return make_experience(dbsession, village, "cong-lang-gom", max_party=8,
                           texts={"vi": "Bàn xoay gốm", "en": "Pottery wheel"})


@pytest.fixture
def session(dbsession, experience):
    return make_session(dbsession, experience, TODAY, capacity=20)


@pytest.fixture
def later_session(dbsession, experience):
    return make_session(dbsession, experience, TOMORROW, capacity=20)


@pytest.fixture
def stranger_session(dbsession):
    """Another operator's session, today."""
    village = make_village(dbsession, slug="lang-khac", province="Tỉnh Khác")
    make_operator(dbsession, slug="htx-khac", name="HTX Khác", villages=[village])
    return make_session(dbsession, make_experience(dbsession, village, "lang-khac-det"), TODAY, capacity=20)


def confirmed(dbsession, session, seats=PARTY, name="Nguyễn Thị Lan", **party):
    booking, _token = services.create_hold(dbsession, session=session, party=party or {"adult": seats},
                                           contact=contact(name=name), now=NOW - timedelta(days=2))
    services.confirm_booking(dbsession, booking, now=NOW - timedelta(days=2))
    return booking


@pytest.fixture
def booking(dbsession, session):
    return confirmed(dbsession, session, adult=3, child=1)


@pytest.fixture
def staff(dbsession, operator):
    return make_staff(dbsession, operator)


@pytest.fixture
def staff_app(app_at, staff):
    app_at.extra_environ["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(app_at)
    return app_at


def scanner_url(session, tail=""):
    return f"/console/sessions/{session.id}/checkin{tail}"


def page_config(page) -> dict:
    return json.loads(page.html.select_one("#checkin-config").string)


def csrf(testapp, session) -> dict:
    return {"X-CSRF-Token": testapp.get(scanner_url(session, "/guests.json")).json["csrfToken"]}


def admitted(dbsession, booking) -> int:
    return checkin.admitted_count(dbsession, booking)


def result_text(page) -> str:
    return " ".join(page.html.select_one("#checkin-result").get_text(" ", strip=True).split())


def submit(testapp, session, reference, people="", status=200, **extra):
    form = testapp.get(scanner_url(session)).forms["checkin-form"]
    form["reference"], form["people"] = reference, people
    for name, value in extra.items():
        form[name] = value
    return form.submit(status=status)


# --- who may use it -----------------------------------------------------------------------

def test_strangers_are_asked_to_sign_in_and_refused_json(app_at, dbsession, session, booking):
    for path in ("/console/checkin", scanner_url(session)):
        response = app_at.get(path)
        assert response.status_int == 303 and "/console/sign-in?next=" in response.location
    answer = app_at.get(scanner_url(session, "/guests.json"), status=403)
    assert answer.json["ok"] is False and answer.json["reason"] == "signed_out" and answer.json["message"]
    for tail in ("/admit", "/sync"):
        # Without a session there is no CSRF token either: refused all the same, in JSON.
        answer = app_at.post_json(scanner_url(session, tail), {"scans": []}, status=(400, 403))
        assert answer.json["ok"] is False
    app_at.post(scanner_url(session), {"reference": booking.reference}, status=(400, 403))
    assert admitted(dbsession, booking) == 0


def test_another_operators_staff_are_refused_everywhere(staff_app, dbsession, stranger_session):
    other_booking = confirmed(dbsession, stranger_session)
    token = csrf_from_console(staff_app)
    for tail in ("", "/guests.json"):
        staff_app.get(scanner_url(stranger_session, tail), status=403)
    staff_app.post(scanner_url(stranger_session), {"csrf_token": token, "reference": other_booking.reference},
                   status=403)
    for tail, body in (("/admit", {"reference": other_booking.reference, "scan_id": "x1"}), ("/sync", {"scans": []})):
        answer = staff_app.post_json(scanner_url(stranger_session, tail), body, headers={"X-CSRF-Token": token},
                                     status=403)
        assert answer.json["reason"] == "forbidden"
    assert admitted(dbsession, other_booking) == 0


def csrf_from_console(testapp) -> str:
    return testapp.get("/console").forms[0]["csrf_token"].value


def test_unknown_and_huge_session_ids_are_not_found(staff_app):
    for session_id in ("999999", "99999999999999999999"):
        staff_app.get(f"/console/sessions/{session_id}/checkin", status=404)
    staff_app.get("/console/sessions/abc/checkin", status=404)


# --- the day's sessions -------------------------------------------------------------------

def test_the_list_shows_todays_and_tomorrows_sessions_of_ones_own_villages(staff_app, dbsession, session,
                                                                          later_session, stranger_session, booking):
    make_session(dbsession, session.experience, TODAY + timedelta(days=2))  # the day after tomorrow: not listed
    page = staff_app.get("/console/checkin")
    assert "no-store" in page.headers["Cache-Control"]
    links = [a["href"] for a in page.html.select(".checkin-session a.button")]
    assert scanner_url(session) in links and scanner_url(later_session) in links
    assert scanner_url(stranger_session) not in links
    assert len([link for link in links if link.endswith("/checkin")]) == 2
    first = page.html.select_one(".checkin-session")
    assert "Pottery wheel" in first.get_text() and "4" in first.select_one(".checkin-counts").get_text()
    assert f"/console/sessions/{session.id}/manifest.pdf" in links
    assert "/console/checkin" in [a["href"] for a in staff_app.get("/console").html.select("a")]


def test_admins_see_every_operators_sessions(app_at, dbsession, session, stranger_session):
    make_staff(dbsession, None, email="admin@example.com")
    sign_in(app_at, "admin@example.com")
    links = [a["href"] for a in app_at.get("/console/checkin").html.select(".checkin-session a.button")]
    assert scanner_url(session) in links and scanner_url(stranger_session) in links


# --- the form without JavaScript ----------------------------------------------------------

def test_the_scanner_page_carries_what_the_script_needs(staff_app, session, booking, keys):
    page = staff_app.get(scanner_url(session))
    assert "no-store" in page.headers["Cache-Control"]
    config = page_config(page)
    assert config["sessionId"] == session.id
    assert config["keys"] == {str(kid): codes.public_key_b64(key) for kid, key in keys.public_keys.items()}
    assert config["urls"]["worker"] == "/console/checkin-sw.js" and config["urls"]["scope"] == "/console/"
    assert all(isinstance(text, str) and text for text in config["messages"].values())
    assert "{count}" in config["messages"]["allAdmitted"]
    assert page.html.select_one("script[type=module]")["src"].startswith("http://example.com/static/js/checkin.js?x=")
    assert page.html.select_one("#checkin-scanner").has_attr("hidden")  # camera needs JavaScript
    assert booking.reference in page.html.select_one("#checkin-guests").decode()


def test_admitting_by_reference_without_javascript(staff_app, dbsession, session, booking):
    page = submit(staff_app, session, " " + booking.reference[:4].lower() + "-" + booking.reference[4:], "3")
    text = result_text(page)
    assert "Nguyễn Thị Lan" in text and "3" in text
    assert page.html.select_one("#checkin-result")["class"] == ["checkin-result", "checkin-result--ok"]
    assert admitted(dbsession, booking) == 3
    # Empty: everyone left; then nobody is left.
    submit(staff_app, session, booking.reference)
    assert admitted(dbsession, booking) == PARTY
    refused = submit(staff_app, session, booking.reference, status=422)
    assert "have already been admitted" in result_text(refused)
    assert refused.html.select_one("#checkin-result")["role"] == "alert"
    assert admitted(dbsession, booking) == PARTY


def test_the_same_form_sent_twice_admits_once(staff_app, dbsession, session, booking):
    form = staff_app.get(scanner_url(session)).forms["checkin-form"]
    form["reference"], form["people"] = booking.reference, "2"
    form.submit()
    again = form.submit()  # the browser's "send again"
    assert "already recorded" in result_text(again)
    assert admitted(dbsession, booking) == 2


def test_a_code_typed_by_a_hardware_scanner_is_admitted(staff_app, dbsession, session, booking, keys):
    submit(staff_app, session, ticket_code(keys, booking), "1")
    assert admitted(dbsession, booking) == 1


def more_people(code: str) -> str:
    """The code with its party raised to 9 and the old signature: a forgery."""
    raw = bytearray(codes.b45decode(code[len(codes.PREFIX):]))
    raw[11:13] = (9).to_bytes(2, "big")  # key id 2, reference 5, session 4, then the party
    return codes.PREFIX + codes.b45encode(bytes(raw))


@pytest.mark.parametrize("mangle, expected", [
    (more_people, "damaged or forged"),
    (lambda code: code[:60], "incomplete or damaged"),
    (lambda code: "LV1:" + "Z" * 20, "incomplete or damaged"),
    (lambda code: code[:-1] + ":", "incomplete or damaged"),
    (lambda code: "LV9:" + code[4:], "not a LàngViệt ticket"),
])
def test_forged_and_truncated_codes_are_refused(staff_app, dbsession, session, booking, keys, mangle, expected):
    page = submit(staff_app, session, mangle(ticket_code(keys, booking)), status=422)
    assert expected in result_text(page) and "Not admitted" in result_text(page)
    assert admitted(dbsession, booking) == 0


def test_a_cancelled_booking_is_refused(staff_app, dbsession, session, booking):
    services.cancel_booking(dbsession, booking, now=NOW)
    page = submit(staff_app, session, booking.reference, status=422)
    assert "was cancelled" in result_text(page)
    assert admitted(dbsession, booking) == 0


def test_unknown_references_are_refused(staff_app, dbsession, session, stranger_session):
    hidden = confirmed(dbsession, stranger_session)
    for entry in ("ZZZZ-ZZZZ", "hello", hidden.reference):  # another operator's: as if unknown
        page = submit(staff_app, session, entry, status=422)
        assert "No booking for this session has the reference" in result_text(page)
        assert page.html.select_one("#reference")["aria-invalid"] == "true"
    assert admitted(dbsession, hidden) == 0


def test_a_ticket_for_another_session_says_which(staff_app, dbsession, session, later_session, keys):
    tomorrows = confirmed(dbsession, later_session)
    for entry in (tomorrows.reference, ticket_code(keys, tomorrows)):
        text = result_text(submit(staff_app, session, entry, status=422))
        assert "This ticket is for another session: Pottery wheel · Wed, Dec 2 · 2:00" in text
    # Opened on the right session but a day early: another day.
    text = result_text(submit(staff_app, later_session, tomorrows.reference, status=422))
    assert "another day" in text
    assert admitted(dbsession, tomorrows) == 0


def test_another_operators_ticket_is_not_for_this_session(staff_app, dbsession, session, stranger_session, keys):
    hidden = confirmed(dbsession, stranger_session)
    text = result_text(submit(staff_app, session, ticket_code(keys, hidden), status=422))
    assert "not for this session" in text and "Khác" not in text
    assert admitted(dbsession, hidden) == 0


def test_bad_people_numbers_are_refused(staff_app, dbsession, session, booking):
    for people in ("0", "-1", "two", "1.5", "100000"):
        page = submit(staff_app, session, booking.reference, people, status=422)
        assert "whole number" in result_text(page) or "at least one" in result_text(page)
    assert "Only 4 people are left" in result_text(submit(staff_app, session, booking.reference, "5", status=422))
    assert admitted(dbsession, booking) == 0


def test_the_form_needs_its_csrf_token(staff_app, dbsession, session, booking):
    staff_app.post(scanner_url(session), {"reference": booking.reference}, status=400)
    assert admitted(dbsession, booking) == 0


# --- JSON -------------------------------------------------------------------------------

def test_the_guest_list_for_offline_use(staff_app, dbsession, session, booking, keys):
    cancelled = confirmed(dbsession, session, name="Kim Min-ji")
    services.cancel_booking(dbsession, cancelled, now=NOW)
    confirmed(dbsession, session, name="Ông Ba", seats=1)
    answer = staff_app.get(scanner_url(session, "/guests.json"))
    assert "no-store" in answer.headers["Cache-Control"] and answer.content_type == "application/json"
    guests = {g["reference"]: g for g in answer.json["guests"]}
    lan = guests[booking.reference]
    assert lan["name"] == "Nguyễn Thị Lan" and lan["party"] == PARTY and lan["admitted"] == 0
    assert lan["status"] == "confirmed" and lan["code"] == ticket_code(keys, booking)
    assert "3 × " in lan["tiers"] and "1 × " in lan["tiers"] and lan["language"]
    assert guests[cancelled.reference]["status"] == "cancelled" and guests[cancelled.reference]["code"] is None
    assert answer.json["summary"] == {"booked": PARTY + 1, "admitted": 0, "remaining": PARTY + 1}
    assert answer.json["csrfToken"]


def test_admit_json_is_idempotent_per_scan(staff_app, dbsession, session, booking, keys):
    headers = csrf(staff_app, session)
    body = {"code": ticket_code(keys, booking), "people": 2, "scan_id": "3b0c4e9e-0d0a-4c7e-9a55-1f0a9d0e7f11"}
    first = staff_app.post_json(scanner_url(session, "/admit"), body, headers=headers).json
    assert first["ok"] and first["admitted"] == 2 and first["remaining"] == 2 and not first["duplicate"]
    assert first["name"] == "Nguyễn Thị Lan"
    again = staff_app.post_json(scanner_url(session, "/admit"), body, headers=headers).json
    assert again["ok"] and again["duplicate"] and again["admitted"] == 2
    assert admitted(dbsession, booking) == 2
    # Everyone left, by reference.
    rest = staff_app.post_json(scanner_url(session, "/admit"), {"reference": booking.reference, "scan_id": "s-2"},
                               headers=headers).json
    assert rest["admitted_now"] == 2 and rest["remaining"] == 0
    refused = staff_app.post_json(scanner_url(session, "/admit"), {"reference": booking.reference, "scan_id": "s-3"},
                                  headers=headers, status=422).json
    assert refused == {"ok": False, "scan_id": "s-3", "reason": "all_admitted",
                       "message": "All 4 people on this ticket have already been admitted."}


def test_admit_json_answers_in_the_users_language(staff_app, dbsession, session, booking):
    services.cancel_booking(dbsession, booking, now=NOW)
    headers = dict(csrf(staff_app, session), **{"Accept-Language": "vi"})
    answer = staff_app.post_json(scanner_url(session, "/admit"), {"reference": booking.reference, "scan_id": "s-1"},
                                 headers=headers, status=422).json
    assert answer["reason"] == "cancelled" and answer["message"] == "Đơn đặt chỗ này đã bị hủy."


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_bad_json_gets_400_with_a_message(staff_app, dbsession, session, booking, body):
    headers = dict(csrf(staff_app, session), **{"Content-Type": "application/json"})
    for tail in ("/admit", "/sync"):
        answer = staff_app.post(scanner_url(session, tail), body, headers=headers, status=400).json
        assert answer["ok"] is False and answer["reason"] == "bad_request" and answer["message"]
    answer = staff_app.post_json(scanner_url(session, "/sync"), {"scans": "all"}, headers=headers, status=400)
    assert answer.json["message"]
    assert admitted(dbsession, booking) == 0


def test_json_without_the_csrf_token_is_refused_in_json(staff_app, dbsession, session, booking):
    answer = staff_app.post_json(scanner_url(session, "/admit"), {"reference": booking.reference, "scan_id": "s"},
                                 status=400).json
    assert answer["reason"] == "csrf" and answer["message"]
    assert admitted(dbsession, booking) == 0


def scan(code, people, scan_id, scanned_at=TODAY - timedelta(minutes=10)):
    return {"code": code, "people": people, "scan_id": scan_id, "scanned_at": scanned_at.isoformat()}


def test_sync_is_idempotent_and_flags_double_admissions(staff_app, dbsession, session, booking, keys):
    code = ticket_code(keys, booking)
    # Two phones, offline, each let the whole party in.
    batch = {"scans": [scan(code, PARTY, "phone-a-1"), scan(code, PARTY, "phone-b-1")]}
    headers = csrf(staff_app, session)
    first = staff_app.post_json(scanner_url(session, "/sync"), batch, headers=headers).json
    assert [r["ok"] for r in first["results"]] == [True, True]
    assert first["results"][0]["admitted_now"] == PARTY and first["results"][0]["warnings"] == []
    assert first["results"][1]["admitted_now"] == 0
    assert first["results"][1]["warnings"] == ["Admitted twice while offline: 4 more people than the ticket holds."]
    assert first["summary"] == {"booked": PARTY, "admitted": PARTY, "remaining": 0}
    again = staff_app.post_json(scanner_url(session, "/sync"), batch, headers=headers).json
    # The scan that let people in is found again; the one that let nobody in warns again.
    assert again["results"][0]["duplicate"] and again["results"][0]["admitted"] == PARTY
    assert again["results"][1]["admitted_now"] == 0 and again["results"][1]["warnings"]
    assert admitted(dbsession, booking) == PARTY
    assert dbsession.query(Admission).count() == 1


def test_sync_refuses_bad_scans_one_by_one(staff_app, dbsession, session, later_session, booking, keys):
    tomorrows = confirmed(dbsession, later_session, name="Tanaka Yui")
    code = ticket_code(keys, booking)
    scans = [scan(code, 1, "ok-1"), scan(code[:50], 1, "cut-1"), scan(ticket_code(keys, tomorrows), 1, "other-1"),
             {"scan_id": "broken"}, "not a scan", scan(code, 1, "late-1", scanned_at=TODAY + timedelta(days=1))]
    answer = staff_app.post_json(scanner_url(session, "/sync"), {"scans": scans}, headers=csrf(staff_app, session))
    results = answer.json["results"]
    assert [r["ok"] for r in results] == [True, False, False, False, False, True]
    assert [r.get("reason") for r in results[1:5]] == ["damaged", "other_session", "bad_scan", "bad_scan"]
    assert "for another session" in results[2]["message"]
    # A phone clock running a day fast: the scan counts at the server's time, today.
    assert admitted(dbsession, booking) == 2 and admitted(dbsession, tomorrows) == 0


def test_sync_takes_a_bounded_batch(staff_app, session):
    scans = [scan("LV1:", 1, f"s{i}") for i in range(201)]
    staff_app.post_json(scanner_url(session, "/sync"), {"scans": scans}, headers=csrf(staff_app, session), status=400)


# --- offline ------------------------------------------------------------------------------

def test_the_service_worker_is_served_for_the_console_scope(testapp):
    response = testapp.get("/console/checkin-sw.js")
    assert response.content_type == "text/javascript" and response.headers["Cache-Control"] == "no-cache"
    assert "addEventListener" in response.text


def test_the_qr_decoder_is_served_from_node_modules(staff_app, session):
    page = staff_app.get(scanner_url(session))
    src = page.html.select_one("script[defer]")["src"]
    assert re.match(r"^http://example.com/vendor/jsqr/jsQR.js\?x=[0-9a-f]{12}$", src)
    assert "jsQR" in staff_app.get(src).text


# --- products to hand over at the gate ------------------------------------------------------

@pytest.fixture
def tea(dbsession, village):
    return make_product(dbsession, village, "che-cong", price=180000, stock=20,
                        texts={"vi": "Trà móc câu Tân Cương, hộp 200 g", "en": "Tân Cương fish-hook tea, 200 g box"})


def with_products(dbsession, session, tea, fulfilment="pickup", name="Trần Văn Minh", confirm=True):
    address = checkout.DeliveryAddress("Trần Văn Minh", "0912 345 678", "12 Hàng Bạc", "Phường Hàng Bạc",
                                       "Quận Hoàn Kiếm", "Hà Nội") if fulfilment == "delivery" else None
    booking, _token = services.create_hold(dbsession, session=session, party={"adult": 2}, contact=contact(name=name),
                                           now=NOW - timedelta(days=2),
                                           basket=checkout.Basket(((tea.id, 2),), Fulfilment(fulfilment), address))
    if confirm:
        services.confirm_booking(dbsession, booking, now=NOW - timedelta(days=2))
    return booking


def handed_over(dbsession, booking) -> list:
    return list(dbsession.scalars(select(BookingProductLine.handed_over_at)
                                  .where(BookingProductLine.booking_id == booking.id)))


def handover_form(page):
    return next(f for f in page.forms.values() if f.action.endswith("/handover"))


def test_the_pickup_list_and_handing_over_without_javascript(staff_app, dbsession, session, tea):
    booking = with_products(dbsession, session, tea)
    page = submit(staff_app, session, booking.reference)
    box = page.html.select_one("#checkin-result #checkin-handover")
    assert " ".join(box.get_text(" ", strip=True).split()).startswith(
        "To hand over: 2 × Tân Cương fish-hook tea, 200 g box Handed over")
    form = handover_form(page)
    assert form.method.lower() == "post" and form["reference"].value == booking.reference
    assert form["csrf_token"].value
    done = form.submit()
    assert done.status_int == 303 and done.location.endswith(scanner_url(session))
    page = done.follow()
    assert "Products handed over" in result_text(page)
    assert "Handed over: 2 × Tân Cương fish-hook tea, 200 g box" in result_text(page)
    assert page.html.select_one("#checkin-result")["role"] == "status"
    assert page.html.select_one("#checkin-handover form") is None  # nothing left to hand over
    assert handed_over(dbsession, booking) == [NOW]
    # Pressed again (a second phone, the browser's "send again"): said, and nothing changed.
    again = form.submit().follow()
    assert "Already handed over" in result_text(again)
    assert "Everything was already handed over; nothing changed." in result_text(again)
    assert handed_over(dbsession, booking) == [NOW]
    # The page read afterwards is the plain scanner again.
    assert staff_app.get(scanner_url(session)).html.select_one("#checkin-result").has_attr("hidden")


def test_a_guest_already_in_can_still_get_the_products(staff_app, dbsession, session, tea):
    booking = with_products(dbsession, session, tea)
    submit(staff_app, session, booking.reference)
    refused = submit(staff_app, session, booking.reference, status=422)  # back for the tea
    assert "have already been admitted" in result_text(refused)
    handover_form(refused).submit().follow()
    assert handed_over(dbsession, booking) == [NOW]


def test_no_pickup_list_for_a_delivery_or_a_booking_without_products(staff_app, dbsession, session, tea, booking):
    delivery = with_products(dbsession, session, tea, "delivery", name="Lê Thị Hoa")
    for guest in (delivery, booking):
        page = submit(staff_app, session, guest.reference, "1")
        assert page.html.select_one("#checkin-handover").get_text(strip=True) == ""


def test_handing_over_needs_the_csrf_token(staff_app, dbsession, session, tea):
    booking = with_products(dbsession, session, tea)
    staff_app.post(scanner_url(session, "/handover"), {"reference": booking.reference}, status=400)
    assert handed_over(dbsession, booking) == [None]


def test_a_cancelled_booking_is_not_handed_over(staff_app, dbsession, session, tea):
    booking = with_products(dbsession, session, tea)
    page = submit(staff_app, session, booking.reference, "1")
    services.cancel_booking(dbsession, booking, now=NOW)  # cancelled while the page was open
    refused = handover_form(page).submit(status=422)
    assert "Not handed over" in result_text(refused)
    assert "This booking was cancelled: its products cannot be handed over." in result_text(refused)
    assert refused.html.select_one("#checkin-result")["role"] == "alert"
    assert handed_over(dbsession, booking) == [None]


def test_a_booking_not_yet_paid_is_not_handed_over(staff_app, dbsession, session, tea):
    held = with_products(dbsession, session, tea, confirm=False)
    refused = staff_app.post(scanner_url(session, "/handover"),
                             {"csrf_token": csrf_from_console(staff_app), "reference": held.reference}, status=422)
    assert "This booking is not confirmed" in result_text(refused)
    assert handed_over(dbsession, held) == [None]


def test_a_booking_of_another_session_or_operator_is_not_handed_over_here(staff_app, dbsession, session,
                                                                           later_session, stranger_session, tea):
    elsewhere = with_products(dbsession, later_session, tea)
    token = csrf_from_console(staff_app)
    for reference in (elsewhere.reference, "ZZZZ-ZZZZ", "", "x" * 300):
        staff_app.post(scanner_url(session, "/handover"), {"csrf_token": token, "reference": reference}, status=404)
    # Another operator's session: refused before anything is looked up.
    staff_app.post(scanner_url(stranger_session, "/handover"), {"csrf_token": token, "reference": elsewhere.reference},
                   status=403)
    assert handed_over(dbsession, elsewhere) == [None]


def test_strangers_cannot_hand_over(app_at, dbsession, session, tea):
    booking = with_products(dbsession, session, tea)
    app_at.post(scanner_url(session, "/handover"), {"reference": booking.reference}, status=(303, 400, 403))
    assert handed_over(dbsession, booking) == [None]


def test_the_guest_list_for_offline_use_carries_the_products_to_hand_over(staff_app, dbsession, session, tea,
                                                                          booking):
    pickup = with_products(dbsession, session, tea)
    delivery = with_products(dbsession, session, tea, "delivery", name="Lê Thị Hoa")
    cancelled = with_products(dbsession, session, tea, name="Kim Min-ji")
    services.cancel_booking(dbsession, cancelled, now=NOW)
    guests = {g["reference"]: g for g in staff_app.get(scanner_url(session, "/guests.json")).json["guests"]}
    assert guests[pickup.reference]["products"] == ["2 × Tân Cương fish-hook tea, 200 g box"]
    assert guests[delivery.reference]["products"] == []
    assert guests[cancelled.reference]["products"] == []
    assert guests[booking.reference]["products"] == []
    handover_form(submit(staff_app, session, pickup.reference, "1")).submit()
    guests = {g["reference"]: g for g in staff_app.get(scanner_url(session, "/guests.json")).json["guests"]}
    assert guests[pickup.reference]["products"] == []


def test_the_guest_list_names_the_products_in_the_staff_members_language(staff_app, dbsession, session, tea):
    pickup = with_products(dbsession, session, tea)
    answer = staff_app.get(scanner_url(session, "/guests.json"), headers={"Accept-Language": "vi"})
    (guest,) = [g for g in answer.json["guests"] if g["reference"] == pickup.reference]
    assert guest["products"] == ["2 × Trà móc câu Tân Cương, hộp 200 g"]


def test_an_online_admission_answers_with_the_products_to_hand_over(staff_app, dbsession, session, tea):
    pickup = with_products(dbsession, session, tea)
    answer = staff_app.post_json(scanner_url(session, "/admit"), {"reference": pickup.reference, "scan_id": "h-1"},
                                 headers=csrf(staff_app, session)).json
    assert answer["ok"] and answer["products"] == ["2 × Tân Cương fish-hook tea, 200 g box"]


def test_the_script_gets_the_hand_over_url_and_words(staff_app, session):
    config = page_config(staff_app.get(scanner_url(session)))
    assert config["urls"]["handover"] == scanner_url(session, "/handover")
    assert config["messages"]["toHandOver"] == "To hand over:" and config["messages"]["handedOver"] == "Handed over"
    assert "only works online" in config["messages"]["handOverOffline"]


# --- undoing a check-in or a hand-over ------------------------------------------------------

def undo_form(page):
    return next(f for f in page.forms.values() if f.action.endswith("/undo"))


def test_undoing_a_check_in_without_javascript(staff_app, dbsession, session, booking):
    page = submit(staff_app, session, booking.reference, "3")
    form = undo_form(page)
    assert form.action == scanner_url(session, "/undo") and form["scan_id"].value
    assert page.html.select_one("#checkin-undo button").get_text(strip=True) == "Undo this check-in"
    done = form.submit()
    assert done.status_int == 303 and done.location.endswith(scanner_url(session))
    page = done.follow()
    assert "Check-in undone" in result_text(page) and "People no longer counted as admitted: 3" in result_text(page)
    assert "Nguyễn Thị Lan" in result_text(page)  # whom it is about, with the counts as they now stand
    assert page.html.select_one("#checkin-result")["role"] == "status"
    assert page.html.select_one("#checkin-undo form") is None
    assert admitted(dbsession, booking) == 0
    # Pressed again (the browser's "send again"): said, and nothing changed.
    again = form.submit().follow()
    assert "Already undone" in result_text(again) and "already undone; nothing changed" in result_text(again)
    # The admission's own form sent again admits nobody.
    resent = submit(staff_app, session, booking.reference, "3", status=422, scan_id=form["scan_id"].value)
    assert "This check-in was undone" in result_text(resent)
    assert admitted(dbsession, booking) == 0
    submit(staff_app, session, booking.reference, "2")  # the right count, as a new scan
    assert admitted(dbsession, booking) == 2


def test_no_undo_for_a_scan_that_admitted_nobody_now(staff_app, dbsession, session, booking):
    form = staff_app.get(scanner_url(session)).forms["checkin-form"]
    form["reference"] = booking.reference
    form.submit()
    again = form.submit()  # already recorded: its undo was offered the first time
    assert "already recorded" in result_text(again)
    assert again.html.select_one("#checkin-undo form") is None


def test_undo_after_the_window_says_why(staff_app, dbsession, session, booking):
    form = undo_form(submit(staff_app, session, booking.reference))
    staff_app.extra_environ["tourism.now"] = NOW + timedelta(minutes=16)
    page = form.submit(status=422)
    assert "Not undone" in result_text(page) and "the guests have long walked in" in result_text(page)
    assert page.html.select_one("#checkin-result")["role"] == "alert"
    assert "Nguyễn Thị Lan" in result_text(page)
    assert admitted(dbsession, booking) == PARTY


def test_an_unknown_scan_or_another_sessions_is_not_undone(staff_app, dbsession, session, later_session, booking):
    form = undo_form(submit(staff_app, session, booking.reference))
    token = form["csrf_token"].value
    for scan_id in ("never-made", ""):
        page = staff_app.post(scanner_url(session, "/undo"), {"csrf_token": token, "scan_id": scan_id}, status=422)
        assert "there is nothing to undo" in result_text(page)
    # The right scan, at another session of the same operator.
    staff_app.post(scanner_url(later_session, "/undo"), {"csrf_token": token, "scan_id": form["scan_id"].value},
                   status=422)
    assert admitted(dbsession, booking) == PARTY


def test_undo_needs_its_csrf_token(staff_app, dbsession, session, booking):
    scan_id = undo_form(submit(staff_app, session, booking.reference))["scan_id"].value
    for token in ({}, {"csrf_token": "forged"}):
        staff_app.post(scanner_url(session, "/undo"), dict(token, scan_id=scan_id), status=400)
    answer = staff_app.post_json(scanner_url(session, "/admit/undo"), {"scan_id": scan_id},
                                 headers={"X-CSRF-Token": "forged"}, status=400).json
    assert answer["reason"] == "csrf"
    assert admitted(dbsession, booking) == PARTY


def test_another_operators_staff_cannot_undo(staff_app, app_at, dbsession, stranger_session, keys):
    other_booking = confirmed(dbsession, stranger_session)
    checkin.admit(dbsession, keys, code=ticket_code(keys, other_booking), people=2, scan_id="theirs", now=NOW)
    token = csrf_from_console(staff_app)
    staff_app.post(scanner_url(stranger_session, "/undo"), {"csrf_token": token, "scan_id": "theirs"}, status=403)
    answer = staff_app.post_json(scanner_url(stranger_session, "/admit/undo"), {"scan_id": "theirs"},
                                 headers={"X-CSRF-Token": token}, status=403).json
    assert answer["reason"] == "forbidden"
    assert admitted(dbsession, other_booking) == 2


def test_undo_json(staff_app, dbsession, session, booking, keys):
    headers = csrf(staff_app, session)
    staff_app.post_json(scanner_url(session, "/admit"), {"code": ticket_code(keys, booking), "people": 3,
                                                         "scan_id": "s-1"}, headers=headers)
    answer = staff_app.post_json(scanner_url(session, "/admit/undo"), {"scan_id": "s-1"}, headers=headers)
    assert "no-store" in answer.headers["Cache-Control"]
    assert answer.json == {"ok": True, "scan_id": "s-1", "reference": booking.reference, "party": PARTY,
                           "people": 3, "admitted": 0, "remaining": PARTY, "already_undone": False,
                           "summary": {"booked": PARTY, "admitted": 0, "remaining": PARTY}}
    again = staff_app.post_json(scanner_url(session, "/admit/undo"), {"scan_id": "s-1"}, headers=headers).json
    assert again["ok"] and again["already_undone"] and again["people"] == 3
    assert admitted(dbsession, booking) == 0
    refused = staff_app.post_json(scanner_url(session, "/admit/undo"), {"scan_id": "s-2"}, headers=headers,
                                  status=422).json
    assert refused["ok"] is False and refused["reason"] == "unknown_scan" and refused["message"]
    for body in (b"{not json", b"[1]"):
        bad = staff_app.post(scanner_url(session, "/admit/undo"), body, status=400,
                             headers=dict(headers, **{"Content-Type": "application/json"})).json
        assert bad["reason"] == "bad_request"


def test_undo_json_after_the_window_answers_in_the_users_language(staff_app, dbsession, session, booking):
    headers = csrf(staff_app, session)
    staff_app.post_json(scanner_url(session, "/admit"), {"reference": booking.reference, "scan_id": "s-1"},
                        headers=headers)
    staff_app.extra_environ["tourism.now"] = NOW + timedelta(minutes=20)
    answer = staff_app.post_json(scanner_url(session, "/admit/undo"), {"scan_id": "s-1"}, headers=headers,
                                 status=422).json
    assert answer["reason"] == "too_late" and "15" in answer["message"]
    assert admitted(dbsession, booking) == PARTY


def test_the_script_gets_the_undo_url_and_words(staff_app, session):
    config = page_config(staff_app.get(scanner_url(session)))
    assert config["urls"]["undo"] == scanner_url(session, "/admit/undo")
    messages = config["messages"]
    assert messages["undoCheckin"] == "Undo this check-in" and "{count}" in messages["undoneNow"]
    assert "only works online" in messages["undoOffline"]


def test_undoing_a_hand_over_at_the_gate(staff_app, dbsession, session, tea):
    booking = with_products(dbsession, session, tea)
    page = handover_form(submit(staff_app, session, booking.reference)).submit().follow()
    form = undo_form(page)
    assert form.action == scanner_url(session, "/handover/undo") and form["reference"].value == booking.reference
    assert page.html.select_one("#checkin-undo button").get_text(strip=True) == "Undo: Trần Văn Minh"
    page = form.submit().follow()
    assert "Hand-over undone" in result_text(page)
    assert "Still to hand over: 2 × Tân Cương fish-hook tea, 200 g box" in result_text(page)
    assert handover_form(page)  # offered again
    assert handed_over(dbsession, booking) == [None]
    again = form.submit().follow()
    assert "This hand-over was already undone; nothing changed." in result_text(again)
    assert handed_over(dbsession, booking) == [None]


def test_undoing_a_hand_over_too_late_forged_or_elsewhere(staff_app, dbsession, session, stranger_session, tea):
    booking = with_products(dbsession, session, tea)
    form = undo_form(handover_form(submit(staff_app, session, booking.reference)).submit().follow())
    token, marked_at = form["csrf_token"].value, form["marked_at"].value
    url = scanner_url(session, "/handover/undo")
    staff_app.post(url, {"reference": booking.reference, "marked_at": marked_at}, status=400)  # no CSRF token
    staff_app.post(url, {"csrf_token": "forged", "reference": booking.reference, "marked_at": marked_at}, status=400)
    staff_app.post(url, {"csrf_token": token, "reference": booking.reference, "marked_at": "noon"}, status=400)
    staff_app.post(url, {"csrf_token": token, "reference": "ZZZZ-ZZZZ", "marked_at": marked_at}, status=404)
    staff_app.post(scanner_url(stranger_session, "/handover/undo"),
                   {"csrf_token": token, "reference": booking.reference, "marked_at": marked_at}, status=403)
    staff_app.extra_environ["tourism.now"] = NOW + timedelta(minutes=16)
    page = form.submit(status=422)
    assert "Not undone" in result_text(page) and "can no longer be undone" in result_text(page)
    assert handed_over(dbsession, booking) == [NOW]
