"""The operator's changes to 3D assets, without HTTP: an upload creates a draft with the file's
own counts and size; every refused field is named and then nothing is stored (no row, no
file) or changed; texts, codes, numbers and camera strings are normalised; hotspots and
guided views keep their numbering 1…n through additions, moves and deletions."""
import io
import json
import math
import struct
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from webob.multidict import MultiDict

from heritage3d import editing
from heritage3d.editing import InvalidInput
from heritage3d.models import AssetText, GuidedView, HeritageAsset, Hotspot, HotspotText, Licence
from heritage3d.services import Budget, check_poster
from tourism.images import ImageInfo
from tests.conftest import stored_files
from tests.factories import make_experience, make_village
from tourism.catalog.models import PublicationStatus
from tourism.media import MediaStore

MODELS = Path(__file__).resolve().parents[2] / "heritage3d" / "demo" / "models"
VASE = (MODELS / "chu-dau-vase.glb").read_bytes()
POSTER = (MODELS / "chu-dau-vase.webp").read_bytes()
BUDGET = Budget(max_bytes=3 * 1024 * 1024, max_triangles=150_000)


# --- files that must be refused, shared with the console's tests ------------------------------

def glb_with_json(raw: bytes) -> bytes:
    raw += b" " * (-len(raw) % 4)
    return struct.pack("<III", 0x46546C67, 2, 20 + len(raw)) + struct.pack("<II", len(raw), 0x4E4F534A) + raw


def with_length(data: bytes, length: int) -> bytes:
    return data[:8] + struct.pack("<I", length) + data[12:]


# (name, bytes, budget, words the refusal must contain)
BAD_MODELS = [
    ("truncated", VASE[: len(VASE) // 2], BUDGET, "truncated or damaged"),
    ("wrong magic", b"PK\x03\x04" + VASE[4:], BUDGET, "not a GLB file"),
    ("lying length", with_length(VASE, len(VASE) + 4096), BUDGET, "declares"),
    ("not JSON", glb_with_json(b"{this is not json"), BUDGET, "not valid JSON"),
    ("huge JSON", glb_with_json(json.dumps({"asset": {"version": "2.0"}}).encode() + b" " * (1024 * 1024 + 8)),
     BUDGET, "JSON description is"),
    ("too many bytes", VASE, Budget(max_bytes=100_000, max_triangles=150_000), "at most 100000 bytes"),
    ("too many triangles", VASE, Budget(max_bytes=3 * 1024 * 1024, max_triangles=1000), "at most 1000 triangles"),
    ("tiny", b"glTF", BUDGET, "too short"),
]
BAD_POSTERS = [
    ("text", "Không phải ảnh".encode() * 20, "not an image we can read"),
    ("glb as poster", VASE[:50_000], "not an image we can read"),
    ("cut short", POSTER[: len(POSTER) // 2], "not an image we can read"),
]


def message(error: InvalidInput, field: str) -> str:
    return error.errors[field].interpolate()


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture
def store(tmp_path):
    return MediaStore(tmp_path / "media")



@pytest.fixture
def village(dbsession):
    return make_village(dbsession, slug="lang-3d", texts={"vi": "Làng Ba Chiều", "en": "3D Village"})


def upload_form(**fields) -> dict:
    form = {"village": "", "slug": "binh-gom-thu", "title-vi": "Bình gốm thử", "licence": "CC-BY-4.0",
            "creator": "Nguyễn Văn A", "attribution": "Ảnh quét: Làng Thử", "provenance": "Quét năm 2025."}
    form.update(fields)
    return form


def create(dbsession, store, village, *, model=VASE, poster=POSTER, limits=BUDGET, **fields):
    return editing.create_asset(dbsession, store, upload_form(village=str(village.id), **fields),
                                villages=[village], model=model, poster=poster, limits=limits)


def asset_count(dbsession) -> int:
    return dbsession.scalar(select(func.count()).select_from(HeritageAsset))


# --- a new asset -------------------------------------------------------------------------------

def test_an_upload_creates_a_draft_with_the_files_counts_and_its_own_size(dbsession, store, village):
    asset = create(dbsession, store, village, **{"title-en": "  Trial   vase ", "description-en": "Blue\r\nand white"})
    assert (asset.slug, asset.village_id, asset.status) == ("binh-gom-thu", village.id, PublicationStatus.DRAFT)
    assert asset.size_bytes == len(VASE) and asset.triangle_count > 1000 and asset.vertex_count > 0
    assert (asset.poster_width, asset.poster_height) == Image.open(io.BytesIO(POSTER)).size
    assert sorted(stored_files(store)) == sorted([asset.model_key, asset.poster_key])
    assert asset.model_key.endswith(".glb") and asset.poster_key.endswith(".webp")
    assert asset.licence is Licence.CC_BY and asset.creator == "Nguyễn Văn A"
    texts = {t.locale: (t.title, t.description) for t in asset.texts}
    assert texts == {"vi": ("Bình gốm thử", ""), "en": ("Trial vase", "Blue\nand white")}
    # No size given: the model's own box, to the millimetre (the demo vase is about 22 × 34 cm).
    assert 0.1 < asset.width_m < 0.5 and 0.2 < asset.height_m < 0.6 and 0.1 < asset.depth_m < 0.5
    assert all(round(v, 3) == v for v in (asset.width_m, asset.height_m, asset.depth_m))


def test_a_size_given_with_the_upload_is_kept_and_a_decimal_comma_is_read(dbsession, store, village):
    asset = create(dbsession, store, village, width_m="0,4", height_m="0.61234", depth_m="0.4")
    assert (asset.width_m, asset.height_m, asset.depth_m) == (0.4, 0.612, 0.4)


@pytest.mark.parametrize("name, data, limits, words", BAD_MODELS, ids=[m[0] for m in BAD_MODELS])
def test_a_bad_model_is_refused_by_name_and_nothing_is_stored(dbsession, store, village, name, data, limits, words):
    before = asset_count(dbsession)
    with pytest.raises(InvalidInput) as refused:
        create(dbsession, store, village, model=data, limits=limits)
    assert words in message(refused.value, "model")
    assert list(refused.value.errors) == ["model"]
    assert asset_count(dbsession) == before and stored_files(store) == []


@pytest.mark.parametrize("kind, extension", [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_a_poster_in_png_jpeg_or_webp_is_accepted_with_its_size(kind, extension):
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 180, 150)).save(out, kind)
    assert check_poster(out.getvalue()) == ImageInfo(extension, 320, 240)


@pytest.mark.parametrize("name, data, words", BAD_POSTERS, ids=[p[0] for p in BAD_POSTERS])
def test_a_bad_poster_is_refused_by_name_and_nothing_is_stored(dbsession, store, village, name, data, words):
    with pytest.raises(InvalidInput) as refused:
        create(dbsession, store, village, poster=data)
    assert words in message(refused.value, "poster") and list(refused.value.errors) == ["poster"]
    assert stored_files(store) == []


def test_every_missing_or_wrong_field_is_named_at_once(dbsession, store, village):
    other = make_village(dbsession, slug="lang-khac")
    form = {"village": str(other.id), "slug": "Bình Gốm", "licence": "GPL", "title-en": "Only English",
            "width_m": "0.3", "height_m": "abc", "depth_m": ""}
    with pytest.raises(InvalidInput) as refused:
        editing.create_asset(dbsession, store, form, villages=[village], model=None, poster=b"", limits=BUDGET)
    assert set(refused.value.errors) == {"village", "slug", "licence", "title-vi", "height_m", "depth_m",
                                         "model", "poster"}
    assert "small letters" in message(refused.value, "slug")
    assert "Choose the model file" in message(refused.value, "model")
    assert "Give all three sizes" in message(refused.value, "depth_m")
    assert stored_files(store) == []


@pytest.mark.parametrize("slug, words", [
    ("", "web address name"), ("chu-dau-vase", "Another model"), ("binh--gom", "small letters"),
    ("-binh", "small letters"), ("binh_gom", "small letters"), ("a" * 81, "at most 80"), ("bình", "small letters"),
])
def test_slugs_are_plain_lowercase_words_and_unique(dbsession, store, village, slug, words):
    with pytest.raises(InvalidInput) as refused:
        create(dbsession, store, village, slug=slug)
    assert words in message(refused.value, "slug")


def test_a_slug_taken_in_the_same_instant_is_refused_like_a_taken_one(dbsession, store, village, monkeypatch):
    # Two uploads of one slug at once: both pass the look-up, the database's unique
    # constraint refuses the second, and its maker reads why instead of an error page.
    create(dbsession, store, village, slug="cung-luc")
    monkeypatch.setattr(editing, "read_slug", lambda dbsession, form, problems: form["slug"])
    before = asset_count(dbsession)
    with pytest.raises(InvalidInput) as refused:
        create(dbsession, store, village, slug="cung-luc", **{"title-vi": "Bình thứ hai"})
    assert "Another model" in message(refused.value, "slug")
    assert asset_count(dbsession) == before  # and the session goes on working


@pytest.mark.parametrize("sizes, field, words", [
    (("0", "0.3", "0.3"), "width_m", "more than 0"),
    (("101", "0.3", "0.3"), "width_m", "at most 100"),
    (("0.3", "nan", "0.3"), "height_m", "as a number"),
    (("0.3", "inf", "0.3"), "height_m", "as a number"),
    (("0.3", "0.3", "0.0001"), "depth_m", "at least 1 millimetre"),
    (("0.3", "", "0.3"), "height_m", "all three"),
])
def test_sizes_are_positive_metres_up_to_100(dbsession, store, village, sizes, field, words):
    width, height, depth = sizes
    with pytest.raises(InvalidInput) as refused:
        create(dbsession, store, village, width_m=width, height_m=height, depth_m=depth)
    assert words in message(refused.value, field)


def test_dimensions_from_bounds_skip_flat_or_huge_models():
    assert editing.dimensions_from_bounds((-0.1, 0, -0.1), (0.1, 0.34567, 0.1)) == (0.2, 0.346, 0.2)
    assert editing.dimensions_from_bounds((0, 0, 0), (1, 0, 1)) is None
    assert editing.dimensions_from_bounds((0, 0, 0), (500, 1, 1)) is None
    assert editing.dimensions_from_bounds(None, None) is None


# --- editing an asset ----------------------------------------------------------------------------

@pytest.fixture
def asset(dbsession, store, village):
    return create(dbsession, store, village)


def edit_form(**fields) -> dict:
    form = {"title-vi": "Bình gốm", "licence": "CC0-1.0", "status": "published", "creator": "",
            "attribution": "", "provenance": "", "width_m": "", "height_m": "", "depth_m": "", "stop_codes": ""}
    form.update(fields)
    return form


def test_saving_an_asset_rewrites_its_texts_credits_links_and_status(dbsession, asset, village):
    kiln = make_experience(dbsession, village, slug="lo-nung-3d")
    editing.save_asset(dbsession, asset, edit_form(**{
        "title-ko": "도자기 꽃병", "alt-ko": "푸른 꽃병", "title-fr": "Vase", "description-fr": "Bleu.",
        "stop_codes": " ga2, gA3;GA2  cd7 ", "width_m": "0.2", "height_m": "0.3", "depth_m": "0.2"}),
        [str(kiln.id), str(kiln.id)])
    dbsession.expire_all()
    assert {t.locale: (t.title, t.description, t.alt) for t in asset.texts} == {
        "vi": ("Bình gốm", "", ""), "ko": ("도자기 꽃병", "", "푸른 꽃병"), "fr": ("Vase", "Bleu.", "")}
    assert asset.licence is Licence.CC0 and asset.status is PublicationStatus.PUBLISHED
    assert asset.stop_codes == ["CD7", "GA2", "GA3"]
    assert [e.id for e in asset.experiences] == [kiln.id]
    assert (asset.width_m, asset.height_m, asset.depth_m) == (0.2, 0.3, 0.2)
    # Emptied: the locale's row goes, the sizes become unknown, the links are dropped.
    editing.save_asset(dbsession, asset, edit_form(), [])
    dbsession.expire_all()
    assert [t.locale for t in asset.texts] == ["vi"] and asset.stop_codes == [] and asset.experiences == []
    assert asset.width_m is None


def test_a_wrong_field_changes_nothing_at_all(dbsession, asset, village):
    before = {t.locale: t.title for t in asset.texts}
    with pytest.raises(InvalidInput) as refused:
        editing.save_asset(dbsession, asset, edit_form(**{"title-vi": "Mới", "stop_codes": "GA2, G-1, gI0"}), [])
    assert "G-1, GI0" in message(refused.value, "stop_codes")
    dbsession.expire_all()
    assert {t.locale: t.title for t in asset.texts} == before
    assert asset.licence is Licence.CC_BY and asset.status is PublicationStatus.DRAFT and asset.stop_codes == []


def test_an_experience_of_another_village_is_refused(dbsession, asset):
    elsewhere = make_experience(dbsession, make_village(dbsession, slug="lang-khac-3d"), slug="khac-3d")
    for ids in ([str(elsewhere.id)], ["abc"], ["999999999"]):
        with pytest.raises(InvalidInput) as refused:
            editing.save_asset(dbsession, asset, edit_form(), ids)
        assert "this village's experiences" in message(refused.value, "experiences")
    assert asset.experiences == []


@pytest.mark.parametrize("fields, field, words", [
    ({"title-vi": "   "}, "title-vi", "in Vietnamese"),
    ({"description-en": "Only a description"}, "title-en", "in this language too"),
    ({"alt-ja": "代替"}, "title-ja", "in this language too"),
    ({"title-zh": "x" * 201}, "title-zh", "At most 200 characters"),
    ({"status": "deleted"}, "status", "Choose whether"),
    ({"licence": ""}, "licence", "Choose the licence"),
    ({"stop_codes": "ABCDEFGHJKLMN"}, "stop_codes", "at most 12"),
    ({"stop_codes": " ".join(f"A{n}" for n in range(2, 10)) + " " + " ".join(f"B{n}" for n in range(2, 10))
      + " " + " ".join(f"C{n}" for n in range(2, 8))}, "stop_codes", "At most 20 stops"),
])
def test_text_and_choice_rules(dbsession, asset, fields, field, words):
    with pytest.raises(InvalidInput) as refused:
        editing.save_asset(dbsession, asset, edit_form(**fields), [])
    assert words in message(refused.value, field)


def test_control_characters_are_dropped_and_one_line_texts_fold_their_spaces(dbsession, asset):
    editing.save_asset(dbsession, asset, edit_form(**{
        "title-vi": "Bình\x00 gốm\n  men lam", "description-vi": "Dòng một\r\n\r\nDòng\x07 hai  ",
        "creator": "\tNghệ nhân  A"}), [])
    (text,) = asset.texts
    assert (text.title, text.description, asset.creator) == ("Bình gốm men lam", "Dòng một\n\nDòng hai", "Nghệ nhân A")


def test_a_value_sent_as_a_file_counts_as_empty(dbsession, asset):
    form = MultiDict(edit_form())
    form["title-vi"] = object()  # what WebOb gives for a file in a text field
    with pytest.raises(InvalidInput) as refused:
        editing.save_asset(dbsession, asset, form, [])
    assert "in Vietnamese" in message(refused.value, "title-vi")


def test_replacing_files_keeps_the_old_ones_in_the_store(dbsession, store, asset):
    old_model, old_poster = asset.model_key, asset.poster_key
    pan = (MODELS / "tan-cuong-tea-pan.glb").read_bytes()
    editing.replace_files(dbsession, store, asset, model=pan, poster=None, limits=BUDGET)
    assert asset.model_key != old_model and asset.size_bytes == len(pan) and asset.poster_key == old_poster
    assert set(stored_files(store)) == {old_model, old_poster, asset.model_key}
    with pytest.raises(InvalidInput) as refused:
        editing.replace_files(dbsession, store, asset, model=None, poster=b"not an image at all", limits=BUDGET)
    assert "not an image" in message(refused.value, "poster") and asset.poster_key == old_poster
    with pytest.raises(InvalidInput) as refused:
        editing.replace_files(dbsession, store, asset, model=VASE, poster=None,
                              limits=Budget(max_bytes=1000, max_triangles=10))
    assert "bytes" in message(refused.value, "model") and asset.size_bytes == len(pan)
    with pytest.raises(InvalidInput):
        editing.replace_files(dbsession, store, asset, model=None, poster=None, limits=BUDGET)
    assert len(stored_files(store)) == 3


# --- hotspots ----------------------------------------------------------------------------------

def spot(x="0.1", y="0.2", z="0.05", n=("0", "2", "0"), **texts) -> dict:
    form = {"x": x, "y": y, "z": z, "normal_x": n[0], "normal_y": n[1], "normal_z": n[2], "label-vi": "Men lam"}
    form.update(texts)
    return form


def test_a_hotspot_is_added_with_its_normal_made_unit_length(dbsession, asset):
    hotspot = editing.add_hotspot(dbsession, asset, spot(x="0,1", n=("3", "0", "4"), **{"label-en": "Glaze",
                                                                                         "text-en": "Cobalt."}))
    assert (hotspot.x, hotspot.y, hotspot.z) == (0.1, 0.2, 0.05)
    assert (hotspot.normal_x, hotspot.normal_y, hotspot.normal_z) == (0.6, 0.0, 0.8)
    assert {t.locale: (t.label, t.text) for t in hotspot.texts} == {"vi": ("Men lam", ""), "en": ("Glaze", "Cobalt.")}
    second = editing.add_hotspot(dbsession, asset, spot())
    assert [h.position for h in asset.hotspots] == [1, 2] and asset.hotspots[1] is second
    assert math.isclose(math.hypot(second.normal_x, second.normal_y, second.normal_z), 1.0)


@pytest.mark.parametrize("fields, field, words", [
    ({"x": ""}, "x", "Give a number"),
    ({"y": "nan"}, "y", "Write a number"),
    ({"z": "Infinity"}, "z", "Write a number"),
    ({"x": "1e309"}, "x", "Write a number"),
    ({"x": "20000"}, "x", "Write a number"),
    ({"normal_x": "0", "normal_y": "0", "normal_z": "0"}, "normal_x", "cannot be 0, 0, 0"),
    ({"label-vi": ""}, "label-vi", "in Vietnamese"),
    ({"text-ko": "설명만"}, "label-ko", "in this language too"),
    ({"label-vi": "x" * 121}, "label-vi", "At most 120"),
])
def test_hotspot_rules(dbsession, asset, fields, field, words):
    with pytest.raises(InvalidInput) as refused:
        editing.add_hotspot(dbsession, asset, dict(spot(), **fields))
    assert words in message(refused.value, field)
    assert asset.hotspots == []


def test_a_hotspot_is_edited_moved_and_deleted_and_the_others_close_the_gap(dbsession, asset):
    first, second, third = (editing.add_hotspot(dbsession, asset, spot(**{"label-vi": name}))
                            for name in ("Một", "Hai", "Ba"))
    editing.update_hotspot(dbsession, second, spot(x="-0.3", **{"label-vi": "Hai mới", "label-ja": "二"}))
    assert second.x == -0.3 and {t.locale: t.label for t in second.texts} == {"vi": "Hai mới", "ja": "二"}
    with pytest.raises(InvalidInput):
        editing.update_hotspot(dbsession, second, spot(x="oops", **{"label-vi": "Sai"}))
    assert second.x == -0.3 and {t.locale for t in second.texts} == {"vi", "ja"}

    assert editing.move(dbsession, third, 1) is True
    assert editing.move(dbsession, third, 1) is False  # a repeated press
    assert [h.id for h in asset.hotspots] == [third.id, first.id, second.id]
    editing.move(dbsession, third, 99)  # past the end: the end
    assert [h.id for h in asset.hotspots] == [first.id, second.id, third.id]
    editing.delete(dbsession, first)
    assert [(h.id, h.position) for h in asset.hotspots] == [(second.id, 1), (third.id, 2)]
    assert dbsession.get(Hotspot, first.id) is None


# --- guided views --------------------------------------------------------------------------------

@pytest.mark.parametrize("orbit, target, stored", [
    ("20deg 60deg 2.2m", "0m 0.3m 0m", ("20deg 60deg 2.2m", "0m 0.3m 0m")),
    ("  -0.35RAD   1.2rad 150CM ", "-1mm .5cm 0.0m", ("-0.35rad 1.2rad 150cm", "-1mm .5cm 0.0m")),
    ("0deg 0deg 0m", "0m 0m 0m", ("0deg 0deg 0m", "0m 0m 0m")),
])
def test_camera_strings_are_read_strictly_and_stored_tidily(dbsession, asset, orbit, target, stored):
    view = editing.add_view(dbsession, asset, {"orbit": orbit, "target": target, "caption-vi": "Toàn cảnh"})
    assert (view.orbit, view.target) == stored


@pytest.mark.parametrize("orbit, target, field", [
    ("20deg 60deg", "0m 0m 0m", "orbit"),
    ("20 60 2", "0m 0m 0m", "orbit"),
    ("20deg 60deg -2m", "0m 0m 0m", "orbit"),
    ("20deg 60deg 2deg", "0m 0m 0m", "orbit"),
    ("auto auto auto", "0m 0m 0m", "orbit"),
    ("1e3deg 60deg 2m", "0m 0m 0m", "orbit"),
    ("20deg 60deg 2m; color: red", "0m 0m 0m", "orbit"),
    ("20deg 60deg 2m", "0m 0m", "target"),
    ("20deg 60deg 2m", "0rad 0m 0m", "target"),
    ("20deg 60deg 2m", "0m 0m 0m 0m", "target"),
    ("20deg 60deg 2m", "1" * 80 + "m 0m 0m", "target"),
])
def test_wrong_camera_strings_are_refused(dbsession, asset, orbit, target, field):
    with pytest.raises(InvalidInput) as refused:
        editing.add_view(dbsession, asset, {"orbit": orbit, "target": target, "caption-vi": "Sai"})
    assert set(refused.value.errors) == {field}
    assert asset.views == []


def test_guided_views_are_captioned_edited_reordered_and_deleted(dbsession, asset):
    with pytest.raises(InvalidInput) as refused:
        editing.add_view(dbsession, asset, {"orbit": "0deg 90deg 1m", "target": "0m 0m 0m", "caption-en": "Front"})
    assert "in Vietnamese" in message(refused.value, "caption-vi")
    front, side = (editing.add_view(dbsession, asset, {"orbit": orbit, "target": "0m 0m 0m", "caption-vi": caption})
                   for orbit, caption in (("0deg 90deg 1m", "Mặt trước"), ("90deg 90deg 1m", "Mặt bên")))
    editing.update_view(dbsession, side, {"orbit": "90deg 45deg 1m", "target": "0m 0.1m 0m",
                                          "caption-vi": "Mặt bên", "caption-fr": "Côté"})
    assert side.orbit == "90deg 45deg 1m" and {t.locale: t.caption for t in side.texts} == {"vi": "Mặt bên",
                                                                                             "fr": "Côté"}
    editing.move(dbsession, side, 1)
    assert [v.id for v in asset.views] == [side.id, front.id]
    editing.delete(dbsession, side)
    assert [(v.id, v.position) for v in asset.views] == [(front.id, 1)]
    assert dbsession.get(GuidedView, side.id) is None


def test_texts_of_a_deleted_hotspot_go_with_it(dbsession, asset):
    hotspot = editing.add_hotspot(dbsession, asset, spot(**{"label-en": "Glaze"}))
    editing.delete(dbsession, hotspot)
    assert dbsession.scalars(select(HotspotText).where(HotspotText.hotspot_id == hotspot.id)).all() == []
    assert dbsession.scalars(select(AssetText).where(AssetText.asset_id == asset.id)).all() != []
