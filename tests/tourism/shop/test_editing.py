"""The operator's changes to products, without HTTP: every bad input is named and then nothing
changes (rows counted before and after); store links are web pages only; a product is shown
only on its own village's experiences; stock changes are one conditional UPDATE that never
goes below zero, even racing real bookings (with a negative control); pictures are checked
before anything is stored."""
import io
import os
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.concurrency import all_at_once, committed, guard_switched_off
from tests.conftest import stored_files
from tests.factories import contact, make_experience, make_session, make_village
from tests.tourism.shop.factories import committed_tea_session, add_store_link, link, make_product
from tourism.booking import services as booking_services
from tourism.booking.models import Booking, BookingProductLine, BookingStatus, Fulfilment
from tourism.catalog.demo import DemoDataError
from tourism.catalog.models import PublicationStatus
from tourism.media import MediaStore
from tourism.scheduling.models import ExperienceSession
from tourism.shop import checkout, demo, editing
from tourism.shop.editing import InvalidInput
from tourism.shop.models import ExperienceProduct, Marketplace, Product, ProductImage, ProductText, StoreLink, Unit

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)


def message(error: InvalidInput, field: str) -> str:
    return error.errors[field].interpolate()


def count(dbsession, model) -> int:
    return dbsession.scalar(select(func.count()).select_from(model))


def counts(dbsession) -> tuple:
    return tuple(count(dbsession, model) for model in (Product, ProductText, StoreLink, ExperienceProduct,
                                                       ProductImage))


def picture(kind="PNG", size=(640, 480), colour=(120, 90, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


def noise_png(side: int) -> bytes:
    """A PNG that does not compress: random pixels weigh about 3 bytes each."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def store(tmp_path):
    return MediaStore(tmp_path / "media")


@pytest.fixture
def village(dbsession):
    return make_village(dbsession, slug="lang-san-pham", texts={"vi": "Làng Sản Phẩm", "en": "Product Village"})


@pytest.fixture
def other_village(dbsession):
    return make_village(dbsession, slug="lang-khac", texts={"vi": "Làng Khác", "en": "Other Village"})


@pytest.fixture
def tea(dbsession, village):
    return make_product(dbsession, village, "che-san-pham", stock=10, texts={"vi": "Chè thử", "en": "Test tea"})


def product_form(village, **fields) -> dict:
    form = {"village": str(village.id), "slug": "tra-moi", "name-vi": "Trà mới", "name-en": "New tea",
            "description-vi": "Trà sao tay.", "price": "250.000", "unit": "box", "ocop_stars": "4",
            "producer": "Hợp tác xã Chè Thử", "origin": "Xã Thử, Thái Nguyên", "certifications": "VietGAP\nOCOP 4 sao",
            "status": "published"}
    form.update(fields)
    return form


def create(dbsession, village, villages=None, **fields) -> Product:
    return editing.create_product(dbsession, product_form(village, **fields), villages=villages or [village])


# --- a new product -------------------------------------------------------------------------------

def test_a_new_product_is_a_draft_with_no_stock_last_in_its_village(dbsession, village, tea):
    product = create(dbsession, village, **{"name-en": "  New   tea ", "description-en": "Green\r\ntea"})
    assert (product.slug, product.village_id, product.status, product.stock) == (
        "tra-moi", village.id, PublicationStatus.DRAFT, 0)
    assert (product.price, product.unit, product.ocop_stars, product.currency) == (250000, Unit.BOX, 4, "VND")
    assert product.certifications == ["VietGAP", "OCOP 4 sao"] and product.position == tea.position + 1
    texts = {t.locale: (t.name, t.description) for t in product.texts}
    assert texts == {"vi": ("Trà mới", "Trà sao tay."), "en": ("New tea", "Green\ntea")}


def test_every_missing_or_wrong_field_is_named_at_once_and_nothing_is_added(dbsession, village, other_village):
    before = counts(dbsession)
    form = {"village": str(other_village.id), "slug": "Trà Mới", "name-en": "Only English", "price": "-5",
            "unit": "barrel", "ocop_stars": "2", "producer": "", "certifications": "x" * 61}
    with pytest.raises(InvalidInput) as refused:
        editing.create_product(dbsession, form, villages=[village])
    assert set(refused.value.errors) == {"village", "slug", "name-vi", "price", "unit", "ocop_stars", "producer",
                                         "certifications"}
    assert "Choose the village" in message(refused.value, "village")
    assert "Vietnamese" in message(refused.value, "name-vi")
    assert counts(dbsession) == before


@pytest.mark.parametrize("typed, price", [
    ("250000", 250000), ("250.000", 250000), ("250,000", 250000), ("250 000", 250000), ("250.000 ₫", 250000),
    ("250000đ", 250000), ("1.250.000 VND", 1250000), ("100000000", editing.MAX_PRICE), ("1", 1),
])
def test_prices_are_whole_dong_as_people_type_them(dbsession, village, typed, price):
    assert create(dbsession, village, price=typed).price == price


@pytest.mark.parametrize("typed, words", [
    ("", "Give the price"), ("-250000", "more than 0"), ("0", "more than 0"), ("-1", "more than 0"),
    ("100000001", "at most 100000000"), ("1000000000000", "at most 100000000"),
    ("99999999999999999999", "whole number"), ("12,5", "whole number"), ("250.5", "whole number"),
    ("abc", "whole number"), ("1e6", "whole number"), ("٢٥٠", "whole number"),
])
def test_negative_zero_huge_or_odd_prices_are_refused_and_nothing_is_added(dbsession, village, typed, words):
    before = counts(dbsession)
    with pytest.raises(InvalidInput) as refused:
        create(dbsession, village, price=typed)
    assert words in message(refused.value, "price") and list(refused.value.errors) == ["price"]
    assert counts(dbsession) == before


@pytest.mark.parametrize("typed, stars", [("", None), ("3", 3), (" 5 ", 5)])
def test_ocop_stars_are_empty_or_three_to_five(dbsession, village, typed, stars):
    assert create(dbsession, village, ocop_stars=typed).ocop_stars == stars


@pytest.mark.parametrize("typed", ["0", "2", "6", "4.5", "four", "-4", "44"])
def test_other_ocop_ratings_are_refused(dbsession, village, typed):
    with pytest.raises(InvalidInput) as refused:
        create(dbsession, village, ocop_stars=typed)
    assert "3, 4 or 5 stars" in message(refused.value, "ocop_stars")


def test_certifications_one_per_line_or_comma_separated_each_once(dbsession, village):
    product = create(dbsession, village, certifications=" VietGAP ,  OCOP  4 sao\n\nVietGAP; Hữu cơ\r\n")
    assert product.certifications == ["VietGAP", "OCOP 4 sao", "Hữu cơ"]
    assert create(dbsession, village, slug="khong-chung-nhan", certifications="").certifications == []


@pytest.mark.parametrize("typed, words", [
    ("VietGAP\n" + "a" * 61, "at most 60 characters"),
    (", ".join(f"Chứng nhận {n}" for n in range(11)), "At most 10 certifications"),
])
def test_long_or_too_many_certifications_are_refused(dbsession, village, typed, words):
    with pytest.raises(InvalidInput) as refused:
        create(dbsession, village, certifications=typed)
    assert words in message(refused.value, "certifications")


@pytest.mark.parametrize("slug, words", [
    ("", "web address name"), ("che-san-pham", "Another product"), ("tra--moi", "small letters"),
    ("-tra", "small letters"), ("tra_moi", "small letters"), ("a" * 81, "at most 80"), ("trà", "small letters"),
])
def test_slugs_are_plain_lowercase_words_and_unique(dbsession, village, tea, slug, words):
    with pytest.raises(InvalidInput) as refused:
        create(dbsession, village, slug=slug)
    assert words in message(refused.value, "slug")


def test_a_slug_taken_in_the_same_instant_is_refused_like_a_taken_one(dbsession, village, tea, monkeypatch):
    monkeypatch.setattr(editing, "read_slug", lambda dbsession, form, problems, product=None: form["slug"])
    before = counts(dbsession)
    with pytest.raises(InvalidInput) as refused:
        create(dbsession, village, slug="che-san-pham")
    assert "Another product" in message(refused.value, "slug")
    assert counts(dbsession) == before  # and the session goes on working


def test_text_limits_and_a_language_without_a_name(dbsession, village):
    with pytest.raises(InvalidInput) as refused:
        create(dbsession, village, **{"name-ko": "", "description-ko": "설명만", "name-fr": "x" * 201})
    assert "this language too" in message(refused.value, "name-ko")
    assert "At most 200 characters" in message(refused.value, "name-fr")


# --- editing a product ---------------------------------------------------------------------------

def edit_form(product, **fields) -> dict:
    form = {"village": str(product.village_id), "slug": product.slug, "name-vi": "Chè thử", "name-en": "Test tea",
            "price": str(product.price), "unit": product.unit.value, "ocop_stars": "",
            "producer": product.producer, "origin": product.origin, "certifications": "", "status": "published"}
    form.update(fields)
    return form


def test_saving_changes_every_detail_and_drops_an_emptied_language(dbsession, village, tea):
    removed = editing.save_product(dbsession, tea, edit_form(tea, slug="che-moi", price="180.000", unit="kg",
                                                            ocop_stars="5", status="draft", certifications="VietGAP",
                                                            **{"name-en": "", "name-ko": "새 차"}),
                                   villages=[village])
    dbsession.expire_all()
    assert removed == 0
    assert (tea.slug, tea.price, tea.unit, tea.ocop_stars, tea.status) == (
        "che-moi", 180000, Unit.KG, 5, PublicationStatus.DRAFT)
    assert {t.locale: t.name for t in tea.texts} == {"vi": "Chè thử", "ko": "새 차"}
    # Its own slug is not "taken".
    editing.save_product(dbsession, tea, edit_form(tea), villages=[village])


def test_a_refused_edit_changes_nothing(dbsession, village, tea):
    before = (tea.price, tea.slug, {t.locale: t.name for t in tea.texts})
    with pytest.raises(InvalidInput) as refused:
        editing.save_product(dbsession, tea, edit_form(tea, price="1000000000", slug="moi-han",
                                                       **{"name-vi": "Tên mới"}), villages=[village])
    assert "at most 100000000" in message(refused.value, "price")
    dbsession.expire_all()
    assert (tea.price, tea.slug, {t.locale: t.name for t in tea.texts}) == before


def test_moving_to_another_village_leaves_the_old_villages_experiences(dbsession, village, other_village, tea):
    link(dbsession, make_experience(dbsession, village, "hai-che-cu"), tea)
    removed = editing.save_product(dbsession, tea, edit_form(tea, village=str(other_village.id)),
                                   villages=[village, other_village])
    assert removed == 1 and tea.village_id == other_village.id
    assert editing.current_links(dbsession, tea.id) == []


def test_a_village_outside_the_persons_is_refused(dbsession, village, other_village, tea):
    with pytest.raises(InvalidInput) as refused:
        editing.save_product(dbsession, tea, edit_form(tea, village=str(other_village.id)), villages=[village])
    assert list(refused.value.errors) == ["village"]
    dbsession.expire_all()
    assert tea.village_id == village.id


# --- store links ---------------------------------------------------------------------------------

def stores(*rows) -> dict:
    form = {}
    for row, (marketplace, url) in enumerate(rows):
        form[f"store-{row}-marketplace"], form[f"store-{row}-url"] = marketplace, url
    return form


def saved_links(dbsession, product) -> list[tuple]:
    dbsession.expire_all()
    return [(link.marketplace, link.url, link.position) for link in product.store_links]


def test_store_links_are_saved_in_order_and_an_emptied_row_removes_one(dbsession, tea):
    add_store_link(dbsession, tea, Marketplace.SHOPEE, "https://shopee.vn/old-example")
    shopee_id = tea.store_links[0].id
    editing.save_store_links(dbsession, tea, stores(("etsy", " https://www.etsy.com/listing/1-example "),
                                                    ("shopee", "http://shopee.vn/new-example"), ("", ""),
                                                    ("lazada", "")))
    assert saved_links(dbsession, tea) == [(Marketplace.ETSY, "https://www.etsy.com/listing/1-example", 0),
                                           (Marketplace.SHOPEE, "http://shopee.vn/new-example", 1)]
    assert tea.store_links[1].id == shopee_id  # updated in place
    editing.save_store_links(dbsession, tea, stores(("shopee", "https://shopee.vn/new-example"), ("etsy", "")))
    assert saved_links(dbsession, tea) == [(Marketplace.SHOPEE, "https://shopee.vn/new-example", 0)]


BAD_URLS = [
    ("javascript:alert(document.cookie)", "Only web pages"),
    ("JavaScript:alert(1)", "Only web pages"),
    ("data:text/html,<script>alert(1)</script>", "Only web pages"),
    ("ftp://files.example.vn/tea.zip", "Only web pages"),
    ("mailto:shop@example.vn", "Only web pages"),
    ("/products/tra-moc-cau", "whole address"),
    ("shopee.vn/htx-che", "whole address"),
    ("//shopee.vn/htx-che", "whole address"),
    ("https://", "no site name"),
    ("https:///htx-che", "no site name"),
    ("http://localhost/shop", "not a site name"),
    ("https://shopee/htx", "not a site name"),
    ("https://shop ee.vn/htx", "no spaces"),
    ("https://shopee.vn/htx\u0000", "no spaces"),
    ("https://shopee.vn@evil.example/htx", "“@”"),
    ("https://shopee.vn:port/htx", "not a web address"),
    ("https://shopee.vn/" + "a" * 500, "at most 500 characters"),
]


@pytest.mark.parametrize("url, words", BAD_URLS, ids=[u[0][:30] for u in BAD_URLS])
def test_a_store_link_that_is_not_a_web_page_is_refused_and_nothing_changes(dbsession, tea, url, words):
    add_store_link(dbsession, tea, Marketplace.SHOPEE, "https://shopee.vn/old-example")
    before = (counts(dbsession), saved_links(dbsession, tea))
    with pytest.raises(InvalidInput) as refused:
        editing.save_store_links(dbsession, tea, stores(("etsy", "https://www.etsy.com/ok-example"),
                                                        ("tiktok_shop", url)))
    assert words in message(refused.value, "store-1-url") and list(refused.value.errors) == ["store-1-url"]
    assert (counts(dbsession), saved_links(dbsession, tea)) == before


@pytest.mark.parametrize("url", ["https://shopee.vn/htx-che-tan-cuong-example", "http://chetancuong.vn",
                                 "https://www.tiktok.com/@htx-che?lang=vi#top", "https://chè.việt.vn/trà",
                                 "https://shop.xn--p1ai/x", "HTTPS://SHOPEE.VN/A", "https://shopee.vn:8443/a"])
def test_absolute_web_addresses_are_accepted(url):
    assert editing.store_url_problem(url) is None


def test_an_unknown_or_repeated_store_is_refused(dbsession, tea):
    before = counts(dbsession)
    with pytest.raises(InvalidInput) as refused:
        editing.save_store_links(dbsession, tea, stores(("ebay", "https://ebay.com/x"),
                                                        ("shopee", "https://shopee.vn/a"),
                                                        ("shopee", "https://shopee.vn/b"),
                                                        ("", "https://lazada.vn/c")))
    assert set(refused.value.errors) == {"store-0-marketplace", "store-2-marketplace", "store-3-marketplace"}
    assert "chosen twice" in message(refused.value, "store-2-marketplace")
    assert "Choose the store" in message(refused.value, "store-3-marketplace")
    assert counts(dbsession) == before


def test_the_demo_loader_uses_the_same_check(monkeypatch):
    where = "product 'x'"
    good = [{"marketplace": "shopee", "url": "https://shopee.vn/example"}]
    assert list(demo._store_links(good, where)) == [Marketplace.SHOPEE]
    for url in ("javascript:alert(1)", "ftp://example.vn/x", "/relative", "https://"):
        with pytest.raises(DemoDataError, match="store_links"):
            demo._store_links([{"marketplace": "shopee", "url": url}], where)
    calls = []
    monkeypatch.setattr(demo, "store_url_problem", lambda url: calls.append(url))
    demo._store_links(good, where)
    assert calls == ["https://shopee.vn/example"]


# --- experiences -----------------------------------------------------------------------------------

def test_a_product_is_shown_on_its_own_villages_experiences_with_why(dbsession, village, tea):
    morning = make_experience(dbsession, village, "hai-che-sang")
    tasting = make_experience(dbsession, village, "thu-che")
    form = {f"reason-{morning.id}-vi": "Chè bạn sẽ hái", f"reason-{morning.id}-en": " The tea  you will pick ",
            f"reason-{tasting.id}-vi": "Chè bạn sẽ uống"}
    editing.save_experience_links(dbsession, tea, form, [str(tasting.id), str(morning.id), str(morning.id)])
    links = {link.experience_id: link.reason for link in editing.current_links(dbsession, tea.id)}
    assert links == {morning.id: {"vi": "Chè bạn sẽ hái", "en": "The tea you will pick"},
                     tasting.id: {"vi": "Chè bạn sẽ uống"}}
    # Unticked: no longer shown there.
    editing.save_experience_links(dbsession, tea, form, [str(tasting.id)])
    assert [link.experience_id for link in editing.current_links(dbsession, tea.id)] == [tasting.id]


def test_another_villages_experience_is_refused_and_nothing_changes(dbsession, village, other_village, tea):
    own = make_experience(dbsession, village, "hai-che-sang")
    elsewhere = make_experience(dbsession, other_village, "lam-gom-khac")
    link(dbsession, own, tea)
    before = counts(dbsession)
    for chosen in ([str(own.id), str(elsewhere.id)], ["abc"], ["99999999999"], [str(own.id), "-1"]):
        form = {f"reason-{own.id}-vi": "Lý do", f"reason-{elsewhere.id}-vi": "Lý do"}
        with pytest.raises(InvalidInput) as refused:
            editing.save_experience_links(dbsession, tea, form, chosen)
        assert "only on its own village's experiences" in message(refused.value, "experiences")
        assert counts(dbsession) == before
    assert [link.reason for link in editing.current_links(dbsession, tea.id)] == [
        {"vi": "Chè bạn sẽ hái", "en": "The tea you will pick"}]


def test_a_ticked_experience_needs_its_reason_in_vietnamese(dbsession, village, tea):
    morning = make_experience(dbsession, village, "hai-che-sang")
    with pytest.raises(InvalidInput) as refused:
        editing.save_experience_links(dbsession, tea, {f"reason-{morning.id}-en": "The tea you will pick",
                                                       f"reason-{morning.id}-ko": "차" * 201}, [str(morning.id)])
    assert set(refused.value.errors) == {f"reason-{morning.id}-vi", f"reason-{morning.id}-ko"}
    assert editing.current_links(dbsession, tea.id) == []


# --- stock -------------------------------------------------------------------------------------------

def test_units_in_and_out_change_the_stock(dbsession, tea):
    assert editing.adjust_stock(dbsession, tea, {"quantity": "1.000", "direction": "add"}) == \
        editing.StockChange(1000, 1010)
    assert editing.adjust_stock(dbsession, tea, {"quantity": " 10 ", "direction": "remove"}).stock == 1000
    assert tea.stock == 1000  # the loaded product is refreshed


def test_taking_out_more_than_is_left_says_how_many_and_changes_nothing(dbsession, tea):
    with pytest.raises(InvalidInput) as refused:
        editing.adjust_stock(dbsession, tea, {"quantity": "11", "direction": "remove"})
    assert message(refused.value, "quantity").startswith("Only 10 left in stock: 11 cannot be taken out.")
    assert editing.adjust_stock(dbsession, tea, {"quantity": "10", "direction": "remove"}).stock == 0
    with pytest.raises(InvalidInput) as refused:
        editing.adjust_stock(dbsession, tea, {"quantity": "1", "direction": "remove"})
    assert message(refused.value, "quantity").startswith("Only 0 left")
    dbsession.expire_all()
    assert tea.stock == 0


@pytest.mark.parametrize("form, field, words", [
    ({"quantity": "", "direction": "add"}, "quantity", "how many units"),
    ({"quantity": "0", "direction": "add"}, "quantity", "more than 0"),
    ({"quantity": "-5", "direction": "add"}, "quantity", "more than 0"),
    ({"quantity": "2.5", "direction": "remove"}, "quantity", "whole number"),
    ({"quantity": "10001", "direction": "add"}, "quantity", "At most 10000"),
    ({"quantity": "5", "direction": ""}, "direction", "came in or went out"),
    ({"quantity": "5", "direction": "set"}, "direction", "came in or went out"),
    ({"quantity": "5", "stock": "500"}, "direction", "came in or went out"),
])
def test_wrong_stock_changes_are_refused(dbsession, tea, form, field, words):
    with pytest.raises(InvalidInput) as refused:
        editing.adjust_stock(dbsession, tea, form)
    assert words in message(refused.value, field)
    dbsession.expire_all()
    assert tea.stock == 10


def test_the_stock_has_a_ceiling(dbsession, tea):
    tea.stock = editing.MAX_STOCK - 5
    dbsession.flush()
    with pytest.raises(InvalidInput) as refused:
        editing.adjust_stock(dbsession, tea, {"quantity": "6", "direction": "add"})
    assert "at most 1000000 units" in message(refused.value, "quantity")


def add_booking(dbsession, experience, product, quantity, status, handed_over=False, reference="REFTEST1"):
    session = dbsession.scalar(select(ExperienceSession).where(ExperienceSession.experience_id == experience.id)) \
        or make_session(dbsession, experience, NOW + timedelta(days=3))
    booking = Booking(reference=reference, experience_id=experience.id, session_id=session.id, status=status,
                      seats=1, total_amount=quantity * product.price, currency="VND", contact_name="Lan",
                      contact_email="lan@example.com", contact_phone="0912345678", contact_country="VN",
                      locale="vi", fulfilment=Fulfilment.PICKUP)
    booking.product_lines = [BookingProductLine(product_id=product.id, quantity=quantity, unit_price=product.price,
                                                handed_over_at=NOW if handed_over else None)]
    dbsession.add(booking)
    dbsession.flush()
    return booking


def test_commitments_count_units_held_and_sold_but_not_handed_over(dbsession, village, tea):
    experience = make_experience(dbsession, village, "hai-che-sang")
    assert editing.stock_commitments(dbsession, tea.id) == editing.Commitments(0, 0)
    add_booking(dbsession, experience, tea, 2, BookingStatus.HELD, reference="REFHELD1")
    add_booking(dbsession, experience, tea, 3, BookingStatus.HELD, reference="REFHELD2")
    add_booking(dbsession, experience, tea, 4, BookingStatus.CONFIRMED, reference="REFPAID1")
    add_booking(dbsession, experience, tea, 7, BookingStatus.CONFIRMED, handed_over=True, reference="REFGONE1")
    add_booking(dbsession, experience, tea, 9, BookingStatus.CANCELLED, reference="REFCANC1")
    add_booking(dbsession, experience, tea, 8, BookingStatus.EXPIRED, reference="REFEXPI1")
    assert editing.stock_commitments(dbsession, tea.id) == editing.Commitments(held=5, to_hand_over=4)


# --- pictures ----------------------------------------------------------------------------------------

ALT = {"alt-vi": "Hộp trà trên bàn gỗ", "alt-en": "A box of tea on a wooden table"}

BAD_PICTURES = [
    ("text", "Không phải ảnh".encode() * 20, "not a picture we can read"),
    ("cut short", picture("JPEG")[:300], "not a picture we can read"),
    ("gif", picture("GIF"), "PNG, JPEG or WebP"),
    ("too small", picture(size=(150, 600)), "at least 200 and at most 4000 pixels"),
    ("too wide", picture(size=(4100, 300)), "at least 200 and at most 4000 pixels"),
    ("empty", b"", "Choose a picture"),
]


@pytest.mark.parametrize("kind, extension", [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_a_picture_is_stored_in_the_media_store_with_its_size_and_texts(dbsession, store, tea, kind, extension):
    image = editing.add_image(dbsession, store, tea, ALT, picture(kind))
    assert image.path.startswith("media/") and image.path.endswith(f".{extension}")
    assert stored_files(store) == [image.path.removeprefix("media/")]
    assert (image.width, image.height, image.position) == (640, 480, 0)
    assert image.alt == {"vi": "Hộp trà trên bàn gỗ", "en": "A box of tea on a wooden table"}
    assert [i.id for i in tea.images] == [image.id]


@pytest.mark.parametrize("name, data, words", BAD_PICTURES, ids=[p[0] for p in BAD_PICTURES])
def test_a_bad_picture_is_refused_and_nothing_is_stored(dbsession, store, tea, name, data, words):
    before = counts(dbsession)
    with pytest.raises(InvalidInput) as refused:
        editing.add_image(dbsession, store, tea, ALT, data)
    assert words in message(refused.value, "image") and list(refused.value.errors) == ["image"]
    assert counts(dbsession) == before and stored_files(store) == []


def test_a_picture_over_2_mb_is_refused(dbsession, store, tea):
    heavy = noise_png(900)
    assert len(heavy) > editing.IMAGE_MAX_BYTES
    with pytest.raises(InvalidInput) as refused:
        editing.add_image(dbsession, store, tea, ALT, heavy)
    assert "over 2 MB" in message(refused.value, "image") and stored_files(store) == []


def test_a_picture_needs_its_description_in_vietnamese(dbsession, store, tea):
    before = counts(dbsession)
    with pytest.raises(InvalidInput) as refused:
        editing.add_image(dbsession, store, tea, {"alt-en": "Tea", "alt-fr": "x" * 301}, picture())
    assert set(refused.value.errors) == {"alt-vi", "alt-fr"}
    assert counts(dbsession) == before and stored_files(store) == []


def test_pictures_are_described_ordered_and_removed(dbsession, store, tea, monkeypatch):
    first, second, third = (editing.add_image(dbsession, store, tea, ALT, picture(colour=(c, c, c)))
                            for c in (10, 20, 30))
    assert [i.position for i in (first, second, third)] == [0, 1, 2]
    editing.save_image(dbsession, second, {"alt-vi": "Ảnh mới"})
    assert second.alt == {"vi": "Ảnh mới"}
    with pytest.raises(InvalidInput):
        editing.save_image(dbsession, second, {"alt-en": "No Vietnamese"})
    assert second.alt == {"vi": "Ảnh mới"}
    assert editing.move_image(dbsession, third, 1) is True
    assert [i.id for i in tea.images] == [third.id, first.id, second.id]
    assert editing.move_image(dbsession, third, 0) is False  # clamps to the first place, where it is
    editing.remove_image(dbsession, first)
    assert [(i.id, i.position) for i in tea.images] == [(third.id, 0), (second.id, 1)]
    assert len(stored_files(store)) == 3  # files stay: content-addressed, maybe used elsewhere
    monkeypatch.setattr(editing, "MAX_IMAGES", 2)
    with pytest.raises(InvalidInput) as refused:
        editing.add_image(dbsession, store, tea, ALT, picture(colour=(40, 40, 40)))
    assert "at most 2 pictures" in message(refused.value, "image") and len(stored_files(store)) == 3


# --- stock changes racing bookings -----------------------------------------------------------------

UNITS = 12
RACERS = 24


@pytest.fixture
def race_tea(db_url):
    """A committed session and a product with UNITS units, on the race's own engine."""
    with committed_tea_session(db_url, RACERS, "kho-dieu-chinh", units=UNITS, starts_at=NOW + timedelta(days=3)) as made:
        yield made


def race(factory, session_id, product_id) -> list[tuple]:
    """Guests booking one unit each while staff take out damaged units (1 or 2) or bring in 3."""
    def racer(i):
        if i % 2 == 0:
            try:
                committed(factory, lambda db: booking_services.create_hold(
                    db, session=db.get(ExperienceSession, session_id), party={"adult": 1}, contact=contact(),
                    now=NOW, basket=checkout.Basket(((product_id, 1),), Fulfilment.PICKUP)))
            except checkout.NotEnoughStock:
                return ("sold out", 0)
            return ("booked", 1)
        form = {"quantity": "3", "direction": "add"} if i % 12 == 1 else \
            {"quantity": str(1 + i % 4 // 2), "direction": "remove"}

        def adjust(db):
            return editing.adjust_stock(db, db.get(Product, product_id), form)

        try:
            done = committed(factory, adjust)
        except InvalidInput as refused:
            return ("refused", -int(form["quantity"]), refused.errors["quantity"].interpolate())
        return ("changed", done.change)

    return all_at_once(RACERS, racer)


def tally(factory, session_id, product_id, outcomes) -> tuple[int, int, int]:
    """(units on the shelf now, units the bookings hold, what the shelf should hold)."""
    left = committed(factory, lambda db: db.get(Product, product_id).stock)
    booked = committed(factory, lambda db: sum(db.scalars(
        select(BookingProductLine.quantity).join(Booking).where(Booking.session_id == session_id))))
    changes = sum(outcome[1] for outcome in outcomes if outcome[0] == "changed")
    return left, booked, UNITS + changes - booked


@pytest.fixture
def guard_off():
    with guard_switched_off(editing.STOCK_CHANGE_GUARD):
        yield


@pytest.mark.usefixtures("guard_off")
def test_negative_control_a_stock_set_from_what_was_read_loses_the_bookings_units(backend, race_tea):
    if backend == "sqlite":
        pytest.skip("SQLite takes its write lock at BEGIN IMMEDIATE, so even unguarded writers never interleave")
    factory, session_id, product_id = race_tea
    outcomes = race(factory, session_id, product_id)
    left, booked, expected = tally(factory, session_id, product_id, outcomes)
    # Units booked while a change paused were written back onto the shelf: sold twice.
    assert left != expected, outcomes


def test_stock_changes_racing_bookings_lose_nothing_and_never_go_below_zero(race_tea):
    factory, session_id, product_id = race_tea
    outcomes = race(factory, session_id, product_id)
    assert [o for o in outcomes if o[0] == "error"] == []
    left, booked, expected = tally(factory, session_id, product_id, outcomes)
    assert left == expected and left >= 0, outcomes
    assert booked == sum(1 for o in outcomes if o[0] == "booked")
    # More was asked than there was: the shelf ran out for someone (a guest or a change).
    assert any(o[0] in ("sold out", "refused") for o in outcomes), outcomes
    for _kind, change, said in (o for o in outcomes if o[0] == "refused"):
        # Refused only for lack of units, and told how many were left then.
        assert said.startswith("Only ") and int(said.split()[1]) < -change, said
