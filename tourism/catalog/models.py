"""Catalog: villages and the experiences they offer (tours, workshops, admission tickets).

Texts are stored per locale in `*_texts` tables (one row per locale), so they can be
searched in SQL and fall back requested → en → vi when a translation is missing.
"""
import enum
from datetime import time

from sqlalchemy import CheckConstraint, ForeignKey, JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tourism.db import Base, str_enum
from tourism.i18n import _

CRAFTS = {
    "pottery": _("Pottery"),
    "ceramics": _("Ceramics"),
    "silk_weaving": _("Silk weaving"),
    "tea": _("Tea"),
    "woodcarving": _("Woodcarving"),
    "rattan_bamboo": _("Rattan and bamboo"),
    "woodblock_painting": _("Woodblock painting"),
}


class ExperienceKind(enum.StrEnum):
    TOUR = "tour"
    WORKSHOP = "workshop"
    ADMISSION = "admission"


EXPERIENCE_KIND_LABELS = {
    ExperienceKind.TOUR: _("Guided tour"),
    ExperienceKind.WORKSHOP: _("Hands-on workshop"),
    ExperienceKind.ADMISSION: _("Admission ticket"),
}


class PublicationStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


# Tiers that count as a grown-up who can accompany children.
ADULT_TIERS = frozenset({"adult", "senior", "student"})

PRICE_TIERS = {
    "adult": _("Adult"),
    "child": _("Child"),
    "senior": _("Senior"),
    "student": _("Student"),
    "infant": _("Infant"),
}


class ImageMixin:
    """A picture with its size (no layout shift) and alt text per locale. `path` is a file
    under tourism/static (demo pictures) or an upload in the media store, "media/<key>"
    (tourism.images.image_url tells them apart)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    path: Mapped[str] = mapped_column(String(300))
    width: Mapped[int]
    height: Mapped[int]
    alt: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class Village(Base):
    __tablename__ = "villages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    # Who runs the village's experiences; its people see and manage them in the console.
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), index=True)
    province: Mapped[str] = mapped_column(String(80), index=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]

    texts: Mapped[list["VillageText"]] = relationship(
        back_populates="village", cascade="all, delete-orphan"
    )
    crafts: Mapped[list["VillageCraft"]] = relationship(
        cascade="all, delete-orphan", order_by="VillageCraft.craft"
    )
    images: Mapped[list["VillageImage"]] = relationship(
        cascade="all, delete-orphan", order_by="VillageImage.position"
    )
    experiences: Mapped[list["Experience"]] = relationship(back_populates="village")
    operator: Mapped["Operator | None"] = relationship()  # noqa: F821  (tourism.accounts.models)

    @property
    def craft_codes(self) -> list[str]:
        return [c.craft for c in self.crafts]


class VillageText(Base):
    __tablename__ = "village_texts"
    __table_args__ = (UniqueConstraint("village_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(160))
    summary: Mapped[str] = mapped_column(String(300))
    story: Mapped[str] = mapped_column(Text)

    village: Mapped[Village] = relationship(back_populates="texts")


class VillageCraft(Base):
    __tablename__ = "village_crafts"

    village_id: Mapped[int] = mapped_column(
        ForeignKey("villages.id", ondelete="CASCADE"), primary_key=True
    )
    craft: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class VillageImage(ImageMixin, Base):
    __tablename__ = "village_images"

    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), index=True)


class Experience(Base):
    __tablename__ = "experiences"
    __table_args__ = (
        CheckConstraint("min_party >= 1", name="min_party_positive"),
        CheckConstraint("max_party >= min_party", name="max_party_not_below_min"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("booking_cutoff_minutes >= 0", name="cutoff_not_negative"),
        CheckConstraint("daily_capacity IS NULL OR daily_capacity > 0", name="daily_capacity_positive"),
        CheckConstraint(
            "(season_start_month IS NULL AND season_end_month IS NULL) OR "
            "(season_start_month BETWEEN 1 AND 12 AND season_end_month BETWEEN 1 AND 12)",
            name="season_months",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[ExperienceKind] = mapped_column(str_enum(ExperienceKind, "experience_kind"), index=True)
    craft: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[PublicationStatus] = mapped_column(
        str_enum(PublicationStatus, "publication_status"), default=PublicationStatus.DRAFT, index=True
    )
    duration_minutes: Mapped[int]
    min_party: Mapped[int] = mapped_column(default=1)
    max_party: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="VND")
    # Months the experience runs (may wrap the new year: 11 → 2); NULL means all year.
    season_start_month: Mapped[int | None]
    season_end_month: Mapped[int | None]
    meeting_latitude: Mapped[float | None]
    meeting_longitude: Mapped[float | None]
    # Bookings close this long before a session starts (the guide must know who comes).
    booking_cutoff_minutes: Mapped[int] = mapped_column(default=120)
    # A child or infant ticket needs an adult, senior or student ticket in the same party.
    children_need_adult: Mapped[bool] = mapped_column(default=True)
    # Admission tickets: how many visitors a day (one session per open day).
    daily_capacity: Mapped[int | None]
    # Folded (lower-case, no diacritics) titles, summaries and village names in every
    # locale; rebuilt by services.index_experience, read by the catalog search.
    search_text: Mapped[str] = mapped_column(Text, default="")

    village: Mapped[Village] = relationship(back_populates="experiences")
    texts: Mapped[list["ExperienceText"]] = relationship(
        back_populates="experience", cascade="all, delete-orphan"
    )
    guide_languages: Mapped[list["ExperienceLanguage"]] = relationship(
        cascade="all, delete-orphan", order_by="ExperienceLanguage.position"
    )
    price_tiers: Mapped[list["PriceTier"]] = relationship(
        cascade="all, delete-orphan", order_by="PriceTier.position"
    )
    cancellation_rules: Mapped[list["CancellationRule"]] = relationship(
        cascade="all, delete-orphan", order_by="CancellationRule.hours_before.desc()"
    )
    opening_hours: Mapped[list["OpeningHours"]] = relationship(
        cascade="all, delete-orphan", order_by="(OpeningHours.weekday, OpeningHours.opens)"
    )
    images: Mapped[list["ExperienceImage"]] = relationship(
        cascade="all, delete-orphan", order_by="ExperienceImage.position"
    )

    @property
    def language_codes(self) -> list[str]:
        return [g.language for g in self.guide_languages]

    @property
    def from_price(self) -> int | None:
        """The lowest adult price (what a listing shows as "from")."""
        adult = [t.price for t in self.price_tiers if t.code == "adult"]
        prices = adult or [t.price for t in self.price_tiers]
        return min(prices) if prices else None


class ExperienceText(Base):
    __tablename__ = "experience_texts"
    __table_args__ = (UniqueConstraint("experience_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    experience_id: Mapped[int] = mapped_column(ForeignKey("experiences.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    meeting_point: Mapped[str] = mapped_column(String(300), default="")

    experience: Mapped[Experience] = relationship(back_populates="texts")


class ExperienceLanguage(Base):
    """A language the guide speaks on this experience."""

    __tablename__ = "experience_languages"

    experience_id: Mapped[int] = mapped_column(
        ForeignKey("experiences.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)


class PriceTier(Base):
    """A price per person for one kind of guest, in the experience's currency (integer minor units)."""

    __tablename__ = "price_tiers"
    __table_args__ = (
        UniqueConstraint("experience_id", "code"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    experience_id: Mapped[int] = mapped_column(ForeignKey("experiences.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    price: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]

    @property
    def label(self):
        return PRICE_TIERS.get(self.code, self.code)


class CancellationRule(Base):
    """Cancel at least `hours_before` the start and get `refund_percent` back.

    Rules are read from the largest `hours_before` down; later than the last rule, nothing.
    """

    __tablename__ = "cancellation_rules"
    __table_args__ = (
        UniqueConstraint("experience_id", "hours_before"),
        CheckConstraint("refund_percent BETWEEN 0 AND 100", name="refund_percent_range"),
        CheckConstraint("hours_before >= 0", name="hours_before_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    experience_id: Mapped[int] = mapped_column(ForeignKey("experiences.id", ondelete="CASCADE"))
    hours_before: Mapped[int]
    refund_percent: Mapped[int]


class OpeningHours(Base):
    """When an admission-ticket site is open, in the village's local time; weekday 0 is Monday."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("closes > opens", name="closes_after_opens"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    experience_id: Mapped[int] = mapped_column(
        ForeignKey("experiences.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    opens: Mapped[time]
    closes: Mapped[time]


class ExperienceImage(ImageMixin, Base):
    __tablename__ = "experience_images"

    experience_id: Mapped[int] = mapped_column(
        ForeignKey("experiences.id", ondelete="CASCADE"), index=True
    )
