"""The operator's 3D pages through WebTest: an operator's staff see and change only their own
villages' models (403 on every other URL, whatever the id); an upload is checked and then
stored, or refused with the problem named and nothing stored; texts, links, hotspots and
guided views edited here are what the visitors' page then shows."""
from pathlib import Path

import pytest
from sqlalchemy import func, select
from webtest import Upload

from heritage3d.models import HeritageAsset
from heritage3d.services import MAX_BYTES_SETTING, MAX_TRIANGLES_SETTING
from tests.conftest import stored_files
from tests.factories import make_experience, make_staff, sign_in
from tests.heritage3d.test_editing import BAD_MODELS, BAD_POSTERS
from tests.pages import soup, form_to
from tourism.accounts.services import find_operator
from tourism.catalog.models import Experience, PublicationStatus, Village

MODELS = Path(__file__).resolve().parents[2] / "heritage3d" / "demo" / "models"
VASE = (MODELS / "chu-dau-vase.glb").read_bytes()
POSTER = (MODELS / "chu-dau-vase.webp").read_bytes()


@pytest.fixture
def store(fresh_media_store):
    return fresh_media_store


def asset_count(dbsession) -> int:
    return dbsession.scalar(select(func.count()).select_from(HeritageAsset))


@pytest.fixture
def vase(dbsession):
    """The demo Chu Đậu vase (village chu-dau, operator gom-chu-dau), with its staff and a rival's."""
    make_staff(dbsession, find_operator(dbsession, "gom-chu-dau"), email="ours@example.com")
    make_staff(dbsession, find_operator(dbsession, "htx-che-tan-cuong"), email="theirs@example.com")
    return dbsession.scalar(select(HeritageAsset).where(HeritageAsset.slug == "chu-dau-vase"))


def page(app, url, lang="en", status=200):
    return app.get(url, {"lang": lang}, status=status)


def asset_urls(asset) -> tuple[list[str], dict[str, dict]]:
    """(every GET URL, every POST URL with plausible fields) about `asset`."""
    hotspot, view = asset.hotspots[0], asset.views[0]
    gets = [f"/console/heritage/{asset.id}", f"/console/heritage/{asset.id}/hotspots",
            f"/console/heritage/hotspots/{hotspot.id}", f"/console/heritage/hotspots/{hotspot.id}/delete",
            f"/console/heritage/views/{view.id}", f"/console/heritage/views/{view.id}/delete"]
    posts = {f"/console/heritage/{asset.id}": {"title-vi": "Hacked", "licence": "CC0-1.0", "status": "draft"},
             f"/console/heritage/{asset.id}/files": {},
             f"/console/heritage/{asset.id}/hotspots": {"x": "0", "y": "0", "z": "0", "normal_x": "0",
                                                         "normal_y": "1", "normal_z": "0", "label-vi": "Hacked"},
             f"/console/heritage/{asset.id}/views": {"orbit": "0deg 0deg 1m", "target": "0m 0m 0m",
                                                      "caption-vi": "Hacked"},
             f"/console/heritage/hotspots/{hotspot.id}": {"label-vi": "Hacked"},
             f"/console/heritage/hotspots/{hotspot.id}/move": {"place": "3"},
             f"/console/heritage/hotspots/{hotspot.id}/delete": {},
             f"/console/heritage/views/{view.id}": {"caption-vi": "Hacked"},
             f"/console/heritage/views/{view.id}/move": {"place": "2"},
             f"/console/heritage/views/{view.id}/delete": {}}
    return gets, posts


# --- who may do what -------------------------------------------------------------------------

def test_strangers_are_asked_to_sign_in_and_cannot_post(testapp, vase):
    gets, posts = asset_urls(vase)
    for url in ["/console/heritage", "/console/heritage/new"] + gets:
        assert "/console/sign-in" in testapp.get(url).location, url
    token = testapp.get("/console/sign-in").forms[0]["csrf_token"].value
    for url, fields in posts.items():
        testapp.post(url, dict(fields, csrf_token=token), status=403)


def test_another_operators_staff_get_403_on_every_url_and_change_nothing(testapp, dbsession, vase, store):
    sign_in(testapp, "theirs@example.com")
    listing = page(testapp, "/console/heritage")
    assert "Tân Cương" in listing.text and "Chu Đậu" not in listing.text
    token = page(testapp, "/console/heritage/new").forms[1]["csrf_token"].value
    gets, posts = asset_urls(vase)
    for url in gets:
        page(testapp, url, status=403)
    for url, fields in posts.items():
        testapp.post(url, dict(fields, csrf_token=token), status=403)
    testapp.post(f"/console/heritage/{vase.id}/files", {"csrf_token": token},
                 upload_files=[("model", "x.glb", VASE)], status=403)
    # Ids that do not exist, or are not ids, are simply not found.
    for url in ("/console/heritage/999999999", "/console/heritage/abc", "/console/heritage/hotspots/1e3",
                "/console/heritage/views/99999999999999", "/console/heritage/999999999/hotspots"):
        page(testapp, url, status=404)
    dbsession.expire_all()
    assert [t.title for t in vase.texts if t.locale == "vi"] != ["Hacked"]
    assert len(vase.hotspots) == 4 and len(vase.views) == 3 and vase.status == PublicationStatus.PUBLISHED
    assert stored_files(store) == []


def test_an_operator_may_add_a_model_only_to_their_own_villages(testapp, dbsession, vase, store):
    sign_in(testapp, "ours@example.com")
    form = page(testapp, "/console/heritage/new").forms[1]
    chu_dau = dbsession.scalar(select(Village).where(Village.slug == "chu-dau"))
    tan_cuong = dbsession.scalar(select(Village).where(Village.slug == "tan-cuong"))
    assert [o[0] for o in form["village"].options] == [str(chu_dau.id)]
    form["village"].force_value(str(tan_cuong.id))
    fill_upload(form, slug="khong-phai-lang-minh")
    refused = form.submit(status=400)
    assert "Choose the village this model belongs to." in refused.text
    assert stored_files(store) == [] and dbsession.scalar(
        select(HeritageAsset).where(HeritageAsset.slug == "khong-phai-lang-minh")) is None


def test_an_admin_sees_every_model(testapp, dbsession, vase):
    make_staff(dbsession, None, email="admin@example.com")
    sign_in(testapp, "admin@example.com")
    listing = soup(page(testapp, "/console/heritage"))
    links = {a["href"] for a in listing.select(".h3c-asset h2 a")}
    assert links == {f"/console/heritage/{i}" for i in dbsession.scalars(select(HeritageAsset.id))}
    assert len(links) == 3


def test_the_console_home_links_to_3d_heritage(testapp, vase):
    home = sign_in(testapp, "ours@example.com")
    assert "/console/heritage" in [a.get("href") for a in soup(home).select(".console-links a")]


def test_the_list_shows_poster_village_status_and_counts(testapp, vase):
    sign_in(testapp, "ours@example.com")
    listing = page(testapp, "/console/heritage")
    (card,) = soup(listing).select(".h3c-asset")
    assert card.img["src"].endswith(f"/media/{vase.poster_key}")
    assert "Published" in card.text and "4 hotspots" in card.text and "3 guided views" in card.text
    assert card.select_one("h2 a")["href"] == f"/console/heritage/{vase.id}"
    assert listing.headers["Cache-Control"] == "no-store"


# --- uploading -----------------------------------------------------------------------------------

def fill_upload(form, *, model=VASE, poster=POSTER, **fields):
    values = {"slug": "binh-men-lam", "title-vi": "Bình men lam", "title-en": "Blue-glazed vase",
              "licence": "CC-BY-SA-4.0", "creator": "Xưởng gốm Chu Đậu", "attribution": "Quét: Bảo tàng",
              "provenance": "Phỏng theo một bình thế kỷ 15."}
    values.update(fields)
    for name, value in values.items():
        form[name] = value
    if model is not None:
        form["model"] = Upload("binh.glb", model, "model/gltf-binary")
    if poster is not None:
        form["poster"] = Upload("binh.webp", poster, "image/webp")


def test_an_upload_creates_a_draft_with_its_files_and_counts(testapp, dbsession, vase, store):
    sign_in(testapp, "ours@example.com")
    form = page(testapp, "/console/heritage/new").forms[1]
    fill_upload(form)
    saved = form.submit().follow(params={"lang": "en"})
    assert "The model “Blue-glazed vase” was saved as a draft." in saved.text
    asset = dbsession.scalar(select(HeritageAsset).where(HeritageAsset.slug == "binh-men-lam"))
    assert asset.status == PublicationStatus.DRAFT and asset.village.slug == "chu-dau"
    assert (asset.size_bytes, asset.triangle_count) == (vase.size_bytes, vase.triangle_count)
    assert stored_files(store) == sorted([asset.model_key, asset.poster_key])
    assert all(0 < size < 1 for size in (asset.width_m, asset.height_m, asset.depth_m))  # the model's own box
    # A draft is not shown to visitors.
    page(testapp, "/heritage/binh-men-lam", status=404)


@pytest.mark.parametrize("name, data, limits, words", BAD_MODELS, ids=[m[0] for m in BAD_MODELS])
def test_a_bad_model_is_refused_with_its_problem_named_and_nothing_stored(testapp, dbsession, app, vase, store,
                                                                          monkeypatch, name, data, limits, words):
    monkeypatch.setitem(app.registry.settings, MAX_BYTES_SETTING, str(limits.max_bytes))
    monkeypatch.setitem(app.registry.settings, MAX_TRIANGLES_SETTING, str(limits.max_triangles))
    sign_in(testapp, "ours@example.com")
    before = asset_count(dbsession)
    form = page(testapp, "/console/heritage/new").forms[1]
    fill_upload(form, model=data)
    refused = form.submit(status=400)
    assert words in refused.text and "Nothing was saved." in refused.text
    field = soup(refused).find(id="new-model")
    assert field["aria-invalid"] == "true" and "new-model-error" in field["aria-describedby"]
    assert words in soup(refused).find(id="new-model-error").text
    assert soup(refused).find(id="new-slug")["value"] == "binh-men-lam"  # what was typed is kept
    assert asset_count(dbsession) == before and stored_files(store) == []


@pytest.mark.parametrize("name, data, words", BAD_POSTERS, ids=[p[0] for p in BAD_POSTERS])
def test_a_bad_poster_is_refused_and_nothing_stored(testapp, dbsession, vase, store, name, data, words):
    sign_in(testapp, "ours@example.com")
    before = asset_count(dbsession)
    form = page(testapp, "/console/heritage/new").forms[1]
    fill_upload(form, poster=data)
    refused = form.submit(status=400)
    assert words in soup(refused).find(id="new-poster-error").text
    assert asset_count(dbsession) == before and stored_files(store) == []


def test_missing_fields_and_files_are_each_named(testapp, dbsession, vase, store):
    sign_in(testapp, "ours@example.com")
    before = asset_count(dbsession)
    form = page(testapp, "/console/heritage/new").forms[1]
    fill_upload(form, model=None, poster=None, slug="", **{"title-vi": ""})
    form["licence"].force_value("")
    refused = soup(form.submit(status=400))
    linked = [a["href"] for a in refused.select(".cf-summary a")]
    assert linked == ["#new-slug", "#new-title-vi", "#new-licence", "#new-model", "#new-poster"]
    for target in linked:
        assert refused.find(id=target[1:])["aria-invalid"] == "true"
    assert asset_count(dbsession) == before and stored_files(store) == []


def test_a_body_over_the_limit_is_refused_before_it_is_read(testapp, dbsession, app, vase, store, monkeypatch):
    monkeypatch.setitem(app.registry.settings, MAX_BYTES_SETTING, "50000")
    sign_in(testapp, "ours@example.com")
    form = page(testapp, "/console/heritage/new").forms[1]
    fill_upload(form, model=VASE * 12)  # 1.4 MB: over 50 kB + the poster's 1 MB + the form
    refused = form.submit(status=413)
    assert "These files are too large" in refused.text and refused.headers["Cache-Control"] == "no-store"
    assert stored_files(store) == [] and dbsession.scalar(
        select(HeritageAsset).where(HeritageAsset.slug == "binh-men-lam")) is None
    # Another operator's staff get 403 first, whatever the size.
    testapp.reset()
    sign_in(testapp, "theirs@example.com")
    token = page(testapp, "/console/heritage/new").forms[1]["csrf_token"].value
    testapp.post(f"/console/heritage/{vase.id}/files", {"csrf_token": token},
                 upload_files=[("model", "x.glb", VASE * 12)], status=403)


def test_form_fields_sent_as_files_or_missing_are_not_a_server_error(testapp, vase, store):
    sign_in(testapp, "ours@example.com")
    token = page(testapp, "/console/heritage/new").forms[1]["csrf_token"].value
    refused = testapp.post("/console/heritage/new", {"csrf_token": token, "village": "x" * 50},
                           upload_files=[("slug", "slug.txt", b"abc"), ("title-vi", "t.txt", b"t")], status=400)
    assert "Choose the model file" in refused.text
    testapp.post(f"/console/heritage/{vase.id}", {"csrf_token": token, "experience": "nope"}, status=400)
    testapp.post(f"/console/heritage/hotspots/{vase.hotspots[0].id}/move", {"csrf_token": token, "place": "-1"},
                 status=400)
    assert stored_files(store) == []


# --- editing an asset ------------------------------------------------------------------------------

def test_texts_edited_in_three_languages_show_on_the_visitors_page(testapp, dbsession, vase):
    sign_in(testapp, "ours@example.com")
    form = form_to(page(testapp, f"/console/heritage/{vase.id}"), f"/console/heritage/{vase.id}")
    form["title-vi"] = "Bình gốm Chu Đậu (mới)"
    form["title-en"] = "A Chu Đậu vase, renamed"
    form["description-en"] = "Cobalt blue under a clear glaze."
    form["title-ko"] = "주다우 도자기 꽃병"
    form["alt-ko"] = "푸른 무늬가 있는 흰 꽃병"
    form["title-fr"] = ""  # emptied: the French visitor falls back to English
    form["description-fr"] = ""
    form["alt-fr"] = ""
    form["licence"] = "CC0-1.0"
    form["stop_codes"] = "cd2, CD3 cd2"
    saved = form.submit().follow(params={"lang": "en"})
    assert "Saved." in saved.text and soup(saved).find(id="asset-stop_codes")["value"] == "CD2, CD3"
    public = {lang: soup(page(testapp, "/heritage/chu-dau-vase", lang)) for lang in ("vi", "en", "ko", "fr")}
    assert public["vi"].h1.text == "Bình gốm Chu Đậu (mới)"
    assert public["en"].h1.text == "A Chu Đậu vase, renamed"
    assert "Cobalt blue under a clear glaze." in public["en"].text
    assert public["ko"].h1.text == "주다우 도자기 꽃병" and public["ko"].find("model-viewer")["alt"] == "푸른 무늬가 있는 흰 꽃병"
    assert public["fr"].h1.text == "A Chu Đậu vase, renamed" and public["fr"].h1["lang"] == "en"
    assert "https://creativecommons.org/publicdomain/zero/1.0/" in str(public["en"])


def test_unpublishing_hides_the_model_from_visitors(testapp, vase):
    sign_in(testapp, "ours@example.com")
    form = form_to(page(testapp, f"/console/heritage/{vase.id}"), f"/console/heritage/{vase.id}")
    form["status"] = "draft"
    form.submit().follow()
    page(testapp, "/heritage/chu-dau-vase", status=404)
    assert "Draft" in page(testapp, "/console/heritage").text


def test_an_edit_with_a_wrong_field_saves_nothing_and_keeps_what_was_typed(testapp, dbsession, vase):
    sign_in(testapp, "ours@example.com")
    form = form_to(page(testapp, f"/console/heritage/{vase.id}"), f"/console/heritage/{vase.id}")
    form["title-en"] = "Should not be saved"
    form["width_m"] = "250"
    refused = form.submit(status=400)
    assert soup(refused).find(id="asset-width_m-error").text.endswith("A size must be more than 0 and at most "
                                                                       "100 metres.")
    assert soup(refused).find(id="asset-title-en")["value"] == "Should not be saved"
    assert soup(page(testapp, "/heritage/chu-dau-vase")).h1.text != "Should not be saved"


def test_only_the_villages_experiences_can_be_linked(testapp, dbsession, vase):
    sign_in(testapp, "ours@example.com")
    edit = page(testapp, f"/console/heritage/{vase.id}")
    boxes = [box["value"] for box in soup(edit).select("input[name=experience]")]
    own = dbsession.scalars(select(Experience.id).where(Experience.village_id == vase.village_id)).all()
    assert sorted(boxes) == sorted(str(i) for i in own) and len(boxes) == 2
    tan_cuong = dbsession.scalar(select(Village).where(Village.slug == "tan-cuong"))
    elsewhere = make_experience(dbsession, tan_cuong, slug="tan-cuong-khac")
    form = form_to(edit, f"/console/heritage/{vase.id}")
    fields = list(form.submit_fields()) + [("experience", str(elsewhere.id))]
    refused = testapp.post(f"/console/heritage/{vase.id}", fields, status=400)
    assert "An experience can be chosen only among this village's experiences." in soup(refused).text
    dbsession.expire_all()
    assert elsewhere.id not in [e.id for e in vase.experiences]
    # Unticking its own removes them from the visitors' page.
    assert soup(page(testapp, "/heritage/chu-dau-vase")).find(id="h3d-experiences-title") is not None
    form = form_to(page(testapp, f"/console/heritage/{vase.id}"), f"/console/heritage/{vase.id}")
    for box in form.fields["experience"]:
        box.checked = False
    form.submit().follow()
    assert soup(page(testapp, "/heritage/chu-dau-vase")).find(id="h3d-experiences-title") is None


def test_the_poster_is_replaced_and_a_bad_model_refused(testapp, dbsession, vase, store):
    sign_in(testapp, "ours@example.com")
    edit = page(testapp, f"/console/heritage/{vase.id}")
    form = form_to(edit, "/files")
    form["model"] = Upload("broken.glb", VASE[:1000], "model/gltf-binary")
    refused = form.submit(status=400)
    assert "truncated or damaged" in soup(refused).find(id="files-model-error").text
    assert stored_files(store) == []
    old_poster = vase.poster_key
    new_poster = (MODELS / "tan-cuong-tea-pan.webp").read_bytes()
    form = form_to(page(testapp, f"/console/heritage/{vase.id}"), "/files")
    form["poster"] = Upload("new.webp", new_poster, "image/webp")
    done = form.submit().follow(params={"lang": "en"})
    assert "The poster was replaced." in done.text
    dbsession.expire_all()
    assert vase.poster_key != old_poster and stored_files(store) == [vase.poster_key]
    assert soup(page(testapp, "/heritage/chu-dau-vase")).find("img", slot="poster")["src"].endswith(vase.poster_key)


# --- hotspots and guided views ------------------------------------------------------------------

def public_notes(testapp, lang="en") -> list[str]:
    return [li.strong.text for li in soup(page(testapp, "/heritage/chu-dau-vase", lang)).select("ol.h3d-notes > li")]


def public_views(testapp, lang="en") -> list[str]:
    return [li.text.strip() for li in soup(page(testapp, "/heritage/chu-dau-vase", lang)).select("ol.h3d-views > li")]


def test_a_hotspot_typed_in_without_javascript_shows_on_the_visitors_page(testapp, dbsession, vase):
    sign_in(testapp, "ours@example.com")
    before = public_notes(testapp)
    hotspots = page(testapp, f"/console/heritage/{vase.id}/hotspots")
    assert soup(hotspots).find("model-viewer")["src"].endswith(f"/media/{vase.model_key}")
    form = form_to(hotspots, f"/console/heritage/{vase.id}/hotspots")
    for name, value in {"x": "0.05", "y": "0,2", "z": "0.07", "normal_x": "0", "normal_y": "0",
                        "normal_z": "2"}.items():
        form[name] = value
    form["label-vi"] = "Vết nứt men"
    form["label-en"] = "A glaze crack"
    form["text-en"] = "Crazing from the kiln."
    done = form.submit().follow(params={"lang": "en"})
    assert "Hotspot 5 was added." in done.text
    assert public_notes(testapp) == before + ["A glaze crack."]
    button = soup(page(testapp, "/heritage/chu-dau-vase")).select("button.h3d-hotspot")[-1]
    assert (button["data-position"], button["data-normal"]) == ("0.05m 0.2m 0.07m", "0m 0m 1m")


def test_a_hotspot_with_wrong_numbers_is_refused_with_each_field_named(testapp, dbsession, vase):
    sign_in(testapp, "ours@example.com")
    form = form_to(page(testapp, f"/console/heritage/{vase.id}/hotspots"), f"/console/heritage/{vase.id}/hotspots")
    token = form["csrf_token"].value
    refused = testapp.post(f"/console/heritage/{vase.id}/hotspots",
                           {"csrf_token": token, "x": "nan", "y": "", "z": "1e999", "normal_x": "0",
                            "normal_y": "0", "normal_z": "0", "label-vi": ""}, status=400)
    page_soup = soup(refused)
    assert [a["href"] for a in page_soup.select(".cf-summary a")] == [
        "#hotspot-x", "#hotspot-y", "#hotspot-z", "#hotspot-label-vi"]
    assert page_soup.find(id="hotspot-x")["value"] == "nan"
    dbsession.expire_all()
    assert len(vase.hotspots) == 4


def test_hotspots_are_edited_reordered_and_deleted(testapp, dbsession, vase):
    sign_in(testapp, "ours@example.com")
    first, second = vase.hotspots[0], vase.hotspots[1]
    original = public_notes(testapp)
    edit = page(testapp, f"/console/heritage/hotspots/{second.id}")
    form = form_to(edit, f"/console/heritage/hotspots/{second.id}")
    assert form["label-en"].value == original[1].rstrip(".")
    form["label-en"] = "Renamed detail"
    form["y"] = "0.123"
    done = form.submit().follow(params={"lang": "en"})
    assert "Hotspot 2 was saved." in done.text
    assert public_notes(testapp)[1] == "Renamed detail."
    # Move the second up: it becomes the first.
    (up,) = [f for f in done.forms.values() if f.action.endswith(f"/console/heritage/hotspots/{second.id}/move")
             and f["place"].value == "1"]
    moved = up.submit().follow(params={"lang": "en"})
    assert "Moved to place 1." in moved.text
    assert public_notes(testapp)[:2] == ["Renamed detail.", original[0]]
    # Delete: a confirmation page first, then the others close the gap.
    confirm = page(testapp, f"/console/heritage/hotspots/{first.id}/delete")
    assert "This cannot be undone." in confirm.text
    deleted = confirm.forms[1].submit().follow(params={"lang": "en"})
    assert f"Hotspot 2 (“{original[0].rstrip('.')}”) was deleted." in deleted.text
    assert public_notes(testapp) == ["Renamed detail."] + original[2:]
    dbsession.expire_all()
    assert [h.position for h in vase.hotspots] == [1, 2, 3]


def test_guided_views_are_added_edited_reordered_and_deleted(testapp, dbsession, vase):
    sign_in(testapp, "ours@example.com")
    original = public_views(testapp)
    hotspots = page(testapp, f"/console/heritage/{vase.id}/hotspots")
    form = form_to(hotspots, f"/console/heritage/{vase.id}/views")
    form["orbit"] = "wide angle"
    form["target"] = "0m 0.2m 0m"
    form["caption-vi"] = "Chân đế"
    refused = form.submit(status=400)
    assert "Write the camera position as two angles and a distance" in soup(refused).find(id="view-orbit-error").text
    form = form_to(refused, f"/console/heritage/{vase.id}/views")
    assert form["caption-vi"].value == "Chân đế"
    form["orbit"] = "45DEG  100deg 60cm"
    form["caption-en"] = "The foot ring"
    done = form.submit().follow(params={"lang": "en"})
    assert "Guided view 4 was added." in done.text
    assert public_views(testapp) == original + ["The foot ring"]
    dbsession.expire_all()
    added = vase.views[-1]
    assert (added.orbit, added.target) == ("45deg 100deg 60cm", "0m 0.2m 0m")
    # Edit, then move it first: the visitor's first view (and first camera) is the new one.
    edit = form_to(page(testapp, f"/console/heritage/views/{added.id}"), f"/console/heritage/views/{added.id}")
    edit["caption-en"] = "The unglazed foot"
    edit.submit().follow()
    testapp.post(f"/console/heritage/views/{added.id}/move", {"csrf_token": edit["csrf_token"].value, "place": "1"},
                 status=303)
    public = soup(page(testapp, "/heritage/chu-dau-vase"))
    assert public.find("model-viewer")["camera-orbit"] == "45deg 100deg 60cm"
    assert public_views(testapp) == ["The unglazed foot"] + original
    confirm = page(testapp, f"/console/heritage/views/{added.id}/delete")
    confirm.forms[1].submit().follow()
    assert public_views(testapp) == original


def test_the_console_pages_are_in_vietnamese_with_labelled_fields(testapp, vase):
    sign_in(testapp, "ours@example.com")
    for url in ("/console/heritage/new", f"/console/heritage/{vase.id}", f"/console/heritage/{vase.id}/hotspots",
                f"/console/heritage/hotspots/{vase.hotspots[0].id}"):
        html = soup(page(testapp, url, lang="vi"))
        assert html.html["lang"] == "vi"
        for field in html.select("main input:not([type=hidden]), main textarea, main select"):
            assert html.find("label", attrs={"for": field["id"]}) is not None, (url, field["id"])
        ids = [tag["id"] for tag in html.find_all(id=True)]
        assert len(ids) == len(set(ids)), url
