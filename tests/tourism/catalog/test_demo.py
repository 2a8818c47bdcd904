"""The demo catalog: real villages, enough experiences, loaded idempotently."""
from sqlalchemy import func, select

from tourism.catalog import demo
from tourism.catalog.models import Experience, ExperienceKind, PublicationStatus, Village
from tourism.catalog.services import experience_text, village_text

REQUIRED_VILLAGES = {"bat-trang", "van-phuc", "tan-cuong", "chu-dau", "dong-giao", "phu-vinh", "dong-ho"}


def test_demo_has_the_real_villages_and_enough_experiences(dbsession):
    villages = {v.slug: v for v in dbsession.scalars(select(Village))}
    assert REQUIRED_VILLAGES <= set(villages)
    experiences = list(dbsession.scalars(select(Experience).where(Experience.status == PublicationStatus.PUBLISHED)))
    assert len(experiences) >= 12
    assert {e.kind for e in experiences} == set(ExperienceKind)
    for experience in experiences:
        assert {"vi", "en"} <= {t.locale for t in experience.texts}, experience.slug
        assert experience_text(experience, "vi").value.title != experience_text(experience, "en").value.title
        assert experience.price_tiers and all(t.price > 0 for t in experience.price_tiers)
    for village in villages.values():
        assert village_text(village, "vi").locale == "vi" and village.images


def test_loading_again_changes_nothing(dbsession):
    count = lambda model: dbsession.scalar(select(func.count()).select_from(model))
    before = (count(Village), count(Experience))
    report = demo.load(dbsession)
    assert (report.created, report.updated, report.deleted) == (0, 0, 0)
    assert (count(Village), count(Experience)) == before


def test_loading_updates_an_edited_row_in_place(dbsession):
    village = dbsession.scalar(select(Village).where(Village.slug == "bat-trang"))
    village.province = "Somewhere else"
    dbsession.flush()
    report = demo.load(dbsession)
    assert report.updated == 1 and report.created == 0
    assert village.province == "Hà Nội"
