"""Small builders for catalog rows, so each test states only what it cares about."""
from datetime import time

from tourism.catalog.models import (
    CancellationRule,
    Experience,
    ExperienceKind,
    ExperienceLanguage,
    ExperienceText,
    OpeningHours,
    PriceTier,
    PublicationStatus,
    Village,
    VillageText,
)
from tourism.catalog.services import index_experience


def make_village(dbsession, slug="lang-thu", province="Tỉnh Thử", texts=None, **fields) -> Village:
    village = Village(slug=slug, province=province, latitude=21.0, longitude=105.8, **fields)
    for locale, name in (texts or {"vi": "Làng Thử", "en": "Test Village"}).items():
        village.texts.append(VillageText(locale=locale, name=name, summary=f"{name} summary", story=f"{name} story."))
    dbsession.add(village)
    dbsession.flush()
    return village


def make_experience(dbsession, village, slug="thu-nghiem", *, kind=ExperienceKind.WORKSHOP,
                    craft="pottery", status=PublicationStatus.PUBLISHED, texts=None, languages=("vi", "en"),
                    prices=(("adult", 300000), ("child", 200000)), cancellation=((48, 100), (24, 50)),
                    opening=(), **fields) -> Experience:
    experience = Experience(
        village=village, slug=slug, kind=kind, craft=craft, status=status,
        duration_minutes=fields.pop("duration_minutes", 120), min_party=fields.pop("min_party", 1),
        max_party=fields.pop("max_party", 10), **fields,
    )
    for locale, title in (texts or {"vi": "Làm gốm thử", "en": "Trial pottery"}).items():
        experience.texts.append(ExperienceText(locale=locale, title=title, summary=f"{title} summary",
                                               description=f"{title} description.", meeting_point="Gate"))
    experience.guide_languages = [ExperienceLanguage(language=code, position=i) for i, code in enumerate(languages)]
    experience.price_tiers = [PriceTier(code=code, price=price, position=i) for i, (code, price) in enumerate(prices)]
    experience.cancellation_rules = [CancellationRule(hours_before=h, refund_percent=p) for h, p in cancellation]
    experience.opening_hours = [OpeningHours(weekday=d, opens=time(8), closes=time(17)) for d in opening]
    dbsession.add(experience)
    dbsession.flush()
    index_experience(experience)
    dbsession.flush()
    return experience


def make_session(dbsession, experience, starts_at, capacity=10, **fields):
    from datetime import timedelta

    from tourism.scheduling.models import ExperienceSession

    session = ExperienceSession(experience_id=experience.id, starts_at=starts_at, capacity=capacity,
                                ends_at=starts_at + timedelta(minutes=experience.duration_minutes), **fields)
    dbsession.add(session)
    dbsession.flush()
    return session


def contact(**fields):
    from tourism.booking.services import Contact

    values = {"name": "Nguyễn Thị Lan", "email": "lan@example.com", "phone": "+84 912 345 678",
              "country": "VN", "locale": "vi"}
    values.update(fields)
    return Contact(**values)


STAFF_PASSWORD = "a long staff password"


def make_operator(dbsession, slug="htx-thu", name="Hợp tác xã Thử", villages=()):
    from tourism.accounts.models import Operator

    operator = Operator(slug=slug, name=name)
    dbsession.add(operator)
    for village in villages:
        village.operator = operator
    dbsession.flush()
    return operator


def make_staff(dbsession, operator=None, email="staff@example.com", role="staff", password=STAFF_PASSWORD):
    """One of `operator`'s people, or a platform admin when `operator` is None."""
    from tourism.accounts.services import create_admin, create_operator_user

    if operator is None:
        return create_admin(dbsession, email=email, password=password)
    return create_operator_user(dbsession, operator=operator, email=email, password=password, role=role)


def sign_in(testapp, email="staff@example.com", password=STAFF_PASSWORD):
    """Sign `testapp` in through the real form; returns the response after the redirect."""
    form = testapp.get("/console/sign-in").forms[0]
    form["email"], form["password"] = email, password
    return form.submit().maybe_follow()


def cancel_as_guest(testapp, token, lang="en"):
    """The guest's way to cancel: manage page → "Cancel booking…" → "Yes, cancel my booking".

    Returns the confirmation page's form response (a 303 back to the manage page, or a 400).
    """
    manage = testapp.get(f"/booking/{token}", {"lang": lang})
    confirm = manage.click(href=f"/booking/{token}/cancel")
    assert "Cancel this booking?" in confirm.text or lang != "en"
    return confirm.forms[0].submit(status="*")
