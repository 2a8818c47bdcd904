"""Tenant isolation across the whole console, driven by its routes.

The Tân Cương cooperative's owner and staff guess URLs and ids for every kind of object
Bát Tràng has: each console route with an id in its path is tried with Bát Tràng's object,
with every method its views answer, and must be refused (403, or 404 where the id itself is
not a thing) with nothing in the database changed. The routes are read from the running
application, so a new console route whose id this test cannot fill fails here until it is
added. The pages without an id (lists, today, reports, CSV exports), given Bát Tràng's ids
in their query strings, must show nothing of Bát Tràng's.

Also: every console view declares a permission, but for the few a signed-out person needs.
"""
import hashlib
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from audio_guides.models import Tour
from heritage3d.models import HeritageAsset
from tests.factories import contact, make_staff, sign_in
from tests.pages import readable_text
from tourism.accounts.services import find_operator
from tourism.booking import services as booking_services
from tourism.booking.services import format_reference
from tourism.catalog.models import Experience, ExperienceImage, Village
from tourism.db import Base
from tourism.octo import keys as octo_keys
from tourism.octo.models import Reseller
from tourism.payments import vietqr_provider
from tourism.payments.models import Refund, RefundStatus
from tourism.scheduling.models import Closure, ExperienceSession, ScheduleRule, SessionStatus
from tourism.shop.models import Product, ProductBatch, ProductImage

NOW = datetime.now(timezone.utc)
OWNER, STAFF = "owner@tancuong.example", "staff@tancuong.example"

# Console pages a signed-out person must reach: signing in, forgetting a password, choosing
# a new one from the e-mailed link, and the scanner's service worker script (no data in it).
PUBLIC_CONSOLE_ROUTES = {"accounts.sign_in", "accounts.sign_out", "accounts.password.forgot",
                         "accounts.password.sent", "accounts.password.choose", "tickets.checkin.worker"}
# Routes whose placeholder is not an operator's object: a reset token is itself the credential.
NOT_ABOUT_AN_OBJECT = {"accounts.password.choose"}


def console_views(registry) -> list[tuple[str, str, set[str], list[str]]]:
    """(route name, pattern, methods, permissions) of every console view, exception views aside."""
    introspector = registry.introspector
    found = []
    for entry in introspector.get_category("views"):
        view = entry["introspectable"]
        route = introspector.get("routes", view["route_name"]) if view["route_name"] else None
        if route is None or not route["pattern"].startswith("/console") or view["exception_only"]:
            continue
        context = view["context"]
        if isinstance(context, type) and issubclass(context, BaseException):
            continue
        methods = view["request_methods"]
        methods = {methods} if isinstance(methods, str) else set(methods or ("GET", "POST"))
        permissions = [related["value"] for related in entry["related"] if related.category_name == "permissions"]
        found.append((view["route_name"], route["pattern"], methods, permissions))
    return found


def placeholders(pattern: str) -> list[str]:
    return [name.split(":")[0] for name in re.findall(r"{([^}]+)}", pattern)]


def fill(pattern: str, values: dict) -> str:
    return re.sub(r"{([^}:]+)(:[^}]*)?}", lambda match: str(values[match.group(1)]), pattern)


def fingerprint(dbsession) -> str:
    """A digest of every row of every table: equal before and after means nothing changed."""
    dbsession.flush()
    digest = hashlib.sha256()
    for table in Base.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        for row in dbsession.execute(select(table).order_by(*order)):
            digest.update(repr((table.name, tuple(row))).encode())
    return digest.hexdigest()


def texts_in(texts, *locales, field) -> list[str]:
    return [getattr(text, field) for text in texts if text.locale in locales]


class BatTrang:
    """One of every kind of object the Bát Tràng cooperative has, and the words that would
    give them away on another operator's page."""

    def __init__(self, dbsession, registry):
        operator = find_operator(dbsession, "htx-gom-bat-trang")
        village = dbsession.scalar(select(Village).where(Village.operator_id == operator.id))
        self.potter = make_staff(dbsession, operator, email="tho-gom@battrang.example", role="staff")
        experience = dbsession.scalar(select(Experience).where(Experience.village_id == village.id)
                                      .order_by(Experience.id))
        session = dbsession.scalar(select(ExperienceSession).where(
            ExperienceSession.experience_id == experience.id, ExperienceSession.status == SessionStatus.OPEN,
            ExperienceSession.starts_at > NOW + timedelta(days=2)).order_by(ExperienceSession.starts_at))
        rule = dbsession.scalar(select(ScheduleRule).where(ScheduleRule.experience_id == experience.id))
        closure = Closure(experience_id=experience.id, starts_on=date(2027, 2, 5), ends_on=date(2027, 2, 12),
                          reason="Tết Đinh Mùi")
        dbsession.add(closure)

        # A guest who paid by transfer, then cancelled, with the refund still to pay by hand;
        # and one whose transfer is still awaited.
        paid, _token = booking_services.create_hold(
            dbsession, session=session, party={"adult": 2}, now=NOW,
            contact=contact(name="Phạm Thị Men", email="men@battrang.example", locale="vi"))
        paid.payment_provider = "vietqr"
        payment = vietqr_provider.pending_payment(dbsession, paid, now=NOW)
        vietqr_provider.mark_received(dbsession, payment, providers={}, now=NOW, registry=registry)
        awaited, _token = booking_services.create_hold(
            dbsession, session=session, party={"adult": 1}, now=NOW,
            contact=contact(name="Đỗ Văn Lộc", email="loc@battrang.example", locale="vi"))
        awaited.payment_provider = "vietqr"
        vietqr_provider.pending_payment(dbsession, awaited, now=NOW)
        refund = Refund(payment_id=payment.id, amount=100_000, status=RefundStatus.PENDING, reason="operator",
                        created_at=NOW)
        dbsession.add(refund)

        product = dbsession.scalar(select(Product).where(Product.village_id == village.id).order_by(Product.id))
        batch = ProductBatch(product_id=product.id, code="BTGOM2026", made_on=date(2026, 10, 1))
        image = ProductImage(product_id=product.id, path="img/products/bat-trang-tea-set.svg", width=800,
                             height=600, alt={"vi": "Bộ ấm chén"})
        picture = ExperienceImage(experience_id=experience.id, path="demo/bat-trang-pottery-wheel.svg",
                                  width=800, height=600, alt={"vi": "Bàn xoay"})
        dbsession.add_all([batch, image, picture])

        tour = dbsession.scalar(select(Tour).where(Tour.village_id == village.id))
        stop = tour.stops[0]
        track = next(track for stop in tour.stops for track in stop.tracks)
        # The demo's only models are other villages'; Bát Tràng gets the Chu Đậu vase here.
        asset = dbsession.scalar(select(HeritageAsset).where(HeritageAsset.slug == "chu-dau-vase"))
        asset.village_id = village.id
        # A reseller selling the workshop, with an API key.
        reseller = Reseller(operator_id=operator.id, name="Đại lý Gốm Sứ Bát Tràng", contact_email="",
                            commission_percent=15, created_at=NOW)
        reseller.experiences = [experience]
        dbsession.add(reseller)
        dbsession.flush()
        key, _secret = octo_keys.issue_key(dbsession, reseller, now=NOW)
        dbsession.flush()

        self.ids = {"user_id": self.potter.id, "village_id": village.id, "experience_id": experience.id,
                    "session_id": session.id,
                    "booking_id": paid.id, "reference": format_reference(awaited.reference),
                    "refund_id": refund.id, "rule_id": rule.id, "closure_id": closure.id,
                    "product_id": product.id, "batch_id": batch.id, "image_id": image.id,
                    "picture_id": picture.id,
                    "tour_id": tour.id, "stop_id": stop.id, "track_id": track.id, "locale": "vi",
                    "asset_id": asset.id, "hotspot_id": asset.hotspots[0].id, "view_id": asset.views[0].id,
                    "reseller_id": reseller.id, "key_id": key.id}
        # What must never show on Tân Cương's pages.
        self.giveaways = ["Phạm Thị Men", "men@battrang.example", "Đỗ Văn Lộc", "tho-gom@battrang.example",
                          format_reference(paid.reference), format_reference(awaited.reference), "BTGOM2026",
                          reseller.name, key.prefix,
                          *texts_in(experience.texts, "vi", "en", field="title"),
                          *texts_in(product.texts, "vi", field="name"), *texts_in(tour.texts, "vi", field="title")]


@pytest.fixture
def bat_trang(dbsession, app):
    return BatTrang(dbsession, app.registry)


@pytest.fixture(params=[OWNER, STAFF], ids=["owner", "staff"])
def tan_cuong(request, testapp, dbsession):
    """Signed in as the Tân Cương cooperative's owner, or one of its staff."""
    operator = find_operator(dbsession, "htx-che-tan-cuong")
    make_staff(dbsession, operator, email=OWNER, role="owner")
    make_staff(dbsession, operator, email=STAFF, role="staff")
    sign_in(testapp, request.param)
    return testapp


def csrf_token(app) -> str:
    return app.get("/console/account").html.select_one("input[name=csrf_token]")["value"]


def test_every_console_view_declares_a_permission(app):
    missing = sorted({(name, pattern) for name, pattern, _methods, permissions in console_views(app.registry)
                      if name not in PUBLIC_CONSOLE_ROUTES and not permissions})
    assert missing == []
    assert len(console_views(app.registry)) > 100  # the introspection really sees the console


def test_every_url_with_an_id_of_bat_trangs_is_refused_and_changes_nothing(tan_cuong, dbsession, bat_trang):
    token = csrf_token(tan_cuong)
    before = fingerprint(dbsession)
    tried, let_through = 0, []
    for name, pattern, methods, _permissions in console_views(tan_cuong.app.registry):
        wanted = placeholders(pattern)
        if not wanted or name in NOT_ABOUT_AN_OBJECT:
            continue
        unknown = [placeholder for placeholder in wanted if placeholder not in bat_trang.ids]
        assert not unknown, f"{pattern}: give BatTrang an object for {unknown}"
        url = fill(pattern, bat_trang.ids)
        for method in sorted(methods & {"GET", "POST"}):
            if method == "GET":
                response = tan_cuong.get(url, status="*")
            else:
                response = tan_cuong.post(url, {"csrf_token": token}, status="*")
            tried += 1
            if response.status_int not in (403, 404):
                let_through.append((method, url, response.status))
    assert let_through == []
    assert tried > 100  # 123 when written: every console route with an id, GET and POST
    assert fingerprint(dbsession) == before


LIST_QUERIES = ("experience", "session", "product", "village", "tour", "booking", "q")


def test_pages_without_an_id_show_nothing_of_bat_trangs_whatever_the_query(tan_cuong, dbsession, bat_trang):
    ids = bat_trang.ids
    query = {"experience": ids["experience_id"], "session": ids["session_id"], "product": ids["product_id"],
             "reseller": ids["reseller_id"],
             "tour": ids["tour_id"], "booking": ids["booking_id"], "from": "2026-01-01", "to": "2027-12-31",
             "period": "month"}
    shown = 0
    for name, pattern, methods, _permissions in console_views(tan_cuong.app.registry):
        if placeholders(pattern) or "GET" not in methods or name in PUBLIC_CONSOLE_ROUTES:
            continue
        for params in ({}, query):
            response = tan_cuong.get(pattern, params, status="*")
            assert response.status_int in (200, 400, 403, 404), (pattern, response.status)
            shown += response.status_int == 200
            leaked = [word for word in bat_trang.giveaways if word in readable_text(response)]
            assert leaked == [], (pattern, params, leaked)
    assert shown > 10
    # Searching by Bát Tràng's guest, e-mail or reference finds nothing (the search box
    # still holds what was typed).
    for words in ("Phạm Thị Men", "men@battrang.example", bat_trang.giveaways[4]):
        page = tan_cuong.get("/console/bookings", {"q": words})
        assert not [word for word in bat_trang.giveaways if word in page.text and word != words]
        assert page.html.select_one("input[name=q]")["value"] == words
