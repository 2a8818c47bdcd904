"""An experience's pictures in the console (the shared picture pages, tourism.picture_views,
with the rules of tourism.pictures), through WebTest: an owner uploads a picture that visitors
then see with its description in their language; a file that is no picture, too large or too
small is refused with the reason and nothing is stored; descriptions are edited, pictures moved
and removed after a page that asks; staff who are not owners, and another operator's people,
get 403 everywhere; every form needs its CSRF token."""
import json

import pytest
from sqlalchemy import func, select
from webtest import Upload

from tests.conftest import stored_files
from tests.factories import make_staff, sign_in
from tests.pages import field_problems, form_to, soup
from tests.tourism.shop.test_console import page, picture
from tourism import picture_views, pictures
from tourism.accounts.services import find_operator
from tourism.catalog.models import Experience, ExperienceImage

SLUG = "tan-cuong-tea-morning"  # the demo's published tea morning (htx-che-tan-cuong), one demo picture
DEMO_PICTURE = "demo/tan-cuong-tea-morning.svg"
OWNER, STAFF, THEIRS = "owner@tancuong.example", "staff@tancuong.example", "owner@chudau.example"
ALT_VI, ALT_EN = "Nghệ nhân sao chè trong chảo gang", "An artisan roasting tea in a cast-iron pan"


@pytest.fixture
def store(fresh_media_store):
    return fresh_media_store


@pytest.fixture
def tea(dbsession):
    """The tea morning, with its cooperative's owner and staff, and another operator's owner."""
    operator = find_operator(dbsession, "htx-che-tan-cuong")
    make_staff(dbsession, operator, email=OWNER, role="owner")
    make_staff(dbsession, operator, email=STAFF, role="staff")
    make_staff(dbsession, find_operator(dbsession, "gom-chu-dau"), email=THEIRS, role="owner")
    return dbsession.scalar(select(Experience).where(Experience.slug == SLUG))


@pytest.fixture
def owner(testapp, tea):
    sign_in(testapp, OWNER)
    return testapp


def pictures_url(experience) -> str:
    return f"/console/experiences/{experience.id}/pictures"


def picture_url(picture, end="") -> str:
    return f"/console/experiences/pictures/{picture.id}{end}"


def snapshot(dbsession, experience) -> tuple:
    dbsession.expire_all()
    return ([(i.id, i.path, i.alt, i.position) for i in experience.images],
            dbsession.scalar(select(func.count()).select_from(ExperienceImage)))


def upload(app, experience, data, vi=ALT_VI, en=ALT_EN):
    form = form_to(page(app, pictures_url(experience)), pictures_url(experience))
    form["alt-vi"], form["alt-en"] = vi, en
    if data is not None:
        form["image"] = Upload("sao-che.png", data, "image/png")
    return form


def posts(experience) -> dict[str, dict]:
    """Every form of the pictures pages, with plausible fields, about the demo picture."""
    (demo,) = experience.images
    return {pictures_url(experience): {"alt-vi": "Hacked"}, picture_url(demo): {"alt-vi": "Hacked"},
            picture_url(demo, "/move"): {"place": "1"}, picture_url(demo, "/remove"): {}}


# --- uploading ---------------------------------------------------------------------------------

def test_an_uploaded_picture_is_shown_to_visitors_with_its_description_in_their_language(owner, dbsession, tea,
                                                                                         store):
    done = upload(owner, tea, picture()).submit().follow(params={"lang": "en"})
    assert "The picture was added." in done.text
    dbsession.expire_all()
    demo, added = tea.images
    key = added.path.removeprefix("media/")
    assert (demo.path, added.path, added.position) == (DEMO_PICTURE, f"media/{key}", 1)
    assert added.alt == {"vi": ALT_VI, "en": ALT_EN} and (added.width, added.height) == (800, 600)
    assert stored_files(store) == [key]
    assert owner.get(f"/media/{key}").body == picture()

    # Second: under the description, described in the visitor's language (Korean falls back to English).
    for lang, alt in (("ko", ALT_EN), ("vi", ALT_VI), ("en", ALT_EN)):  # English last: flashes are in it
        public = soup(page(owner, f"/experiences/{SLUG}", lang=lang))
        assert public.select_one(".hero-image img")["src"].startswith("http://example.com/static/" + DEMO_PICTURE)
        (shown,) = public.select(".experience .gallery img")
        assert (shown["src"], shown["alt"]) == (f"http://example.com/media/{key}", alt)

    # Moved first: the top of the page, the search engines' data and the village's cards show it.
    (move_up,) = [f for f in done.forms.values() if f.action.endswith(picture_url(added, "/move"))]
    assert "Moved to place 1." in move_up.submit().follow(params={"lang": "en"}).text
    public = soup(page(owner, f"/experiences/{SLUG}"))
    hero = public.select_one(".hero-image img")
    assert (hero["src"], hero["alt"]) == (f"http://example.com/media/{key}", ALT_EN)
    (data,) = [json.loads(tag.string) for tag in public.find_all("script", type="application/ld+json")
               if json.loads(tag.string).get("@type") == "TouristTrip"]
    assert data["image"][0] == f"http://example.com/media/{key}"
    assert data["image"][1].startswith("http://example.com/static/" + DEMO_PICTURE)
    assert f"/media/{key}" in page(owner, "/villages/tan-cuong").text


@pytest.mark.parametrize("data, words", [
    (b"not a picture at all" * 10, "This file is not a picture we can read"),
    (picture(size=(120, 120)), "at least 200 and at most 4000 pixels"),
    (picture(size=(4100, 300)), "at least 200 and at most 4000 pixels"),
    (picture("GIF"), "The picture must be a PNG, JPEG or WebP file."),
    # Over 2 MB, yet under the body limit: read, then refused by its own size check.
    (picture() + b"\0" * pictures.MAX_BYTES, "The picture is over 2 MB"),
    (None, "Choose a picture of the experience"),
], ids=["text", "too small", "too wide", "gif", "over 2 MB", "none"])
def test_a_bad_picture_is_refused_with_the_reason_and_nothing_is_stored(owner, dbsession, tea, store, data, words):
    before = snapshot(dbsession, tea)
    refused = soup(upload(owner, tea, data).submit(status=400))
    assert words in refused.find(id="upload-image-error").text
    assert refused.find(id="upload-image")["aria-invalid"] == "true"
    assert [a["href"] for a in refused.select("#upload-problems a")] == ["#upload-image"]
    assert refused.find(id="upload-alt-vi")["value"] == ALT_VI  # what was typed stays
    assert snapshot(dbsession, tea) == before and stored_files(store) == []


def test_a_picture_needs_its_description_in_vietnamese(owner, dbsession, tea, store):
    before = snapshot(dbsession, tea)
    refused = soup(upload(owner, tea, picture(), vi="").submit(status=400))
    assert [a["href"] for a in refused.select("#upload-problems a")] == ["#upload-alt-vi"]
    assert "Say in Vietnamese what the picture shows" in refused.find(id="upload-alt-vi-error").text
    assert snapshot(dbsession, tea) == before and stored_files(store) == []


def test_a_body_over_the_limit_is_refused_before_it_is_read(owner, dbsession, tea, store):
    before = snapshot(dbsession, tea)
    form = upload(owner, tea, picture() + b"\0" * (pictures.MAX_BYTES + picture_views.FORM_OVERHEAD))
    refused = form.submit(status=413)
    assert "This picture is too large" in refused.text and refused.headers["Cache-Control"] == "no-store"
    assert soup(refused).select_one("main a.button")["href"] == f"{pictures_url(tea)}#add"
    assert snapshot(dbsession, tea) == before and stored_files(store) == []


def test_an_experience_has_at_most_ten_pictures(owner, dbsession, tea, store):
    token = form_to(page(owner, pictures_url(tea)), pictures_url(tea))["csrf_token"].value
    dbsession.add_all([ExperienceImage(experience_id=tea.id, path=DEMO_PICTURE, width=10, height=10,
                                       alt={"vi": "Đồi chè"}, position=place) for place in range(1, 10)])
    dbsession.flush()
    before = snapshot(dbsession, tea)
    full = soup(page(owner, pictures_url(tea)))
    assert full.find(id="upload-image") is None and "the most it can have" in full.text
    refused = soup(owner.post(pictures_url(tea), {"csrf_token": token, "alt-vi": ALT_VI},
                              upload_files=[("image", "x.png", picture())], status=400))
    assert "An experience can have at most 10 pictures" in refused.select_one("#upload-problems").text
    assert snapshot(dbsession, tea) == before and stored_files(store) == []


# --- describing, moving, removing -------------------------------------------------------------

def test_a_description_is_edited_and_a_wrong_one_changes_nothing(owner, dbsession, tea):
    (demo,) = tea.images
    before = snapshot(dbsession, tea)
    form = form_to(page(owner, pictures_url(tea)), picture_url(demo))
    form["alt-vi"], form["alt-fr"] = "", "x" * 301
    refused = soup(form.submit(status=400))
    assert refused.find(id=f"image-{demo.id}-alt-vi")["aria-invalid"] == "true"
    assert refused.find(id=f"image-{demo.id}-alt-fr")["aria-invalid"] == "true"
    assert snapshot(dbsession, tea) == before
    form = form_to(page(owner, pictures_url(tea)), picture_url(demo))
    form["alt-vi"], form["alt-ja"] = "Đồi chè buổi sớm", "朝の茶畑"
    done = form.submit()
    assert done.location.endswith(f"{pictures_url(tea)}#image-{demo.id}")
    assert "The picture's description was saved." in soup(done.follow(params={"lang": "en"})).text
    dbsession.expire_all()
    assert demo.alt["vi"] == "Đồi chè buổi sớm" and demo.alt["ja"] == "朝の茶畑"
    assert soup(page(owner, f"/experiences/{SLUG}", lang="ja")).select_one(".hero-image img")["alt"] == "朝の茶畑"
    # Its address opened again leads back to its place on the page.
    assert owner.get(picture_url(demo)).location.endswith(f"{pictures_url(tea)}#image-{demo.id}")


def test_pictures_are_moved_and_removed_after_a_page_that_asks(owner, dbsession, tea, store):
    for colour in (10, 20):
        upload(owner, tea, picture(colour=(colour, colour, colour))).submit()
    dbsession.expire_all()
    demo, second, third = tea.images
    listing = page(owner, pictures_url(tea))
    move_forms = [f for f in listing.forms.values() if f.action.endswith(picture_url(third, "/move"))]
    assert [f["place"].value for f in move_forms] == ["2"]  # the last one only moves up
    done = move_forms[0].submit().follow(params={"lang": "en"})
    assert "Moved to place 2." in done.text
    dbsession.expire_all()
    assert [i.id for i in tea.images] == [demo.id, third.id, second.id]
    token = form_to(done, picture_url(demo))["csrf_token"].value
    already = owner.post(picture_url(demo, "/move"), {"csrf_token": token, "place": "0"})  # clamps to 1
    assert "Already at place 1." in already.follow(params={"lang": "en"}).text
    for place in ("-1", "abc", "12345", ""):
        owner.post(picture_url(demo, "/move"), {"csrf_token": token, "place": place}, status=400)

    # Remove: a page that asks first, with a way back that changes nothing.
    confirm = page(owner, picture_url(demo, "/remove"))
    html = soup(confirm)
    assert html.h1.text == "Remove this picture?"
    assert html.select_one("main img")["alt"] == demo.alt["en"]
    assert html.find("a", string="Keep it")["href"] == f"{pictures_url(tea)}#image-{demo.id}"
    done = form_to(confirm, picture_url(demo, "/remove")).submit()
    assert done.location.endswith(f"{pictures_url(tea)}#pictures")
    assert "The picture was removed." in done.follow(params={"lang": "en"}).text
    dbsession.expire_all()
    assert [(i.id, i.position) for i in tea.images] == [(third.id, 0), (second.id, 1)]
    assert len(stored_files(store)) == 2  # files stay: content-addressed, maybe used elsewhere
    hero = soup(page(owner, f"/experiences/{SLUG}")).select_one(".hero-image img")
    assert hero["src"].endswith(third.path.removeprefix("media/"))


# --- the experience's page, and who may do what ------------------------------------------------

def test_the_experience_page_links_to_its_pictures_with_their_number(owner, dbsession, tea):
    html = soup(page(owner, f"/console/experiences/{tea.id}"))
    (link,) = html.select(f"#pictures ~ p a[href='{pictures_url(tea)}']")
    assert link.text == "Pictures (1)"
    assert html.select_one("a[href='#pictures']") is not None
    back = soup(page(owner, pictures_url(tea))).find("a", string="Back to the experience")
    assert back["href"] == f"/console/experiences/{tea.id}#pictures"


def test_the_pages_are_in_vietnamese_with_labelled_fields(owner, tea):
    (demo,) = tea.images
    for address in (pictures_url(tea), picture_url(demo, "/remove")):
        html = soup(page(owner, address, lang="vi"))
        assert html.html["lang"] == "vi" and field_problems(html) == [], address


@pytest.mark.parametrize("who", [STAFF, THEIRS], ids=["staff, not an owner", "another operator's owner"])
def test_only_the_operators_owners_get_in(testapp, dbsession, tea, store, who):
    (demo,) = tea.images
    before = snapshot(dbsession, tea)
    sign_in(testapp, who)
    token = form_to(page(testapp, "/console"), "/console/sign-out")["csrf_token"].value
    for address in (pictures_url(tea), picture_url(demo), picture_url(demo, "/remove")):
        page(testapp, address, status=403)
    for address, fields in posts(tea).items():
        testapp.post(address, dict(fields, csrf_token=token), status=403)
    testapp.post(pictures_url(tea), {"csrf_token": token, "alt-vi": "x"},
                 upload_files=[("image", "x.png", picture())], status=403)
    # An upload over the size limit is refused for who they are, not for its size.
    testapp.post(pictures_url(tea), {"csrf_token": token, "alt-vi": "x"},
                 upload_files=[("image", "x.png", b"\0" * (pictures.MAX_BYTES + picture_views.FORM_OVERHEAD))],
                 status=403)
    for address in ("/console/experiences/pictures/999999999", "/console/experiences/pictures/abc/remove"):
        page(testapp, address, status=404)
    assert snapshot(dbsession, tea) == before and stored_files(store) == []


def test_strangers_are_sent_to_sign_in(testapp, dbsession, tea, store):
    (demo,) = tea.images
    before = snapshot(dbsession, tea)
    for address in (pictures_url(tea), picture_url(demo, "/remove")):
        assert "/console/sign-in" in testapp.get(address).location
    token = testapp.get("/console/sign-in").forms[0]["csrf_token"].value
    for address, fields in posts(tea).items():
        testapp.post(address, dict(fields, csrf_token=token), status=403)
    assert snapshot(dbsession, tea) == before and stored_files(store) == []


def test_every_form_needs_its_csrf_token(owner, dbsession, tea, store):
    before = snapshot(dbsession, tea)
    for address, fields in posts(tea).items():
        owner.post(address, fields, status=400)
        owner.post(address, dict(fields, csrf_token="forged"), status=400)
    owner.post(pictures_url(tea), {"alt-vi": ALT_VI}, upload_files=[("image", "x.png", picture())], status=400)
    assert snapshot(dbsession, tea) == before and stored_files(store) == []
