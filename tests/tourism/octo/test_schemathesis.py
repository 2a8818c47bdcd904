"""Schemathesis against the OCTO API: requests generated from the official specification.

The specification is OCTO's `openapi.yaml` from the npm package @octocloud/types (see
tests/tourism/octo/schema.py). Schemathesis makes requests for every operation it
describes (its examples, its coverage cases, then generated valid and invalid ones) and
sends them, with a reseller's bearer key and a valid Octo-Capabilities header (it also
leaves the key out or spoils it, on purpose), to the real app served by waitress on
127.0.0.1. On its database a village, two products (a START_TIME workshop and an
OPENING_HOURS museum), a reseller, its key and, for each operation on a booking, three
bookings (held, confirmed, cancelled) are committed; all of it is deleted afterwards, with
the bookings the run made. Generated product ids, availability ids, units, booking uuids
and references are often replaced by ours (the schema hooks below), so that 200 responses
are checked too, not only errors; a last test shows every operation answered 200 and 400.

Each response must pass Schemathesis's checks: not_a_server_error, status_code_conformance
(only 200 and 400 are documented), content_type_conformance, response_headers_conformance
(Octo-Capabilities) and response_schema_conformance; then, for a 200, what a capability in
use requires (schema.capability_problems). The run is deterministic (derandomized, no
example database) and bounded (MAX_EXAMPLES per operation); the clock is fixed at NOW.
"""
import threading
import uuid as uuid_module
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import delete, or_, select
from waitress.server import create_server

from tests.concurrency import committed
from tests.factories import make_experience, make_operator, make_session, make_village
from tests.tourism.octo.conftest import local_id
from tests.tourism.octo.schema import SPEC_PATH, capability_problems
from tourism.accounts.models import Operator
from tourism.booking.models import Booking
from tourism.catalog.models import Experience, ExperienceKind, Village
from tourism.db import Base
from tourism.notify.models import OutboxMessage
from tourism.octo import keys
from tourism.octo.models import Reseller
from tourism.scheduling.models import ExperienceSession
from tourism.scheduling.services import materialise_sessions

# Tuesday 1 December 2026, 08:00 in Vietnam, as the API's clock.
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
MAX_EXAMPLES = 30
WORKSHOP, MUSEUM = "st-octo-gom", "st-octo-bao-tang"
PRODUCTS = (WORKSHOP, MUSEUM)
DAY = NOW + timedelta(days=3)
WORKSHOP_STARTS = (DAY.replace(hour=0), DAY.replace(hour=7), DAY.replace(hour=9))  # 07:00, 14:00, 16:00 (sold out)
DATES = tuple((NOW + timedelta(days=n)).date().isoformat() for n in (0, 3, 5))
AVAILABILITY_IDS = tuple(local_id(moment) for moment in WORKSHOP_STARTS) + (f"{DATES[1]}T00:00:00+07:00",)
UNITS = ("adult", "child")
# Each operation on a booking has its own: held, confirmed, cancelled (one operation's run cannot spoil another's).
BOOKING_OPERATIONS = ("GET /bookings/{uuid}", "PATCH /bookings/{uuid}", "POST /bookings/{uuid}/cancel",
                      "POST /bookings/{uuid}/confirm", "POST /bookings/{uuid}/extend")
STATES = ("held", "confirmed", "cancelled")
BOOKINGS = {operation: {state: str(uuid_module.UUID(int=0x5C000 + 16 * number + index))
                        for index, state in enumerate(STATES)}
            for number, operation in enumerate(BOOKING_OPERATIONS)}
CAPABILITIES = ("", "octo/content", "octo/pricing", "octo/content, octo/pricing")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]

schema = schemathesis.openapi.from_path(SPEC_PATH, config=schemathesis.Config.from_dict({
    "seed": 20261201,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    "phases": {"stateful": {"enabled": False}},
}))
# Our bookings' references (resellerReference, supplierReference), once the fixture has made them.
REFERENCES: dict[str, list[str]] = {}
# What each backend's run answered, per operation: the last test shows 200s were reached.
ANSWERED: dict[tuple[str, str], Counter] = defaultdict(Counter)


# --- steering generated requests towards our ids -------------------------------------------

def either(value, *ours):
    """The generated value or, as often, one of ours."""
    return st.one_of(st.just(value), st.sampled_from(ours))


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not path_parameters:
        return st.just(path_parameters)
    if "id" in path_parameters:
        return either(path_parameters["id"], *PRODUCTS).map(lambda value: {**path_parameters, "id": value})
    if "uuid" in path_parameters:
        ours = BOOKINGS[context.operation.label].values()
        return either(path_parameters["uuid"], *ours).map(lambda value: {**path_parameters, "uuid": value})
    return st.just(path_parameters)


@schema.hook
def flatmap_headers(context, headers):
    # Octo-Capabilities is a required header: one of the valid lists, never a random string.
    if headers is None or "Octo-Capabilities" not in headers:
        return st.just(headers)
    return st.sampled_from(CAPABILITIES).map(lambda value: {**headers, "Octo-Capabilities": value})


OFFERS = tuple((WORKSHOP, availability) for availability in AVAILABILITY_IDS[:3]) + ((MUSEUM, AVAILABILITY_IDS[3]),)
QUESTIONS = ("localDate", "localDateStart", "localDateEnd", "availabilityIds")
CONTACT = {"fullName": "Nguyễn Thị Lan", "emailAddress": "lan@example.com", "country": "VN", "locales": ["vi"]}


@st.composite
def plausible(draw, body: dict, operation: str) -> dict:
    """`body` with our product, option, availability and units where it has (or needs) them."""
    body = dict(body)
    product, availability = draw(st.sampled_from(OFFERS))
    for name, value in (("productId", product), ("optionId", "DEFAULT"), ("availabilityId", availability)):
        # A reserve always gets a whole offer (it needs all three); other operations only
        # where the generated body has the field.
        if name in body or operation == "POST /bookings/":
            body[name] = value
    if operation.startswith("POST /availability"):
        for name in QUESTIONS:
            body.pop(name, None)
        if operation == "POST /availability/" and draw(st.booleans()):
            body["availabilityIds"] = [availability]
        else:
            first, last = sorted(draw(st.lists(st.sampled_from(DATES), min_size=2, max_size=2)))
            body.update(localDateStart=first, localDateEnd=last)
    if "units" in body:
        body["units"] = draw(st.lists(st.fixed_dictionaries(
            {"id": st.sampled_from(UNITS), "quantity": st.integers(0, 3)}), max_size=2))
    if "unitItems" in body or operation == "POST /bookings/":
        # An adult first: children may not book alone.
        body["unitItems"] = [{"unitId": "adult"}] + draw(st.lists(
            st.fixed_dictionaries({"unitId": st.sampled_from(UNITS)}), max_size=2))
    if "uuid" in body:
        body["uuid"] = str(draw(st.uuids()))
    if "contact" in body:
        body["contact"] = draw(st.sampled_from((body["contact"], CONTACT)))
    if "expirationMinutes" in body:
        body["expirationMinutes"] = draw(st.one_of(st.just(body["expirationMinutes"]), st.integers(1, 120)))
    return body


@schema.hook
def flatmap_body(context, body):
    if not isinstance(body, dict):
        return st.just(body)
    # Ours three times in four: generated ids are almost never ours, and 200s must be checked too.
    return st.sampled_from((True, True, True, False)).flatmap(
        lambda ours: plausible(body, context.operation.label) if ours else st.just(body))


@schema.hook
def flatmap_query(context, query):
    if not query or not REFERENCES:
        return st.just(query)
    return st.fixed_dictionaries({name: either(value, *REFERENCES[name]) if name in REFERENCES else st.just(value)
                                  for name, value in query.items()})


# --- the live app and its committed data ---------------------------------------------------

def _serve(app):
    def at_now(environ, start_response):
        environ["tourism.now"] = NOW  # the API's clock, as the other OCTO tests fix it
        return app(environ, start_response)

    server = create_server(at_now, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    return server


def _commit_catalog(db) -> str:
    village = make_village(db, slug="lang-st-octo", province="Tỉnh Schemathesis")
    operator = make_operator(db, slug="htx-st-octo", name="HTX Schemathesis", villages=[village])
    workshop = make_experience(db, village, WORKSHOP, max_party=6,
                               texts={"vi": "Làm gốm thử", "en": "Trial pottery", "ko": "도자기 체험"})
    museum = make_experience(db, village, MUSEUM, kind=ExperienceKind.ADMISSION,
                             prices=(("adult", 50000), ("child", 20000)), opening=range(7), daily_capacity=100,
                             duration_minutes=540)
    for starts_at in WORKSHOP_STARTS[:2]:
        make_session(db, workshop, starts_at, capacity=500)
    make_session(db, workshop, WORKSHOP_STARTS[2], capacity=2, seats_booked=2)
    materialise_sessions(db, museum, today=NOW.date(), horizon_days=30)
    reseller = Reseller(operator_id=operator.id, name="Kênh Schemathesis", commission_percent=20,
                        experiences=[workshop, museum])
    db.add(reseller)
    db.flush()
    return keys.issue_key(db, reseller, now=NOW)[1]


def _delete_committed(engine) -> None:
    """Everything the run committed: the catalog rows, the reseller, the bookings and what hangs on them."""
    with engine.begin() as conn:
        experiences = select(Experience.id).where(Experience.slug.in_(PRODUCTS))
        sessions = select(ExperienceSession.id).where(ExperienceSession.experience_id.in_(experiences))
        booking_ids = list(conn.scalars(select(Booking.id).where(Booking.session_id.in_(sessions))))
        if booking_ids:
            for table in reversed(Base.metadata.sorted_tables):
                for column in table.columns:
                    if any(key.column.table.name == "bookings" for key in column.foreign_keys):
                        conn.execute(delete(table).where(column.in_(booking_ids)))
            conn.execute(delete(OutboxMessage).where(or_(*(
                OutboxMessage.dedupe_key.like(f"booking-%:{booking_id}") for booking_id in booking_ids), *(
                OutboxMessage.dedupe_key.like(f"booking-%:{booking_id}:%") for booking_id in booking_ids))))
            conn.execute(delete(Booking).where(Booking.id.in_(booking_ids)))
        conn.execute(delete(ExperienceSession).where(ExperienceSession.id.in_(sessions)))
        operators = select(Operator.id).where(Operator.slug == "htx-st-octo")
        conn.execute(delete(Reseller).where(Reseller.operator_id.in_(operators)))
        conn.execute(delete(Experience).where(Experience.slug.in_(PRODUCTS)))
        conn.execute(delete(Village).where(Village.slug == "lang-st-octo"))
        conn.execute(delete(Operator).where(Operator.slug == "htx-st-octo"))


class Live:
    def __init__(self, base_url: str, key: str, backend: str):
        self.base_url, self.key, self.backend = base_url, key, backend
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"

    def call(self, method, path, body=None, capabilities="octo/content, octo/pricing"):
        response = self.session.request(method, self.base_url + path, json=body, timeout=30,
                                        headers={"Octo-Capabilities": capabilities})
        assert response.status_code == 200, (method, path, response.status_code, response.text)
        return response.json()


@pytest.fixture(scope="module")
def octo_live(app, backend):
    """The app on a loopback port, with our reseller's products and bookings committed."""
    _delete_committed(app.registry["db.engine"])  # what an interrupted run may have left
    key = committed(app.registry["dbsession_factory"], _commit_catalog)
    server = _serve(app)
    live = Live(f"http://127.0.0.1:{server.effective_port}/octo", key, backend)
    try:
        REFERENCES.clear()
        for number, booking in enumerate(uuid for ours in BOOKINGS.values() for uuid in ours.values()):
            made = live.call("POST", "/bookings", {
                "uuid": booking, "productId": WORKSHOP, "optionId": "DEFAULT", "availabilityId": AVAILABILITY_IDS[0],
                "unitItems": [{"unitId": "adult"}, {"unitId": "child"}], "resellerReference": f"ST-{number}"})
            REFERENCES.setdefault("resellerReference", []).append(made["resellerReference"])
            REFERENCES.setdefault("supplierReference", []).append(made["supplierReference"])
        for ours in BOOKINGS.values():
            for state in ("confirmed", "cancelled"):
                live.call("POST", f"/bookings/{ours[state]}/confirm",
                          {"contact": {"fullName": "Nguyễn Thị Lan", "emailAddress": "lan@example.com"}})
            live.call("POST", f"/bookings/{ours['cancelled']}/cancel", {"reason": "Plans changed"})
        yield live
    finally:
        live.session.close()
        server.close()
        _delete_committed(app.registry["db.engine"])


# --- the run --------------------------------------------------------------------------------

def capability_conformance(ctx, response, case):
    """What the specification requires once a capability is in use (x-capability-data)."""
    if response.status_code == 200:
        found = capability_problems(case.operation, response)
        if found:
            raise AssertionError("\n".join(found))


@schema.parametrize()
def test_generated_requests_get_conforming_answers(case, octo_live):
    response = case.call(base_url=octo_live.base_url, headers={"Authorization": f"Bearer {octo_live.key}"},
                         timeout=30)
    ANSWERED[octo_live.backend, case.operation.label][response.status_code] += 1
    case.validate_response(response, checks=CHECKS, additional_checks=[capability_conformance])


def test_every_operation_was_answered_with_success_and_error(octo_live):
    """The run above reached each operation's 200 as well as its 400 (GET /capabilities has no 400)."""
    answered = {label: counts for (backend, label), counts in ANSWERED.items() if backend == octo_live.backend}
    if not answered:
        pytest.skip("the generated requests did not run (deselected)")
    operations = [f"{method.upper()} {path}" for path, item in schema.raw_schema["paths"].items()
                  for method in item if method != "parameters"]
    assert sorted(answered) == sorted(operations), answered
    missing = {label: dict(counts) for label, counts in answered.items()
               if not counts[200] or (not counts[400] and label != "GET /capabilities/")}
    assert not missing, missing
