"""The village's products added to a booking: what the guest chose, and its stock.

A basket is parsed from the booking form (`parse_basket`) and sold with the booking's hold
(`booking.services.create_hold` calls `take_products` inside its savepoint): the stock is
taken by `stock.take_stock` in the transaction that writes the booking, so a booking that
fails gives every unit back, and a product sold out meanwhile refuses the whole booking
with a message naming it. Units go back to the shelf when the hold expires or the booking
is cancelled before they were handed over (`give_back_products`).

Delivery is within Vietnam only, for a flat fee per booking: the setting
`tourism.shop.shipping_fee` (integer VND, default 35000; 0 for free delivery).
"""
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tourism.booking.models import BookingProductLine, Fulfilment
from tourism.catalog.models import Experience, PublicationStatus
from tourism.exceptions import DomainError
from tourism.i18n import _
from tourism.shop.models import ExperienceProduct, Product
from tourism.shop.services import product_text
from tourism.shop.stock import MAX_QUANTITY, return_stock, stock_left, take_stock

DEFAULT_SHIPPING_FEE = 35000  # VND per delivery, whatever the basket: a courier's flat rate
ADDRESS_FIELDS = ("name", "phone", "street", "ward", "district", "province")
MAX_ADDRESS_LENGTH = {"name": 200, "phone": 40, "street": 200, "ward": 100, "district": 100, "province": 100}
# A Vietnamese number: +84 or a leading 0, then 9 or 10 digits (spaces, dots, dashes allowed).
VN_PHONE_PATTERN = re.compile(r"^(\+84|0)[ .\-]?[0-9][0-9 .\-]{7,14}$")


class NotEnoughStock(DomainError):
    def __init__(self, name: str, left: int):
        if left <= 0:
            message = _("Sorry, ${product} has just sold out.", mapping={"product": name})
        else:
            message = _("Only ${count} of ${product} are left.", mapping={"count": left, "product": name})
        super().__init__(message, field="products")
        self.left = max(left, 0)


@dataclass(frozen=True)
class DeliveryAddress:
    """Where a delivery goes, always in Vietnam."""

    name: str
    phone: str
    street: str
    ward: str
    district: str
    province: str


@dataclass(frozen=True)
class Basket:
    """Products chosen with a booking: (product id, quantity) pairs, each quantity 1..99."""

    items: tuple[tuple[int, int], ...] = ()
    fulfilment: Fulfilment | None = None
    address: DeliveryAddress | None = None

    def __bool__(self) -> bool:
        return bool(self.items)


EMPTY_BASKET = Basket()


def shipping_fee(settings) -> int:
    """The flat delivery fee from `tourism.shop.shipping_fee` (ValueError if not an integer ≥ 0)."""
    fee = int(str((settings or {}).get("tourism.shop.shipping_fee", DEFAULT_SHIPPING_FEE)).strip())
    if fee < 0:
        raise ValueError(f"tourism.shop.shipping_fee must be 0 or more, not {fee}")
    return fee


def product_name(product: Product, locale: str) -> str:
    text = product_text(product, locale)
    return text.value.name if text is not None else product.slug


def orderable_products(dbsession, experience: Experience) -> list[Product]:
    """Products a guest may add to a booking of `experience`: published, and linked to it or
    made in its village. Linked ones first, in the link's order."""
    linked = select(ExperienceProduct.product_id).where(ExperienceProduct.experience_id == experience.id)
    products = dbsession.scalars(
        select(Product)
        .where(Product.status == PublicationStatus.PUBLISHED,
               (Product.village_id == experience.village_id) | Product.id.in_(linked))
        .options(selectinload(Product.texts))
        .order_by(Product.position, Product.slug)
    ).all()
    order = {pid: i for i, pid in enumerate(dbsession.scalars(
        linked.order_by(ExperienceProduct.position, ExperienceProduct.product_id)))}
    return sorted(products, key=lambda p: (order.get(p.id, len(order)), p.position, p.slug))


def _clean(value) -> str:
    return " ".join("".join(c for c in (value or "") if c.isprintable()).split())


def parse_basket(dbsession, params, experience: Experience, locale: str) -> Basket:
    """The products, fulfilment and address from a booking form; raises DomainError.

    Fields: `product_<id>` = quantity (blank or 0 for none), `fulfilment` = pickup or
    delivery, `delivery_<field>` for the address. A form may carry `delivery_country`, but
    only VN is accepted. Stock is not checked here: `take_products` does, atomically.
    """
    wanted: dict[int, str] = {}
    for key, raw in params.items():
        if not key.startswith("product_"):
            continue
        ident = key.removeprefix("product_")
        if not ident.isdigit() or len(ident) > 9:
            raise DomainError(_("This product cannot be added to this booking."), field="products")
        wanted[int(ident)] = (raw or "").strip() or "0"
    if not wanted:
        return EMPTY_BASKET
    allowed = {p.id: p for p in orderable_products(dbsession, experience)}
    items = []
    for product_id, raw in wanted.items():
        product = allowed.get(product_id)
        if product is None:
            other = dbsession.get(Product, product_id)
            if other is None or other.status != PublicationStatus.PUBLISHED:
                raise DomainError(_("This product cannot be added to this booking."), field="products")
            raise DomainError(_("${product} is not sold with this experience.",
                                mapping={"product": product_name(other, locale)}), field="products")
        if not raw.isdigit() or len(raw) > 2 or int(raw) > MAX_QUANTITY:
            raise DomainError(_("Enter a quantity from 0 to ${max} for ${product}.",
                                mapping={"max": MAX_QUANTITY, "product": product_name(product, locale)}),
                              field=f"product_{product_id}")
        if int(raw):
            items.append((product_id, int(raw)))
    if not items:
        return EMPTY_BASKET
    choice = _clean(params.get("fulfilment", ""))
    if choice not in (Fulfilment.PICKUP, Fulfilment.DELIVERY):
        raise DomainError(_("Choose whether to pick up the products at the village or have them delivered."),
                          field="fulfilment")
    fulfilment = Fulfilment(choice)
    address = parse_address(params) if fulfilment == Fulfilment.DELIVERY else None
    return Basket(tuple(sorted(items)), fulfilment, address)


def parse_address(params) -> DeliveryAddress:
    """A delivery address in Vietnam from `delivery_<field>` fields; raises DomainError."""
    country = _clean(params.get("delivery_country", "VN")).upper()
    if country not in ("VN", "VIETNAM", "VIET NAM", "VIỆT NAM"):
        raise DomainError(_("We deliver within Vietnam only."), field="delivery_country")
    values = {field: _clean(params.get(f"delivery_{field}", "")) for field in ADDRESS_FIELDS}
    messages = {
        "name": _("Enter the name of the person receiving the delivery."),
        "phone": _("Enter a Vietnamese phone number for the courier, like 0912 345 678."),
        "street": _("Enter the house number and street of the delivery address."),
        "ward": _("Enter the ward or commune of the delivery address."),
        "district": _("Enter the district or city of the delivery address."),
        "province": _("Enter the province of the delivery address."),
    }
    for field in ADDRESS_FIELDS:
        if not values[field] or len(values[field]) > MAX_ADDRESS_LENGTH[field]:
            raise DomainError(messages[field], field=f"delivery_{field}")
    if not VN_PHONE_PATTERN.match(values["phone"]):
        raise DomainError(messages["phone"], field="delivery_phone")
    return DeliveryAddress(**values)


def take_products(dbsession, basket: Basket, locale: str) -> list[BookingProductLine]:
    """Take the basket's stock; returns the booking's product lines (not yet added).

    Raises NotEnoughStock naming the first product short of units; the caller's savepoint
    then undoes the units already taken. Products are taken in id order so that two
    baskets sharing products lock their rows in the same order and cannot deadlock.
    """
    lines = []
    for product_id, quantity in sorted(basket.items):
        product = dbsession.get(Product, product_id)
        if product is None or take_stock(dbsession, product_id, quantity) is None:
            left = stock_left(dbsession, product_id) if product is not None else 0
            raise NotEnoughStock(product_name(product, locale) if product is not None else "?", left)
        lines.append(BookingProductLine(product_id=product_id, quantity=quantity, unit_price=product.price))
    return lines


def product_lines_text(booking, locale: str) -> list[str]:
    """The booking's products as printed on tickets, e-mails and manifests: "2 × Trà móc câu…"."""
    return [f"{line.quantity} × {product_name(line.product, locale)}" for line in booking.product_lines]


def give_back_products(dbsession, booking_ids) -> None:
    """Return to stock the units of these bookings' product lines not yet handed over."""
    rows = dbsession.execute(
        select(BookingProductLine.product_id, BookingProductLine.quantity)
        .where(BookingProductLine.booking_id.in_(list(booking_ids)), BookingProductLine.handed_over_at.is_(None))
        .order_by(BookingProductLine.product_id)
    ).all()
    for product_id, quantity in rows:
        return_stock(dbsession, product_id, quantity)
