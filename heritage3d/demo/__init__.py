"""Demo 3D assets for the demo catalog: a Chu Đậu vase, a Tân Cương tea pan, a Đông Hồ woodblock.

`load()` brings the generated models (models/*.glb, their posters and models/assets.json,
written by `python -m heritage3d.demo.generate`) into the media store and the database.
Files pass the same checks as an operator's upload. Idempotent: an asset is matched by slug,
and its texts, hotspots and views are rewritten only when they differ, so a second run
changes nothing.
"""
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from heritage3d.models import (
    AssetStop,
    AssetText,
    GuidedView,
    GuidedViewText,
    HeritageAsset,
    Hotspot,
    HotspotText,
    Licence,
)
from heritage3d.services import UploadError, budget, check_model, check_poster
from tourism.catalog.models import Experience, PublicationStatus, Village
from tourism.media import media_store_for_settings

MODELS_DIR = Path(__file__).parent / "models"


class DemoDataError(Exception):
    pass


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self):
        return (f"3D heritage: {self.created + self.updated + self.unchanged} assets "
                f"({self.created} created, {self.updated} updated, {self.unchanged} unchanged).")


def _texts(rows, fields) -> dict:
    return {row.locale: {name: getattr(row, name) for name in fields} for row in rows}


def _hotspots(asset: HeritageAsset) -> list:
    return [([h.x, h.y, h.z], [h.normal_x, h.normal_y, h.normal_z], _texts(h.texts, ("label", "text")))
            for h in asset.hotspots]


def _views(asset: HeritageAsset) -> list:
    return [(v.orbit, v.target, _texts(v.texts, ("caption",))) for v in asset.views]


def _wanted_hotspots(demo: dict) -> list:
    return [(h["position"], h["normal"], h["texts"]) for h in demo["hotspots"]]


def _wanted_views(demo: dict) -> list:
    return [(v["orbit"], v["target"], v["texts"]) for v in demo["views"]]


def _wanted_texts(demo: dict) -> dict:
    return {locale: {"title": t["title"], "description": t["description"], "alt": t.get("alt", "")}
            for locale, t in demo["texts"].items()}


def _rewrite_children(dbsession, asset: HeritageAsset, demo: dict) -> None:
    # Delete the old rows first: the new ones reuse their unique (asset, locale) keys, and
    # the unit of work would insert before it deletes.
    for collection in (asset.texts, asset.hotspots, asset.views, asset.stops):
        collection.clear()
    dbsession.flush()
    asset.texts = [AssetText(locale=locale, **fields) for locale, fields in _wanted_texts(demo).items()]
    asset.hotspots = [
        Hotspot(position=i, x=p[0], y=p[1], z=p[2], normal_x=n[0], normal_y=n[1], normal_z=n[2],
                texts=[HotspotText(locale=locale, **fields) for locale, fields in texts.items()])
        for i, (p, n, texts) in enumerate(_wanted_hotspots(demo), start=1)]
    asset.views = [
        GuidedView(position=i, orbit=orbit, target=target,
                   texts=[GuidedViewText(locale=locale, **fields) for locale, fields in texts.items()])
        for i, (orbit, target, texts) in enumerate(_wanted_views(demo), start=1)]
    asset.stops = [AssetStop(stop_code=code) for code in demo["audio_stops"]]


def _load_one(dbsession, store, limits, demo: dict, position: int, models_dir: Path) -> str:
    slug = demo["slug"]
    village = dbsession.scalar(select(Village).where(Village.slug == demo["village"]))
    if village is None:
        raise DemoDataError(f"asset {slug!r}: no village {demo['village']!r} (load the catalog's demo first)")
    experiences = list(dbsession.scalars(select(Experience).where(Experience.slug.in_(demo["experiences"]))
                                         .order_by(Experience.id)))
    missing = set(demo["experiences"]) - {e.slug for e in experiences}
    if missing or any(e.village_id != village.id for e in experiences):
        raise DemoDataError(f"asset {slug!r}: experiences {sorted(missing)} missing or in another village")

    model_bytes = (models_dir / demo["model"]).read_bytes()
    poster_bytes = (models_dir / demo["poster"]["path"]).read_bytes()
    try:
        model, poster = check_model(model_bytes, limits), check_poster(poster_bytes)
    except UploadError as error:
        raise DemoDataError(f"asset {slug!r}: {error.code}") from None
    dims = demo["dimensions"]
    fields = {
        "village_id": village.id, "status": PublicationStatus.PUBLISHED, "position": position,
        "model_key": store.put(model_bytes, "glb"), "size_bytes": model.size_bytes,
        "triangle_count": model.triangle_count, "vertex_count": model.vertex_count,
        "poster_key": store.put(poster_bytes, poster.extension),
        "poster_width": poster.width, "poster_height": poster.height,
        "creator": demo["creator"], "licence": Licence(demo["licence"]), "attribution": demo["attribution"],
        "provenance": demo["provenance"],
        "width_m": dims["width"], "height_m": dims["height"], "depth_m": dims["depth"],
    }
    asset = dbsession.scalar(select(HeritageAsset).where(HeritageAsset.slug == slug))
    outcome = "unchanged"
    if asset is None:
        asset = HeritageAsset(slug=slug)
        dbsession.add(asset)
        outcome = "created"
    elif any(getattr(asset, name) != value for name, value in fields.items()):
        outcome = "updated"
    for name, value in fields.items():
        setattr(asset, name, value)
    if asset.experiences != experiences:
        asset.experiences = experiences
        outcome = "updated" if outcome == "unchanged" else outcome
    children_differ = (_texts(asset.texts, ("title", "description", "alt")) != _wanted_texts(demo)
                       or _hotspots(asset) != _wanted_hotspots(demo) or _views(asset) != _wanted_views(demo)
                       or asset.stop_codes != sorted(demo["audio_stops"]))
    if outcome == "created" or children_differ:
        _rewrite_children(dbsession, asset, demo)
        outcome = "updated" if outcome == "unchanged" else outcome
    return outcome


def load(dbsession, settings, models_dir: Path = MODELS_DIR) -> LoadReport:
    """Bring the demo assets in line with models/assets.json; returns what changed.

    Needs the catalog's demo villages and experiences. Raises DemoDataError (the caller
    then commits nothing) for a missing village or experience, or a file the upload
    checks refuse.
    """
    store, limits = media_store_for_settings(settings), budget(settings)
    demos = json.loads((models_dir / "assets.json").read_text(encoding="utf-8"))["assets"]
    report = LoadReport()
    for position, demo in enumerate(demos):
        outcome = _load_one(dbsession, store, limits, demo, position, models_dir)
        setattr(report, outcome, getattr(report, outcome) + 1)
        dbsession.flush()
    return report
