"""A village sold through OCTO: its operator, a START_TIME workshop with sessions, an
OPENING_HOURS museum, a reseller allowed to sell both, and that reseller's API key."""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from tests.factories import make_experience, make_operator, make_session, make_village
from tourism.catalog.models import ExperienceKind
from tourism.octo import keys
from tourism.octo.models import Reseller
from tourism.scheduling.services import materialise_sessions

# Tuesday 1 December 2026, 08:00 in Vietnam.
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
CAPABILITIES = "octo/content, octo/pricing"


@dataclass
class Octo:
    testapp: object
    key: str
    reseller: Reseller
    workshop: object
    museum: object
    sessions: list  # the workshop's: 3 days ahead at 07:00 and 14:00 (local), and a full one
    capabilities: str = ""

    def headers(self, **extra):
        headers = {"Authorization": f"Bearer {self.key}", "Octo-Capabilities": self.capabilities}
        headers.update(extra)
        return headers

    def get(self, path, status=200, **kw):
        return self.testapp.get("/octo" + path, headers=self.headers(), status=status, **kw)

    def post(self, path, body=None, status=200, headers=None):
        return self.testapp.post_json("/octo" + path, body if body is not None else {},
                                      headers=self.headers(**(headers or {})), status=status)

    def patch(self, path, body, status=200):
        return self.testapp.patch_json("/octo" + path, body, headers=self.headers(), status=status)

    def reserve(self, availability_id=None, units=("adult", "adult"), status=200, **fields):
        body = {"productId": self.workshop.slug, "optionId": "DEFAULT",
                "availabilityId": availability_id or local_id(self.sessions[0].starts_at),
                "unitItems": [{"unitId": unit} for unit in units], **fields}
        return self.post("/bookings", body, status=status)


def local_id(moment: datetime) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).isoformat(timespec="seconds")


@pytest.fixture
def octo(app_at, dbsession):
    village = make_village(dbsession, slug="lang-octo", province="Tỉnh Octo")
    operator = make_operator(dbsession, slug="htx-octo", name="HTX Gốm Octo", villages=[village])
    workshop = make_experience(dbsession, village, "octo-gom", max_party=6,
                               texts={"vi": "Làm gốm Octo", "en": "Octo pottery", "ko": "옥토 도자기"})
    museum = make_experience(dbsession, village, "octo-bao-tang", kind=ExperienceKind.ADMISSION,
                             prices=(("adult", 50000), ("child", 20000)), opening=range(7), daily_capacity=100,
                             duration_minutes=540)
    day = NOW + timedelta(days=3)
    sessions = [make_session(dbsession, workshop, day.replace(hour=0), capacity=8),   # 07:00 local
                make_session(dbsession, workshop, day.replace(hour=7), capacity=8),   # 14:00 local
                make_session(dbsession, workshop, day.replace(hour=9), capacity=2, seats_booked=2)]  # sold out
    materialise_sessions(dbsession, museum, today=NOW.date(), horizon_days=30)
    reseller = Reseller(operator_id=operator.id, name="Kênh Thử", commission_percent=20,
                        experiences=[workshop, museum])
    dbsession.add(reseller)
    dbsession.flush()
    _row, key = keys.issue_key(dbsession, reseller, now=NOW)
    return Octo(app_at, key, reseller, workshop, museum, sessions)
