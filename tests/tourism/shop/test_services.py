"""Shop reading rules: only published products, in order, texts and reasons with fallbacks."""
from sqlalchemy import event

from tests.factories import make_experience, make_village
from tests.tourism.shop.factories import add_batch, link, make_product
from tourism.catalog.models import PublicationStatus
from tourism.shop import services


def test_village_products_are_the_published_ones_in_position_order(dbsession):
    village = make_village(dbsession, slug="lang-san-pham")
    other = make_village(dbsession, slug="lang-khac")
    second = make_product(dbsession, village, "thu-hai", position=2)
    first = make_product(dbsession, village, "thu-mot", position=1)
    make_product(dbsession, village, "thu-nhap", position=0, status=PublicationStatus.DRAFT)
    make_product(dbsession, other, "thu-lang-khac", position=0)
    assert [p.slug for p in services.village_products(dbsession, village.id)] == [first.slug, second.slug]


def test_a_draft_product_is_not_found_by_slug(dbsession):
    village = make_village(dbsession)
    make_product(dbsession, village, "thu-nhap", status=PublicationStatus.DRAFT)
    published = make_product(dbsession, village, "thu-cong-khai")
    assert services.get_published_product(dbsession, "thu-nhap") is None
    assert services.get_published_product(dbsession, "thu-cong-khai") is published
    assert services.get_published_product(dbsession, "x" * 500) is None


def test_product_text_falls_back_requested_then_english_then_vietnamese(dbsession):
    village = make_village(dbsession)
    both = make_product(dbsession, village, "thu-hai-tieng", texts={"vi": "Trà", "en": "Tea", "ko": "차"})
    vietnamese_only = make_product(dbsession, village, "thu-tieng-viet", texts={"vi": "Trà"})
    assert services.product_text(both, "ko").value.name == "차"
    fallback = services.product_text(both, "fr")
    assert (fallback.value.name, fallback.locale, fallback.is_fallback) == ("Tea", "en", True)
    assert services.product_text(vietnamese_only, "ja").locale == "vi"


def test_experience_products_keep_link_order_skip_drafts_and_localize_the_reason(dbsession):
    village = make_village(dbsession)
    experience = make_experience(dbsession, village)
    tea = make_product(dbsession, village, "thu-tra")
    cup = make_product(dbsession, village, "thu-chen")
    draft = make_product(dbsession, village, "thu-nhap", status=PublicationStatus.DRAFT)
    link(dbsession, experience, cup, {"vi": "Chén bạn sẽ dùng", "en": "The cup you will use"}, position=2)
    link(dbsession, experience, tea, {"vi": "Chè bạn sẽ hái", "en": "The tea you will pick", "ko": "직접 따게 될 차"},
         position=1)
    link(dbsession, experience, draft, position=0)

    linked = services.experience_products(dbsession, experience.id, "ko")
    assert [item.product.slug for item in linked] == ["thu-tra", "thu-chen"]
    assert (linked[0].reason.value, linked[0].reason.locale) == ("직접 따게 될 차", "ko")
    assert (linked[1].reason.value, linked[1].reason.locale) == ("The cup you will use", "en")
    assert linked[1].text.value.name == "Test tea"  # the product's own text falls back too


def test_product_experiences_are_the_published_ones(dbsession):
    village = make_village(dbsession)
    shown = make_experience(dbsession, village, "thu-cong-khai")
    hidden = make_experience(dbsession, village, "thu-nhap", status=PublicationStatus.DRAFT)
    tea = make_product(dbsession, village)
    link(dbsession, shown, tea)
    link(dbsession, hidden, tea)
    linked = services.product_experiences(dbsession, tea.id, "vi")
    assert [item.experience.slug for item in linked] == ["thu-cong-khai"]
    assert linked[0].reason.value == "Chè bạn sẽ hái"


def test_find_batch_is_exact_and_only_for_published_products(dbsession):
    village = make_village(dbsession)
    tea = make_product(dbsession, village)
    draft = make_product(dbsession, village, "thu-nhap", status=PublicationStatus.DRAFT)
    batch = add_batch(dbsession, tea, "TESTB2")
    add_batch(dbsession, draft, "TESTD3")
    assert services.find_batch(dbsession, "TESTB2") is batch
    assert services.find_batch(dbsession, "testb2") is None  # the view redirects to upper case
    assert services.find_batch(dbsession, "TESTD3") is None
    assert services.find_batch(dbsession, "") is None
    assert services.find_batch(dbsession, "A" * 200) is None


def test_batch_notes_fall_back_and_latest_batches_come_newest_first(dbsession):
    from datetime import date

    village = make_village(dbsession)
    tea = make_product(dbsession, village)
    old = add_batch(dbsession, tea, "TESTA2", date(2025, 4, 1), notes={"vi": "Chỉ tiếng Việt."})
    add_batch(dbsession, tea, "TESTB3", date(2026, 4, 1))
    add_batch(dbsession, tea, "TESTC4", date(2026, 9, 1))
    add_batch(dbsession, tea, "TESTD5", date(2024, 9, 1))
    dbsession.expire(tea, ["batches"])
    assert [b.code for b in services.latest_batches(tea)] == ["TESTC4", "TESTB3", "TESTA2"]
    notes = services.batch_notes(old, "ko")
    assert (notes.value, notes.locale) == ("Chỉ tiếng Việt.", "vi")
    assert services.batch_notes(add_batch(dbsession, tea, "TESTE6", notes={}), "en") is None


def test_a_village_page_costs_the_same_queries_for_one_product_or_many(dbsession):
    village = make_village(dbsession)
    make_product(dbsession, village, "thu-1")

    def count_queries():
        statements = []
        listener = lambda *args: statements.append(args[2])
        engine = dbsession.get_bind()
        event.listen(engine, "before_cursor_execute", listener)
        try:
            dbsession.expire_all()
            for product in services.village_products(dbsession, village.id):
                product.texts, product.images, product.store_links, product.batches, product.village.texts
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    one = count_queries()
    for n in range(2, 8):
        make_product(dbsession, village, f"thu-{n}")
    assert count_queries() == one
