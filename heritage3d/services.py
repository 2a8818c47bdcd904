"""3D heritage: finding published assets, their texts in a visitor's language, and accepting files.

Everything an upload must pass lives here (the GLB checks of glb.py with the configured
budget, the poster's checks), so the console and the demo loader accept files the same way.
"""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from heritage3d.glb import MAX_BYTES, MAX_TRIANGLES, GlbError, GlbInfo, inspect_glb
from heritage3d.i18n import _
from heritage3d.models import AssetExperience, AssetStop, HeritageAsset, Hotspot, GuidedView
from tourism.catalog.models import PublicationStatus
from tourism.i18n import Localized, localize
from tourism.images import ImageInfo, ImageRefused, check_image

MAX_BYTES_SETTING = "heritage3d.max_bytes"
MAX_TRIANGLES_SETTING = "heritage3d.max_triangles"
# A poster is shown at most ~1000 px wide; anything far larger is a photo straight off a
# camera that would cost a phone more than the model itself.
POSTER_MAX_BYTES = 1024 * 1024
POSTER_MAX_SIDE = 2048
POSTER_MIN_SIDE = 64


class UploadError(Exception):
    """A file is refused: `code` is stable (tests, logs), `message` a translation string."""

    def __init__(self, code: str, message):
        super().__init__(code, message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Budget:
    max_bytes: int = MAX_BYTES
    max_triangles: int = MAX_TRIANGLES


def budget(settings) -> Budget:
    """The mobile budget (setting `heritage3d.max_bytes`, `heritage3d.max_triangles`)."""
    return Budget(int(settings.get(MAX_BYTES_SETTING) or MAX_BYTES),
                  int(settings.get(MAX_TRIANGLES_SETTING) or MAX_TRIANGLES))


def check_model(data: bytes, limits: Budget) -> GlbInfo:
    """Read `data` as a GLB within the budget; UploadError naming the first problem."""
    try:
        return inspect_glb(data, max_bytes=limits.max_bytes, max_triangles=limits.max_triangles)
    except GlbError as error:
        raise UploadError(error.code, error.message) from None


# What check_poster says, by tourism.images' refusal codes.
_POSTER_REFUSALS = {
    "missing": _("Choose a poster image (PNG, JPEG or WebP)."),
    "too_large": _("The poster image is over 1 MB: export it smaller (about 1000 pixels wide is enough)."),
    "not_image": _("The poster is not an image we can read: use a PNG, JPEG or WebP file."),
    "format": _("The poster must be a PNG, JPEG or WebP image."),
    "size": _("The poster must be between 64 and 2048 pixels on each side."),
}


def check_poster(data: bytes) -> ImageInfo:
    """A PNG, JPEG or WebP image of a sensible size; UploadError otherwise."""
    try:
        return check_image(data, max_bytes=POSTER_MAX_BYTES, min_side=POSTER_MIN_SIDE, max_side=POSTER_MAX_SIDE)
    except ImageRefused as refused:
        raise UploadError(f"poster_{refused.code}", _POSTER_REFUSALS[refused.code]) from None


# --- reading ----------------------------------------------------------------------------------

def _published(*criteria):
    # Everything a viewer shows, in a few queries rather than one per hotspot.
    return (select(HeritageAsset)
            .where(HeritageAsset.status == PublicationStatus.PUBLISHED, *criteria)
            .options(selectinload(HeritageAsset.texts),
                     selectinload(HeritageAsset.hotspots).selectinload(Hotspot.texts),
                     selectinload(HeritageAsset.views).selectinload(GuidedView.texts))
            .order_by(HeritageAsset.position, HeritageAsset.id))


def published_asset(dbsession, slug: str) -> HeritageAsset | None:
    if len(slug) > 80:
        return None
    return dbsession.scalar(_published(HeritageAsset.slug == slug))


def village_assets(dbsession, village_id: int) -> list[HeritageAsset]:
    return list(dbsession.scalars(_published(HeritageAsset.village_id == village_id)))


def experience_assets(dbsession, experience_id: int) -> list[HeritageAsset]:
    linked = select(AssetExperience.asset_id).where(AssetExperience.experience_id == experience_id)
    return list(dbsession.scalars(_published(HeritageAsset.id.in_(linked))))


def stop_assets(dbsession, stop_code: str) -> list[HeritageAsset]:
    linked = select(AssetStop.asset_id).where(AssetStop.stop_code == stop_code)
    return list(dbsession.scalars(_published(HeritageAsset.id.in_(linked))))


def asset_text(asset: HeritageAsset, locale: str) -> Localized | None:
    return localize({t.locale: t for t in asset.texts}, locale)


def hotspot_text(hotspot: Hotspot, locale: str) -> Localized | None:
    return localize({t.locale: t for t in hotspot.texts}, locale)


def view_text(view: GuidedView, locale: str) -> Localized | None:
    return localize({t.locale: t for t in view.texts}, locale)
