"""Shop: what a village makes and sells, and where else it sells it.

A product belongs to a village (so to the operator running it), has texts per locale (with
the catalog's fallback requested → en → vi), an integer VND price, a stock that never goes
below zero (a CHECK, and services that take stock with a conditional update, like seats),
an OCOP rating where it has one, and batches: each production or harvest lot with its
traceability facts, reached from the QR code printed on its packaging (/t/<CODE>).
"""
import enum
from datetime import date

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tourism.catalog.models import ImageMixin, PublicationStatus
from tourism.db import Base, str_enum
from tourism.i18n import _

# Batch codes go in QR URLs (/t/<CODE>): upper case (QR alphanumeric mode), no look-alikes.
BATCH_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
BATCH_CODE_MAX_LENGTH = 16


class Unit(enum.StrEnum):
    BOX = "box"
    PIECE = "piece"
    KG = "kg"


UNIT_LABELS = {Unit.BOX: _("box"), Unit.PIECE: _("piece"), Unit.KG: _("kg")}


class Marketplace(enum.StrEnum):
    SHOPEE = "shopee"
    TIKTOK_SHOP = "tiktok_shop"
    LAZADA = "lazada"
    ETSY = "etsy"
    AMAZON = "amazon"
    OWN_SITE = "own_site"


# Brand names stay as they are in every language; the village's own site is described.
MARKETPLACE_LABELS = {
    Marketplace.SHOPEE: "Shopee",
    Marketplace.TIKTOK_SHOP: "TikTok Shop",
    Marketplace.LAZADA: "Lazada",
    Marketplace.ETSY: "Etsy",
    Marketplace.AMAZON: "Amazon",
    Marketplace.OWN_SITE: _("The village's own shop"),
}


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("ocop_stars IS NULL OR ocop_stars BETWEEN 3 AND 5", name="ocop_stars_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    status: Mapped[PublicationStatus] = mapped_column(
        str_enum(PublicationStatus, "publication_status"), default=PublicationStatus.DRAFT)
    position: Mapped[int] = mapped_column(default=0)  # order on the village page
    price: Mapped[int]  # per unit, in the currency's minor units (VND has none)
    currency: Mapped[str] = mapped_column(String(3), default="VND")
    unit: Mapped[Unit] = mapped_column(str_enum(Unit, "product_unit"))
    # Units on hand and not held by a booking: taken with a conditional update (services).
    stock: Mapped[int] = mapped_column(default=0)
    ocop_stars: Mapped[int | None]  # Vietnam's One Commune One Product rating, 3 to 5 stars
    producer: Mapped[str] = mapped_column(String(200))  # who makes it: a household, a cooperative
    origin: Mapped[str] = mapped_column(String(200))  # where: hamlet, commune, province
    certifications: Mapped[list[str]] = mapped_column(JSON, default=list)  # "VietGAP", "OCOP 4 sao"…

    village = relationship("Village")
    texts: Mapped[list["ProductText"]] = relationship(cascade="all, delete-orphan", order_by="ProductText.locale")
    images: Mapped[list["ProductImage"]] = relationship(cascade="all, delete-orphan",
                                                        order_by="ProductImage.position")
    store_links: Mapped[list["StoreLink"]] = relationship(cascade="all, delete-orphan", order_by="StoreLink.position")
    batches: Mapped[list["ProductBatch"]] = relationship(back_populates="product", cascade="all, delete-orphan",
                                                         order_by="ProductBatch.made_on.desc()")


class ProductText(Base):
    __tablename__ = "product_texts"
    __table_args__ = (UniqueConstraint("product_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class ProductImage(ImageMixin, Base):
    __tablename__ = "product_images"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)


class StoreLink(Base):
    """Where else the product is sold: a marketplace listing or the village's own site."""

    __tablename__ = "product_store_links"
    __table_args__ = (UniqueConstraint("product_id", "marketplace"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    marketplace: Mapped[Marketplace] = mapped_column(str_enum(Marketplace, "marketplace"))
    url: Mapped[str] = mapped_column(String(500))  # http(s) only (services check it)


class ProductBatch(Base):
    """One production or harvest lot: what its packaging's QR code tells (/t/<CODE>)."""

    __tablename__ = "product_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(BATCH_CODE_MAX_LENGTH), unique=True)
    made_on: Mapped[date]  # the harvest or production date
    # Per locale: how this lot was made ("picked 12–14 March, roasted by hand in iron pans").
    notes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    product: Mapped[Product] = relationship(back_populates="batches")


class ExperienceProduct(Base):
    """A product shown on an experience's page, with why, per locale ("the tea you will pick")."""

    __tablename__ = "experience_products"

    experience_id: Mapped[int] = mapped_column(ForeignKey("experiences.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    position: Mapped[int] = mapped_column(default=0)
    reason: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    experience = relationship("Experience")
    product: Mapped[Product] = relationship()
