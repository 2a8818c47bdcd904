"""Demo shop: the demo villages' products, from products.toml.

`load()` is idempotent like the catalog's demo (whose schema helpers it shares): rows are
matched by product slug, locale, marketplace, batch code and experience slug and updated in
place, so a second run changes nothing. Stock is set only when a product is created: the
file holds a starting stock, and loading again must not undo what was sold since.
"""
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from tourism.catalog.demo import DemoDataError, assign, check_codes, check_keys, images, sync, texts
from tourism.catalog.models import Experience, PublicationStatus, Village
from tourism.i18n import LOCALES
from tourism.shop.editing import store_url_problem
from tourism.shop.models import (
    BATCH_CODE_ALPHABET,
    BATCH_CODE_MAX_LENGTH,
    ExperienceProduct,
    Marketplace,
    Product,
    ProductBatch,
    ProductImage,
    ProductText,
    StoreLink,
    Unit,
)

__all__ = ["DEMO_FILE", "DemoDataError", "LoadReport", "load"]

DEMO_FILE = Path(__file__).with_name("products.toml")

PRODUCT_KEYS = {
    "slug", "village", "status", "position", "price", "unit", "stock", "ocop_stars", "producer", "origin",
    "certifications", "texts", "images", "store_links", "batches", "experiences",
}
PRODUCT_TEXT_KEYS = {"name", "description"}


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    products: int = 0
    batches: int = 0

    def __str__(self):
        return (f"Demo shop: {self.products} products, {self.batches} batches "
                f"({self.created} rows created, {self.updated} updated, {self.deleted} deleted).")


def _sync_counting(collection: list, wanted: dict, key, make) -> int:
    """The catalog's `sync`, returning how many rows it removed (deleted as orphans at flush)."""
    removed = sum(1 for row in collection if key(row) not in wanted)
    sync(collection, wanted, key, make)
    return removed


def _per_locale(data: dict, where: str) -> dict[str, str]:
    check_codes(data, LOCALES, where)
    if "vi" not in data or "en" not in data:
        raise DemoDataError(f"{where}: Vietnamese and English are both required")
    return dict(data)


def _store_links(data: list, where: str) -> dict:
    wanted = {}
    for position, link in enumerate(data):
        check_keys(link, {"marketplace", "url"}, f"{where}.store_links[{position}]")
        problem = store_url_problem(link["url"])  # the console's own check: one rule for both
        if problem is not None:
            raise DemoDataError(f"{where}.store_links[{position}]: {problem.interpolate()}")
        marketplace = Marketplace(link["marketplace"])
        wanted[marketplace] = {"marketplace": marketplace, "url": link["url"], "position": position}
    return wanted


def _batches(data: list, where: str) -> dict:
    wanted = {}
    for batch in data:
        check_keys(batch, {"code", "made_on", "notes"}, f"{where}.batches")
        code = batch["code"]
        if len(code) > BATCH_CODE_MAX_LENGTH or set(code) - set(BATCH_CODE_ALPHABET):
            raise DemoDataError(f"{where}.batches: {code!r} is not a batch code (alphabet {BATCH_CODE_ALPHABET})")
        if not isinstance(batch["made_on"], date):
            raise DemoDataError(f"{where}.batches: {code}'s made_on is not a date")
        wanted[code] = {"code": code, "made_on": batch["made_on"],
                        "notes": _per_locale(batch["notes"], f"{where}.batches.{code}.notes")}
    return wanted


def _sync_experience_links(dbsession, product: Product, data: list, where: str) -> int:
    """Link the product to exactly the experiences listed; returns how many links it deleted."""
    existing = {} if product.id is None else {
        link.experience.slug: link for link in dbsession.scalars(
            select(ExperienceProduct).where(ExperienceProduct.product_id == product.id))}
    for position, item in enumerate(data):
        check_keys(item, {"slug", "reason"}, f"{where}.experiences[{position}]")
        link = existing.pop(item["slug"], None)
        if link is None:
            experience = dbsession.scalar(select(Experience).where(Experience.slug == item["slug"]))
            if experience is None:
                raise DemoDataError(f"{where}.experiences[{position}]: no experience {item['slug']!r}")
            link = ExperienceProduct(experience=experience, product=product)
            dbsession.add(link)
        assign(link, {"position": position, "reason": _per_locale(item["reason"], f"{where}.experiences")})
    for link in existing.values():
        dbsession.delete(link)
    return len(existing)


def _load_product(dbsession, data: dict) -> tuple[Product, int]:
    """The product as the file says, and how many of its rows (texts, links…) were removed."""
    where = f"product {data.get('slug')!r}"
    check_keys(data, PRODUCT_KEYS, where, PRODUCT_KEYS - {"ocop_stars"})
    village = dbsession.scalar(select(Village).where(Village.slug == data["village"]))
    if village is None:
        raise DemoDataError(f"{where}: no village {data['village']!r}")
    product = dbsession.scalar(select(Product).where(Product.slug == data["slug"]))
    if product is None:
        product = Product(slug=data["slug"], stock=data["stock"])
        dbsession.add(product)
    assign(product, {
        "village": village,
        "status": PublicationStatus(data["status"]),
        "position": data["position"],
        "price": data["price"],
        "currency": "VND",
        "unit": Unit(data["unit"]),
        "ocop_stars": data.get("ocop_stars"),
        "producer": data["producer"],
        "origin": data["origin"],
        "certifications": list(data["certifications"]),
    })
    deleted = sum((
        _sync_counting(product.texts, texts(data["texts"], PRODUCT_TEXT_KEYS, set(), where),
                       lambda r: r.locale, ProductText),
        _sync_counting(product.images, images(data["images"], where), lambda r: r.position, ProductImage),
        _sync_counting(product.store_links, _store_links(data["store_links"], where),
                       lambda r: r.marketplace, StoreLink),
        _sync_counting(product.batches, _batches(data["batches"], where), lambda r: r.code, ProductBatch),
        _sync_experience_links(dbsession, product, data["experiences"], where),
    ))
    return product, deleted


def load(dbsession, path: Path = DEMO_FILE) -> LoadReport:
    """Bring the shop in line with the demo file (after the catalog's demo); returns what changed.

    Raises DemoDataError (nothing is committed by the caller then) when the file is invalid.
    """
    with open(path, "rb") as f:
        data = tomllib.load(f)
    report = LoadReport()
    with dbsession.no_autoflush:
        for product_data in data["products"]:
            product, deleted = _load_product(dbsession, product_data)
            report.deleted += deleted
            report.products += 1
            report.batches += len(product.batches)
        report.created = len(dbsession.new)
        report.updated = sum(1 for row in dbsession.dirty if dbsession.is_modified(row))
    dbsession.flush()
    return report
