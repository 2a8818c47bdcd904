"""Product stock: taken like seats, so never sold below zero under any concurrency.

The check and the write are one conditional UPDATE (`stock = stock - q WHERE stock >= q`):
however many buyers race for the last units, only those that fit succeed, and a losing
buyer gets None (not an exception) so the caller can say "only N left" with `stock_left`.
The `stock >= 0` CHECK on the table is the backstop.

These functions neither commit nor open a savepoint: they run in the caller's transaction
(the one that writes the booking line), so a rolled-back booking gives its units back.
"""
from sqlalchemy import select, update

from tourism.concurrency import RaceGuard
from tourism.shop.models import Product

# Per product line of an order: a basket, not a wholesale purchase. Also keeps a typo
# ("1000" for "10") from emptying a village's stock.
MAX_QUANTITY = 99

# Off (tests only), stock is taken by reading it, pausing, then writing back what was read
# minus the quantity: the lost-update race that the conditional UPDATE prevents.
STOCK_GUARD = RaceGuard()


def check_quantity(quantity) -> int:
    """`quantity` if it is an int from 1 to MAX_QUANTITY, else ValueError.

    A programming error, not a user's: views validate the form and tell the guest first.
    """
    # bool is an int subclass: True would silently mean 1.
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise ValueError(f"quantity must be an int from 1 to {MAX_QUANTITY}, not {quantity!r}")
    return quantity


def take_stock(dbsession, product_id: int, quantity: int) -> int | None:
    """Take `quantity` units of the product; returns the stock left, or None when fewer
    than `quantity` are in stock (nothing changed; `stock_left` tells how many are).

    Unknown products also give None: callers load the product (and check its village)
    before selling it. Raises ValueError for a quantity outside 1..MAX_QUANTITY. After a
    take, the product's row stays locked for other writers until the transaction ends
    (PostgreSQL's row lock; SQLite's database write lock): keep that transaction short.
    """
    check_quantity(quantity)
    if STOCK_GUARD.enabled:
        # "fetch": a Product already loaded in this session is refreshed, not left stale.
        return dbsession.execute(
            update(Product)
            .where(Product.id == product_id, Product.stock >= quantity)
            .values(stock=Product.stock - quantity)
            .returning(Product.stock)
            .execution_options(synchronize_session="fetch")
        ).scalar_one_or_none()
    # Negative control only: read, pause, write back (the race).
    stock = stock_left(dbsession, product_id)
    STOCK_GUARD.pause()
    if stock < quantity:
        return None
    dbsession.execute(update(Product).where(Product.id == product_id).values(stock=stock - quantity)
                      .execution_options(synchronize_session="fetch"))
    return stock - quantity


def return_stock(dbsession, product_id: int, quantity: int) -> int:
    """Give `quantity` units back (a hold expired, a booking cancelled before hand-over);
    returns the stock now.

    An increment in SQL, so it needs no guard: it cannot lose a concurrent take. Raises
    ValueError for a quantity outside 1..MAX_QUANTITY (what `take_stock` took fits) and
    NoResultFound for an unknown product.
    """
    check_quantity(quantity)
    return dbsession.execute(
        update(Product)
        .where(Product.id == product_id)
        .values(stock=Product.stock + quantity)
        .returning(Product.stock)
        .execution_options(synchronize_session="fetch")
    ).scalar_one()


def stock_left(dbsession, product_id: int) -> int:
    """The product's stock as the database has it now (NoResultFound for an unknown product)."""
    return dbsession.execute(select(Product.stock).where(Product.id == product_id)).scalar_one()
