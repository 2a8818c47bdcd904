"""The operator's product pages through WebTest: an operator's staff see and change only their
own villages' products (403 on every other URL, GET and POST, whatever the id); every form
needs its CSRF token; bad input is refused with its message next to its field and changes
nothing; stock is changed by what came in or went out, with what bookings hold shown beside
it; an uploaded picture is served from the media store and shown on the visitors' page."""
import io
import json

import pytest
from PIL import Image
from sqlalchemy import select
from webtest import Upload

from tests.conftest import stored_files
from tests.factories import make_experience, make_staff, sign_in
from tests.tourism.shop.test_editing import add_booking, counts
from tests.pages import soup, form_to
from tourism.accounts.services import find_operator
from tourism.booking.models import BookingStatus
from tourism.catalog.models import Experience, PublicationStatus, Village
from tourism.shop import console_views, editing
from tourism.shop.models import Marketplace, Product, ProductImage

TEA_SLUG = "tra-moc-cau-tan-cuong"  # the demo's Tân Cương tea (operator htx-che-tan-cuong), 120 in stock


def picture(kind="PNG", size=(800, 600), colour=(40, 120, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


def page(app, url, lang="en", status=200):
    return app.get(url, {"lang": lang}, status=status)


@pytest.fixture
def store(fresh_media_store):
    return fresh_media_store


@pytest.fixture
def tea(dbsession):
    """The demo tea, with its operator's staff and another operator's (Chu Đậu's)."""
    make_staff(dbsession, find_operator(dbsession, "htx-che-tan-cuong"), email="ours@example.com")
    make_staff(dbsession, find_operator(dbsession, "gom-chu-dau"), email="theirs@example.com")
    return dbsession.scalar(select(Product).where(Product.slug == TEA_SLUG))


@pytest.fixture
def ours(testapp, tea):
    sign_in(testapp, "ours@example.com")
    return testapp


def product_urls(dbsession, product) -> tuple[list[str], dict[str, dict]]:
    """(every GET URL, every POST URL with plausible fields) about `product`."""
    image = ProductImage(product_id=product.id, path="demo/x.svg", width=10, height=10, alt={"vi": "x"})
    dbsession.add(image)
    dbsession.flush()
    base = f"/console/products/{product.id}"
    gets = [base, f"{base}/images", f"{base}/stock", f"{base}/stores", f"{base}/experiences",
            f"/console/products/images/{image.id}", f"/console/products/images/{image.id}/remove"]
    posts = {base: {"name-vi": "Hacked", "price": "1", "status": "draft"},
             f"{base}/stock": {"quantity": "100", "direction": "remove"},
             f"{base}/stores": {"store-0-marketplace": "shopee", "store-0-url": "https://evil.example.com/x"},
             f"{base}/experiences": {},
             f"{base}/images": {"alt-vi": "Hacked"},
             f"/console/products/images/{image.id}": {"alt-vi": "Hacked"},
             f"/console/products/images/{image.id}/move": {"place": "1"},
             f"/console/products/images/{image.id}/remove": {}}
    return gets, posts


def snapshot(dbsession, product) -> tuple:
    dbsession.expire_all()
    return (product.price, product.stock, product.status, sorted((t.locale, t.name) for t in product.texts),
            [(link.marketplace, link.url) for link in product.store_links],
            [(i.path, i.alt) for i in product.images], counts(dbsession))


# --- who may do what -------------------------------------------------------------------------

def test_strangers_are_asked_to_sign_in_and_cannot_post(testapp, dbsession, tea):
    gets, posts = product_urls(dbsession, tea)
    for url in ["/console/products", "/console/products/new"] + gets:
        assert "/console/sign-in" in testapp.get(url).location, url
    token = testapp.get("/console/sign-in").forms[0]["csrf_token"].value
    for url, fields in posts.items():
        testapp.post(url, dict(fields, csrf_token=token), status=403)


def test_another_operators_staff_get_403_on_every_url_and_change_nothing(testapp, dbsession, tea, store):
    gets, posts = product_urls(dbsession, tea)
    before = snapshot(dbsession, tea)
    sign_in(testapp, "theirs@example.com")
    listing = page(testapp, "/console/products")
    assert "Chu Đậu" in listing.text and "Tân Cương" not in listing.text
    assert f"/console/products/{tea.id}" not in listing.text
    token = page(testapp, "/console/products/new").forms[1]["csrf_token"].value
    for url in gets:
        page(testapp, url, status=403)
    for url, fields in posts.items():
        testapp.post(url, dict(fields, csrf_token=token), status=403)
    testapp.post(f"/console/products/{tea.id}/images", {"csrf_token": token, "alt-vi": "x"},
                 upload_files=[("image", "x.png", picture())], status=403)
    # Ids that do not exist, or are not ids, are simply not found.
    for url in ("/console/products/999999999", "/console/products/abc", "/console/products/1e3/images",
                "/console/products/99999999999999", "/console/products/images/999999999"):
        page(testapp, url, status=404)
    assert snapshot(dbsession, tea) == before and stored_files(store) == []


def test_every_form_needs_its_csrf_token(ours, dbsession, tea, store):
    gets, posts = product_urls(dbsession, tea)
    before = snapshot(dbsession, tea)
    for url, fields in dict(posts, **{"/console/products/new": {"village": str(tea.village_id)}}).items():
        ours.post(url, fields, status=400)
        ours.post(url, dict(fields, csrf_token="not-the-token"), status=400)
    ours.post(f"/console/products/{tea.id}/images", {"alt-vi": "x"}, upload_files=[("image", "x.png", picture())],
              status=400)
    assert snapshot(dbsession, tea) == before and stored_files(store) == []


def test_an_admin_sees_every_product(testapp, dbsession, tea):
    make_staff(dbsession, None, email="admin@example.com")
    sign_in(testapp, "admin@example.com")
    links = {a["href"] for a in soup(page(testapp, "/console/products")).select(".pc-product h2 a")}
    assert links == {f"/console/products/{i}" for i in dbsession.scalars(select(Product.id))}
    assert len(links) >= 6
    page(testapp, f"/console/products/{tea.id}")


def test_the_console_home_links_to_products(testapp, tea):
    home = sign_in(testapp, "ours@example.com")
    assert "/console/products" in [a.get("href") for a in soup(home).select(".console-links a")]


def test_the_list_shows_price_stock_status_and_a_new_button(ours, dbsession, tea):
    listing = page(ours, "/console/products")
    (card,) = soup(listing).select(".pc-product")
    text = " ".join(card.get_text().replace("\xa0", " ").split())
    assert "Tân Cương “fish-hook” green tea" in text and "₫250,000 / box" in text and "In stock: 120" in text
    assert "Visible to visitors" in text
    assert card.img["src"].startswith("http://example.com/static/demo/tan-cuong-tea-morning.svg")
    assert soup(listing).find("a", href="/console/products/new") is not None
    assert listing.headers["Cache-Control"] == "no-store"


# --- a new product ------------------------------------------------------------------------------

def fill_new(form, **fields):
    values = {"slug": "tra-xanh-moi", "name-vi": "Trà xanh mới", "name-en": "New green tea", "price": "180.000",
              "unit": "box", "producer": "Hộ bà Lan", "origin": "Xóm Hồng Thái, Tân Cương",
              "certifications": "VietGAP"}
    values.update(fields)
    for name, value in values.items():
        form[name] = value


def test_a_new_product_is_a_draft_of_the_operators_village(ours, dbsession, tea):
    form = page(ours, "/console/products/new").forms[1]
    tan_cuong = dbsession.scalar(select(Village).where(Village.slug == "tan-cuong"))
    assert [o[0] for o in form["village"].options] == [str(tan_cuong.id)]
    fill_new(form)
    saved = form.submit().follow(params={"lang": "en"})
    assert "“New green tea” was saved as a draft." in saved.text
    product = dbsession.scalar(select(Product).where(Product.slug == "tra-xanh-moi"))
    assert (product.village_id, product.status, product.price, product.stock) == (
        tan_cuong.id, PublicationStatus.DRAFT, 180000, 0)
    page(ours, "/products/tra-xanh-moi", status=404)  # a draft is not shown to visitors


def test_a_new_product_in_another_operators_village_is_refused(ours, dbsession, tea):
    before = counts(dbsession)
    form = page(ours, "/console/products/new").forms[1]
    chu_dau = dbsession.scalar(select(Village).where(Village.slug == "chu-dau"))
    form["village"].force_value(str(chu_dau.id))
    fill_new(form)
    refused = form.submit(status=400)
    assert "Choose the village that makes this product." in refused.text
    assert counts(dbsession) == before


def test_a_new_product_with_wrong_fields_names_each_and_keeps_what_was_typed(ours, dbsession, tea):
    before = counts(dbsession)
    form = page(ours, "/console/products/new").forms[1]
    fill_new(form, slug="", price="-180000", producer="", **{"name-vi": ""})
    refused = form.submit(status=400)
    html = soup(refused)
    linked = [a["href"] for a in html.select(".cf-summary a")]
    assert linked == ["#new-slug", "#new-name-vi", "#new-price", "#new-producer"]
    for target in linked:
        field = html.find(id=target[1:])
        assert field["aria-invalid"] == "true" and f"{target[1:]}-error" in field["aria-describedby"]
    assert "The price must be more than 0 dong." in html.find(id="new-price-error").text
    assert html.find(id="new-price")["value"] == "-180000" and html.find(id="new-price")["inputmode"] == "numeric"
    assert html.find(id="new-name-en")["value"] == "New green tea"
    assert counts(dbsession) == before


# --- editing a product ----------------------------------------------------------------------------

def test_details_edited_in_three_languages_show_on_the_visitors_page(ours, dbsession, tea):
    form = form_to(page(ours, f"/console/products/{tea.id}"), f"/console/products/{tea.id}")
    assert form["price"].value == "250000" and form["ocop_stars"].value == "4"
    form["name-vi"] = "Trà móc câu (mới)"
    form["name-en"] = "Fish-hook tea, renamed"
    form["name-ko"] = "목꺼우 녹차 (새)"
    form["price"] = "270.000"
    form["ocop_stars"] = "5"
    saved = form.submit().follow(params={"lang": "en"})
    assert "Saved." in saved.text
    public = {lang: soup(page(ours, f"/products/{TEA_SLUG}", lang)) for lang in ("vi", "en", "ko")}
    assert public["vi"].h1.text.strip() == "Trà móc câu (mới)"
    assert public["en"].h1.text.strip() == "Fish-hook tea, renamed"
    assert public["ko"].h1.text.strip() == "목꺼우 녹차 (새)"
    assert "₫270,000" in public["en"].text.replace("\xa0", " ")


@pytest.mark.parametrize("price, words", [
    ("-250000", "The price must be more than 0 dong."),
    ("0", "The price must be more than 0 dong."),
    ("2500000000", "A price can be at most 100000000 dong"),
    ("250k", "Write the price in dong as a whole number"),
])
def test_a_negative_or_huge_price_is_refused_and_nothing_changes(ours, dbsession, tea, price, words):
    before = snapshot(dbsession, tea)
    form = form_to(page(ours, f"/console/products/{tea.id}"), f"/console/products/{tea.id}")
    form["price"] = price
    form["name-en"] = "Should not be saved"
    refused = form.submit(status=400)
    assert words in soup(refused).find(id="details-price-error").text
    assert soup(refused).find(id="details-name-en")["value"] == "Should not be saved"
    assert snapshot(dbsession, tea) == before


def test_making_it_a_draft_hides_it_from_visitors(ours, tea):
    form = form_to(page(ours, f"/console/products/{tea.id}"), f"/console/products/{tea.id}")
    form["status"] = "draft"
    form.submit().follow()
    page(ours, f"/products/{TEA_SLUG}", status=404)
    assert "Draft" in page(ours, "/console/products").text


# --- stock ---------------------------------------------------------------------------------------

def test_stock_changes_and_what_bookings_hold(ours, dbsession, tea):
    morning = dbsession.scalar(select(Experience).where(Experience.slug == "tan-cuong-tea-morning"))
    add_booking(dbsession, morning, tea, 3, BookingStatus.HELD, reference="REFHELD1")
    add_booking(dbsession, morning, tea, 2, BookingStatus.CONFIRMED, reference="REFPAID1")
    edit = page(ours, f"/console/products/{tea.id}")
    facts = [" ".join(div.get_text(" ").split()) for div in soup(edit).select(".pc-stock-facts div")]
    assert facts == ["On the shelf, ready to sell 120 × box", "Held by bookings not yet paid 3",
                     "Sold, not yet handed over or sent 2"]
    form = form_to(edit, "/stock")
    assert form["quantity"].value == "" and form["direction"].value == "add"
    assert soup(edit).find(id="stock-quantity")["inputmode"] == "numeric"
    form["quantity"] = "30"
    done = form.submit().follow(params={"lang": "en"})
    assert "30 added. In stock now: 150." in done.text
    form = form_to(done, "/stock")
    form["direction"] = "remove"
    form["quantity"] = "151"
    refused = form.submit(status=400)
    assert "Only 150 left in stock: 151 cannot be taken out." in soup(refused).find(id="stock-quantity-error").text
    dbsession.expire_all()
    assert tea.stock == 150
    form = form_to(refused, "/stock")
    form["quantity"] = "5"
    assert "5 taken out. In stock now: 145." in form.submit().follow(params={"lang": "en"}).text
    # The stock's address opened again goes to its section.
    assert ours.get(f"/console/products/{tea.id}/stock").location.endswith(f"/console/products/{tea.id}#stock")


def test_the_stock_form_has_no_field_that_sets_the_stock(ours, tea):
    form = form_to(page(ours, f"/console/products/{tea.id}"), "/stock")
    assert set(form.fields) - {None} == {"csrf_token", "direction", "quantity"}  # None: the button
    refused = ours.post(f"/console/products/{tea.id}/stock", {"csrf_token": form["csrf_token"].value,
                                                              "stock": "0"}, status=400)
    assert "Write how many units" in refused.text


# --- other stores -------------------------------------------------------------------------------

def test_store_links_are_saved_and_shown_to_visitors(ours, dbsession, tea):
    form = form_to(page(ours, f"/console/products/{tea.id}"), "/stores")
    assert [form[f"store-{row}-marketplace"].value for row in range(3)] == ["shopee", "tiktok_shop", "own_site"]
    form["store-1-url"] = ""  # TikTok Shop removed
    form["store-3-marketplace"] = "etsy"
    form["store-3-url"] = "https://www.etsy.com/listing/123-tan-cuong-example"
    done = form.submit().follow(params={"lang": "en"})
    assert "The other stores were saved." in done.text
    dbsession.expire_all()
    assert [link.marketplace for link in tea.store_links] == [Marketplace.SHOPEE, Marketplace.OWN_SITE,
                                                              Marketplace.ETSY]
    public = soup(page(ours, f"/products/{TEA_SLUG}"))
    assert public.find("a", href="https://www.etsy.com/listing/123-tan-cuong-example") is not None
    assert public.find("a", href="https://www.tiktok.com/@htx-che-tan-cuong-example") is None


@pytest.mark.parametrize("url, words", [
    ("javascript:alert(document.cookie)", "Only web pages can be linked"),
    ("ftp://files.example.vn/tea", "Only web pages can be linked"),
    ("/products/tra", "Give the whole address, starting with https://"),
    ("https://", "The address has no site name after https://"),
    ("https:///tra", "The address has no site name after https://"),
])
def test_a_store_link_that_is_not_a_web_page_is_refused_next_to_its_field(ours, dbsession, tea, url, words):
    before = snapshot(dbsession, tea)
    form = form_to(page(ours, f"/console/products/{tea.id}"), "/stores")
    form["store-1-url"] = url
    refused = form.submit(status=400)
    html = soup(refused)
    assert words in html.find(id="stores-store-1-url-error").text
    field = html.find(id="stores-store-1-url")
    assert field["value"] == url and field["aria-invalid"] == "true"
    assert [a["href"] for a in html.select("#stores-problems a")] == ["#stores-store-1-url"]
    assert snapshot(dbsession, tea) == before
    assert html.find("a", href=url) is None  # never a link on our page, not even the console's


# --- experiences -----------------------------------------------------------------------------------

def test_only_the_villages_experiences_can_be_ticked_each_with_why(ours, dbsession, tea):
    edit = page(ours, f"/console/products/{tea.id}")
    boxes = {box["value"]: box.has_attr("checked") for box in soup(edit).select("input[name=experience]")}
    own = dbsession.scalars(select(Experience.id).where(Experience.village_id == tea.village_id)).all()
    assert sorted(boxes) == sorted(str(i) for i in own) and all(boxes.values())
    chu_dau = dbsession.scalar(select(Village).where(Village.slug == "chu-dau"))
    elsewhere = make_experience(dbsession, chu_dau, "chu-dau-khac")
    before = snapshot(dbsession, tea), editing.current_links(dbsession, tea.id)
    form = form_to(edit, "/experiences")
    fields = list(form.submit_fields()) + [("experience", str(elsewhere.id))]
    refused = ours.post(f"/console/products/{tea.id}/experiences", fields, status=400)
    assert "A product can be shown only on its own village's experiences." in soup(refused).text
    assert (snapshot(dbsession, tea), editing.current_links(dbsession, tea.id)) == before
    # Untick the tasting, reword the morning's reason: the experience pages follow.
    morning = dbsession.scalar(select(Experience).where(Experience.slug == "tan-cuong-tea-morning"))
    tasting = dbsession.scalar(select(Experience).where(Experience.slug == "tan-cuong-tea-tasting"))
    form = form_to(page(ours, f"/console/products/{tea.id}"), "/experiences")
    for box in form.fields["experience"]:
        if box._value == str(tasting.id):
            box.checked = False
    form[f"reason-{morning.id}-en"] = "The very tea you will pick"
    done = form.submit().follow(params={"lang": "en"})
    assert "The experiences were saved." in done.text
    assert "The very tea you will pick" in page(ours, "/experiences/tan-cuong-tea-morning").text
    assert "Tân Cương “fish-hook” green tea" not in page(ours, "/experiences/tan-cuong-tea-tasting").text


def test_a_ticked_experience_without_a_vietnamese_reason_is_refused(ours, dbsession, tea):
    morning = dbsession.scalar(select(Experience).where(Experience.slug == "tan-cuong-tea-morning"))
    form = form_to(page(ours, f"/console/products/{tea.id}"), "/experiences")
    form[f"reason-{morning.id}-vi"] = ""
    refused = soup(form.submit(status=400))
    field = refused.find(id=f"links-reason-{morning.id}-vi")
    assert field["aria-invalid"] == "true"
    assert "Say in Vietnamese why" in refused.find(id=f"links-reason-{morning.id}-vi-error").text
    assert field.find_parent("details").has_attr("open")


# --- pictures ----------------------------------------------------------------------------------------

def upload(app, product, data, **alt):
    form = form_to(page(app, f"/console/products/{product.id}/images"), f"/console/products/{product.id}/images")
    form["alt-vi"] = alt.get("vi", "Hộp trà móc câu trên bàn gỗ")
    form["alt-en"] = alt.get("en", "A box of fish-hook tea on a wooden table")
    if data is not None:
        form["image"] = Upload("tra.png", data, "image/png")
    return form


def test_an_uploaded_picture_is_served_and_shown_on_the_visitors_page(ours, dbsession, tea, store):
    form = upload(ours, tea, picture())
    done = form.submit().follow(params={"lang": "en"})
    assert "The picture was added." in done.text
    dbsession.expire_all()
    added = tea.images[-1]
    key = added.path.removeprefix("media/")
    assert added.path == f"media/{key}" and stored_files(store) == [key]
    # Served from the media store, as an image, cached for good.
    served = ours.get(f"/media/{key}")
    assert served.content_type == "image/png" and served.body == picture()
    # First in the list: the visitors' page, its JSON-LD and the village's cards show it.
    (move_up,) = [f for f in done.forms.values() if f.action.endswith(f"/images/{added.id}/move")]
    move_up["place"] = "1"
    move_up.submit().follow()
    public = soup(page(ours, f"/products/{TEA_SLUG}"))
    hero = public.select_one(".hero-image img")
    assert hero["src"] == f"http://example.com/media/{key}"
    assert hero["alt"] == "A box of fish-hook tea on a wooden table"
    (data,) = [json.loads(tag.string) for tag in public.find_all("script", type="application/ld+json")
               if json.loads(tag.string).get("@type") == "Product"]
    assert data["image"][0] == f"http://example.com/media/{key}"
    assert data["image"][1].startswith("http://example.com/static/demo/tan-cuong-tea-morning.svg")
    assert f"/media/{key}" in page(ours, "/villages/tan-cuong").text
    assert f"/media/{key}" in soup(page(ours, "/console/products")).select_one(".pc-product img")["src"]


def test_a_demo_picture_under_static_still_shows(testapp, tea):
    public = soup(page(testapp, f"/products/{TEA_SLUG}"))
    src = public.select_one(".hero-image img")["src"]
    assert src.startswith("http://example.com/static/demo/tan-cuong-tea-morning.svg")
    assert testapp.get(src.removeprefix("http://example.com")).status_int == 200


@pytest.mark.parametrize("data, words", [
    (b"not a picture at all" * 10, "This file is not a picture we can read"),
    (picture(size=(120, 120)), "at least 200 and at most 4000 pixels"),
    (picture("GIF"), "The picture must be a PNG, JPEG or WebP file."),
    (None, "Choose a picture of the product"),
])
def test_a_bad_picture_is_refused_and_nothing_is_stored(ours, dbsession, tea, store, data, words):
    before = snapshot(dbsession, tea)
    refused = upload(ours, tea, data).submit(status=400)
    html = soup(refused)
    assert words in html.find(id="upload-image-error").text
    assert html.find(id="upload-image")["aria-invalid"] == "true"
    assert html.find(id="upload-alt-vi")["value"] == "Hộp trà móc câu trên bàn gỗ"
    assert snapshot(dbsession, tea) == before and stored_files(store) == []


def test_a_picture_without_its_vietnamese_description_is_refused(ours, dbsession, tea, store):
    before = snapshot(dbsession, tea)
    refused = soup(upload(ours, tea, picture(), vi="").submit(status=400))
    assert [a["href"] for a in refused.select("#upload-problems a")] == ["#upload-alt-vi"]
    assert snapshot(dbsession, tea) == before and stored_files(store) == []


def test_a_body_over_the_limit_is_refused_before_it_is_read(ours, dbsession, tea, store):
    form = upload(ours, tea, picture() + b"\0" * (editing.IMAGE_MAX_BYTES + console_views.FORM_OVERHEAD))
    refused = form.submit(status=413)
    assert "This picture is too large" in refused.text and refused.headers["Cache-Control"] == "no-store"
    assert stored_files(store) == []


def test_pictures_are_described_moved_and_removed(ours, dbsession, tea, store):
    upload(ours, tea, picture()).submit()
    dbsession.expire_all()
    demo_image, added = tea.images
    images = page(ours, f"/console/products/{tea.id}/images")
    form = form_to(images, f"/console/products/images/{demo_image.id}")
    form["alt-vi"] = ""
    refused = form.submit(status=400)
    assert soup(refused).find(id=f"image-{demo_image.id}-alt-vi")["aria-invalid"] == "true"
    form = form_to(refused, f"/console/products/images/{demo_image.id}")
    form["alt-vi"] = "Giỏ chè buổi sáng"
    assert "The picture's description was saved." in soup(form.submit().follow(params={"lang": "en"})).text
    dbsession.expire_all()
    assert demo_image.alt["vi"] == "Giỏ chè buổi sáng"
    # Remove: a confirmation page first.
    confirm = page(ours, f"/console/products/images/{demo_image.id}/remove")
    assert "Remove this picture?" in confirm.text
    done = confirm.forms[1].submit().follow(params={"lang": "en"})
    assert "The picture was removed." in done.text
    dbsession.expire_all()
    assert [(i.id, i.position) for i in tea.images] == [(added.id, 0)]
    assert soup(page(ours, f"/products/{TEA_SLUG}")).select_one(".hero-image img")["src"].endswith(added.path[6:])
    token = form_to(done, f"/console/products/images/{added.id}")["csrf_token"].value
    ours.post(f"/console/products/images/{added.id}/move", {"csrf_token": token, "place": "-1"}, status=400)


# --- the page itself ------------------------------------------------------------------------------

def test_the_product_page_links_to_pictures_batches_and_the_public_page(ours, tea):
    html = soup(page(ours, f"/console/products/{tea.id}"))
    hrefs = [a["href"] for a in html.select(".pc-overview a")]
    assert f"/console/products/{tea.id}/images" in hrefs
    assert f"/console/products/{tea.id}/batches" in hrefs
    assert f"http://example.com/products/{TEA_SLUG}" in hrefs


def test_the_batches_link_waits_for_the_batches_page(ours, tea, app, monkeypatch):
    monkeypatch.setattr(console_views, "BATCHES_ROUTE", "shop.console.no_such_page")
    html = soup(page(ours, f"/console/products/{tea.id}"))
    assert not [a for a in html.select(".pc-overview a") if "batches" in a["href"]]


def test_the_console_pages_are_in_vietnamese_with_labelled_fields(ours, dbsession, tea):
    image_id = tea.images[0].id
    for url in ("/console/products", "/console/products/new", f"/console/products/{tea.id}",
                f"/console/products/{tea.id}/images", f"/console/products/images/{image_id}/remove"):
        html = soup(page(ours, url, lang="vi"))
        assert html.html["lang"] == "vi"
        for field in html.select("main input:not([type=hidden]), main textarea, main select"):
            assert html.find("label", attrs={"for": field["id"]}) is not None, (url, field["id"])
            assert field.get("autocomplete", "off") == "off" or field["type"] == "file", (url, field["id"])
        ids = [tag["id"] for tag in html.find_all(id=True)]
        assert len(ids) == len(set(ids)), url
