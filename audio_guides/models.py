"""Audio guides: tours of a village's stops, each stop with one audio track per language.

Texts are stored per locale, like the catalog's, and fall back requested → en → vi.
Audio files live in tourism's media store (`tourism.media`), named by their content's hash.
"""
from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tourism.catalog.models import ImageMixin, PublicationStatus
from tourism.db import Base, str_enum

# Stop codes go in QR URLs (/g/<CODE>): QR alphanumeric mode is upper-case only, so the
# code stays short and the QR small; letters that look alike (0/O, 1/I) are left out.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_MAX_LENGTH = 12


class Tour(Base):
    __tablename__ = "audio_tours"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    status: Mapped[PublicationStatus] = mapped_column(
        str_enum(PublicationStatus, "publication_status"), default=PublicationStatus.DRAFT)

    village = relationship("Village")
    texts: Mapped[list["TourText"]] = relationship(cascade="all, delete-orphan")
    stops: Mapped[list["Stop"]] = relationship(back_populates="tour", cascade="all, delete-orphan",
                                               order_by="Stop.position")
    experiences = relationship("Experience", secondary="audio_tour_experiences", order_by="Experience.id")


class TourText(Base):
    __tablename__ = "audio_tour_texts"
    __table_args__ = (UniqueConstraint("tour_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tour_id: Mapped[int] = mapped_column(ForeignKey("audio_tours.id"))
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")


class TourExperience(Base):
    """A tour that goes with an experience (the experience page links it)."""

    __tablename__ = "audio_tour_experiences"

    tour_id: Mapped[int] = mapped_column(ForeignKey("audio_tours.id"), primary_key=True)
    experience_id: Mapped[int] = mapped_column(ForeignKey("experiences.id"), primary_key=True, index=True)


class Stop(Base):
    __tablename__ = "audio_stops"
    __table_args__ = (
        UniqueConstraint("tour_id", "keypad_number"),
        CheckConstraint("keypad_number > 0", name="keypad_number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tour_id: Mapped[int] = mapped_column(ForeignKey("audio_tours.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str] = mapped_column(String(CODE_MAX_LENGTH), unique=True)  # upper case: /g/<CODE>
    keypad_number: Mapped[int]  # printed on the poster, typed on the tour's keypad page
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]

    tour: Mapped[Tour] = relationship(back_populates="stops")
    texts: Mapped[list["StopText"]] = relationship(cascade="all, delete-orphan")
    images: Mapped[list["StopImage"]] = relationship(cascade="all, delete-orphan", order_by="StopImage.position")
    tracks: Mapped[list["Track"]] = relationship(back_populates="stop", cascade="all, delete-orphan",
                                                 order_by="Track.locale")


class StopText(Base):
    __tablename__ = "audio_stop_texts"
    __table_args__ = (UniqueConstraint("stop_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stop_id: Mapped[int] = mapped_column(ForeignKey("audio_stops.id"))
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")


class StopImage(ImageMixin, Base):
    __tablename__ = "audio_stop_images"

    stop_id: Mapped[int] = mapped_column(ForeignKey("audio_stops.id"), index=True)


class Track(Base):
    """One language's recording of a stop, with its transcript (every track has one: WCAG 1.2.1)."""

    __tablename__ = "audio_tracks"
    __table_args__ = (
        UniqueConstraint("stop_id", "locale"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint("duration_seconds > 0", name="duration_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stop_id: Mapped[int] = mapped_column(ForeignKey("audio_stops.id"), index=True)
    locale: Mapped[str] = mapped_column(String(8))
    # The media store's key: "<sha256>.<extension>", so a file's URL changes when its content does.
    audio_key: Mapped[str] = mapped_column(String(80))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int]
    duration_seconds: Mapped[float]
    # Sanitised HTML (uploads.clean_transcript, or the demo's escaped paragraphs); never raw input.
    transcript_html: Mapped[str] = mapped_column(Text)
    vtt_key: Mapped[str | None] = mapped_column(String(80))

    stop: Mapped[Stop] = relationship(back_populates="tracks")


class PlayCount(Base):
    """How many times a stop's track was started, per language and day. Nothing about who."""

    __tablename__ = "audio_play_counts"
    __table_args__ = (UniqueConstraint("stop_id", "locale", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stop_id: Mapped[int] = mapped_column(ForeignKey("audio_stops.id"), index=True)
    locale: Mapped[str] = mapped_column(String(8))
    day: Mapped[date]
    plays: Mapped[int] = mapped_column(default=0)
