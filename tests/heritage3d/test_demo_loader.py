"""The demo 3D assets loaded by heritage3d.demo.load (as `langviet demo` and the test
database do): published, linked to their village, experiences and audio stop, with files
in the media store; loading again changes nothing; a drifted row is put back."""
import json
import shutil

import pytest
from sqlalchemy import func, select

import heritage3d.demo as heritage_demo
from heritage3d.models import AssetText, HeritageAsset, Hotspot
from tourism.catalog.models import PublicationStatus
from tourism.media import MediaStore

DEMO = json.loads((heritage_demo.MODELS_DIR / "assets.json").read_text(encoding="utf-8"))["assets"]


def test_every_demo_asset_is_published_with_its_links_and_files(dbsession, base_settings):
    store = MediaStore(base_settings["tourism.media_dir"])
    for demo in DEMO:
        asset = dbsession.scalar(select(HeritageAsset).where(HeritageAsset.slug == demo["slug"]))
        assert asset.status == PublicationStatus.PUBLISHED
        assert asset.village.slug == demo["village"]
        assert sorted(e.slug for e in asset.experiences) == sorted(demo["experiences"])
        assert asset.stop_codes == demo["audio_stops"]
        assert store.path(asset.model_key).read_bytes() == (heritage_demo.MODELS_DIR / demo["model"]).read_bytes()
        assert asset.triangle_count == demo["triangles"] and asset.size_bytes == demo["bytes"]
        assert {t.locale for t in asset.texts} == {"vi", "en", "ko", "zh", "ja", "fr"}
        assert [h.texts[0].locale for h in asset.hotspots] == ["en"] * len(demo["hotspots"])  # ordered by locale
        assert [{t.locale for t in h.texts} for h in asset.hotspots] == [{"vi", "en", "ko"}] * len(demo["hotspots"])


def test_loading_again_changes_nothing_and_a_drifted_asset_is_put_back(dbsession, base_settings):
    rows = dbsession.scalar(select(func.count()).select_from(Hotspot))
    report = heritage_demo.load(dbsession, base_settings)
    assert (report.created, report.updated, report.unchanged) == (0, 0, len(DEMO))
    assert dbsession.scalar(select(func.count()).select_from(Hotspot)) == rows

    vase = dbsession.scalar(select(HeritageAsset).where(HeritageAsset.slug == "chu-dau-vase"))
    vase.texts[0].title = "Changed by hand"
    vase.hotspots.pop()
    dbsession.flush()
    report = heritage_demo.load(dbsession, base_settings)
    assert (report.updated, report.unchanged) == (1, len(DEMO) - 1)
    dbsession.expire_all()
    vase = dbsession.scalar(select(HeritageAsset).where(HeritageAsset.slug == "chu-dau-vase"))
    assert len(vase.hotspots) == 4
    assert "Changed by hand" not in {t.title for t in dbsession.scalars(select(AssetText))}


def test_a_demo_file_the_upload_checks_refuse_stops_the_load(dbsession, base_settings, tmp_path):
    models = tmp_path / "models"
    shutil.copytree(heritage_demo.MODELS_DIR, models)
    (models / "dong-ho-woodblock.glb").write_bytes(b"glTF" + bytes(20))
    with pytest.raises(heritage_demo.DemoDataError, match="dong-ho-woodblock"):
        heritage_demo.load(dbsession, base_settings, models_dir=models)


def test_a_demo_asset_needs_its_village(dbsession, base_settings, tmp_path):
    models = tmp_path / "models"
    shutil.copytree(heritage_demo.MODELS_DIR, models)
    data = json.loads((models / "assets.json").read_text(encoding="utf-8"))
    data["assets"][0]["village"] = "no-such-village"
    (models / "assets.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(heritage_demo.DemoDataError, match="no village 'no-such-village'"):
        heritage_demo.load(dbsession, base_settings, models_dir=models)
