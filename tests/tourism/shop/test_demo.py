"""The demo shop: the villages' products, loaded idempotently after the catalog."""
from sqlalchemy import func, select

from tourism.catalog.models import Experience
from tourism.shop import demo, services
from tourism.shop.models import ExperienceProduct, Product, ProductBatch, ProductText, StoreLink


def _counts(dbsession):
    return tuple(dbsession.scalar(select(func.count()).select_from(model))
                 for model in (Product, ProductText, StoreLink, ProductBatch, ExperienceProduct))


def test_demo_has_the_tan_cuong_ocop_tea_with_two_batches_and_its_reasons(dbsession):
    tea = services.get_published_product(dbsession, "tra-moc-cau-tan-cuong")
    assert (tea.village.slug, tea.ocop_stars, tea.unit, tea.price) == ("tan-cuong", 4, "box", 250000)
    assert {"vi", "en", "ko"} <= {t.locale for t in tea.texts}
    assert len(tea.batches) == 2 and {link.marketplace for link in tea.store_links} >= {"shopee", "tiktok_shop"}
    morning = dbsession.scalar(select(Experience).where(Experience.slug == "tan-cuong-tea-morning"))
    reasons = {item.product.slug: item.reason.value
               for item in services.experience_products(dbsession, morning.id, "en")}
    assert reasons["tra-moc-cau-tan-cuong"] == "The tea you will pick"


def test_every_demo_village_with_a_craft_product_shows_it(dbsession):
    slugs = {p.village.slug for p in dbsession.scalars(select(Product))}
    assert {"tan-cuong", "bat-trang", "van-phuc", "chu-dau", "dong-ho", "phu-vinh"} <= slugs


def test_loading_again_changes_nothing(dbsession):
    before = _counts(dbsession)
    report = demo.load(dbsession)
    assert (report.created, report.updated, report.deleted) == (0, 0, 0)
    assert _counts(dbsession) == before


def test_loading_repairs_an_edited_product_but_keeps_its_stock(dbsession):
    tea = dbsession.scalar(select(Product).where(Product.slug == "tra-moc-cau-tan-cuong"))
    tea.price = 1
    tea.stock = 7  # sold since the demo was loaded: not the file's business
    tea.texts.append(ProductText(locale="fr", name="Thé", description=""))
    dbsession.flush()
    report = demo.load(dbsession)
    assert (report.updated, report.deleted, report.created) == (1, 1, 0)
    dbsession.flush()
    assert (tea.price, tea.stock) == (250000, 7)
    assert "fr" not in {t.locale for t in tea.texts}
