"""The operator's experiences in the console (tourism.catalog.editing and its pages): texts in
six languages with Vietnamese required, prices in whole dong, group sizes, a cancellation
policy in sensible order, whether visitors see it; only the operator's owners get in, every
form needs its CSRF token, and bad input changes nothing."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from tests.factories import make_experience, make_operator, make_staff, make_village, sign_in
from tests.pages import form_to, soup
from tourism.accounts.services import find_operator
from tourism.catalog import editing
from tourism.catalog.models import CancellationRule, Experience, PriceTier, PublicationStatus
from tourism.catalog.services import refund_percent, search_experiences, Filters
from tourism.scheduling.models import ExperienceSession

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)
TODAY = NOW.date()


@pytest.fixture
def place(dbsession):
    village = make_village(dbsession, slug="lang-sua", province="Tỉnh Sửa")
    operator = make_operator(dbsession, slug="htx-sua", villages=[village])
    workshop = make_experience(dbsession, village, "lang-sua-gom", status=PublicationStatus.DRAFT)
    make_staff(dbsession, operator, email="owner@example.com", role="owner")
    return workshop


@pytest.fixture
def owner(app_at, place):
    sign_in(app_at, "owner@example.com")
    return app_at


def url(experience, end="") -> str:
    return f"/console/experiences/{experience.id}{end}"


def page(app, address, status=200, lang="en"):
    return app.get(address, {"lang": lang}, status=status)


def snapshot(dbsession, experience) -> tuple:
    dbsession.expire_all()
    return (experience.status, experience.min_party, experience.max_party, experience.children_need_adult,
            sorted((t.locale, t.title, t.summary, t.description, t.meeting_point) for t in experience.texts),
            [(t.code, t.price, t.min_age, t.max_age) for t in experience.price_tiers],
            [(r.hours_before, r.refund_percent) for r in experience.cancellation_rules],
            dbsession.scalar(select(func.count()).select_from(PriceTier)),
            dbsession.scalar(select(func.count()).select_from(CancellationRule)))


def prices_form(**changes):
    form = {"price-adult": "350000", "price-child": "200.000 ₫", "min_age-child": "6", "max_age-child": "11",
            "min_party": "1", "max_party": "10", "children_need_adult": "1"}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


# --- the rules -------------------------------------------------------------------------------

def test_texts_in_six_languages_with_vietnamese_required(dbsession, place):
    editing.save_texts(dbsession, place, {"title-vi": "  Nặn gốm   cùng nghệ nhân ", "summary-vi": "Một buổi sáng",
                                          "description-vi": "Dòng 1\r\nDòng 2", "meeting_point-vi": "Cổng làng",
                                          "title-ko": "도자기 체험", "title-en": ""})
    assert sorted((t.locale, t.title) for t in place.texts) == [("ko", "도자기 체험"), ("vi", "Nặn gốm cùng nghệ nhân")]
    assert [t.description for t in place.texts if t.locale == "vi"] == ["Dòng 1\nDòng 2"]
    # The search finds it by its new words, without diacritics.
    place.status = PublicationStatus.PUBLISHED
    dbsession.flush()
    assert place in search_experiences(dbsession, Filters(q="nan gom nghe nhan")).experiences
    for form, field in [({"title-vi": ""}, "title-vi"), ({"title-vi": "x", "summary-fr": "Un matin"}, "title-fr"),
                        ({"title-vi": "x" * 201}, "title-vi"), ({"title-vi": "x", "description-vi": "y" * 5001},
                                                                "description-vi")]:
        with pytest.raises(editing.InvalidInput) as refused:
            editing.save_texts(dbsession, place, form)
        assert field in refused.value.errors


def test_prices_in_whole_dong_with_ages_and_group_sizes(dbsession, place):
    editing.save_prices(dbsession, place, prices_form(**{"price-senior": "250 000"}))
    assert [(t.code, t.price, t.min_age, t.max_age) for t in place.price_tiers] == [
        ("adult", 350000, None, None), ("child", 200000, 6, 11), ("senior", 250000, None, None)]
    editing.save_prices(dbsession, place, prices_form(**{"price-child": "", "min_age-child": "", "max_age-child": "",
                                                         "max_party": "4", "children_need_adult": None}))
    assert [t.code for t in place.price_tiers] == ["adult"]
    assert (place.min_party, place.max_party, place.children_need_adult) == (1, 4, False)


@pytest.mark.parametrize("changes, field", [
    ({"price-adult": "0"}, "price-adult"),
    ({"price-adult": "-5"}, "price-adult"),
    ({"price-adult": "350000.5"}, "price-adult"),
    ({"price-adult": "ba trăm"}, "price-adult"),
    ({"price-adult": "100000000"}, "price-adult"),
    ({"price-adult": "", "price-child": "", "min_age-child": "", "max_age-child": ""}, "price-adult"),  # no price
    ({"price-adult": ""}, "price-adult"),  # children alone, though they need an adult
    ({"min_age-child": "12"}, "max_age-child"),
    ({"min_age-child": "200"}, "min_age-child"),
    ({"price-infant": "", "max_age-infant": "2"}, "price-infant"),  # ages for a ticket not offered
    ({"min_party": "0"}, "min_party"),
    ({"min_party": ""}, "min_party"),
    ({"max_party": "201"}, "max_party"),
    ({"min_party": "5", "max_party": "2"}, "max_party"),
])
def test_wrong_prices_are_refused_and_change_nothing(dbsession, place, changes, field):
    before = snapshot(dbsession, place)
    with pytest.raises(editing.InvalidInput) as refused:
        editing.save_prices(dbsession, place, prices_form(**changes))
    assert field in refused.value.errors
    assert snapshot(dbsession, place) == before


def test_a_cancellation_policy_in_sensible_order(dbsession, place):
    editing.save_policy(dbsession, place, {"hours-0": "24", "percent-0": "50", "hours-1": "72", "percent-1": "100%",
                                           "hours-2": "", "percent-2": ""})
    assert [(r.hours_before, r.refund_percent) for r in place.cancellation_rules] == [(72, 100), (24, 50)]
    assert refund_percent(place.cancellation_rules, 30) == 50
    # Taking an hour count another rule had in the same save is fine (one rule per hour count).
    editing.save_policy(dbsession, place, {"hours-0": "24", "percent-0": "100", "hours-1": "12", "percent-1": "25"})
    dbsession.expire(place)
    assert [(r.hours_before, r.refund_percent) for r in place.cancellation_rules] == [(24, 100), (12, 25)]
    editing.save_policy(dbsession, place, {})
    dbsession.expire(place)
    assert place.cancellation_rules == []


@pytest.mark.parametrize("form, field", [
    ({"hours-0": "24", "percent-0": "100", "hours-1": "72", "percent-1": "50"}, "percent-0"),  # later gives more
    ({"hours-0": "24", "percent-0": "50", "hours-1": "24", "percent-1": "20"}, "hours-1"),
    ({"hours-0": "24", "percent-0": ""}, "percent-0"),
    ({"hours-0": "", "percent-0": "50"}, "hours-0"),
    ({"hours-0": "24", "percent-0": "101"}, "percent-0"),
    ({"hours-0": "-1", "percent-0": "10"}, "hours-0"),
    ({"hours-0": "99999", "percent-0": "10"}, "hours-0"),
    ({"hours-0": "1.5", "percent-0": "10"}, "hours-0"),
])
def test_a_wrong_policy_is_refused_and_changes_nothing(dbsession, place, form, field):
    before = snapshot(dbsession, place)
    with pytest.raises(editing.InvalidInput) as refused:
        editing.save_policy(dbsession, place, form)
    assert field in refused.value.errors
    assert snapshot(dbsession, place) == before


def test_publishing_makes_its_sessions_and_needs_a_title_and_a_price(dbsession, place):
    from tourism.scheduling.models import ScheduleRule

    dbsession.add(ScheduleRule(experience_id=place.id, rrule="FREQ=DAILY;BYHOUR=9;BYMINUTE=0",
                               valid_from=TODAY, capacity=8))
    dbsession.flush()
    assert editing.save_status(dbsession, place, {"status": "published"}, today=TODAY, horizon_days=6)
    assert dbsession.scalar(select(func.count()).select_from(ExperienceSession).where(
        ExperienceSession.experience_id == place.id)) == 7
    assert not editing.save_status(dbsession, place, {"status": "published"}, today=TODAY, horizon_days=6)
    assert editing.save_status(dbsession, place, {"status": "draft"}, today=TODAY, horizon_days=6)
    with pytest.raises(editing.InvalidInput):
        editing.save_status(dbsession, place, {"status": "visible"}, today=TODAY, horizon_days=6)
    place.price_tiers.clear()
    dbsession.flush()
    with pytest.raises(editing.InvalidInput) as refused:
        editing.save_status(dbsession, place, {"status": "published"}, today=TODAY, horizon_days=6)
    assert "price" in refused.value.errors["status"].interpolate()
    assert place.status == PublicationStatus.DRAFT


# --- the pages -------------------------------------------------------------------------------

def test_the_list_shows_the_operators_experiences_only(owner, dbsession, place):
    listing = soup(page(owner, "/console/experiences"))
    links = {a["href"] for a in listing.select(".ec-experience h2 a")}
    assert links == {url(place)}
    assert "Draft: not shown to visitors" in listing.get_text()
    assert f"{url(place)}/schedule" in {a["href"] for a in listing.select(".ec-experience a")}


def test_the_console_home_links_to_experiences(testapp, place):
    home = sign_in(testapp, "owner@example.com")
    assert "/console/experiences" in [a.get("href") for a in soup(home).select(".console-links a")]


def test_editing_through_the_page_in_vietnamese(owner, dbsession, place):
    edit = page(owner, url(place), lang="vi")
    assert soup(edit).select_one("html")["lang"] == "vi"
    form = form_to(edit, url(place))
    form["title-vi"], form["title-ja"] = "Làm gốm Sửa", "陶芸体験"
    form.submit(status=303)
    prices = form_to(page(owner, url(place)), url(place, "/prices"))
    assert prices["price-adult"].value == "300000" and prices["children_need_adult"].checked
    prices["price-adult"], prices["price-student"], prices["max_party"] = "320.000", "150000", "12"
    done = prices.submit(status=303).follow()
    assert "The prices and group sizes were saved" in done.text
    policy = form_to(done, url(place, "/cancellation"))
    assert (policy["hours-0"].value, policy["percent-0"].value) == ("48", "100")
    policy["hours-2"], policy["percent-2"] = "2", "0"
    policy.submit(status=303)
    status = form_to(page(owner, url(place)), url(place, "/status"))
    status["status"] = "published"
    published = status.submit(status=303).follow()
    assert "Visitors can now see and book it" in published.text
    dbsession.expire_all()
    assert sorted((t.locale, t.title) for t in place.texts) == [("en", "Trial pottery"), ("ja", "陶芸体験"),
                                                               ("vi", "Làm gốm Sửa")]
    assert [(t.code, t.price) for t in place.price_tiers] == [("adult", 320000), ("child", 200000), ("student", 150000)]
    assert place.max_party == 12 and place.status == PublicationStatus.PUBLISHED
    assert [(r.hours_before, r.refund_percent) for r in place.cancellation_rules] == [(48, 100), (24, 50), (2, 0)]
    visitors = page(owner, f"/experiences/{place.slug}")
    assert "Làm gốm Sửa" in page(owner, f"/experiences/{place.slug}", lang="vi").text and visitors.status_code == 200


def test_a_wrong_form_shows_each_message_next_to_its_field_and_changes_nothing(owner, dbsession, place):
    before = snapshot(dbsession, place)
    form = form_to(page(owner, url(place)), url(place))
    form["title-vi"] = ""
    refused = soup(form.submit(status=400))
    assert refused.select_one("#texts-title-vi")["aria-invalid"] == "true"
    assert refused.select_one("#texts-problems a")["href"] == "#texts-title-vi"
    prices = form_to(page(owner, url(place)), url(place, "/prices"))
    prices["price-adult"], prices["min_party"] = "0", "abc"
    refused = soup(prices.submit(status=400))
    assert {a["href"] for a in refused.select("#prices-problems a")} == {"#prices-price-adult", "#prices-min_party"}
    policy = form_to(page(owner, url(place)), url(place, "/cancellation"))
    policy["percent-0"] = "20"  # 48 hours before would give back less than 24 hours (50%)
    refused = soup(policy.submit(status=400))
    assert "must never give back less" in refused.select_one(".cf-summary").get_text()
    assert snapshot(dbsession, place) == before


# --- who may do what ---------------------------------------------------------------------------

def posts(experience) -> dict[str, dict]:
    return {url(experience): {"title-vi": "Hacked"}, url(experience, "/prices"): prices_form(**{"price-adult": "1"}),
            url(experience, "/cancellation"): {"hours-0": "0", "percent-0": "100"},
            url(experience, "/status"): {"status": "published"}}


@pytest.mark.parametrize("who", ["theirs@example.com", "staff@example.com"])
def test_only_the_operators_owners_get_in(app_at, dbsession, place, who):
    make_staff(dbsession, place.village.operator, email="staff@example.com", role="staff")
    make_staff(dbsession, find_operator(dbsession, "gom-chu-dau"), email="theirs@example.com", role="owner")
    before = snapshot(dbsession, place)
    sign_in(app_at, who)
    token = form_to(page(app_at, "/console"), "/console/sign-out")["csrf_token"].value
    gets = [url(place), url(place, "/prices"), url(place, "/cancellation"), url(place, "/status")]
    for address in gets:
        page(app_at, address, status=403)
    for address, fields in posts(place).items():
        app_at.post(address, dict(fields, csrf_token=token), status=403)
    if who == "theirs@example.com":  # an owner elsewhere sees their own list, never ours
        listing = page(app_at, "/console/experiences")
        assert url(place) not in listing.text and "Chu Đậu" in listing.text
        theirs = dbsession.scalars(select(Experience).join(Experience.village).where(
            Experience.village.has(operator=find_operator(dbsession, "gom-chu-dau")))).all()
        assert {a["href"] for a in soup(listing).select(".ec-experience h2 a")} == {url(e) for e in theirs}
    else:  # staff who are not owners do not run the experiences
        page(app_at, "/console/experiences", status=403)
    for address in ("/console/experiences/999999999", "/console/experiences/abc", "/console/experiences/1e3/prices"):
        page(app_at, address, status=404)
    assert snapshot(dbsession, place) == before


def test_strangers_are_sent_to_sign_in(testapp, dbsession, place):
    before = snapshot(dbsession, place)
    for address in ["/console/experiences", url(place)]:
        assert "/console/sign-in" in testapp.get(address).location
    token = testapp.get("/console/sign-in").forms[0]["csrf_token"].value
    for address, fields in posts(place).items():
        testapp.post(address, dict(fields, csrf_token=token), status=403)
    assert snapshot(dbsession, place) == before


def test_every_form_needs_its_csrf_token(owner, dbsession, place):
    before = snapshot(dbsession, place)
    for address, fields in posts(place).items():
        owner.post(address, fields, status=400)
        owner.post(address, dict(fields, csrf_token="forged"), status=400)
    assert snapshot(dbsession, place) == before


def test_an_admin_sees_every_experience(testapp, dbsession, place):
    make_staff(dbsession, None, email="admin@example.com")
    sign_in(testapp, "admin@example.com")
    links = {a["href"] for a in soup(page(testapp, "/console/experiences")).select(".ec-experience h2 a")}
    assert links == {url(e) for e in dbsession.scalars(select(Experience))}
    page(testapp, url(place))
