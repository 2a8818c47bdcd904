"""The operator's changes to the village's products: what the console may change, and how
input is read.

Every function here takes what it needs (the database session, the media store) and either
changes everything asked or nothing: a form is read and checked completely first, and a
refusal raises `InvalidInput` with one translatable message per form field, so a page can
show each message next to its field. Pictures follow the rules every picture does
(tourism.pictures): `PICTURES` only words them for products.

Stock is never set from a form: bookings take units between the moment a page is loaded and
the moment it is sent, so the operator says what came in or went out and `change_stock`
applies it as one conditional UPDATE, like `stock.take_stock`.

Forms are read from any mapping of field names to strings (a WebOb MultiDict, or a dict in
tests). Field names, per locale `<field>-<locale>`:
  product:      village, slug, name-*, description-*, price, unit, ocop_stars, producer,
                origin, certifications, status (the edit form only)
  store links:  store-<row>-marketplace, store-<row>-url (rows 0…STORE_ROWS-1, in order)
  experiences:  experience (the ids ticked), reason-<experience id>-*
  stock:        quantity, direction (add or remove)
  picture:      alt-* (and the file); order: place
"""
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from tourism import forms, pictures
from tourism.booking.models import Booking, BookingProductLine, BookingStatus
from tourism.catalog.models import Experience, PublicationStatus, Village
from tourism.concurrency import RaceGuard
from tourism.forms import InvalidInput, Problems, TextField
from tourism.i18n import DEFAULT_LOCALE, LOCALES, _
from tourism.pictures import Gallery
from tourism.shop.models import ExperienceProduct, Marketplace, Product, ProductImage, ProductText, StoreLink, Unit
from tourism.shop.stock import stock_left

__all__ = ["InvalidInput"]

# Lengths of the text columns (models.py) and sensible limits for the unbounded ones.
NAME_MAX, DESCRIPTION_MAX, SLUG_MAX_LENGTH = 200, 5000, 80
PRODUCER_MAX = ORIGIN_MAX = 200
CERTIFICATION_MAX, MAX_CERTIFICATIONS = 60, 10
STORE_URL_MAX = 500
REASON_MAX = 200
# A whole number of dong per unit. A hundred million is far above any village product (a
# Bát Tràng vase set, a silk ao dai): more is a typing slip (a zero too many), not a price.
MAX_PRICE = 100_000_000
OCOP_STARS = (3, 4, 5)
# Units in one stock change (a harvest of boxes, a kiln firing): more is a typing slip. The
# stock itself stays far below what the column can hold.
MAX_STOCK_CHANGE = 10_000
MAX_STOCK = 1_000_000
# Product pictures: the shared limits (tourism.pictures), at most MAX_IMAGES a product.
IMAGE_MAX_BYTES = pictures.MAX_BYTES
MAX_IMAGES = 10
# One row of the store links form per marketplace: each may be listed once.
STORE_ROWS = len(Marketplace)

SLUG_TAKEN = _("Another product already has this web address name: choose another.")

PRODUCT_TEXT_FIELDS = (
    TextField("name", NAME_MAX,
              required_vi=_("Give the product's name in Vietnamese: it is shown when no other language has one."),
              required_other=_("Give the name in this language too, or leave the language empty.")),
    TextField("description", DESCRIPTION_MAX, multiline=True))
PICTURES = Gallery(
    owner=Product, picture=ProductImage, owner_key="product_id",
    missing=_("Choose a picture of the product (PNG, JPEG or WebP)."),
    too_many=_("A product can have at most ${max} pictures: remove one first."),
    alt_needed=_("Say in Vietnamese what the picture shows, for people who cannot see it "
                 "(such as “Hộp trà móc câu trên bàn gỗ”)."))


# --- a product's details ---------------------------------------------------------------------

@dataclass(frozen=True)
class Details:
    """What the product form says besides its texts."""

    price: int
    unit: Unit
    ocop_stars: int | None
    producer: str
    origin: str
    certifications: list[str]


def read_village(form: Mapping, villages: Sequence[Village], problems: Problems) -> Village | None:
    return forms.chosen_row(form, "village", villages, problems, _("Choose the village that makes this product."))


def read_slug(dbsession, form: Mapping, problems: Problems, product: Product | None = None) -> str:
    slug = forms.raw(form, "slug").strip()
    if not slug:
        problems.add("slug", _("Give the product a web address name, such as tra-moc-cau."))
    elif len(slug) > SLUG_MAX_LENGTH or not forms.SLUG_PATTERN.match(slug):
        problems.add("slug", _("Use only small letters a–z, digits and hyphens between words (such as "
                               "tra-moc-cau), at most ${max} characters.", mapping={"max": SLUG_MAX_LENGTH}))
    else:
        other = select(Product.id).where(Product.slug == slug)
        if product is not None:
            other = other.where(Product.id != product.id)
        if dbsession.scalar(other) is not None:
            problems.add("slug", SLUG_TAKEN)
    return slug


# "250000", "250.000", "250 000 ₫", "250.000đ", "250000 VND": what people write under a price.
_CURRENCY_SUFFIX = re.compile(r"\s*(?:₫|đ|vnđ|vnd|dong|đồng)\s*\Z", re.IGNORECASE)


def read_price(form: Mapping, problems: Problems) -> int | None:
    """A whole number of dong, more than 0 and at most MAX_PRICE."""
    raw = _CURRENCY_SUFFIX.sub("", forms.raw(form, "price").strip())
    price = forms.whole_number(raw, max_digits=18)  # a long run of digits is "too much", not "not a number"
    if not raw:
        problems.add("price", _("Give the price of one unit in dong, such as 250000."))
    elif price is None:
        problems.add("price", _("Write the price in dong as a whole number, such as 250000 or 250.000 "
                                "(no decimals)."))
    elif price <= 0:
        problems.add("price", _("The price must be more than 0 dong."))
    elif price > MAX_PRICE:
        problems.add("price", _("A price can be at most ${max} dong: check the number of zeros.",
                                mapping={"max": MAX_PRICE}))
    else:
        return price
    return None


def read_unit(form: Mapping, problems: Problems) -> Unit | None:
    return forms.choice(form, "unit", Unit, problems, _("Choose what one unit is: a box, a piece or a kilogram."))


def read_ocop_stars(form: Mapping, problems: Problems) -> int | None:
    raw = forms.raw(form, "ocop_stars").strip()
    if not raw:
        return None
    stars = forms.whole_number(raw, max_digits=1)
    if stars not in OCOP_STARS:
        problems.add("ocop_stars", _("OCOP ratings have 3, 4 or 5 stars; leave it empty if the product has none."))
        return None
    return stars


def parse_certifications(raw: str, problems: Problems) -> list[str]:
    """Certifications one per line or separated by commas, spaces tidied, each once, in order."""
    names = []
    for part in re.split(r"[\n,;]", raw):
        name = " ".join(part.split())
        if name and name not in names:
            names.append(name)
    long = [name for name in names if len(name) > CERTIFICATION_MAX]
    if long:
        problems.add("certifications", _(
            "A certification can be at most ${max} characters: “${name}…” is longer. Put one per line.",
            mapping={"max": CERTIFICATION_MAX, "name": long[0][:30]}))
    elif len(names) > MAX_CERTIFICATIONS:
        problems.add("certifications", _("At most ${max} certifications, please.",
                                         mapping={"max": MAX_CERTIFICATIONS}))
    return names


def read_details(form: Mapping, problems: Problems) -> Details | None:
    price, unit, stars = read_price(form, problems), read_unit(form, problems), read_ocop_stars(form, problems)
    producer, origin = forms.line(form, "producer"), forms.line(form, "origin")
    if not producer:
        problems.add("producer", _("Say who makes it: a household, a workshop or a cooperative."))
    forms.too_long(problems, "producer", producer, PRODUCER_MAX)
    forms.too_long(problems, "origin", origin, ORIGIN_MAX)
    certifications = parse_certifications(forms.paragraphs(form, "certifications"), problems)
    if price is None or unit is None:
        return None
    return Details(price, unit, stars, producer, origin, certifications)


def read_status(form: Mapping, problems: Problems) -> PublicationStatus | None:
    return forms.choice(form, "status", PublicationStatus, problems,
                        _("Choose whether visitors may see this product."))


def _apply_details(product: Product, details: Details) -> None:
    product.price, product.unit, product.ocop_stars = details.price, details.unit, details.ocop_stars
    product.producer, product.origin = details.producer, details.origin
    product.certifications = list(details.certifications)


def _flush_or_slug_taken(dbsession, change) -> None:
    """Make `change()` and flush it in a savepoint: should another product take the same slug
    in the same instant, the unique constraint refuses this one, and all of it is undone."""
    try:
        with dbsession.begin_nested():
            change()
            dbsession.flush()
    except IntegrityError:
        raise InvalidInput({"slug": SLUG_TAKEN}) from None


def create_product(dbsession, form: Mapping, *, villages: Sequence[Village]) -> Product:
    """A new draft product from the "new product" form, with no stock, last on its village's
    list. `villages` are those the person may choose (their operator's; all for an admin).

    Raises InvalidInput naming every wrong field; then no row is added.
    """
    problems = Problems()
    village = read_village(form, villages, problems)
    slug = read_slug(dbsession, form, problems)
    texts = forms.read_texts(form, PRODUCT_TEXT_FIELDS, problems)
    details = read_details(form, problems)
    problems.raise_any()

    last = dbsession.scalar(select(func.max(Product.position)).where(Product.village_id == village.id))
    product = Product(slug=slug, village=village, status=PublicationStatus.DRAFT, position=(last or 0) + 1,
                      currency="VND", stock=0)
    _apply_details(product, details)
    product.texts = [ProductText(locale=locale, **values) for locale, values in texts.items()]
    _flush_or_slug_taken(dbsession, lambda: dbsession.add(product))
    return product


def save_product(dbsession, product: Product, form: Mapping, *, villages: Sequence[Village]) -> int:
    """Update `product` from the edit form: village, slug, texts in every locale, price,
    unit, OCOP stars, producer, origin, certifications and status.

    Moved to another village, it leaves the experiences of the old one (a product is shown
    only on its own village's experiences); returns how many such links were removed.
    Raises InvalidInput (nothing changed) when any field is wrong.
    """
    problems = Problems()
    village = read_village(form, villages, problems)
    slug = read_slug(dbsession, form, problems, product)
    texts = forms.read_texts(form, PRODUCT_TEXT_FIELDS, problems)
    details = read_details(form, problems)
    status = read_status(form, problems)
    problems.raise_any()

    removed = []

    def change():
        if village.id != product.village_id:
            elsewhere = select(Experience.id).where(Experience.village_id != village.id)
            removed.append(dbsession.execute(
                delete(ExperienceProduct).where(ExperienceProduct.product_id == product.id,
                                                ExperienceProduct.experience_id.in_(elsewhere))).rowcount)
        product.village, product.slug, product.status = village, slug, status
        _apply_details(product, details)
        forms.replace_texts(dbsession, product.texts, ProductText, texts)

    _flush_or_slug_taken(dbsession, change)
    return sum(removed)


# --- store links -----------------------------------------------------------------------------

# A site name: labels of letters, digits and inner hyphens, dot-separated, ending in a
# top-level domain of letters (or an internationalised one, xn--…).
_HOST_PATTERN = re.compile(r"(?:[^\W_](?:[\w-]*[^\W_])?\.)+(?:[^\W\d_]{2,}|xn--[a-z0-9-]+)\Z")


# Addresses that are not web pages, and must never become a link on our pages.
_NOT_WEB = ("javascript:", "data:", "vbscript:", "file:", "mailto:", "tel:", "blob:", "about:")


def store_url_problem(url: str):
    """Why `url` cannot be a store link (a translatable message), or None when it can.

    A store link is an absolute http:// or https:// address with a site name (shopee.vn),
    no spaces, no user name before the site name, at most STORE_URL_MAX characters: visitors
    open it from our pages, so nothing else (javascript:, data:, ftp:, a relative path)
    may get there. The one check for the console and the demo loader.
    """
    if len(url) > STORE_URL_MAX:
        return _("A web address can be at most ${max} characters (this one has ${length}).",
                 mapping={"max": STORE_URL_MAX, "length": len(url)})
    if any(char.isspace() or not char.isprintable() for char in url):
        return _("A web address has no spaces: copy it whole from the browser's address bar.")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if "://" in url or url.lower().startswith(_NOT_WEB):
            return _("Only web pages can be linked: the address must start with https:// or http://.")
        # "shopee.vn/…", "/shop", "www.shopee.vn:443": the beginning is missing.
        return _("Give the whole address, starting with https:// (copy it from the browser's address bar).")
    if "@" in parts.netloc:
        return _("A store address cannot have a name and “@” before the site name: copy it from the "
                 "browser's address bar.")
    try:
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return _("This is not a web address: copy it from the browser's address bar.")
    if not parts.hostname:
        return _("The address has no site name after ${scheme}://, such as shopee.vn.", mapping={"scheme": scheme})
    if not _HOST_PATTERN.match(parts.hostname):
        return _("“${host}” is not a site name such as shopee.vn: copy the address from the browser's "
                 "address bar.", mapping={"host": parts.hostname[:60]})
    return None


@dataclass(frozen=True)
class StoreLinkInput:
    marketplace: Marketplace
    url: str


def read_store_links(form: Mapping, problems: Problems) -> list[StoreLinkInput]:
    """The rows of the store links form that have an address, in order; a row left empty,
    or emptied, is no link."""
    markets = {item.value for item in Marketplace}
    links, seen = [], set()
    for row in range(STORE_ROWS):
        market_field, url_field = f"store-{row}-marketplace", f"store-{row}-url"
        raw_market, url = forms.raw(form, market_field), forms.raw(form, url_field).strip()
        if not url:
            continue
        problem = store_url_problem(url)
        if problem is not None:
            problems.add(url_field, problem)
        if raw_market not in markets:
            problems.add(market_field, _("Choose the store this address is on."))
        elif raw_market in seen:
            problems.add(market_field, _("This store is chosen twice: keep one address per store."))
        elif problem is None:
            links.append(StoreLinkInput(Marketplace(raw_market), url))
        seen.add(raw_market)
    return links


def save_store_links(dbsession, product: Product, form: Mapping) -> None:
    """Make the product's store links exactly the form's rows, in their order (a store's
    existing row is updated in place). Raises InvalidInput (nothing changed)."""
    problems = Problems()
    links = read_store_links(form, problems)
    problems.raise_any()
    kept = {link.marketplace: link for link in product.store_links}
    rows = []
    for position, wanted in enumerate(links):
        row = kept.get(wanted.marketplace) or StoreLink(marketplace=wanted.marketplace)
        row.url, row.position = wanted.url, position
        rows.append(row)
    product.store_links = rows  # delete-orphan: the stores left out go
    dbsession.flush()


# --- experiences -----------------------------------------------------------------------------

def experience_choices(dbsession, village_id: int) -> list[Experience]:
    """The experiences a product of this village may be shown on: its own village's, all of them."""
    return list(dbsession.scalars(select(Experience).where(Experience.village_id == village_id)
                                  .options(selectinload(Experience.texts)).order_by(Experience.slug)))


def current_links(dbsession, product_id: int) -> list[ExperienceProduct]:
    return list(dbsession.scalars(select(ExperienceProduct).where(ExperienceProduct.product_id == product_id)
                                  .order_by(ExperienceProduct.position, ExperienceProduct.experience_id)))


@dataclass(frozen=True)
class ExperienceLinkInput:
    experience: Experience
    reason: dict[str, str]  # locale → why this product goes with this experience


def reason_field(experience_id: int, locale: str) -> str:
    return f"reason-{experience_id}-{locale}"


def read_experience_links(dbsession, product: Product, form: Mapping, chosen_ids: Iterable,
                          problems: Problems) -> list[ExperienceLinkInput]:
    """The ticked experiences (of the product's own village only), each with its reason;
    the reason is required in Vietnamese, shown when a visitor's language has none."""
    allowed = {experience.id: experience for experience in experience_choices(dbsession, product.village_id)}
    chosen: list[Experience] = []
    for raw in chosen_ids:
        experience = allowed.get(forms.chosen_id(raw if isinstance(raw, str) else ""))
        if experience is None:
            problems.add("experiences", _("A product can be shown only on its own village's experiences."))
            return []
        if experience not in chosen:
            chosen.append(experience)
    links = []
    for experience in sorted(chosen, key=lambda e: e.slug):
        reason = {}
        for locale in LOCALES:
            name = reason_field(experience.id, locale)
            text = forms.line(form, name)
            forms.too_long(problems, name, text, REASON_MAX)
            if text:
                reason[locale] = text
        if DEFAULT_LOCALE not in reason:
            problems.add(reason_field(experience.id, DEFAULT_LOCALE), _(
                "Say in Vietnamese why this product goes with this experience, such as “Chè bạn sẽ hái”."))
        links.append(ExperienceLinkInput(experience, reason))
    return links


def save_experience_links(dbsession, product: Product, form: Mapping, chosen_ids: Iterable) -> None:
    """Show the product on exactly the ticked experiences of its village, each with its
    reason per locale. Raises InvalidInput (nothing changed)."""
    problems = Problems()
    links = read_experience_links(dbsession, product, form, chosen_ids, problems)
    problems.raise_any()
    existing = {link.experience_id: link for link in current_links(dbsession, product.id)}
    for position, wanted in enumerate(links):
        row = existing.pop(wanted.experience.id, None)
        if row is None:
            row = ExperienceProduct(experience_id=wanted.experience.id, product_id=product.id)
            dbsession.add(row)
        row.position, row.reason = position, dict(wanted.reason)
    for row in existing.values():
        dbsession.delete(row)
    dbsession.flush()


# --- stock -------------------------------------------------------------------------------------

# Off (tests only), a change is applied the way a form that sets the stock would: read it,
# pause, write back what was read plus the change, losing any booking's take in between.
STOCK_CHANGE_GUARD = RaceGuard()


def change_stock(dbsession, product_id: int, change: int) -> int | None:
    """Add (`change` > 0) or take out (`change` < 0) units; returns the stock after, or None
    when that would go below zero or over MAX_STOCK (nothing changed).

    One conditional UPDATE (`stock = stock + change WHERE stock + change >= 0`), so it
    composes with bookings taking stock at the same moment (`stock.take_stock`): neither
    loses the other's units, and the stock never goes below zero. Locks the product's row
    until the transaction ends.
    """
    if STOCK_CHANGE_GUARD.enabled:
        return dbsession.execute(
            update(Product)
            .where(Product.id == product_id, Product.stock + change >= 0, Product.stock + change <= MAX_STOCK)
            .values(stock=Product.stock + change)
            .returning(Product.stock)
            .execution_options(synchronize_session="fetch")
        ).scalar_one_or_none()
    # Negative control only: read, pause, write an absolute value (the race).
    stock = stock_left(dbsession, product_id)
    STOCK_CHANGE_GUARD.pause()
    if not 0 <= stock + change <= MAX_STOCK:
        return None
    dbsession.execute(update(Product).where(Product.id == product_id).values(stock=stock + change)
                      .execution_options(synchronize_session="fetch"))
    return stock + change


@dataclass(frozen=True)
class StockChange:
    change: int  # units added (> 0) or taken out (< 0)
    stock: int  # the stock after


def read_stock_change(form: Mapping, problems: Problems) -> int | None:
    raw = forms.raw(form, "quantity").strip()
    quantity = forms.whole_number(raw)
    direction = forms.raw(form, "direction")
    if not raw:
        problems.add("quantity", _("Write how many units, such as 12."))
    elif quantity is None or quantity <= 0:
        problems.add("quantity", _("Write a whole number of units, more than 0, such as 12."))
    elif quantity > MAX_STOCK_CHANGE:
        problems.add("quantity", _("At most ${max} units at once: check the number.",
                                   mapping={"max": MAX_STOCK_CHANGE}))
    if direction not in ("add", "remove"):
        problems.add("direction", _("Choose whether units came in or went out."))
    if "quantity" in problems.errors or "direction" in problems.errors:
        return None
    return quantity if direction == "add" else -quantity


def adjust_stock(dbsession, product: Product, form: Mapping) -> StockChange:
    """Add the units that came in (made, harvested, returned) or take out those that went
    (damaged, sold elsewhere, counted missing), from the stock form.

    Raises InvalidInput (nothing changed) for a wrong form, and when fewer units are in
    stock than are taken out, saying how many are left.
    """
    problems = Problems()
    change = read_stock_change(form, problems)
    problems.raise_any()
    stock = change_stock(dbsession, product.id, change)
    if stock is None:
        left = stock_left(dbsession, product.id)
        if change < 0:
            raise InvalidInput({"quantity": _(
                "Only ${count} left in stock: ${quantity} cannot be taken out. Nothing was changed.",
                mapping={"count": left, "quantity": -change})})
        raise InvalidInput({"quantity": _("The stock can be at most ${max} units (${count} now).",
                                          mapping={"max": MAX_STOCK, "count": left})})
    return StockChange(change, stock)


@dataclass(frozen=True)
class Commitments:
    """Units already sold with bookings, not on the shelf any more (not counted in the stock)."""

    held: int  # in bookings not yet paid: back on the shelf if their hold expires
    to_hand_over: int  # paid, or to be paid at the village: to give to the guest or send


def stock_commitments(dbsession, product_id: int) -> Commitments:
    """How many of the product's units bookings hold and have bought but not yet received."""
    rows = {BookingStatus(status): total for status, total in dbsession.execute(
        select(Booking.status, func.sum(BookingProductLine.quantity))
        .join(Booking, Booking.id == BookingProductLine.booking_id)
        .where(BookingProductLine.product_id == product_id, BookingProductLine.handed_over_at.is_(None),
               Booking.status.in_((BookingStatus.HELD, BookingStatus.CONFIRMED)))
        .group_by(Booking.status))}
    return Commitments(held=int(rows.get(BookingStatus.HELD) or 0),
                       to_hand_over=int(rows.get(BookingStatus.CONFIRMED) or 0))


# --- pictures ----------------------------------------------------------------------------------

def add_image(dbsession, store, product: Product, form: Mapping, data: bytes | None) -> ProductImage:
    """A new picture, last of the product's, at most MAX_IMAGES (tourism.pictures.Gallery.add)."""
    return PICTURES.add(dbsession, store, product, form, data, max_count=MAX_IMAGES)


save_image, move_image, remove_image = PICTURES.describe, PICTURES.move, PICTURES.remove
