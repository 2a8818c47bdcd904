"""Demo data for the OCTO API: a reseller of Bát Tràng's experiences, with a documented key,
and a sold-out slot, so a conformance run (docs.octo.travel's validator, Bókun's test
connection) has everything to exercise: the pottery wheel (START_TIME, two sessions a day),
the old-village walk (START_TIME, weekends), the ceramics museum (OPENING_HOURS), and a
wheel session a school group booked in full.

Idempotent like the other demo loaders. The key is public (README): load the demo only on
development machines.
"""
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tourism.accounts.models import Operator
from tourism.booking import services as booking_services
from tourism.booking.availability import availability
from tourism.catalog.models import Experience
from tourism.octo import keys
from tourism.octo.models import RESELLER_CHANNEL, Reseller, ResellerBooking
from tourism.scheduling.models import ExperienceSession
from tourism.scheduling.services import local_day_bounds

DEMO_KEY = "lvk_demo_bat_trang_reseller_key_for_local_testing"
DEMO_OPERATOR = "htx-gom-bat-trang"
DEMO_RESELLER = "Demo reseller (OCTO)"
DEMO_PRODUCTS = ("bat-trang-pottery-wheel", "bat-trang-old-village-walk", "bat-trang-ceramics-museum")
SOLD_OUT_PRODUCT = "bat-trang-pottery-wheel"
SOLD_OUT_DAYS_AHEAD = 7
UUID_NAMESPACE = uuid.UUID("0c7a3d4e-4f7e-4b8e-9a51-6f1e2b9c8d10")


def load(dbsession, *, today: date, now: datetime) -> str:
    operator = dbsession.scalar(select(Operator).where(Operator.slug == DEMO_OPERATOR))
    if operator is None:
        return "OCTO demo: no Bát Tràng operator, nothing loaded."
    reseller = dbsession.scalar(select(Reseller).where(Reseller.operator_id == operator.id,
                                                       Reseller.name == DEMO_RESELLER))
    if reseller is None:
        reseller = Reseller(operator_id=operator.id, name=DEMO_RESELLER, contact_email="octo@reseller.example",
                            commission_percent=15, created_at=now)
        dbsession.add(reseller)
    products = list(dbsession.scalars(select(Experience).where(Experience.slug.in_(DEMO_PRODUCTS))))
    reseller.experiences = sorted(products, key=lambda e: e.id)
    dbsession.flush()
    keys.add_known_key(dbsession, reseller, DEMO_KEY, now=now)
    sold_out = _sold_out_slot(dbsession, reseller, today=today, now=now)
    return f"OCTO demo: reseller '{DEMO_RESELLER}' with {len(products)} products; sold-out slot {sold_out}."


def _sold_out_slot(dbsession, reseller: Reseller, *, today: date, now: datetime) -> str:
    """A wheel session about a week ahead booked in full by a school group (through the reseller)."""
    wheel = dbsession.scalar(select(Experience).where(Experience.slug == SOLD_OUT_PRODUCT))
    if wheel is None:
        return "none (no pottery wheel)"
    tz = ZoneInfo(wheel.village.time_zone)
    start, _unused = local_day_bounds(today + timedelta(days=2), tz)
    _unused, end = local_day_bounds(today + timedelta(days=30), tz)
    slots = availability(dbsession, wheel, start=start, end=end, now=now)
    already = next((slot for slot in slots if slot.state == "sold_out"), None)
    if already is not None:
        return already.starts_at.astimezone(tz).isoformat(timespec="minutes")
    target = next((slot for slot in slots if slot.bookable
                   and slot.starts_at.astimezone(tz).date() >= today + timedelta(days=SOLD_OUT_DAYS_AHEAD)), None)
    if target is None:
        return "none (no bookable session)"
    session = dbsession.get(ExperienceSession, target.session_id)
    seats = min(target.seats_left, wheel.max_party)
    group = booking_services.Contact(name="Trường Tiểu học Kim Lan", email="", phone="+84 24 3874 0000",
                                     country="VN", locale="vi")
    booking, _token = booking_services.create_hold(dbsession, session=session, party={"adult": seats},
                                                   contact=group, now=now, channel=RESELLER_CHANNEL)
    booking_services.confirm_booking(dbsession, booking, now=now)
    booking_uuid = str(uuid.uuid5(UUID_NAMESPACE, f"sold-out:{session.id}"))
    dbsession.add(ResellerBooking(
        booking_id=booking.id, reseller_id=reseller.id, uuid=booking_uuid, reseller_reference=f"SCHOOL-{session.id}",
        unit_items=[{"uuid": str(uuid.uuid5(UUID_NAMESPACE, f"{booking_uuid}:{n}")), "unitId": "adult",
                     "resellerReference": None} for n in range(seats)],
        contact={"fullName": group.name, "phoneNumber": group.phone, "country": "VN", "locales": ["vi"]},
        notes="Một lớp học trọn buổi chuốt gốm.", updated_at=now))
    dbsession.flush()
    return target.starts_at.astimezone(tz).isoformat(timespec="minutes")
