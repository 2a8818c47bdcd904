"""An owner starts a new experience and sets its practical details in the console: a draft in
their own village (never another operator's), named from its Vietnamese title, that visitors
do not see; its length (applied to sessions nobody has booked), when online booking closes,
its season and its guide's languages. Bad input is refused field by field, nothing changed."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_operator, make_session, make_staff, make_village, sign_in
from tests.pages import form_to, soup
from tests.tourism.catalog.test_console_experiences import NOW, owner, page, place, url  # noqa: F401
from tourism.catalog import editing
from tourism.catalog.models import Experience, ExperienceKind, PublicationStatus


def experience_count(dbsession) -> int:
    return dbsession.scalar(select(func.count()).select_from(Experience))


def new_form(app, **fields):
    form = page(app, "/console/experiences/new").forms[1]
    values = {"kind": "tour", "title-vi": "Hái chè buổi sáng cùng nông dân", "title-en": "Morning tea picking",
              "duration_hours": "2", "duration_minutes": "30"}
    values.update(fields)
    for name, value in values.items():
        form[name] = value
    return form


def test_the_owner_starts_a_draft_in_their_village_and_lands_on_its_page(owner, dbsession, place):
    listing = page(owner, "/console/experiences")
    assert listing.click(href="/console/experiences/new", index=0).status_int == 200
    before = experience_count(dbsession)
    done = new_form(owner).submit().follow()
    assert experience_count(dbsession) == before + 1
    made = dbsession.scalar(select(Experience).order_by(Experience.id.desc()))
    assert (made.village_id, made.kind, made.status) == (place.village_id, ExperienceKind.TOUR, PublicationStatus.DRAFT)
    assert made.slug == "hai-che-buoi-sang-cung-nong-dan"
    assert made.duration_minutes == 150
    assert {t.locale: t.title for t in made.texts} == {"vi": "Hái chè buổi sáng cùng nông dân",
                                                       "en": "Morning tea picking"}
    assert "The draft is made" in done.text and "Morning tea picking" in done.text
    # Visitors do not see it.
    owner.get(f"/experiences/{made.slug}", status=404)
    # A second one with the same title gets its own address.
    new_form(owner, **{"title-en": ""}).submit().follow()
    second = dbsession.scalar(select(Experience).order_by(Experience.id.desc()))
    assert second.slug == "hai-che-buoi-sang-cung-nong-dan-2"
    assert [t.locale for t in second.texts] == ["vi"]


@pytest.mark.parametrize("changes, message", [
    ({"title-vi": ""}, "title in Vietnamese"),
    ({"title-vi": "x" * 201}, "200"),
    ({"kind": "admission"}, "guided tour or a hands-on workshop"),
    ({"duration_hours": "0", "duration_minutes": ""}, "Say how long it lasts"),
    ({"duration_minutes": "75"}, "Minutes: a whole number from 0 to 59"),
    ({"duration_hours": "hai"}, "Hours: a whole number from 0 to 24"),
])
def test_a_bad_new_experience_is_refused_and_nothing_is_made(owner, dbsession, changes, message):
    before = experience_count(dbsession)
    fields = dict(new_form(owner).submit_fields(), **changes)  # as sent, even what the form does not offer
    refused = owner.post("/console/experiences/new", fields, status=400)
    assert message in soup(refused).select_one(".cf-summary").text
    assert soup(refused).select_one(".cf-summary a")["href"].startswith("#new-")
    assert experience_count(dbsession) == before


def test_the_village_must_be_one_of_the_owners(app_at, dbsession, place):
    """An owner running two villages chooses one; another operator's village is refused."""
    second = make_village(dbsession, slug="lang-sua-2", province="Tỉnh Sửa")
    second.operator_id = place.village.operator_id
    elsewhere = make_village(dbsession, slug="lang-khac", province="Tỉnh Khác")
    make_operator(dbsession, slug="htx-khac", villages=[elsewhere])
    sign_in(app_at, "owner@example.com")
    form = new_form(app_at)
    offered = [value for value, _selected, _text in form.fields["village"][0].options if value]
    assert sorted(offered) == sorted([str(place.village_id), str(second.id)])
    before = experience_count(dbsession)
    fields = dict(form.submit_fields(), village=str(elsewhere.id))
    refused = app_at.post("/console/experiences/new", fields, status=400)
    assert "Choose the village" in refused.text
    assert experience_count(dbsession) == before
    form["village"] = str(second.id)
    form.submit().follow()
    assert dbsession.scalar(select(Experience).order_by(Experience.id.desc())).village_id == second.id


def test_staff_who_are_not_owners_cannot_start_one(app_at, dbsession, place):
    make_staff(dbsession, place.village.operator, email="staff@example.com", role="staff")
    sign_in(app_at, "staff@example.com")
    app_at.get("/console/experiences/new", status=403)
    token = soup(app_at.get("/console/account")).select_one("input[name=csrf_token]")["value"]
    before = experience_count(dbsession)
    app_at.post("/console/experiences/new", {"csrf_token": token, "kind": "tour", "title-vi": "Lén",
                                              "duration_hours": "1"}, status=403)
    assert experience_count(dbsession) == before


# --- practical details -----------------------------------------------------------------------

def details_form(app, experience, **fields):
    form = form_to(page(app, url(experience)), url(experience, "/details"))
    for name, value in fields.items():
        if name == "guide_language":
            for box in form.fields["guide_language"]:
                box.checked = box._value in value
        else:
            form[name] = value
    return form


def test_length_cutoff_season_and_languages_are_saved_and_shown(owner, dbsession, place):
    booked = make_session(dbsession, place, NOW + timedelta(days=3), capacity=10)
    booked.seats_booked, booked.ever_booked = 2, True
    free = make_session(dbsession, place, NOW + timedelta(days=4), capacity=10)
    past = make_session(dbsession, place, NOW - timedelta(days=1), capacity=10)
    old_ends = {s.id: s.ends_at for s in (booked, free, past)}
    saved = details_form(owner, place, duration_hours="1", duration_minutes="45", cutoff_hours="1,5",
                         season_start="11", season_end="2", guide_language=["vi", "ko", "de"]).submit().follow()
    assert "keep their old length (1)" in saved.text
    dbsession.expire_all()
    assert (place.duration_minutes, place.booking_cutoff_minutes) == (105, 90)
    assert (place.season_start_month, place.season_end_month) == (11, 2)
    assert place.language_codes == ["vi", "ko", "de"]
    assert free.ends_at == free.starts_at + timedelta(minutes=105)
    assert booked.ends_at == old_ends[booked.id] and past.ends_at == old_ends[past.id]
    # The form shows what was saved.
    form = details_form(owner, place)
    assert (form["duration_hours"].value, form["duration_minutes"].value, form["cutoff_hours"].value) == ("1", "45", "1.5")
    assert form["season_start"].value == "11"
    assert sorted(box._value for box in form.fields["guide_language"] if box.checked) == ["de", "ko", "vi"]
    # All year again.
    details_form(owner, place, season_start="", season_end="").submit().follow()
    dbsession.expire_all()
    assert place.season_start_month is None and place.season_end_month is None


@pytest.mark.parametrize("fields, field, message", [
    ({"duration_hours": "0", "duration_minutes": "0"}, "duration_hours", "Say how long it lasts"),
    ({"duration_hours": "25"}, "duration_hours", "from 0 to 24"),
    ({"duration_hours": "24", "duration_minutes": "30"}, "duration_hours", "at most 24 hours"),
    ({"cutoff_hours": "-1"}, "cutoff_hours", "Hours before the start"),
    ({"cutoff_hours": "1.25"}, "cutoff_hours", "Hours before the start"),
    ({"cutoff_hours": ""}, "cutoff_hours", "Hours before the start"),
    ({"season_start": "3", "season_end": ""}, "season_end", "both the first and the last month"),
    ({"guide_language": []}, "guide_language", "at least one language"),
])
def test_bad_practical_details_are_refused_and_change_nothing(owner, dbsession, place, fields, field, message):
    before = (place.duration_minutes, place.booking_cutoff_minutes, place.season_start_month,
              place.language_codes)
    refused = details_form(owner, place, **fields).submit(status=400)
    problems = soup(refused).select_one("#practical-problems")
    assert message in problems.text
    assert problems.select_one("a")["href"] == f"#practical-{field}"
    dbsession.expire_all()
    assert (place.duration_minutes, place.booking_cutoff_minutes, place.season_start_month,
            place.language_codes) == before


def test_a_forged_language_is_ignored_and_an_unknown_month_refused(dbsession, place):
    with pytest.raises(editing.InvalidInput) as refused:
        editing.save_practical(dbsession, place, {"duration_hours": "2", "cutoff_hours": "2", "season_start": "13",
                                                  "season_end": "2", "guide_language": ["xx"]}, now=NOW)
    assert set(refused.value.errors) == {"season_start", "guide_language"}
