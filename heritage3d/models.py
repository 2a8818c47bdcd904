"""3D heritage assets: a GLB model and its poster, texts per locale, hotspots and guided views.

Files live in tourism's media store (named by their content's hash); a row keeps what was
read from the file when it was accepted (size, triangles), so pages never re-read a model.
Texts fall back requested → en → vi, like the catalog's.

An asset shows on its village's page, on the experience pages it is linked to, and on the
audio-guide stops whose public code it names. Stops are linked by code rather than by a
foreign key so that this add-on does not depend on audio_guides (nor it on us).
"""
import enum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from heritage3d.i18n import _
from tourism.catalog.models import PublicationStatus
from tourism.db import Base, str_enum

SLUG_MAX_LENGTH = 80
STOP_CODE_MAX_LENGTH = 12  # audio_guides' codes (/g/<CODE>) are at most 12 characters


class Licence(enum.StrEnum):
    CC_BY = "CC-BY-4.0"
    CC_BY_SA = "CC-BY-SA-4.0"
    CC0 = "CC0-1.0"
    PUBLIC_DOMAIN = "public-domain"
    ALL_RIGHTS_RESERVED = "all-rights-reserved"


LICENCE_LABELS = {
    Licence.CC_BY: _("Creative Commons Attribution 4.0 (CC BY 4.0)"),
    Licence.CC_BY_SA: _("Creative Commons Attribution-ShareAlike 4.0 (CC BY-SA 4.0)"),
    Licence.CC0: _("No rights reserved (CC0 1.0)"),
    Licence.PUBLIC_DOMAIN: _("Public domain"),
    Licence.ALL_RIGHTS_RESERVED: _("All rights reserved"),
}
# The licence's deed, linked from the asset page and given as schema.org `license`.
LICENCE_URLS = {
    Licence.CC_BY: "https://creativecommons.org/licenses/by/4.0/",
    Licence.CC_BY_SA: "https://creativecommons.org/licenses/by-sa/4.0/",
    Licence.CC0: "https://creativecommons.org/publicdomain/zero/1.0/",
    Licence.PUBLIC_DOMAIN: "https://creativecommons.org/publicdomain/mark/1.0/",
    Licence.ALL_RIGHTS_RESERVED: None,
}


class HeritageAsset(Base):
    __tablename__ = "heritage_assets"
    __table_args__ = (
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint("triangle_count >= 0", name="triangles_not_negative"),
        CheckConstraint("poster_width > 0 AND poster_height > 0", name="poster_size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    status: Mapped[PublicationStatus] = mapped_column(
        str_enum(PublicationStatus, "publication_status"), default=PublicationStatus.DRAFT)
    position: Mapped[int] = mapped_column(default=0)  # order in the village's gallery

    # The model: a media-store key ("<sha256>.glb") and what inspect_glb read from it.
    model_key: Mapped[str] = mapped_column(String(80))
    size_bytes: Mapped[int]
    triangle_count: Mapped[int]
    vertex_count: Mapped[int]
    # The poster shows before the model loads (and instead of it without WebGL); its size is
    # kept so the page reserves the space (no layout shift).
    poster_key: Mapped[str] = mapped_column(String(80))
    poster_width: Mapped[int]
    poster_height: Mapped[int]

    creator: Mapped[str] = mapped_column(String(200), default="")
    licence: Mapped[Licence] = mapped_column(str_enum(Licence, "heritage_licence"))
    attribution: Mapped[str] = mapped_column(String(400), default="")
    provenance: Mapped[str] = mapped_column(Text, default="")
    # Real-world size in metres (AR places the model at this scale).
    width_m: Mapped[float | None]
    height_m: Mapped[float | None]
    depth_m: Mapped[float | None]

    village = relationship("Village")
    texts: Mapped[list["AssetText"]] = relationship(cascade="all, delete-orphan", order_by="AssetText.locale")
    hotspots: Mapped[list["Hotspot"]] = relationship(cascade="all, delete-orphan", order_by="Hotspot.position")
    views: Mapped[list["GuidedView"]] = relationship(cascade="all, delete-orphan", order_by="GuidedView.position")
    experiences = relationship("Experience", secondary="heritage_asset_experiences", order_by="Experience.id")
    stops: Mapped[list["AssetStop"]] = relationship(cascade="all, delete-orphan", order_by="AssetStop.stop_code")

    @property
    def stop_codes(self) -> list[str]:
        return [link.stop_code for link in self.stops]


class AssetText(Base):
    __tablename__ = "heritage_asset_texts"
    __table_args__ = (UniqueConstraint("asset_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("heritage_assets.id"))
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # What the model shows, for screen readers (model-viewer's `alt`); empty: the title is used.
    alt: Mapped[str] = mapped_column(String(300), default="")


class AssetExperience(Base):
    """An asset shown on an experience's page."""

    __tablename__ = "heritage_asset_experiences"

    asset_id: Mapped[int] = mapped_column(ForeignKey("heritage_assets.id"), primary_key=True)
    experience_id: Mapped[int] = mapped_column(ForeignKey("experiences.id"), primary_key=True, index=True)


class AssetStop(Base):
    """An asset shown at an audio-guide stop, named by the stop's public code (see module doc)."""

    __tablename__ = "heritage_asset_stops"

    asset_id: Mapped[int] = mapped_column(ForeignKey("heritage_assets.id"), primary_key=True)
    stop_code: Mapped[str] = mapped_column(String(STOP_CODE_MAX_LENGTH), primary_key=True, index=True)


class Hotspot(Base):
    """A point on the model's surface (model units, as model-viewer's data-position/-normal)."""

    __tablename__ = "heritage_hotspots"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("heritage_assets.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)  # order: hotspots are numbered 1, 2, 3…
    x: Mapped[float]
    y: Mapped[float]
    z: Mapped[float]
    normal_x: Mapped[float]
    normal_y: Mapped[float]
    normal_z: Mapped[float]

    texts: Mapped[list["HotspotText"]] = relationship(cascade="all, delete-orphan", order_by="HotspotText.locale")

    @property
    def data_position(self) -> str:
        return f"{self.x:g}m {self.y:g}m {self.z:g}m"

    @property
    def data_normal(self) -> str:
        return f"{self.normal_x:g}m {self.normal_y:g}m {self.normal_z:g}m"


class HotspotText(Base):
    __tablename__ = "heritage_hotspot_texts"
    __table_args__ = (UniqueConstraint("hotspot_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hotspot_id: Mapped[int] = mapped_column(ForeignKey("heritage_hotspots.id"))
    locale: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text, default="")


class GuidedView(Base):
    """One step of the guided tour of the model: a camera position and a caption."""

    __tablename__ = "heritage_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("heritage_assets.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    orbit: Mapped[str] = mapped_column(String(80))  # model-viewer camera-orbit: "20deg 60deg 2.2m"
    target: Mapped[str] = mapped_column(String(80))  # camera-target: "0m 0.3m 0m"

    texts: Mapped[list["GuidedViewText"]] = relationship(cascade="all, delete-orphan",
                                                         order_by="GuidedViewText.locale")


class GuidedViewText(Base):
    __tablename__ = "heritage_view_texts"
    __table_args__ = (UniqueConstraint("view_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    view_id: Mapped[int] = mapped_column(ForeignKey("heritage_views.id"))
    locale: Mapped[str] = mapped_column(String(8))
    caption: Mapped[str] = mapped_column(String(300))
