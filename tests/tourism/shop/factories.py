"""Small builders for shop rows, on top of tests/factories.py's villages and experiences."""
from contextlib import contextmanager
from datetime import date

import transaction
from sqlalchemy import delete, select

from tourism.catalog.models import PublicationStatus
from tourism.shop.models import ExperienceProduct, Product, ProductBatch, ProductText, StoreLink, Unit


def make_product(dbsession, village, slug="san-pham-thu", *, status=PublicationStatus.PUBLISHED, position=0,
                 price=250000, unit=Unit.BOX, stock=10, texts=None, **fields) -> Product:
    product = Product(village=village, slug=slug, status=status, position=position, price=price, unit=unit,
                      stock=stock, producer=fields.pop("producer", "Hợp tác xã Thử"),
                      origin=fields.pop("origin", "Xã Thử, Tỉnh Thử"),
                      certifications=fields.pop("certifications", ["VietGAP"]), **fields)
    for locale, name in (texts or {"vi": "Trà thử", "en": "Test tea"}).items():
        product.texts.append(ProductText(locale=locale, name=name, description=f"{name} description."))
    dbsession.add(product)
    dbsession.flush()
    return product


def add_batch(dbsession, product, code="TESTB2", made_on=date(2026, 4, 14), notes=None) -> ProductBatch:
    batch = ProductBatch(product=product, code=code, made_on=made_on,
                         notes=notes if notes is not None else {"vi": "Sao tay.", "en": "Roasted by hand."})
    dbsession.add(batch)
    dbsession.flush()
    return batch


def link(dbsession, experience, product, reason=None, position=0) -> ExperienceProduct:
    row = ExperienceProduct(experience=experience, product=product, position=position,
                            reason=reason if reason is not None else {"vi": "Chè bạn sẽ hái", "en": "The tea you will pick"})
    dbsession.add(row)
    dbsession.flush()
    return row


def add_store_link(dbsession, product, marketplace, url, position=0) -> StoreLink:
    row = StoreLink(product_id=product.id, marketplace=marketplace, url=url, position=position)
    dbsession.add(row)
    dbsession.flush()
    return row


@contextmanager
def committed_tea_session(db_url, racers: int, slug: str, *, units: int, starts_at):
    """For races: a committed session with seats for every racer and a product with `units`
    units, on the race's own engine; yields (session factory, session id, product id) and
    removes everything (bookings included) afterwards."""
    from tests.concurrency import race_engine
    from tests.factories import make_experience, make_session, make_village
    from tourism.booking.models import Booking, BookingLine, BookingProductLine, BookingToken
    from tourism.catalog.models import Experience, Village
    from tourism.db import get_session_factory, get_tm_session
    from tourism.scheduling.models import ExperienceSession

    engine = race_engine(db_url, racers)
    factory = get_session_factory(engine)
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        db = get_tm_session(factory, manager)
        village = make_village(db, slug=slug, province="Tỉnh Đua Chè")
        experience = make_experience(db, village, f"{slug}-hai", max_party=3)
        session_id = make_session(db, experience, starts_at, capacity=racers * 3).id
        product_id = make_product(db, village, f"{slug}-che", stock=units, texts={"en": "Race tea"}).id
    try:
        yield factory, session_id, product_id
    finally:
        with engine.begin() as conn:
            booking_ids = select(Booking.id).where(Booking.session_id == session_id)
            for table in (BookingToken, BookingLine, BookingProductLine):
                conn.execute(delete(table).where(table.booking_id.in_(booking_ids)))
            conn.execute(delete(Booking).where(Booking.session_id == session_id))
            conn.execute(delete(ExperienceSession).where(ExperienceSession.id == session_id))
            conn.execute(delete(ProductText).where(ProductText.product_id == product_id))
            conn.execute(delete(Product).where(Product.id == product_id))
            conn.execute(delete(Experience).where(Experience.slug == f"{slug}-hai"))
            conn.execute(delete(Village).where(Village.slug == slug))
        engine.dispose()
