"""The visitor's 3D pages through WebTest, in Vietnamese, English and Korean: the asset page
with its annotations, licence and JSON-LD; the gallery on the village page; the asset on
the experience pages and audio-guide stops it is linked to; what a page without
JavaScript still carries; the files and the viewer served from our own origin."""
import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from heritage3d.models import AssetText, HeritageAsset, Licence
from tests.factories import make_village
from tourism.catalog.models import PublicationStatus

MODELS = Path(__file__).resolve().parents[2] / "heritage3d" / "demo" / "models"
DEMO = {a["slug"]: a for a in json.loads((MODELS / "assets.json").read_text(encoding="utf-8"))["assets"]}


def page(testapp, url, lang, status=200):
    response = testapp.get(url, params={"lang": lang}, status=status)
    return response, BeautifulSoup(response.text, "html.parser")


def json_ld(soup) -> list[dict]:
    return [json.loads(tag.string) for tag in soup.find_all("script", type="application/ld+json")]


@pytest.mark.parametrize("lang", ["vi", "en", "ko"])
def test_the_asset_page_shows_the_model_and_its_notes_in_the_visitors_language(testapp, lang):
    demo = DEMO["chu-dau-vase"]
    response, soup = page(testapp, "/heritage/chu-dau-vase", lang)
    assert soup.h1.get_text(strip=True) == demo["texts"][lang]["title"]
    assert soup.h1["lang"] == lang

    viewer = soup.find("model-viewer")
    assert viewer["src"].endswith(".glb") and viewer["alt"]
    assert "ar" in viewer.attrs and viewer["loading"] == "lazy"
    poster = viewer.find("img", slot="poster")
    assert (poster["width"], poster["height"]) == ("640", "640")  # the space is reserved: no layout shift

    # One real button per hotspot, on the model, named in the visitor's language…
    buttons = viewer.find_all("button", class_="h3d-hotspot")
    assert [b["slot"] for b in buttons] == [f"hotspot-{n}" for n in range(1, 5)]
    assert [b.find(class_="h3d-hotspot__label").get_text() for b in buttons] == \
        [h["texts"][lang]["label"] for h in demo["hotspots"]]
    x, y, z = demo["hotspots"][0]["position"]
    assert buttons[0]["data-position"] == f"{x:g}m {y:g}m {z:g}m"
    # …each described by its note in the list, which is there without JavaScript too.
    notes = soup.select("ol.h3d-notes > li")
    assert [n["id"] for n in notes] == [b["aria-describedby"] for b in buttons]
    assert [n.get_text(" ", strip=True) for n in notes] == \
        [f"{h['texts'][lang]['label']}. {h['texts'][lang]['text']}" for h in demo["hotspots"]]
    views = soup.select("ol.h3d-views > li")
    assert [v.get_text(strip=True) for v in views] == [v["texts"][lang]["caption"] for v in demo["views"]]
    assert views[0]["data-orbit"] == demo["views"][0]["orbit"]

    facts = soup.find("dl", class_="h3d-facts")
    assert facts.find("a", rel="license")["href"] == "https://creativecommons.org/licenses/by/4.0/"
    assert demo["attribution"] in facts.get_text()


def test_the_asset_page_describes_itself_as_a_schema_org_3d_model(testapp):
    response, soup = page(testapp, "/heritage/tan-cuong-tea-pan", "en")
    (model,) = [d for d in json_ld(soup) if d.get("@type") == "3DModel"]
    assert model["name"] == DEMO["tan-cuong-tea-pan"]["texts"]["en"]["title"]
    assert model["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert model["creditText"] == DEMO["tan-cuong-tea-pan"]["attribution"]
    (encoding,) = model["encoding"]
    assert encoding["encodingFormat"] == "model/gltf-binary"
    assert encoding["contentUrl"] == soup.find("model-viewer")["src"]
    assert model["height"] == {"@type": "QuantitativeValue", "value": 0.55, "unitCode": "MTR"}


def test_the_model_and_poster_are_served_as_committed_and_cached_for_a_year(testapp):
    response, soup = page(testapp, "/heritage/dong-ho-woodblock", "vi")
    glb = testapp.get(soup.find("model-viewer")["src"])
    assert glb.content_type == "model/gltf-binary"
    assert glb.body == (MODELS / "dong-ho-woodblock.glb").read_bytes()
    assert "immutable" in glb.headers["Cache-Control"]
    poster = testapp.get(soup.find("img", slot="poster")["src"])
    assert poster.content_type == "image/webp"
    assert poster.body == (MODELS / "dong-ho-woodblock.webp").read_bytes()


def test_the_viewer_and_its_decoders_come_from_our_own_origin(testapp):
    response, soup = page(testapp, "/heritage/chu-dau-vase", "en")
    scripts = soup.find_all("script", src=True)
    own = response.request.host_url + "/"
    assert scripts and all(s["src"].startswith(own) for s in scripts)
    # The viewer is not a <script> of the page: the setup script loads it when it is needed.
    assert not [s for s in scripts if "model-viewer" in s["src"]]
    setup = next(s for s in scripts if s.get("data-viewer"))
    assert setup["data-viewer"].startswith(own + "vendor/model-viewer-4.4.0/model-viewer.min.js")
    assert "customElements" in testapp.get(setup["data-viewer"]).text
    wasm = testapp.get(setup["data-draco"] + "draco_decoder.wasm")
    assert wasm.body[:4] == b"\0asm"
    assert testapp.get(setup["data-ktx2"] + "basis_transcoder.wasm").body[:4] == b"\0asm"
    # The decoders run as WebAssembly in blob: workers; textures load through blob: URLs;
    # the element's own <style> is allowed by its hash, and no other inline style is.
    csp = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert "'wasm-unsafe-eval'" in csp["script-src"] and csp["worker-src"] == "'self' blob:"
    assert csp["style-src"] == "'self' 'sha256-PXtZZkJMMyc18o/DN1ZEFOJ2qEGq95IQbVaJFMOXOb0='"


@pytest.mark.parametrize("lang", ["vi", "en", "ko"])
def test_the_village_page_has_a_heritage_gallery(testapp, lang):
    response, soup = page(testapp, "/villages/chu-dau", lang)
    gallery = soup.find("section", class_="h3d-panel")
    assert gallery is not None
    title = gallery.find("h3")
    assert title.get_text(strip=True) == DEMO["chu-dau-vase"]["texts"][lang]["title"]
    assert title.a["href"].endswith("/heritage/chu-dau-vase")
    assert len(gallery.find_all("button", class_="h3d-hotspot")) == 4
    assert gallery.select_one("ol.h3d-notes li strong").get_text() == \
        DEMO["chu-dau-vase"]["hotspots"][0]["texts"][lang]["label"] + "."


@pytest.mark.parametrize("lang", ["vi", "en", "ko"])
def test_a_linked_experience_shows_the_model_and_an_unlinked_one_does_not(testapp, lang):
    response, soup = page(testapp, "/experiences/tan-cuong-tea-morning", lang)
    panel = soup.find("section", class_="h3d-panel")
    assert panel.find("h3").get_text(strip=True) == DEMO["tan-cuong-tea-pan"]["texts"][lang]["title"]
    assert panel.find("model-viewer") is not None
    response, soup = page(testapp, "/experiences/bat-trang-pottery-wheel", lang)
    assert soup.find("section", class_="h3d-panel") is None and soup.find("model-viewer") is None


@pytest.mark.parametrize("lang", ["vi", "en", "ko"])
def test_an_audio_stop_shows_its_asset_and_notes_with_the_viewer_on_request(testapp, lang):
    demo = DEMO["tan-cuong-tea-pan"]
    response, soup = page(testapp, "/g/TCC", lang)
    section = soup.find("section", class_="h3d-stop")
    title = section.find("h3")
    assert title.get_text(strip=True) == demo["texts"][lang]["title"]
    assert title.a["href"].endswith("/heritage/tan-cuong-tea-pan")
    # The poster and the notes are on the page; the viewer waits to be asked for.
    assert section.find("model-viewer").find("img", slot="poster") is not None
    assert "data-on-request" in section.find("div", class_="h3d-viewer").attrs
    assert section.select_one(".h3d-load button") is not None
    assert [li.strong.get_text() for li in section.select("ol.h3d-notes > li")] == \
        [h["texts"][lang]["label"] + "." for h in demo["hotspots"]]
    assert not [s for s in soup.find_all("script", src=True) if "model-viewer" in s["src"]]


def test_a_hotspot_without_the_visitors_language_falls_back_and_says_which(testapp):
    # The demo's hotspots are in vi, en and ko; a Chinese visitor reads them in English.
    response, soup = page(testapp, "/heritage/chu-dau-vase", "zh")
    assert soup.h1["lang"] == "zh"
    notes = soup.select("ol.h3d-notes > li")
    assert notes[0]["lang"] == "en"
    assert DEMO["chu-dau-vase"]["hotspots"][0]["texts"]["en"]["text"] in notes[0].get_text()


def test_a_draft_asset_is_nowhere_to_be_seen(testapp, dbsession):
    village = make_village(dbsession, slug="lang-3d")
    asset = HeritageAsset(slug="ban-nhap", village=village, status=PublicationStatus.DRAFT, model_key="a" * 64 + ".glb",
                          size_bytes=10, triangle_count=1, vertex_count=3, poster_key="b" * 64 + ".png",
                          poster_width=100, poster_height=100, licence=Licence.ALL_RIGHTS_RESERVED,
                          texts=[AssetText(locale="vi", title="Bản nháp")])
    dbsession.add(asset)
    dbsession.flush()
    testapp.get("/heritage/ban-nhap", status=404)
    response, soup = page(testapp, "/villages/lang-3d", "vi")
    assert soup.find("section", class_="h3d-panel") is None
    asset.status = PublicationStatus.PUBLISHED
    dbsession.flush()
    response, soup = page(testapp, "/heritage/ban-nhap", "en")
    assert soup.h1.get_text(strip=True) == "Bản nháp" and soup.h1["lang"] == "vi"
    assert soup.find(class_="notice")  # says the text is not in English yet
    # All rights reserved: no licence link, and none in the JSON-LD.
    assert soup.find("a", rel="license") is None
    (model,) = [d for d in json_ld(soup) if d.get("@type") == "3DModel"]
    assert "license" not in model


def test_an_unknown_asset_is_a_404_page(testapp):
    testapp.get("/heritage/khong-co", status=404)
    testapp.get("/heritage/" + "x" * 200, status=404)
