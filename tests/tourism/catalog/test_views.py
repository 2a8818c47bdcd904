"""Public catalog pages through WebTest, in several languages, with bad input."""
import json

import pytest
from bs4 import BeautifulSoup

from tests.factories import make_experience, make_village
from tourism.catalog.models import ExperienceKind, PublicationStatus

LOCALES = ("vi", "en", "ko")


def soup(response):
    return BeautifulSoup(response.text, "html.parser")


def text(element) -> str:
    """Visible text with Babel's narrow and no-break spaces read as plain spaces."""
    return element.get_text().replace("\xa0", " ").replace("\u202f", " ")


def json_ld(page) -> list:
    """Every JSON-LD block of the page, parsed (fails the test if one is not valid JSON)."""
    return [json.loads(tag.string) for tag in page.find_all("script", type="application/ld+json")]


@pytest.fixture
def catalog(dbsession):
    village = make_village(dbsession, slug="lang-thu", texts={"vi": "Làng Thử", "en": "Test Village"})
    workshop = make_experience(dbsession, village, "thu-gom", texts={"vi": "Nặn gốm", "en": "Throw a pot"},
                               prices=(("adult", 350000), ("child", 250000)))
    museum = make_experience(dbsession, village, "thu-bao-tang", kind=ExperienceKind.ADMISSION,
                             texts={"vi": "Vé bảo tàng", "en": "Museum ticket"}, opening=(1, 2, 3, 4, 5),
                             cancellation=())
    draft = make_experience(dbsession, village, "thu-nhap", status=PublicationStatus.DRAFT)
    return {"village": village, "workshop": workshop, "museum": museum, "draft": draft}


@pytest.mark.parametrize("locale", LOCALES)
def test_home_lists_experiences_in_the_chosen_language(testapp, catalog, locale):
    response = testapp.get("/", {"lang": locale, "province": "Tỉnh Thử"})
    page = soup(response)
    assert page.html["lang"] == locale
    titles = [a.get_text() for a in page.select(".card__title a")]
    assert titles == (["Vé bảo tàng", "Nặn gốm"] if locale == "vi" else ["Museum ticket", "Throw a pot"])
    assert json_ld(page)[0]["@type"] == "ItemList"


def test_language_choice_is_remembered_and_beats_accept_language(testapp, catalog):
    response = testapp.get("/", {"lang": "fr"})
    assert testapp.cookies["lang"] == "fr"
    assert response.headers["Content-Language"] == "fr"
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    page = soup(testapp.get("/", headers={"Accept-Language": "ko-KR,ko;q=0.9"}))
    assert page.html["lang"] == "fr"


@pytest.mark.parametrize("header, expected", [
    ("ko-KR,ko;q=0.9,en;q=0.5", "ko"), ("ja", "ja"), ("zh-TW,zh;q=0.8", "zh"), ("de-DE", "vi"), ("", "vi"),
    ("%%%garbage;q=x", "vi"),
])
def test_accept_language_then_vietnamese(testapp, header, expected):
    page = soup(testapp.get("/", headers={"Accept-Language": header}))
    assert page.html["lang"] == expected


def test_malformed_language_code_is_ignored(testapp):
    response = testapp.get("/", {"lang": "../../etc/passwd"}, headers={"Accept-Language": "en"})
    assert soup(response).html["lang"] == "en"
    assert "lang" not in testapp.cookies


def test_every_page_has_switcher_and_hreflang_alternates(testapp, catalog):
    for url in ("/", "/villages/lang-thu", "/experiences/thu-gom", "/no-such-page"):
        page = soup(testapp.get(url, {"lang": "en"}, expect_errors=True))
        hreflangs = {link["hreflang"] for link in page.select('link[rel="alternate"]')}
        assert hreflangs == {"vi", "en", "ko", "zh", "ja", "fr", "x-default"}, url
        switcher = page.select("nav.language-switcher a")
        assert [a["lang"] for a in switcher] == ["vi", "en", "ko", "zh", "ja", "fr"]
        assert page.select_one('nav.language-switcher a[aria-current="true"]')["lang"] == "en"


@pytest.mark.parametrize("locale", LOCALES)
def test_village_page(testapp, catalog, locale):
    page = soup(testapp.get("/villages/lang-thu", {"lang": locale}))
    assert page.h1.get_text() == ("Làng Thử" if locale == "vi" else "Test Village")
    cards = [a["href"] for a in page.select(".card__title a")]
    assert cards == ["http://example.com/experiences/thu-bao-tang", "http://example.com/experiences/thu-gom"]
    data = json_ld(page)[0]
    assert "TouristAttraction" in data["@type"] and data["geo"]["latitude"] == 21.0


@pytest.mark.parametrize("locale, price, fallback", [
    ("vi", "350.000 ₫", False), ("en", "₫350,000", False), ("ko", "₫350,000", True),
])
def test_experience_page_shows_prices_policy_and_fallback_notice(testapp, catalog, locale, price, fallback):
    page = soup(testapp.get("/experiences/thu-gom", {"lang": locale}))
    assert price in text(page.select_one("table.prices"))
    assert len(page.select("ul.policy li")) == 3
    notice = page.select_one('p.notice[role="note"]')
    assert (notice is not None) == fallback
    if fallback:
        assert page.h1["lang"] == "en"
    data = json_ld(page)[0]
    assert data["@type"] == "TouristTrip"
    assert data["offers"][0] == {
        "@type": "Offer", "name": data["offers"][0]["name"], "price": 350000, "priceCurrency": "VND",
        "availability": "https://schema.org/InStock", "url": "http://example.com/experiences/thu-gom",
    }


def test_admission_page_shows_opening_hours(testapp, catalog):
    page = soup(testapp.get("/experiences/thu-bao-tang", {"lang": "en"}))
    rows = {text(tr.th): text(tr.td) for tr in page.select("table.hours tr")}
    assert rows["Monday"] == "Closed" and rows["Tuesday"] == "8:00 AM–5:00 PM"
    assert [li.get_text() for li in page.select("ul.policy li")] == ["This ticket cannot be refunded."]
    graph = json_ld(page)[0]["@graph"]
    assert graph[0]["@type"] == "TouristAttraction"
    assert graph[0]["openingHoursSpecification"][0]["dayOfWeek"] == "https://schema.org/Tuesday"
    assert graph[1]["@type"] == "Offer" and graph[1]["itemOffered"] == {"@id": graph[0]["@id"]}


@pytest.mark.parametrize("url", ["/villages/atlantis", "/experiences/nope", "/experiences/thu-nhap",
                                 "/villages/" + "x" * 5000, "/no/such/page"])
def test_unknown_pages_are_friendly_404s(testapp, catalog, url):
    response = testapp.get(url, {"lang": "en"}, status=404)
    page = soup(response)
    assert page.h1.get_text() == "Page not found"
    assert "Traceback" not in response.text


@pytest.mark.parametrize("query", [
    {"date_from": "9999-12-31", "date_to": "9999-12-31"}, {"max_price": "-100"}, {"q": "x" * 10_000},
    {"page": "-1"}, {"province": "\x00"}, {"date_from": "0000-00-00"}, {"kind": "' OR 1=1 --"},
])
def test_absurd_filters_give_a_normal_page(testapp, catalog, query):
    response = testapp.get("/", dict(query, lang="en"), status=200)
    assert soup(response).select_one("#results-title") is not None


def test_bad_filter_is_explained_in_the_visitors_language(testapp, catalog):
    page = soup(testapp.get("/", {"max_price": "-100", "lang": "vi"}))
    alert = page.select_one('[role="alert"]').get_text(" ", strip=True)
    assert "500000" in alert  # the example in the message


def test_unfiltered_home_shows_the_villages(testapp, catalog):
    page = soup(testapp.get("/", {"lang": "en"}))
    names = [a.get_text() for a in page.select(".cards--villages .card__title a")]
    assert "Test Village" in names and "Bát Tràng Pottery Village" in names
    assert soup(testapp.get("/", {"lang": "en", "craft": "tea"})).select(".cards--villages") == []
