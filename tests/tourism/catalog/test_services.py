"""Catalog rules: search, filters from absurd input, texts by locale, policies."""
from datetime import date

import pytest
from webob.multidict import MultiDict

from tests.factories import make_experience, make_village
from tourism.catalog import services
from tourism.catalog.models import CancellationRule, ExperienceKind, PublicationStatus

TODAY = date(2026, 11, 24)


def parse(**params):
    return services.parse_filters(MultiDict(params), provinces={"Hà Nội", "Tỉnh Thử"}, today=TODAY)


# --- folding and parsing (no database) ---------------------------------------------------

def test_fold_removes_vietnamese_diacritics_and_case():
    assert services.fold("Làng gốm Bát Tràng, ĐÔNG HỒ") == "lang gom bat trang, dong ho"


def test_parse_filters_keeps_valid_values():
    f = parse(q="  gốm   Bát ", province="Hà Nội", craft="tea", kind="tour", language="ko",
              date_from="2026-12-01", date_to="2026-12-07", max_price="500.000")
    assert (f.q, f.province, f.craft, f.kind, f.language) == ("gốm Bát", "Hà Nội", "tea", "tour", "ko")
    assert (f.date_from, f.date_to, f.max_price, f.errors) == (date(2026, 12, 1), date(2026, 12, 7), 500000, [])


@pytest.mark.parametrize("params", [
    {"province": "Atlantis"}, {"craft": "<script>"}, {"kind": "cruise"}, {"language": "tlh"},
    {"date_from": "2026-13-45"}, {"date_to": "tomorrow"}, {"max_price": "-5"}, {"max_price": "9" * 30},
    {"date_from": "2026-12-10", "date_to": "2026-12-01"}, {"date_to": "2001-01-01"},
])
def test_parse_filters_drops_absurd_values_with_a_message(params):
    f = parse(**params)
    assert len(f.errors) == 1
    assert not f.active


def test_parse_filters_clips_huge_query_and_page():
    f = parse(q="x" * 10_000, page="99999999999")
    assert len(f.q) == services.MAX_QUERY_LENGTH
    assert f.page == 1


def test_date_from_in_the_past_starts_today():
    assert parse(date_from="2020-01-01", date_to="2026-12-31").date_from == TODAY


def test_calendar_keys_stop_after_a_year_even_in_year_9999():
    assert len(services.calendar_keys(date(9999, 1, 1), None)) == 84
    assert services.calendar_keys(date(9999, 12, 31), date(9999, 12, 31)) == {(12, 4)}
    assert services.calendar_keys(date(2026, 11, 30), date(2026, 12, 1)) == {(11, 0), (12, 1)}


def test_refund_percent_follows_rules_from_most_generous_down():
    rules = [CancellationRule(hours_before=24, refund_percent=50), CancellationRule(hours_before=48, refund_percent=100)]
    assert services.refund_percent(rules, 72) == 100
    assert services.refund_percent(rules, 48) == 100
    assert services.refund_percent(rules, 30) == 50
    assert services.refund_percent(rules, 2) == 0
    assert services.refund_percent([], 1000) == 0


def test_policy_sentences():
    rules = [CancellationRule(hours_before=48, refund_percent=100), CancellationRule(hours_before=24, refund_percent=50)]
    lines = [line.interpolate() for line in services.describe_cancellation_policy(rules)]
    assert lines == [
        "Full refund if you cancel at least 48 hours before the start.",
        "50% refund if you cancel at least 24 hours before the start.",
        "No refund later than that.",
    ]
    assert [l.interpolate() for l in services.describe_cancellation_policy([])] == ["This ticket cannot be refunded."]


# --- queries (SQLite and PostgreSQL) -----------------------------------------------------

@pytest.fixture
def village(dbsession):
    return make_village(dbsession)


def slugs(result):
    return [e.slug for e in result.experiences]


def test_search_finds_words_without_diacritics_in_any_locale(dbsession, village):
    make_experience(dbsession, village, "thu-gom", texts={"vi": "Nặn gốm men lam", "ko": "도자기 만들기"})
    assert slugs(services.search_experiences(dbsession, parse(q="nan GOM", province="Tỉnh Thử"))) == ["thu-gom"]
    assert slugs(services.search_experiences(dbsession, parse(q="도자기", province="Tỉnh Thử"))) == ["thu-gom"]
    assert slugs(services.search_experiences(dbsession, parse(q="gom lua", province="Tỉnh Thử"))) == []


def test_search_treats_like_wildcards_as_text(dbsession, village):
    make_experience(dbsession, village, "thu-gom")
    assert slugs(services.search_experiences(dbsession, parse(q="%", province="Tỉnh Thử"))) == []
    assert slugs(services.search_experiences(dbsession, parse(q="_", province="Tỉnh Thử"))) == []


def test_drafts_never_appear(dbsession, village):
    make_experience(dbsession, village, "thu-nhap", status=PublicationStatus.DRAFT)
    assert slugs(services.search_experiences(dbsession, parse(province="Tỉnh Thử"))) == []
    assert services.get_published_experience(dbsession, "thu-nhap") is None


def test_filters_by_craft_kind_language_and_price(dbsession, village):
    make_experience(dbsession, village, "a-tea-tour", craft="tea", kind=ExperienceKind.TOUR, languages=("vi", "ko"),
                    prices=(("adult", 250000),))
    make_experience(dbsession, village, "b-pottery", craft="pottery", languages=("vi",), prices=(("adult", 450000),))
    search = lambda **kw: slugs(services.search_experiences(dbsession, parse(province="Tỉnh Thử", **kw)))
    assert search() == ["a-tea-tour", "b-pottery"]
    assert search(craft="tea") == ["a-tea-tour"]
    assert search(kind="workshop") == ["b-pottery"]
    assert search(language="ko") == ["a-tea-tour"]
    assert search(max_price="300000") == ["a-tea-tour"]
    assert search(max_price="0") == []


def test_date_range_respects_seasons_and_opening_days(dbsession, village):
    make_experience(dbsession, village, "tea-season", season_start_month=3, season_end_month=10)
    make_experience(dbsession, village, "winter-market", season_start_month=11, season_end_month=2)
    make_experience(dbsession, village, "museum-weekends", kind=ExperienceKind.ADMISSION, opening=(5, 6))
    search = lambda a, b: slugs(services.search_experiences(dbsession, parse(province="Tỉnh Thử", date_from=a, date_to=b)))
    # 2026-12-01 is a Tuesday: winter only, museum closed on weekdays.
    assert search("2026-12-01", "2026-12-02") == ["winter-market"]
    # A weekend in April: tea season and the museum.
    assert search("2027-04-10", "2027-04-11") == ["museum-weekends", "tea-season"]
    assert search("9999-12-31", "9999-12-31") == ["winter-market"]  # a Friday


def test_pagination(dbsession, village):
    for i in range(services.PAGE_SIZE + 3):
        make_experience(dbsession, village, f"p-{i:03d}")
    first = services.search_experiences(dbsession, parse(province="Tỉnh Thử"))
    last = services.search_experiences(dbsession, parse(province="Tỉnh Thử", page="2"))
    assert (first.total, first.pages, len(first.experiences), len(last.experiences)) == (27, 2, 24, 3)
    assert services.search_experiences(dbsession, parse(province="Tỉnh Thử", page="50")).page == 2


def test_texts_fall_back_requested_then_english_then_vietnamese(dbsession, village):
    both = make_experience(dbsession, village, "both", texts={"vi": "Tiếng Việt", "en": "English"})
    vi_only = make_experience(dbsession, village, "vi-only", texts={"vi": "Chỉ tiếng Việt"})
    ko = services.experience_text(both, "ko")
    assert (ko.value.title, ko.locale, ko.is_fallback) == ("English", "en", True)
    assert services.experience_text(both, "vi").is_fallback is False
    assert services.experience_text(vi_only, "fr").value.title == "Chỉ tiếng Việt"
