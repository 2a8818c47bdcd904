"""The OCTO API through every scenario a conformance validator runs against a supplier
(octotravel/validator): supplier, products, calendar, availability, reserve, extend,
confirm, update, cancel, get and list, with each error it tries.

Every response is also checked against the official OpenAPI document (@octocloud/types).
"""
import re
import uuid

import pytest
from sqlalchemy import func, select

from tests.tourism.octo.conftest import NOW, local_id
from tests.tourism.octo.schema import conforms
from tourism.booking.models import Booking, BookingStatus
from tourism.octo.models import ResellerBooking
from tourism.scheduling.models import ExperienceSession

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9][0-9a-f]{3}-[089ab][0-9a-f]{3}-[0-9a-f]{12}$")
UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CONTACT_KEYS = {"fullName", "firstName", "lastName", "emailAddress", "phoneNumber", "locales", "postalCode",
                "country", "notes"}


def checked(response, method, path):
    conforms(method, path, response)
    return response.json


def error_of(response, method, path, code, **fields):
    """The error's code and the fields it echoes; HTTP 400 whatever the error."""
    assert response.status_int == 400
    body = checked(response, method, path)
    assert body["error"] == code, body
    assert body["errorMessage"]
    for name, value in fields.items():
        assert body[name] == value, body
    return body


def seats(dbsession, session):
    dbsession.expire(session)
    return session.seats_held, session.seats_booked


# --- supplier and products ---------------------------------------------------------------------

def test_supplier_names_the_operator_and_the_endpoint(octo):
    for path in ("/supplier", "/supplier/"):
        body = checked(octo.get(path), "GET", "/supplier/")
        assert body["id"] == "htx-octo" and body["name"] == "HTX Gốm Octo"
        assert body["endpoint"] == "http://example.com/octo"
        assert set(body["contact"]) == {"website", "email", "telephone", "address"}


def test_products_lists_what_the_reseller_may_sell_start_time_first(octo, dbsession):
    from tests.factories import make_experience

    make_experience(dbsession, octo.workshop.village, "octo-khong-ban")  # published, not given to the reseller
    body = checked(octo.get("/products"), "GET", "/products/")
    assert [p["id"] for p in body] == ["octo-gom", "octo-bao-tang"]
    workshop, museum = body
    assert workshop["availabilityType"] == "START_TIME" and museum["availabilityType"] == "OPENING_HOURS"
    assert workshop["timeZone"] == "Asia/Ho_Chi_Minh"
    option = workshop["options"][0]
    assert option["id"] == "DEFAULT" and option["default"] is True
    assert option["availabilityLocalStartTimes"] == ["07:00", "14:00", "16:00"]
    assert option["restrictions"] == {"minUnits": 1, "maxUnits": 6}
    units = {unit["id"]: unit for unit in option["units"]}
    assert units["adult"]["type"] == "ADULT" and units["child"]["type"] == "CHILD"
    assert units["child"]["restrictions"]["accompaniedBy"] == ["adult"]


def test_one_product_and_an_unknown_product(octo):
    body = checked(octo.get("/products/octo-gom/"), "GET", "/products/{id}")
    assert body["id"] == "octo-gom" and body["internalName"] == "Octo pottery"
    error_of(octo.get("/products/invalidProductId", status=400), "GET", "/products/{id}", "INVALID_PRODUCT_ID",
             productId="invalidProductId")


def test_a_product_not_given_to_the_reseller_is_an_invalid_product(octo, dbsession):
    from tests.factories import make_experience

    other = make_experience(dbsession, octo.workshop.village, "octo-khong-ban")
    error_of(octo.get(f"/products/{other.slug}", status=400), "GET", "/products/{id}", "INVALID_PRODUCT_ID")


def test_content_and_pricing_when_asked_for(octo):
    octo.capabilities = "octo/content, octo/pricing"
    response = octo.testapp.get("/octo/products/octo-gom", headers=octo.headers(**{"Accept-Language": "ko-KR"}))
    body = checked(response, "GET", "/products/{id}")
    assert response.headers["Octo-Capabilities"] == "octo/content, octo/pricing"
    assert response.headers["Content-Language"] == "ko"
    assert response.headers["Available-Languages"] == "vi, en, ko"
    assert body["title"] == "옥토 도자기" and body["locale"] == "ko"
    assert body["defaultCurrency"] == "VND" and body["pricingPer"] == "UNIT"
    adult = body["options"][0]["units"][0]
    # 300,000 ₫ retail; the reseller keeps 20 %, so the village is paid 240,000 ₫.
    assert adult["pricingFrom"] == [{"original": 300000, "retail": 300000, "net": 240000, "currency": "VND",
                                     "currencyPrecision": 0, "includedTaxes": []}]
    assert body["commentary"] == [{"format": "IN_PERSON", "language": "vi"}, {"format": "IN_PERSON", "language": "en"}]


def test_without_capabilities_no_content_or_prices(octo):
    response = octo.get("/products/octo-gom")
    body = checked(response, "GET", "/products/{id}")
    assert response.headers["Octo-Capabilities"] == ""
    assert "title" not in body and "defaultCurrency" not in body


# --- availability ----------------------------------------------------------------------------

def calendar(octo, **body):
    return octo.post("/availability/calendar", {"productId": "octo-gom", "optionId": "DEFAULT", **body},
                     status="*")


def test_calendar_gives_every_day_of_the_range(octo):
    body = checked(calendar(octo, localDateStart="2026-12-03", localDateEnd="2026-12-05"),
                   "POST", "/availability/calendar")
    assert [day["localDate"] for day in body] == ["2026-12-03", "2026-12-04", "2026-12-05"]
    closed, open_day, _after = body
    assert closed["status"] == "CLOSED" and closed["available"] is False
    # The best of the day's three sessions: 8 of 8 seats left.
    assert open_day == {"localDate": "2026-12-04", "available": True, "status": "AVAILABLE", "vacancies": 8,
                        "capacity": 8, "openingHours": []}


def test_calendar_of_an_opening_hours_product_has_its_hours(octo):
    body = checked(octo.post("/availability/calendar", {"productId": "octo-bao-tang", "optionId": "DEFAULT",
                                                        "localDateStart": "2026-12-02", "localDateEnd": "2026-12-03"}),
                   "POST", "/availability/calendar")
    assert [day["openingHours"] for day in body] == [[{"from": "08:00", "to": "17:00"}]] * 2
    assert all(day["status"] == "AVAILABLE" and day["vacancies"] == 100 for day in body)


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"productId": "invalidProductId"}, "INVALID_PRODUCT_ID", "productId"),
    ({"optionId": "invalidOptionId"}, "INVALID_OPTION_ID", "optionId"),
    ({"localDateStart": None}, "BAD_REQUEST", None),
    ({"localDateStart": "2026-12-31", "localDateEnd": "2026-12-01"}, "BAD_REQUEST", None),
    ({"localDateStart": "5 December"}, "BAD_REQUEST", None),
])
def test_calendar_errors(octo, body, code, field):
    request = {"productId": "octo-gom", "optionId": "DEFAULT", "localDateStart": "2026-12-03",
               "localDateEnd": "2026-12-05", **body}
    request = {k: v for k, v in request.items() if v is not None}
    response = octo.post("/availability/calendar", request, status=400)
    error = error_of(response, "POST", "/availability/calendar", code)
    if field:
        assert error[field] == body[field]


def availability(octo, product="octo-gom", **body):
    return octo.post("/availability", {"productId": product, "optionId": "DEFAULT", **body}, status="*")


def test_availability_by_date_range_and_id(octo):
    by_date = checked(availability(octo, localDate="2026-12-04"), "POST", "/availability/")
    assert [a["id"] for a in by_date] == ["2026-12-04T07:00:00+07:00", "2026-12-04T14:00:00+07:00",
                                          "2026-12-04T16:00:00+07:00"]
    first, _second, full = by_date
    assert first["localDateTimeStart"] == "2026-12-04T07:00:00+07:00"
    assert first["localDateTimeEnd"] == "2026-12-04T09:00:00+07:00"
    assert first["utcCutoffAt"] == "2026-12-03T22:00:00Z"  # two hours before, in UTC
    assert (first["status"], first["available"], first["vacancies"], first["capacity"]) == ("AVAILABLE", True, 8, 8)
    assert (full["status"], full["available"], full["vacancies"]) == ("SOLD_OUT", False, 0)
    by_range = checked(availability(octo, localDateStart="2026-12-01", localDateEnd="2026-12-10"),
                       "POST", "/availability/")
    assert by_range == by_date
    by_id = checked(availability(octo, availabilityIds=[first["id"], "invalidAvailabilityId"]),
                    "POST", "/availability/")
    assert [a["id"] for a in by_id] == [first["id"]]


def test_opening_hours_availability_is_all_day(octo):
    body = checked(availability(octo, "octo-bao-tang", localDate="2026-12-04"), "POST", "/availability/")
    assert len(body) == 1
    day = body[0]
    assert day["id"] == "2026-12-04T00:00:00+07:00" and day["allDay"] is True
    assert day["localDateTimeEnd"] == "2026-12-05T00:00:00+07:00"
    assert day["openingHours"] == [{"from": "08:00", "to": "17:00"}]
    by_id = checked(availability(octo, "octo-bao-tang", availabilityIds=[day["id"]]), "POST", "/availability/")
    assert by_id == body


def test_limited_when_less_than_half_is_left(octo, dbsession):
    octo.sessions[0].seats_booked = 5  # 3 of 8 left
    dbsession.flush()
    first = checked(availability(octo, localDate="2026-12-04"), "POST", "/availability/")[0]
    assert (first["status"], first["vacancies"], first["available"]) == ("LIMITED", 3, True)
    # Asking for 4 people: the session is there, but not for them.
    asked = checked(availability(octo, localDate="2026-12-04", units=[{"id": "adult", "quantity": 4}]),
                    "POST", "/availability/")[0]
    assert asked["available"] is False


@pytest.mark.parametrize(("body", "code"), [
    ({"productId": "invalidProductId", "localDate": "2026-12-04"}, "INVALID_PRODUCT_ID"),
    ({"optionId": "invalidOptionId", "localDate": "2026-12-04"}, "INVALID_OPTION_ID"),
    ({}, "BAD_REQUEST"),
    ({"localDate": "2026-12-04", "localDateStart": "2026-12-01", "localDateEnd": "2026-12-10",
      "availabilityIds": ["2026-12-04T07:00:00+07:00"]}, "BAD_REQUEST"),
    ({"localDateStart": "2026-12-01"}, "BAD_REQUEST"),
    ({"availabilityIds": []}, "BAD_REQUEST"),
    ({"localDate": "2026-12-04", "units": [{"id": "invalidUnitId", "quantity": 1}]}, "INVALID_UNIT_ID"),
])
def test_availability_errors(octo, body, code):
    request = {"productId": "octo-gom", "optionId": "DEFAULT", **body}
    error_of(octo.post("/availability", request, status=400), "POST", "/availability/", code)


# --- reserve -----------------------------------------------------------------------------------

def test_reserve_holds_seats_until_it_expires(octo, dbsession):
    body = checked(octo.reserve(units=["adult", "adult", "child"]), "POST", "/bookings/")
    assert UUID.match(body["uuid"]) and body["id"] == body["uuid"]
    assert body["status"] == "ON_HOLD"
    assert body["utcExpiresAt"] == "2026-12-01T01:30:00Z"  # 30 minutes from now
    assert UTC.match(body["utcCreatedAt"]) and body["utcConfirmedAt"] is None and body["cancellation"] is None
    assert body["availabilityId"] == body["availability"]["id"] == "2026-12-04T07:00:00+07:00"
    assert body["availability"]["vacancies"] == 5
    assert [item["unitId"] for item in body["unitItems"]] == ["adult", "adult", "child"]
    assert len({item["uuid"] for item in body["unitItems"]}) == 3
    assert all(UUID.match(item["uuid"]) for item in body["unitItems"])
    assert set(body["contact"]) == CONTACT_KEYS and isinstance(body["contact"]["locales"], list)
    assert body["voucher"] is None and body["deliveryMethods"] == ["VOUCHER"]
    assert body["cancellable"] is True and body["freesale"] is False
    assert seats(dbsession, octo.sessions[0]) == (3, 0)
    booking = dbsession.scalar(select(Booking).where(Booking.reference == body["supplierReference"]))
    assert booking.channel == "reseller" and booking.total_amount == 800000


def test_a_reserve_sent_again_with_its_uuid_books_once(octo, dbsession):
    booking_uuid = str(uuid.uuid4())
    first = octo.reserve(uuid=booking_uuid).json
    again = octo.reserve(uuid=booking_uuid.upper()).json
    assert again["uuid"] == first["uuid"] == booking_uuid
    assert again["supplierReference"] == first["supplierReference"]
    assert seats(dbsession, octo.sessions[0]) == (2, 0)


def test_reserve_a_sold_out_slot_is_unprocessable_and_changes_nothing(octo, dbsession):
    full = local_id(octo.sessions[2].starts_at)
    error_of(octo.reserve(full, status=400), "POST", "/bookings/", "UNPROCESSABLE_ENTITY")
    assert seats(dbsession, octo.sessions[2]) == (0, 2)
    assert dbsession.scalar(select(func.count()).select_from(ResellerBooking)) == 0


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"productId": "invalidProductId"}, "INVALID_PRODUCT_ID", "productId"),
    ({"optionId": "invalidOptionId"}, "INVALID_OPTION_ID", "optionId"),
    ({"availabilityId": "invalidAvailabilityId"}, "INVALID_AVAILABILITY_ID", "availabilityId"),
    ({"availabilityId": "2026-12-04T08:00:00+07:00"}, "INVALID_AVAILABILITY_ID", "availabilityId"),  # no session
    ({"unitItems": [{"unitId": "invalidUnitId"}]}, "INVALID_UNIT_ID", "unitId"),
    ({"unitItems": []}, "UNPROCESSABLE_ENTITY", None),
    ({"unitItems": None}, "UNPROCESSABLE_ENTITY", None),
    ({"unitItems": [{"unitId": "adult"}] * 7}, "UNPROCESSABLE_ENTITY", None),  # more than the party allows
    ({"unitItems": [{"unitId": "child"}]}, "UNPROCESSABLE_ENTITY", None),  # a child needs an adult
    ({"uuid": "not-a-uuid"}, "BAD_REQUEST", None),
    ({"expirationMinutes": "soon"}, "BAD_REQUEST", None),
    ({"contact": {"emailAddress": "not an address"}}, "BAD_REQUEST", None),
])
def test_reserve_errors_change_nothing(octo, dbsession, change, code, field):
    body = {"productId": "octo-gom", "optionId": "DEFAULT", "availabilityId": local_id(octo.sessions[0].starts_at),
            "unitItems": [{"unitId": "adult"}], **change}
    body = {k: v for k, v in body.items() if v is not None}
    error = error_of(octo.post("/bookings", body, status=400), "POST", "/bookings/", code)
    if field:
        assert error[field] == (change[field] if field != "unitId" else "invalidUnitId")
    assert seats(dbsession, octo.sessions[0]) == (0, 0)
    assert dbsession.scalar(select(func.count()).select_from(ResellerBooking)) == 0


def test_errors_are_in_the_resellers_language(octo):
    response = octo.testapp.get("/octo/products/invalidProductId", status=400,
                                headers=octo.headers(**{"Accept-Language": "vi"}))
    assert response.json["error"] == "INVALID_PRODUCT_ID"
    assert response.json["errorMessage"] != "The productId was missing or invalid."
    assert response.headers["Content-Language"] == "vi"


def test_without_a_key_or_with_a_revoked_one_nothing_is_shown(octo, dbsession):
    from tourism.octo import keys
    from tourism.octo.models import ResellerKey

    missing = octo.testapp.get("/octo/products", status=400)
    assert missing.json["error"] == "UNAUTHORIZED"
    wrong = octo.testapp.get("/octo/products", headers={"Authorization": "Bearer lvk_not-a-key"}, status=400)
    assert wrong.json["error"] == "FORBIDDEN"
    keys.revoke_key(dbsession, dbsession.scalar(select(ResellerKey).where(ResellerKey.reseller_id == octo.reseller.id)),
                    now=NOW)
    assert octo.get("/products", status=400).json["error"] == "FORBIDDEN"


def test_another_resellers_booking_is_not_found(octo, dbsession):
    from tourism.octo import keys
    from tourism.octo.models import Reseller

    booking = octo.reserve().json
    other = Reseller(operator_id=octo.reseller.operator_id, name="Kênh khác", experiences=[octo.workshop])
    dbsession.add(other)
    dbsession.flush()
    _row, other_key = keys.issue_key(dbsession, other, now=NOW)
    response = octo.testapp.get(f"/octo/bookings/{booking['uuid']}", status=400,
                                headers={"Authorization": f"Bearer {other_key}"})
    assert response.json["error"] == "INVALID_BOOKING_UUID"


# --- extend, confirm ---------------------------------------------------------------------------

def test_extend_moves_the_expiry_later(octo):
    booking = octo.reserve().json
    body = checked(octo.post(f"/bookings/{booking['uuid']}/extend", {"expirationMinutes": 31}),
                   "POST", "/bookings/{uuid}/extend")
    assert body["status"] == "ON_HOLD"
    assert body["utcExpiresAt"] == "2026-12-01T01:31:00Z" > booking["utcExpiresAt"]
    error_of(octo.post("/bookings/invalidUUID/extend", {"expirationMinutes": 31}, status=400),
             "POST", "/bookings/{uuid}/extend", "INVALID_BOOKING_UUID", uuid="invalidUUID")


def test_an_expired_hold_is_expired_and_cannot_be_extended(octo, dbsession):
    booking = octo.reserve().json
    row = dbsession.scalar(select(Booking).where(Booking.reference == booking["supplierReference"]))
    row.hold_expires_at = NOW
    dbsession.flush()
    assert checked(octo.get(f"/bookings/{booking['uuid']}"), "GET", "/bookings/{uuid}")["status"] == "EXPIRED"
    error_of(octo.post(f"/bookings/{booking['uuid']}/extend", {"expirationMinutes": 31}, status=400),
             "POST", "/bookings/{uuid}/extend", "UNPROCESSABLE_ENTITY")


VALIDATOR_CONTACT = {"firstName": "John", "lastName": "Doe", "emailAddress": "johndoe@mail.com",
                     "fullName": "John Doe", "notes": "Test note"}


def test_confirm_books_the_seats_and_delivers_the_voucher(octo, dbsession):
    booking = octo.reserve().json
    body = checked(octo.post(f"/bookings/{booking['uuid']}/confirm",
                             {"contact": VALIDATOR_CONTACT, "resellerReference": "BK-1001"}),
                   "POST", "/bookings/{uuid}/confirm")
    assert body["status"] == "CONFIRMED" and body["utcExpiresAt"] is None
    assert body["utcConfirmedAt"] == "2026-12-01T01:00:00Z"
    assert body["resellerReference"] == "BK-1001"
    assert {k: body["contact"][k] for k in VALIDATOR_CONTACT} == VALIDATOR_CONTACT
    assert [item["status"] for item in body["unitItems"]] == ["CONFIRMED", "CONFIRMED"]
    options = {o["deliveryFormat"]: o["deliveryValue"] for o in body["voucher"]["deliveryOptions"]}
    assert options["QRCODE"].startswith("LV1:")
    assert seats(dbsession, octo.sessions[0]) == (0, 2)
    # The PDF voucher opens without a key (the reseller hands the link to its customer)…
    pdf = octo.testapp.get(options["PDF_URL"].removeprefix("http://example.com"))
    assert pdf.content_type == "application/pdf" and pdf.body.startswith(b"%PDF")
    # …but not with a signature of one's own making.
    octo.testapp.get(re.sub(r"/[0-9a-f]{32}\.pdf$", "/" + "0" * 32 + ".pdf",
                            options["PDF_URL"].removeprefix("http://example.com")), status=404)
    # Confirming again changes nothing.
    again = checked(octo.post(f"/bookings/{booking['uuid']}/confirm", {"contact": VALIDATOR_CONTACT}),
                    "POST", "/bookings/{uuid}/confirm")
    assert again["status"] == "CONFIRMED" and seats(dbsession, octo.sessions[0]) == (0, 2)


def test_confirm_with_other_unit_items_books_those(octo, dbsession):
    booking = octo.reserve().json
    body = checked(octo.post(f"/bookings/{booking['uuid']}/confirm",
                             {"contact": VALIDATOR_CONTACT, "unitItems": [{"unitId": "adult"}] * 3}),
                   "POST", "/bookings/{uuid}/confirm")
    assert len(body["unitItems"]) == 3 and len({item["uuid"] for item in body["unitItems"]}) == 3
    assert seats(dbsession, octo.sessions[0]) == (0, 3)


def test_confirm_errors(octo, dbsession):
    booking = octo.reserve().json
    error_of(octo.post(f"/bookings/{booking['uuid']}/confirm",
                       {"contact": VALIDATOR_CONTACT, "unitItems": [{"unitId": "invalidUnitId"}] * 2}, status=400),
             "POST", "/bookings/{uuid}/confirm", "INVALID_UNIT_ID", unitId="invalidUnitId")
    assert seats(dbsession, octo.sessions[0]) == (2, 0)
    error_of(octo.post("/bookings/invalidUUID/confirm", {"contact": {}}, status=400),
             "POST", "/bookings/{uuid}/confirm", "INVALID_BOOKING_UUID", uuid="invalidUUID")


def test_a_confirmed_reseller_booking_shows_in_the_console(octo, dbsession):
    booking = octo.reserve().json
    octo.post(f"/bookings/{booking['uuid']}/confirm", {"contact": VALIDATOR_CONTACT, "resellerReference": "BK-77"})
    row = dbsession.scalar(select(Booking).where(Booking.reference == booking["supplierReference"]))
    assert row.status == BookingStatus.CONFIRMED and row.contact_name == "John Doe"
    assert row.reseller_booking.reseller_reference == "BK-77"
    assert row.reseller_booking.reseller.name == "Kênh Thử"


# --- update ------------------------------------------------------------------------------------

def test_update_moves_a_hold_to_another_slot(octo, dbsession):
    booking = octo.reserve().json
    later = local_id(octo.sessions[1].starts_at)
    body = checked(octo.patch(f"/bookings/{booking['uuid']}", {"availabilityId": later}), "PATCH", "/bookings/{uuid}")
    assert body["availabilityId"] == body["availability"]["id"] == later
    assert seats(dbsession, octo.sessions[0]) == (0, 0)
    assert seats(dbsession, octo.sessions[1]) == (2, 0)


def test_update_unit_items_contact_and_notes(octo, dbsession):
    booking = octo.reserve().json
    body = checked(octo.patch(f"/bookings/{booking['uuid']}", {"unitItems": [{"unitId": "adult"}] * 3}),
                   "PATCH", "/bookings/{uuid}")
    assert len(body["unitItems"]) == 3 and seats(dbsession, octo.sessions[0]) == (3, 0)
    contact = {"fullName": "John Doe", "firstName": "John", "lastName": "Doe", "emailAddress": "johndoe@email.com",
               "phoneNumber": "+00000000", "country": "GB", "notes": "Test notes contact", "locales": ["en"]}
    body = checked(octo.patch(f"/bookings/{booking['uuid']}", {"contact": contact, "notes": "Test note"}),
                   "PATCH", "/bookings/{uuid}")
    assert body["contact"] == dict(contact, postalCode=None)
    assert body["notes"] == "Test note"


def test_update_to_another_product(octo, dbsession):
    booking = octo.reserve().json
    museum_day = "2026-12-04T00:00:00+07:00"
    body = checked(octo.patch(f"/bookings/{booking['uuid']}", {
        "productId": "octo-bao-tang", "optionId": "DEFAULT", "availabilityId": museum_day,
        "unitItems": [{"unitId": "adult"}, {"unitId": "child"}]}), "PATCH", "/bookings/{uuid}")
    assert (body["productId"], body["availabilityId"]) == ("octo-bao-tang", museum_day)
    assert seats(dbsession, octo.sessions[0]) == (0, 0)
    row = dbsession.scalar(select(Booking).where(Booking.reference == booking["supplierReference"]))
    assert row.experience_id == octo.museum.id and row.total_amount == 70000
    museum_session = dbsession.get(ExperienceSession, row.session_id)
    assert museum_session.seats_held == 2


def test_update_errors_change_nothing(octo, dbsession):
    booking = octo.reserve().json
    path = f"/bookings/{booking['uuid']}"
    error_of(octo.patch(path, {"availabilityId": local_id(octo.sessions[2].starts_at)}, status=400),
             "PATCH", "/bookings/{uuid}", "UNPROCESSABLE_ENTITY")
    error_of(octo.patch(path, {"unitItems": [{"unitId": "invalidUnitId"}]}, status=400),
             "PATCH", "/bookings/{uuid}", "INVALID_UNIT_ID")
    error_of(octo.patch(path, {"productId": "invalidProductId", "optionId": "DEFAULT"}, status=400),
             "PATCH", "/bookings/{uuid}", "INVALID_PRODUCT_ID")
    error_of(octo.patch("/bookings/invalidUUID", {"notes": "x"}, status=400),
             "PATCH", "/bookings/{uuid}", "INVALID_BOOKING_UUID")
    assert seats(dbsession, octo.sessions[0]) == (2, 0)
    again = octo.get(path).json
    assert again["availabilityId"] == booking["availabilityId"] and len(again["unitItems"]) == 2


# --- cancel, get, list -------------------------------------------------------------------------

def test_cancel_a_hold_and_a_confirmed_booking(octo, dbsession):
    hold = octo.reserve().json
    body = checked(octo.post(f"/bookings/{hold['uuid']}/cancel", {"reason": "Reason for cancellation"}),
                   "POST", "/bookings/{uuid}/cancel")
    assert body["status"] == "CANCELLED" and body["cancellable"] is False
    assert body["cancellation"] == {"refund": "FULL", "reason": "Reason for cancellation",
                                    "utcCancelledAt": "2026-12-01T01:00:00Z"}
    booking = octo.reserve().json
    octo.post(f"/bookings/{booking['uuid']}/confirm", {"contact": VALIDATOR_CONTACT})
    body = checked(octo.post(f"/bookings/{booking['uuid']}/cancel", {"reason": "Reason for cancellation"}),
                   "POST", "/bookings/{uuid}/cancel")
    assert body["status"] == "CANCELLED" and body["voucher"] is None
    # Three days ahead: the policy (100 % from 48 hours before) refunds in full.
    assert body["cancellation"]["refund"] == "FULL"
    assert seats(dbsession, octo.sessions[0]) == (0, 0)
    # Cancelling again returns it as it is.
    again = checked(octo.post(f"/bookings/{booking['uuid']}/cancel", {}), "POST", "/bookings/{uuid}/cancel")
    assert again["cancellation"] == body["cancellation"]
    assert checked(octo.get(f"/bookings/{booking['uuid']}"), "GET", "/bookings/{uuid}")["status"] == "CANCELLED"
    error_of(octo.post("/bookings/invalidUUID/cancel", {}, status=400),
             "POST", "/bookings/{uuid}/cancel", "INVALID_BOOKING_UUID", uuid="invalidUUID")


def test_a_late_cancellation_reports_the_refund_the_policy_gives(octo, dbsession, app_at):
    from datetime import timedelta

    booking = octo.reserve().json
    octo.post(f"/bookings/{booking['uuid']}/confirm", {"contact": VALIDATOR_CONTACT})
    # 30 hours before the start: the policy gives 50 % back.
    app_at.extra_environ["tourism.now"] = octo.sessions[0].starts_at - timedelta(hours=30)
    body = octo.post(f"/bookings/{booking['uuid']}/cancel", {"reason": "ốm"}).json
    assert body["cancellation"]["refund"] == "PARTIAL"


def test_a_checked_in_booking_is_redeemed_and_cannot_be_cancelled(octo, dbsession):
    from tourism.tickets.models import Admission

    booking = octo.reserve().json
    octo.post(f"/bookings/{booking['uuid']}/confirm", {"contact": VALIDATOR_CONTACT})
    row = dbsession.scalar(select(Booking).where(Booking.reference == booking["supplierReference"]))
    dbsession.add(Admission(booking_id=row.id, scan_id="scan-octo-1", people=2, admitted_at=NOW, received_at=NOW))
    dbsession.flush()
    body = checked(octo.get(f"/bookings/{booking['uuid']}"), "GET", "/bookings/{uuid}")
    assert body["status"] == "REDEEMED" and body["utcRedeemedAt"] == "2026-12-01T01:00:00Z"
    error_of(octo.post(f"/bookings/{booking['uuid']}/cancel", {}, status=400),
             "POST", "/bookings/{uuid}/cancel", "UNPROCESSABLE_ENTITY")


def test_get_a_hold_and_a_booking(octo):
    hold = octo.reserve().json
    assert checked(octo.get(f"/bookings/{hold['uuid']}"), "GET", "/bookings/{uuid}") == hold
    error_of(octo.get("/bookings/invalidUUID", status=400), "GET", "/bookings/{uuid}", "INVALID_BOOKING_UUID",
             uuid="invalidUUID")


def test_list_by_reseller_or_supplier_reference(octo):
    booking = octo.reserve().json
    confirmed = octo.post(f"/bookings/{booking['uuid']}/confirm",
                          {"contact": {"fullName": "John Doe"}, "resellerReference": "R-42"}).json
    octo.reserve(resellerReference="R-43")
    by_reseller = checked(octo.get("/bookings?resellerReference=R-42"), "GET", "/bookings/")
    assert [b["uuid"] for b in by_reseller] == [booking["uuid"]]
    by_supplier = checked(octo.get(f"/bookings?supplierReference={confirmed['supplierReference']}"),
                          "GET", "/bookings/")
    assert by_supplier == by_reseller
    assert octo.get("/bookings?resellerReference=nothing").json == []
    error_of(octo.get("/bookings?", status=400), "GET", "/bookings/", "BAD_REQUEST")


def test_unknown_endpoints_answer_json(octo):
    response = octo.testapp.get("/octo/nothing-here", status=404)
    assert response.json["error"] == "NOT_FOUND"


def test_capabilities_are_public(octo):
    response = octo.testapp.get("/octo/capabilities")
    body = checked(response, "GET", "/capabilities/")
    assert [c["id"] for c in body] == ["octo/content", "octo/pricing"]


def test_content_language_says_the_language_the_texts_are_in(octo):
    """Asked for French, a product with no French text answers in English, and says so."""
    octo.capabilities = "octo/content"
    response = octo.testapp.get("/octo/products/octo-gom", headers=octo.headers(**{"Accept-Language": "fr"}))
    body = checked(response, "GET", "/products/{id}")
    assert body["title"] == "Octo pottery" and body["locale"] == "en"
    assert response.headers["Content-Language"] == "en"
