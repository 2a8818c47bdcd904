"""Product stock never sold below zero: the conditional UPDATE, and a race of real buyers.

The race runs buyers in threads, each in its own transaction on its own connection, against
a committed product. The negative control first switches the guard off (read, pause, write
back) and shows the race really oversells; with the guard on, no more units are sold than
there were, and every buyer turned away was simply told how many are left.
"""
import pytest
import transaction
from sqlalchemy import delete
from sqlalchemy.exc import NoResultFound

from tests.concurrency import all_at_once, committed, guard_switched_off, race_engine
from tests.factories import make_village
from tourism.catalog.models import Village
from tourism.db import get_session_factory, get_tm_session
from tourism.shop import stock
from tourism.shop.models import Product, Unit

STOCK = 10
BUYERS = 30


def make_product(dbsession, village, slug="che-thu", stock_count=5) -> Product:
    product = Product(slug=slug, village_id=village.id, price=120000, unit=Unit.BOX, stock=stock_count,
                      producer="Hợp tác xã chè Thử", origin="Xã Thử, Thái Nguyên")
    dbsession.add(product)
    dbsession.flush()
    return product


@pytest.fixture
def product(dbsession):
    return make_product(dbsession, make_village(dbsession, slug="lang-kho", province="Tỉnh Kho"))


# --- the rule, one request at a time ---------------------------------------------------------

def test_taking_leaves_the_rest(dbsession, product):
    assert stock.take_stock(dbsession, product.id, 2) == 3
    assert stock.take_stock(dbsession, product.id, 3) == 0
    assert stock.stock_left(dbsession, product.id) == 0
    assert product.stock == 0  # a product already loaded is refreshed, not stale


def test_asking_for_more_than_is_left_changes_nothing(dbsession, product):
    assert stock.take_stock(dbsession, product.id, 6) is None
    assert stock.stock_left(dbsession, product.id) == 5  # what the guest is told: "only 5 left"
    stock.take_stock(dbsession, product.id, 5)
    assert stock.take_stock(dbsession, product.id, 1) is None
    assert stock.stock_left(dbsession, product.id) == 0


def test_an_unknown_product_has_nothing_to_take(dbsession, product):
    assert stock.take_stock(dbsession, product.id + 10_000, 1) is None
    with pytest.raises(NoResultFound):
        stock.stock_left(dbsession, product.id + 10_000)


def test_returned_units_can_be_sold_again(dbsession, product):
    stock.take_stock(dbsession, product.id, 5)
    assert stock.return_stock(dbsession, product.id, 2) == 2
    assert product.stock == 2
    assert stock.take_stock(dbsession, product.id, 2) == 0


@pytest.mark.parametrize("quantity", [0, -1, stock.MAX_QUANTITY + 1, 10**9, 1.0, "2", None, True])
def test_bad_quantities_are_a_programming_error(dbsession, product, quantity):
    for change in (stock.take_stock, stock.return_stock):
        with pytest.raises(ValueError):
            change(dbsession, product.id, quantity)
    assert stock.stock_left(dbsession, product.id) == 5


def test_the_largest_quantity_is_allowed(dbsession, product):
    assert stock.return_stock(dbsession, product.id, stock.MAX_QUANTITY) == 5 + stock.MAX_QUANTITY
    assert stock.take_stock(dbsession, product.id, stock.MAX_QUANTITY) == 5


# --- the race ----------------------------------------------------------------------------

@pytest.fixture
def race_product(db_url):
    """A committed product with STOCK units on its own engine (the rolled-back test session cannot race)."""
    engine = race_engine(db_url, BUYERS)
    factory = get_session_factory(engine)
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        db = get_tm_session(factory, manager)
        village = make_village(db, slug="kho-tranh", province="Tỉnh Kho Tranh")
        product_id = make_product(db, village, slug="kho-tranh-che", stock_count=STOCK).id
    yield factory, product_id
    with engine.begin() as conn:
        conn.execute(delete(Product).where(Product.id == product_id))
        conn.execute(delete(Village).where(Village.slug == "kho-tranh"))
    engine.dispose()


def race(factory, product_id) -> list[tuple]:
    """BUYERS buyers of 1 to 3 units at once: ("sold", q) or ("refused", q, units left then)."""
    def buyer(i):
        quantity = 1 + i % 3

        def buy(db):
            if stock.take_stock(db, product_id, quantity) is None:
                return ("refused", quantity, stock.stock_left(db, product_id))
            return ("sold", quantity)

        return committed(factory, buy)

    return all_at_once(BUYERS, buyer)


def sold(outcomes) -> int:
    return sum(outcome[1] for outcome in outcomes if outcome[0] == "sold")


@pytest.fixture
def guard_off():
    with guard_switched_off(stock.STOCK_GUARD):
        yield


@pytest.mark.usefixtures("guard_off")
def test_negative_control_without_the_guard_the_race_oversells(backend, race_product):
    if backend == "sqlite":
        pytest.skip("SQLite takes its write lock at BEGIN IMMEDIATE, so even unguarded writers never interleave")
    factory, product_id = race_product
    outcomes = race(factory, product_id)
    # Lost updates: buyers who read the same stock all "took" from it.
    assert sold(outcomes) > STOCK, outcomes


def test_with_the_guard_never_below_zero_and_every_refusal_is_not_enough(race_product):
    factory, product_id = race_product
    outcomes = race(factory, product_id)
    left = committed(factory, lambda db: stock.stock_left(db, product_id))
    assert [o for o in outcomes if o[0] == "error"] == []
    assert sold(outcomes) == STOCK - left and left >= 0
    assert left <= 2  # the stock sells out (a last request of 3 may not fit 1–2 units)
    refused = [o for o in outcomes if o[0] == "refused"]
    assert refused and all(units_left < quantity for _, quantity, units_left in refused)
