"""Shop reading rules: which products a visitor sees, in which language, and what a batch's
QR code opens.

Only published products (and experiences) are ever shown; drafts stay in the console.
Texts fall back requested → en → vi like the catalog's (`tourism.i18n.localize`). Every
query loads what its page shows with selectinload, so a page costs a fixed number of
queries whatever the number of products.
"""
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from tourism.catalog.models import Experience, PublicationStatus, Village
from tourism.i18n import Localized, localize
from tourism.shop.models import (
    BATCH_CODE_MAX_LENGTH,
    ExperienceProduct,
    Product,
    ProductBatch,
    ProductText,
)

LATEST_BATCHES = 3  # a product page lists this many of its most recent batches


@dataclass(frozen=True)
class LinkedProduct:
    """A product shown on an experience page, and why, in the visitor's language."""

    product: Product
    text: Localized[ProductText]
    reason: Localized[str] | None


@dataclass(frozen=True)
class LinkedExperience:
    """An experience where a product is made or used, and why, in the visitor's language."""

    experience: Experience
    reason: Localized[str] | None


def _published_products() -> Select:
    return (
        select(Product)
        .where(Product.status == PublicationStatus.PUBLISHED)
        .options(
            selectinload(Product.texts),
            selectinload(Product.images),
            selectinload(Product.store_links),
            selectinload(Product.batches),
            selectinload(Product.village).selectinload(Village.texts),
        )
    )


def product_text(product: Product, locale: str) -> Localized[ProductText] | None:
    """The product's name and description in `locale`, or the best fallback (None: no texts)."""
    return localize({t.locale: t for t in product.texts}, locale)


def reason_text(reason: dict[str, str], locale: str) -> Localized[str] | None:
    """Why a product and an experience go together, in `locale` or its fallback."""
    return localize({k: v for k, v in (reason or {}).items() if v}, locale)


def batch_notes(batch: ProductBatch, locale: str) -> Localized[str] | None:
    """How the batch was made, in `locale` or its fallback (None: no notes)."""
    return localize({k: v for k, v in (batch.notes or {}).items() if v}, locale)


def village_products(dbsession, village_id: int) -> list[Product]:
    """The village's published products, in the order its operator chose (then by slug)."""
    stmt = _published_products().where(Product.village_id == village_id).order_by(Product.position, Product.slug)
    return list(dbsession.scalars(stmt))


def get_published_product(dbsession, slug: str) -> Product | None:
    """A published product by its slug, with all its page shows; None for drafts and unknown slugs."""
    return dbsession.scalar(_published_products().where(Product.slug == slug[:80]))


def experience_products(dbsession, experience_id: int, locale: str) -> list[LinkedProduct]:
    """The published products linked to an experience, in the link's order, with the reason."""
    links = dbsession.scalars(
        select(ExperienceProduct)
        .join(ExperienceProduct.product)
        .where(ExperienceProduct.experience_id == experience_id, Product.status == PublicationStatus.PUBLISHED)
        .order_by(ExperienceProduct.position, Product.slug)
        .options(selectinload(ExperienceProduct.product).selectinload(Product.texts),
                 selectinload(ExperienceProduct.product).selectinload(Product.images))
    )
    linked = []
    for link in links:
        text = product_text(link.product, locale)
        if text is not None:  # a product without any text has no name to show
            linked.append(LinkedProduct(link.product, text, reason_text(link.reason, locale)))
    return linked


def product_experiences(dbsession, product_id: int, locale: str) -> list[LinkedExperience]:
    """The published experiences where a product is made or used, with the reason."""
    links = dbsession.scalars(
        select(ExperienceProduct)
        .join(ExperienceProduct.experience)
        .where(ExperienceProduct.product_id == product_id, Experience.status == PublicationStatus.PUBLISHED)
        .order_by(Experience.slug)
        .options(selectinload(ExperienceProduct.experience).selectinload(Experience.texts))
    )
    return [LinkedExperience(link.experience, reason_text(link.reason, locale)) for link in links]


def find_batch(dbsession, code: str) -> ProductBatch | None:
    """The batch printed with `code` (exactly: codes are upper case), of a published product.

    A batch of a product taken back to draft opens nothing: its page would show a product
    the shop no longer presents.
    """
    if not code or len(code) > BATCH_CODE_MAX_LENGTH:
        return None
    return dbsession.scalar(
        select(ProductBatch)
        .join(ProductBatch.product)
        .where(ProductBatch.code == code, Product.status == PublicationStatus.PUBLISHED)
        .options(selectinload(ProductBatch.product).selectinload(Product.texts),
                 selectinload(ProductBatch.product).selectinload(Product.images),
                 selectinload(ProductBatch.product).selectinload(Product.village).selectinload(Village.texts))
    )


def latest_batches(product: Product, limit: int = LATEST_BATCHES) -> list[ProductBatch]:
    """The product's most recent batches, newest first (the relationship's order)."""
    return list(product.batches[:limit])
