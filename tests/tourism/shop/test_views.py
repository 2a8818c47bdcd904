"""The shop's public pages through WebTest: product, traceability, panels, in vi, en and ko."""
import json

import pytest
from bs4 import BeautifulSoup

from tests.factories import make_experience, make_village
from tests.tourism.shop.factories import add_batch, add_store_link, link, make_product
from tourism.catalog.models import PublicationStatus
from tourism.shop.models import Marketplace

LOCALES = ("vi", "en", "ko")
PRICE = {"vi": "250.000 ₫/hộp", "en": "₫250,000 / box", "ko": "상자당 ₫250,000"}
OCOP = {"vi": "OCOP 4 sao", "en": "OCOP 4 stars", "ko": "OCOP 4성"}
REASON = {"vi": "Chè bạn sẽ hái", "en": "The tea you will pick", "ko": "직접 따게 될 차"}


def soup(response):
    return BeautifulSoup(response.text, "html.parser")


def text(element) -> str:
    """Visible text, Babel's no-break spaces read as spaces and runs of white space as one."""
    return " ".join(element.get_text().replace("\xa0", " ").replace("\u202f", " ").split())


def json_ld(page) -> list:
    return [json.loads(tag.string) for tag in page.find_all("script", type="application/ld+json")]


@pytest.fixture
def shop(dbsession):
    village = make_village(dbsession, slug="lang-che", texts={"vi": "Làng Chè", "en": "Tea Village"})
    morning = make_experience(dbsession, village, "thu-hai-che", craft="tea",
                              texts={"vi": "Hái chè", "en": "Pick tea", "ko": "찻잎 따기"})
    tea = make_product(dbsession, village, "thu-tra-moc-cau", ocop_stars=4, stock=12,
                       certifications=["VietGAP"], producer="Hợp tác xã Chè Thử",
                       texts={"vi": "Trà móc câu thử", "en": "Test fish-hook tea", "ko": "목꺼우 녹차"})
    sold_out = make_product(dbsession, village, "thu-tra-het", position=1, stock=0, price=90000,
                            texts={"vi": "Trà hết hàng", "en": "Sold-out tea"})
    draft = make_product(dbsession, village, "thu-tra-nhap", position=2, status=PublicationStatus.DRAFT,
                         texts={"vi": "Trà nháp", "en": "Draft tea"})
    add_store_link(dbsession, tea, Marketplace.SHOPEE, "https://shopee.vn/thu-example", position=0)
    add_store_link(dbsession, tea, Marketplace.OWN_SITE, "https://che.example.vn/thu", position=1)
    from datetime import date
    batch = add_batch(dbsession, tea, "THUMC2A3", date(2026, 4, 14),
                      notes={"vi": "Hái ngày 12–14/4, sao tay.", "en": "Picked 12–14 April, roasted by hand."})
    link(dbsession, morning, tea, REASON)
    link(dbsession, morning, draft, position=1)
    dbsession.expire_all()
    return {"village": village, "morning": morning, "tea": tea, "sold_out": sold_out, "draft": draft,
            "batch": batch}


@pytest.mark.parametrize("locale", LOCALES)
def test_product_page_shows_price_ocop_stock_facts_and_links(testapp, shop, locale):
    page = soup(testapp.get(f"/products/thu-tra-moc-cau?lang={locale}"))
    title = page.find("h1")
    name = {"vi": "Trà móc câu thử", "en": "Test fish-hook tea", "ko": "목꺼우 녹차"}[locale]
    assert text(title) == name and title["lang"] == locale
    body = text(page.find("main"))
    assert PRICE[locale] in body
    assert OCOP[locale] in body
    assert {"vi": "Còn hàng", "en": "In stock", "ko": "재고 있음"}[locale] in body
    assert "Hợp tác xã Chè Thử" in body and "VietGAP" in body
    # The stars are drawn for the eye only: the words say it.
    assert all(star.get("aria-hidden") == "true" for star in page.select(".ocop__stars"))
    # The batch links to its traceability page; the experience to its page, with the reason.
    assert page.find("a", href="http://example.com/t/THUMC2A3")
    experience = page.find("a", href="http://example.com/experiences/thu-hai-che")
    assert experience is not None and REASON[locale] in text(experience.parent)


@pytest.mark.parametrize("locale", LOCALES)
def test_store_links_are_labelled_and_leave_the_site_safely(testapp, shop, locale):
    page = soup(testapp.get(f"/products/thu-tra-moc-cau?lang={locale}"))
    links = page.select(".store-links a")
    assert [a["href"] for a in links] == ["https://shopee.vn/thu-example", "https://che.example.vn/thu"]
    assert all("noopener" in a["rel"] for a in links)
    assert text(links[0]).startswith("Shopee")
    own_site = {"vi": "Cửa hàng riêng của làng", "en": "The village's own shop", "ko": "마을 자체 온라인 상점"}[locale]
    assert text(links[1]).startswith(own_site)
    note = {"vi": "trang web khác", "en": "another website", "ko": "다른 웹사이트"}[locale]
    assert all(note in text(a) for a in links)


@pytest.mark.parametrize("locale", LOCALES)
def test_product_page_describes_a_product_and_its_offer_in_json_ld(testapp, shop, locale):
    page = soup(testapp.get(f"/products/thu-tra-moc-cau?lang={locale}"))
    (product,) = [d for d in json_ld(page) if d.get("@type") == "Product"]
    assert product["name"] == text(page.find("h1"))
    assert product["brand"]["name"] == "Hợp tác xã Chè Thử"
    offer = product["offers"]
    assert offer["@type"] == "Offer"
    assert (offer["price"], offer["priceCurrency"]) == (250000, "VND")
    assert offer["availability"] == "https://schema.org/InStock"
    assert offer["url"] == "http://example.com/products/thu-tra-moc-cau"
    assert product["award"] == OCOP[locale]


def test_a_sold_out_product_says_so_on_the_page_and_in_its_offer(testapp, shop):
    page = soup(testapp.get("/products/thu-tra-het?lang=en"))
    assert "Out of stock" in text(page.find("main"))
    (product,) = [d for d in json_ld(page) if d.get("@type") == "Product"]
    assert product["offers"]["availability"] == "https://schema.org/OutOfStock"
    assert "award" not in product and not page.select(".ocop")


def test_a_draft_or_unknown_product_is_not_found(testapp, shop):
    testapp.get("/products/thu-tra-nhap", status=404)
    testapp.get("/products/no-such-product", status=404)


def test_product_text_missing_in_korean_falls_back_to_english_with_its_language_marked(testapp, shop):
    page = soup(testapp.get("/products/thu-tra-het?lang=ko"))
    title = page.find("h1")
    assert text(title) == "Sold-out tea" and title["lang"] == "en"
    assert page.find(class_="notice")


@pytest.mark.parametrize("locale", LOCALES)
def test_experience_page_shows_its_published_products_with_the_reason(testapp, shop, locale):
    page = soup(testapp.get(f"/experiences/thu-hai-che?lang={locale}"))
    panel = page.find("section", class_="shop-panel")
    names = [a["href"] for a in panel.select(".card__title a")]
    assert names == ["http://example.com/products/thu-tra-moc-cau"]  # the draft stays out
    reason = panel.select_one(".card__reason")
    assert text(reason) == REASON[locale] and reason["lang"] == locale
    assert PRICE[locale] in text(panel)


def test_experience_without_products_shows_no_panel(testapp, shop, dbsession):
    make_experience(dbsession, shop["village"], "thu-khong-san-pham")
    page = soup(testapp.get("/experiences/thu-khong-san-pham?lang=en"))
    assert page.find("section", class_="shop-panel") is None


@pytest.mark.parametrize("locale", LOCALES)
def test_village_page_lists_its_published_products_in_order(testapp, shop, locale):
    page = soup(testapp.get(f"/villages/lang-che?lang={locale}"))
    panel = page.find("section", class_="shop-panel")
    assert [a["href"].rsplit("/", 1)[1] for a in panel.select(".card__title a")] == ["thu-tra-moc-cau", "thu-tra-het"]
    assert panel.find("h2")


@pytest.mark.parametrize("locale", LOCALES)
def test_traceability_page_tells_who_where_when_how(testapp, shop, locale):
    response = testapp.get(f"/t/THUMC2A3?lang={locale}")
    page = soup(response)
    body = text(page.find("main"))
    assert "THUMC2A3" in body
    assert "Hợp tác xã Chè Thử" in body and "Xã Thử, Tỉnh Thử" in body and "VietGAP" in body
    made_on = {"vi": "14 tháng 4, 2026", "en": "April 14, 2026", "ko": "2026년 4월 14일"}[locale]
    assert made_on in body
    assert OCOP[locale] in body
    notes = page.find(lang=True, string=lambda s: s and "12–14" in s)
    expected_notes_locale = "en" if locale == "ko" else locale  # no Korean notes: English instead
    assert notes["lang"] == expected_notes_locale
    assert page.find("a", href="http://example.com/experiences/thu-hai-che")
    assert page.find("a", href="http://example.com/villages/lang-che")
    assert page.find("a", href="http://example.com/products/thu-tra-moc-cau")


def test_a_code_in_lower_case_redirects_to_upper_case(testapp, shop):
    response = testapp.get("/t/thumc2a3?lang=ko", status=301)
    assert response.location == "http://example.com/t/THUMC2A3?lang=ko"


@pytest.mark.parametrize("locale", LOCALES)
def test_an_unknown_code_gets_a_friendly_404(testapp, shop, locale):
    response = testapp.get(f"/t/NOPE99?lang={locale}", status=404)
    page = soup(response)
    assert "NOPE99" in text(page.find("main"))
    assert page.find("a", href="http://example.com/")
    assert response.headers["Cache-Control"] == "no-store"
    testapp.get("/t/nope99", status=404)  # lower case of nothing: no redirect


def test_a_batch_of_a_draft_product_is_not_found(testapp, shop, dbsession):
    add_batch(dbsession, shop["draft"], "THUDR4F7")
    testapp.get("/t/THUDR4F7", status=404)


def test_demo_traceability_page_in_korean(testapp):
    page = soup(testapp.get("/t/TCMC26A3?lang=ko"))
    assert text(page.find("h1")) == "떤끄엉 목꺼우 녹차, 200g 상자"
    assert page.find("a", href="http://example.com/experiences/tan-cuong-tea-morning")


@pytest.mark.parametrize("path", ["/t/THUMC2A3", "/products/thu-tra-moc-cau"])
def test_vietnamese_facts_are_marked_vietnamese_on_a_korean_page(testapp, shop, path):
    """Producer, origin and certifications are written once, in Vietnamese (WCAG 3.1.2)."""
    page = soup(testapp.get(f"{path}?lang=ko"))
    for fact in ("Hợp tác xã Chè Thử", "Xã Thử, Tỉnh Thử", "VietGAP"):
        assert page.find(string=fact).parent["lang"] == "vi", fact


def test_vietnamese_facts_need_no_mark_on_a_vietnamese_page(testapp, shop):
    page = soup(testapp.get("/t/THUMC2A3?lang=vi"))
    assert page.find("html")["lang"] == "vi"
    assert not page.find(string="Hợp tác xã Chè Thử").parent.has_attr("lang")


def test_batch_notes_shown_in_another_language_say_which(testapp, shop, dbsession):
    add_batch(dbsession, shop["tea"], "THUVN4K7", notes={"vi": "Chỉ có ghi chú tiếng Việt."})
    page = soup(testapp.get("/t/THUVN4K7?lang=ko"))
    notes = page.find(string="Chỉ có ghi chú tiếng Việt.").parent
    assert notes["lang"] == "vi"
    assert page.find(class_="notice", role="note")  # and the page says it is not in Korean


def test_demo_batch_in_korean_marks_its_korean_notes_and_vietnamese_producer(testapp):
    page = soup(testapp.get("/t/TCMC26B7?lang=ko"))
    assert page.find("dd", string="Hợp tác xã Chè Tân Cương")["lang"] == "vi"
    notes = page.find(lang=True, string=lambda s: s and "홍타이" in s)
    assert notes["lang"] == "ko" and not page.find(class_="notice", role="note")
