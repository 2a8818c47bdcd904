"""Small builders for shop rows, on top of tests/factories.py's villages and experiences."""
from datetime import date

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
