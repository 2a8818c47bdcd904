"""The operator's batch pages through WebTest: a product's staff add batches with a typed or
a made code, whose traceability page then opens and whose labels print; bad input is refused
with its message and changes nothing; a code is never taken twice, even by two people in the
same instant; the code never changes; deleting goes through a confirm page; another
operator's staff get 403 on every URL."""
import re
from datetime import date, datetime, timezone

import pytest
import transaction
from sqlalchemy import delete, func, select
from translationstring import TranslationString

from tests.concurrency import all_at_once, committed, guard_switched_off, race_engine
from tests.factories import make_operator, make_staff, make_village, sign_in
from tests.tourism.shop.factories import add_batch, make_product
from tests.tourism.shop.test_labels import pages
from tests.pages import soup
from tourism.catalog.models import PublicationStatus, Village
from tourism.db import get_session_factory, get_tm_session
from tourism.forms import InvalidInput
from tourism.shop import batch_editing
from tourism.shop.models import BATCH_CODE_ALPHABET, Product, ProductBatch

# 10:00 on 20 April 2026 in the village (UTC+7).
NOW = datetime(2026, 4, 20, 3, 0, tzinfo=timezone.utc)
TODAY = date(2026, 4, 20)


@pytest.fixture
def village(dbsession):
    return make_village(dbsession, slug="lang-lo", province="Tỉnh Lò")


@pytest.fixture
def operator(dbsession, village):
    return make_operator(dbsession, "htx-lo", villages=[village])


@pytest.fixture
def product(dbsession, village, operator):
    make_staff(dbsession, operator, email="ours@example.com")
    return make_product(dbsession, village, slug="che-lo", texts={"vi": "Chè Lò", "en": "Lò tea"})


@pytest.fixture
def rival(dbsession):
    """Another operator's product, with a batch, and one of that operator's staff."""
    village = make_village(dbsession, slug="lang-khac", province="Tỉnh Khác")
    other = make_operator(dbsession, "htx-khac", villages=[village])
    make_staff(dbsession, other, email="theirs@example.com")
    rival_product = make_product(dbsession, village, slug="che-khac", texts={"vi": "Chè Khác"})
    add_batch(dbsession, rival_product, code="KHAC2345", made_on=date(2026, 3, 1))
    return rival_product


@pytest.fixture
def ours(app_at, product, rival):
    sign_in(app_at, "ours@example.com")
    return app_at


def count(dbsession) -> int:
    return dbsession.scalar(select(func.count()).select_from(ProductBatch))


def list_url(product) -> str:
    return f"/console/products/{product.id}/batches"


def add_form(app, product):
    page = app.get(list_url(product), {"lang": "en"})
    (form,) = [f for f in page.forms.values() if f.action == list_url(product)]
    return form


def fill(form, **values):
    fields = {"made_on": "2026-04-14", "notes-vi": "Hái 12–14 tháng 3, sao tay trong chảo gang.",
              "notes-en": "Picked 12–14 March, roasted by hand in iron pans."}
    fields.update({name.replace("_", "-") if name.startswith("notes") else name: value
                   for name, value in values.items()})
    for name, value in fields.items():
        form[name] = value
    return form


def by_code(dbsession, code) -> ProductBatch | None:
    return dbsession.scalar(select(ProductBatch).where(ProductBatch.code == code))


def token(app) -> str:
    """A CSRF token of the signed-in session (from the staff bar's sign-out form)."""
    return app.get("/console", {"lang": "en"}).forms[0]["csrf_token"].value


# --- adding ------------------------------------------------------------------------------------

def test_a_typed_code_makes_a_batch_whose_page_opens_and_labels_print(ours, dbsession, product):
    before = count(dbsession)
    saved = fill(add_form(ours, product), code=" tc 24xk7m ").submit()
    batch = by_code(dbsession, "TC24XK7M")  # upper-cased, spaces removed
    assert saved.status_int == 303 and saved.location.endswith(f"{list_url(product)}#batch-{batch.id}")
    assert count(dbsession) == before + 1
    assert (batch.product_id, batch.made_on) == (product.id, date(2026, 4, 14))
    assert batch.notes == {"vi": "Hái 12–14 tháng 3, sao tay trong chảo gang.",
                           "en": "Picked 12–14 March, roasted by hand in iron pans."}
    listing = saved.follow(params={"lang": "en"})
    assert "Batch TC24XK7M was added." in listing.text
    card = soup(listing).find(id=f"batch-{batch.id}")
    links = {a.get_text(" ", strip=True).split(":")[0].strip(): a["href"] for a in card.select("a")}
    assert links == {"Print labels (PDF)": f"/console/batches/{batch.id}/labels.pdf",
                     "See the page buyers see": "http://example.com/t/TC24XK7M",
                     "Change date or notes": f"/console/batches/{batch.id}",
                     "Delete…": f"/console/batches/{batch.id}/delete"}
    public = ours.get("/t/TC24XK7M", {"lang": "en"})
    assert "Picked 12–14 March, roasted by hand in iron pans." in public.text
    labels = ours.get(links["Print labels (PDF)"], {"lang": "en"})
    assert labels.content_type == "application/pdf"
    assert "Batch TC24XK7M" in pages(labels.body)[0]


def test_an_empty_code_gets_one_made_from_the_product_and_the_alphabet(ours, dbsession, product):
    before = count(dbsession)
    listing = fill(add_form(ours, product), code="").submit().follow(params={"lang": "en"})
    (batch,) = [b for b in dbsession.scalars(select(ProductBatch).where(ProductBatch.product_id == product.id))]
    assert re.fullmatch(f"CL[{BATCH_CODE_ALPHABET}]{{6}}", batch.code)  # che-lo
    assert count(dbsession) == before + 1
    assert f"Batch {batch.code} was added." in listing.text
    assert ours.get(f"/t/{batch.code}").status_int == 200


def test_a_made_code_is_drawn_again_while_it_is_taken(dbsession, product, rival, monkeypatch):
    draws = iter(["KHAC2345", "CLAAAAAA"])
    monkeypatch.setattr(batch_editing, "make_code", lambda product: next(draws))
    batch = batch_editing.add_batch(dbsession, product, {"made_on": "2026-04-01", "notes-vi": "Sao tay."},
                                    today=TODAY)
    assert batch.code == "CLAAAAAA"
    assert batch_editing.code_prefix(Product(slug="o-i-101")) == ""  # no look-alikes in a prefix


def test_the_list_is_newest_first_and_says_when_the_product_is_a_draft(ours, dbsession, product):
    for code, made_on in (("AAAA2222", date(2026, 1, 5)), ("BBBB3333", date(2026, 3, 5)),
                          ("CCCC4444", date(2025, 12, 5))):
        add_batch(dbsession, product, code=code, made_on=made_on)
    listing = ours.get(list_url(product), {"lang": "en"})
    assert [h.text.strip() for h in soup(listing).select(".transfer-card h3")] == ["BBBB3333", "AAAA2222",
                                                                                  "CCCC4444"]
    assert listing.headers["Cache-Control"] == "no-store"
    assert "not published yet" not in listing.text
    product.status = PublicationStatus.DRAFT
    dbsession.flush()
    assert "not published yet" in ours.get(list_url(product), {"lang": "en"}).text
    ours.get("/t/BBBB3333", status=404)


BAD_INPUT = [
    # (what is typed, the field it is about, words of its message)
    ({"code": "TC0O24"}, "code", "I, O, 0 and 1 are left out because they are easily misread on a small label. "
                                 "Not allowed: 0 O"),
    ({"code": "TC1I24"}, "code", "Not allowed: 1 I"),
    ({"code": "TC-24.XK"}, "code", "Not allowed: - ."),
    ({"code": "TC24/XK"}, "code", "Not allowed: /"),
    ({"code": "AB2"}, "code", "A code has 4 to 16 characters (this one has 3)."),
    ({"code": "AB23" * 4 + "C"}, "code", "A code has 4 to 16 characters (this one has 17)."),
    ({"code": "khac2345"}, "code", "Another batch already has the code KHAC2345."),
    ({"made_on": "2026-04-21"}, "made_on", "This date is in the future"),
    ({"made_on": "21/04/2026"}, "made_on", "Write the date as year-month-day, such as 2026-04-20."),
    ({"made_on": "2026-02-30"}, "made_on", "Write the date as year-month-day"),
    ({"made_on": "20260414"}, "made_on", "Write the date as year-month-day"),
    ({"made_on": "1999-12-31"}, "made_on", "The date cannot be before 2000-01-01."),
    ({"made_on": ""}, "made_on", "Give the day this batch was harvested or made."),
    ({"notes_vi": ""}, "notes-vi", "Write how this batch was made in Vietnamese"),
    ({"notes_vi": " \n "}, "notes-vi", "Write how this batch was made in Vietnamese"),
    ({"notes_en": "x" * 1001}, "notes-en", "At most 1000 characters, please (this has 1001)."),
    ({"notes_vi": "y" * 1001}, "notes-vi", "At most 1000 characters, please (this has 1001)."),
]


@pytest.mark.parametrize("typed, field, words", BAD_INPUT, ids=[f"{b[1]}:{list(b[0].values())[0][:12]}"
                                                                  for b in BAD_INPUT])
def test_bad_input_is_refused_with_its_message_and_nothing_added(ours, dbsession, product, typed, field, words):
    before = count(dbsession)
    refused = fill(add_form(ours, product), **typed).submit(status=400)
    page = soup(refused)
    assert words in page.find(id=f"batch-{field}-error").text
    assert page.find(id=f"batch-{field}")["aria-invalid"] == "true"
    assert f"batch-{field}-error" in page.find(id=f"batch-{field}")["aria-describedby"]
    assert [a["href"] for a in page.select("#batch-problems a")] == [f"#batch-{field}"]
    assert "Nothing was saved." in refused.text
    if field == "code":
        assert page.find(id="batch-code")["value"] == typed["code"]  # what was typed is kept
    assert count(dbsession) == before


def test_every_wrong_field_is_named_at_once(ours, dbsession, product):
    before = count(dbsession)
    refused = fill(add_form(ours, product), code="O0", made_on="2030-01-01", notes_vi="").submit(status=400)
    assert [a["href"] for a in soup(refused).select("#batch-problems a")] == [
        "#batch-made_on", "#batch-code", "#batch-notes-vi"]
    assert count(dbsession) == before


def test_today_is_the_villages_day(app_at, dbsession, product, rival):
    # 18:30 UTC on the 20th is already 01:30 on the 21st in the village.
    app_at.extra_environ["tourism.now"] = datetime(2026, 4, 20, 18, 30, tzinfo=timezone.utc)
    sign_in(app_at, "ours@example.com")
    form = add_form(app_at, product)
    assert (form["made_on"].value, form.html.find(id="batch-made_on")["max"]) == ("2026-04-21", "2026-04-21")
    fill(form, code="DAYB2ABC", made_on="2026-04-21").submit(status=303)
    refused = fill(add_form(app_at, product), code="DAYC2ABC", made_on="2026-04-22").submit(status=400)
    assert "today is 2026-04-21" in refused.text


def test_a_code_taken_between_the_check_and_the_insert_is_a_message_not_a_500(ours, dbsession, product,
                                                                              monkeypatch):
    # As when another person saves the same code in the same instant: the check saw it free.
    monkeypatch.setattr(batch_editing, "is_taken", lambda dbsession, code: False)
    before = count(dbsession)
    refused = fill(add_form(ours, product), code="KHAC2345").submit(status=400)
    assert "Another batch already has the code KHAC2345." in soup(refused).find(id="batch-code-error").text
    assert count(dbsession) == before
    # The transaction is still usable: the next batch is added.
    fill(add_form(ours, product), code="NEXT2345").submit(status=303)
    assert by_code(dbsession, "NEXT2345").product_id == product.id


def test_form_fields_sent_as_files_or_missing_are_not_a_server_error(ours, dbsession, product):
    before = count(dbsession)
    refused = ours.post(list_url(product), {"csrf_token": token(ours)},
                        upload_files=[("code", "c.txt", b"ABCD2345"), ("notes-vi", "n.txt", b"x")], status=400)
    assert "Give the day this batch was harvested or made." in refused.text
    assert count(dbsession) == before


# --- editing -------------------------------------------------------------------------------------

def test_the_date_and_notes_change_but_never_the_code(ours, dbsession, product):
    batch = add_batch(dbsession, product, code="EDYT2345", made_on=date(2026, 4, 1), notes={"vi": "Cũ."})
    edit = ours.get(f"/console/batches/{batch.id}", {"lang": "en"})
    assert "The code cannot be changed: labels may already have been printed with it." in edit.text
    (form,) = [f for f in edit.forms.values() if f.action == f"/console/batches/{batch.id}"]
    assert "code" not in form.fields and form["made_on"].value == "2026-04-01" and form["notes-vi"].value == "Cũ."
    form["made_on"] = "2026-04-02"
    form["notes-vi"] = "Mới."
    form["notes-ko"] = "새로운."
    fields = list(form.submit_fields()) + [("code", "ZZZZ2345"), ("product_id", str(product.id + 1))]
    saved = ours.post(f"/console/batches/{batch.id}", fields)
    assert saved.status_int == 303 and saved.location.endswith(f"{list_url(product)}#batch-{batch.id}")
    assert "Batch EDYT2345 was saved." in saved.follow(params={"lang": "en"}).text
    dbsession.expire_all()
    assert (batch.code, batch.product_id, batch.made_on) == ("EDYT2345", product.id, date(2026, 4, 2))
    assert batch.notes == {"vi": "Mới.", "ko": "새로운."}
    assert "새로운." in ours.get("/t/EDYT2345", {"lang": "ko"}).text


def test_a_wrong_edit_changes_nothing(ours, dbsession, product):
    batch = add_batch(dbsession, product, code="EDYT2345", made_on=date(2026, 4, 1), notes={"vi": "Cũ."})
    (form,) = [f for f in ours.get(f"/console/batches/{batch.id}", {"lang": "en"}).forms.values()
               if f.action == f"/console/batches/{batch.id}"]
    form["made_on"] = "2027-01-01"
    form["notes-vi"] = "Không được lưu."
    refused = form.submit(status=400)
    assert "This date is in the future" in soup(refused).find(id="edit-made_on-error").text
    assert soup(refused).find(id="edit-notes-vi").text == "Không được lưu."
    dbsession.expire_all()
    assert (batch.made_on, batch.notes) == (date(2026, 4, 1), {"vi": "Cũ."})


# --- deleting ------------------------------------------------------------------------------------

def test_deleting_goes_through_a_confirm_page_that_warns_about_printed_labels(ours, dbsession, product):
    batch = add_batch(dbsession, product, code="DELE2345")
    batch_id = batch.id
    listing = ours.get(list_url(product), {"lang": "en"})
    confirm = listing.click(href=f"/console/batches/{batch_id}/delete")
    assert "Delete batch DELE2345?" in confirm.text
    assert ("Labels already printed with the code DELE2345 will then open a “Batch not found” page"
            in confirm.text)
    assert confirm.headers["Cache-Control"] == "no-store"
    assert by_code(dbsession, "DELE2345") is not None  # looking at the page deleted nothing
    (form,) = [f for f in confirm.forms.values() if f.action == f"/console/batches/{batch_id}/delete"]
    done = form.submit()
    assert done.status_int == 303 and done.location.endswith(list_url(product))
    assert "Batch DELE2345 was deleted." in done.follow(params={"lang": "en"}).text
    dbsession.expire_all()
    assert by_code(dbsession, "DELE2345") is None
    assert "Batch not found" in ours.get("/t/DELE2345", {"lang": "en"}, status=404).text
    ours.get(f"/console/batches/{batch_id}", status=404)


# --- who may do what -------------------------------------------------------------------------------

def urls(product, batch) -> tuple[list[str], dict[str, dict]]:
    """(every GET URL, every POST URL with plausible fields) about `product` and its `batch`."""
    fields = {"code": "HACK2345", "made_on": "2026-04-01", "notes-vi": "Hacked"}
    gets = [list_url(product), f"/console/batches/{batch.id}", f"/console/batches/{batch.id}/delete",
            f"/console/batches/{batch.id}/labels.pdf"]
    posts = {list_url(product): fields, f"/console/batches/{batch.id}": fields,
             f"/console/batches/{batch.id}/delete": {}}
    return gets, posts


def test_another_operators_staff_get_403_on_every_url_and_change_nothing(app_at, dbsession, product, rival):
    batch = add_batch(dbsession, product, code="HAVE2345", notes={"vi": "Của chúng tôi."})
    sign_in(app_at, "theirs@example.com")
    csrf = token(app_at)
    before = count(dbsession)
    gets, posts = urls(product, batch)
    for url in gets:
        app_at.get(url, status=403)
    for url, fields in posts.items():
        app_at.post(url, dict(fields, csrf_token=csrf), status=403)
    dbsession.expire_all()
    assert count(dbsession) == before and by_code(dbsession, "HACK2345") is None
    assert (batch.code, batch.notes, batch.product_id) == ("HAVE2345", {"vi": "Của chúng tôi."}, product.id)
    # Their own product's page works: the 403s are about whose product it is.
    assert app_at.get(list_url(rival)).status_int == 200
    # Ids that do not exist, or are not ids, are simply not found.
    for url in ("/console/products/999999999/batches", "/console/products/abc/batches",
                "/console/batches/999999999", "/console/batches/1e3/delete",
                "/console/batches/99999999999999"):
        app_at.get(url, status=404)


def test_a_batch_cannot_be_attached_to_another_operators_product(ours, dbsession, product, rival):
    csrf = token(ours)
    before = count(dbsession)
    ours.post(list_url(rival), {"csrf_token": csrf, "code": "HACK2345", "made_on": "2026-04-01",
                                "notes-vi": "Hacked"}, status=403)
    # A product id slipped into our own product's form is ignored.
    ours.post(list_url(product), {"csrf_token": csrf, "code": "MYNE2345", "made_on": "2026-04-01",
                                  "notes-vi": "Của tôi", "product_id": str(rival.id)}, status=303)
    assert count(dbsession) == before + 1 and by_code(dbsession, "MYNE2345").product_id == product.id


def test_strangers_are_sent_to_sign_in_and_cannot_post(app_at, dbsession, product):
    batch = add_batch(dbsession, product, code="HAVE2345")
    gets, posts = urls(product, batch)
    for url in gets:
        assert "/console/sign-in" in app_at.get(url).location, url
    csrf = app_at.get("/console/sign-in").forms[0]["csrf_token"].value
    for url, fields in posts.items():
        app_at.post(url, dict(fields, csrf_token=csrf), status=403)


def test_an_admin_may_add_to_any_product(app_at, dbsession, rival):
    make_staff(dbsession, None, email="admin@example.com")
    sign_in(app_at, "admin@example.com")
    fill(add_form(app_at, rival), code="ADMN2345").submit(status=303)
    assert by_code(dbsession, "ADMN2345").product_id == rival.id


def test_every_post_needs_the_csrf_token(ours, dbsession, product):
    batch = add_batch(dbsession, product, code="KEEP2345", notes={"vi": "Giữ."})
    before = count(dbsession)
    _gets, posts = urls(product, batch)
    for url, fields in posts.items():
        ours.post(url, fields, status=400)
        ours.post(url, dict(fields, csrf_token="forged"), status=400)
    dbsession.expire_all()
    assert count(dbsession) == before and (batch.code, batch.notes) == ("KEEP2345", {"vi": "Giữ."})


def test_the_batch_routes_leave_the_label_sheet_its_own(ours, dbsession, product):
    batch = add_batch(dbsession, product, code="RUTE2345")
    assert ours.get(f"/console/batches/{batch.id}/labels.pdf").content_type == "application/pdf"
    assert "Change date or notes" in ours.get(f"/console/batches/{batch.id}", {"lang": "en"}).text
    assert "Delete batch RUTE2345?" in ours.get(f"/console/batches/{batch.id}/delete", {"lang": "en"}).text
    ours.get(f"/console/batches/{batch.id}/labels", status=404)
    ours.get(f"/console/batches/{batch.id}/delete/more", status=404)


# --- two people, one code, the same instant -----------------------------------------------------------

RACERS = 2


@pytest.fixture
def race_product(db_url):
    """A committed product on the race's own engine (the rolled-back test session cannot race)."""
    engine = race_engine(db_url, RACERS)
    factory = get_session_factory(engine)
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        db = get_tm_session(factory, manager)
        village = make_village(db, slug="lang-dua", province="Tỉnh Đua")
        product_id = make_product(db, village, slug="che-dua").id
    yield factory, product_id
    with engine.begin() as conn:
        conn.execute(delete(ProductBatch).where(ProductBatch.product_id == product_id))
        conn.execute(delete(Product).where(Product.id == product_id))
        conn.execute(delete(Village).where(Village.slug == "lang-dua"))
    engine.dispose()


def race(factory, product_id) -> list[tuple]:
    """RACERS people saving a batch with the same code at once: ("added",) or ("refused", message)."""
    def person(i):
        def save(db):
            product = db.get(Product, product_id)
            try:
                batch_editing.add_batch(db, product, {"code": "SAME2345", "made_on": "2026-04-01",
                                                      "notes-vi": f"Người {i}"}, today=TODAY)
            except InvalidInput as error:
                message = error.errors["code"]
                return ("refused", message.interpolate() if isinstance(message, TranslationString) else message)
            return ("added",)

        return committed(factory, save)

    return all_at_once(RACERS, person)


def saved_codes(factory, product_id) -> list[str]:
    return committed(factory, lambda db: list(db.scalars(
        select(ProductBatch.code).where(ProductBatch.product_id == product_id))))


def test_negative_control_without_the_savepoint_the_loser_gets_a_server_error(backend, race_product):
    if backend == "sqlite":
        pytest.skip("SQLite takes its write lock at BEGIN IMMEDIATE: the second person's check already sees "
                    "the first one's batch")
    factory, product_id = race_product
    with guard_switched_off(batch_editing.CODE_GUARD, pause_seconds=0.3):
        outcomes = race(factory, product_id)
    assert sorted(o[0] for o in outcomes) == ["added", "error"], outcomes
    assert "IntegrityError" in [o for o in outcomes if o[0] == "error"][0][1]
    assert saved_codes(factory, product_id) == ["SAME2345"]


def test_one_wins_and_the_other_is_told_the_code_is_taken(race_product):
    factory, product_id = race_product
    batch_editing.CODE_GUARD.pause_seconds = 0.3  # the negative control's window, the savepoint on
    try:
        outcomes = race(factory, product_id)
    finally:
        batch_editing.CODE_GUARD.pause_seconds = 0.0
    assert sorted(outcomes) == [("added",), ("refused", "Another batch already has the code SAME2345. Choose "
                                             "another code, or leave the field empty to get one made for you.")]
    assert saved_codes(factory, product_id) == ["SAME2345"]
