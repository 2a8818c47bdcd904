"""The operator's product batches: adding, editing and deleting them, and how their form is read.

A batch's code is what its packaging's QR code opens (/t/<CODE>), so it is checked with
care and never changes once the batch exists: labels may already have been printed with it.
The operator may type a code or leave it empty and get one made; either way it is unique
across every product of every village (the column's unique constraint has the last word
when two people take the same code in the same instant).

Like every console editing service (tourism.forms), each function reads the whole form
first and then changes everything asked or nothing, raising `InvalidInput` with one
translatable message per wrong field. Fields (per locale `<field>-<locale>`):
  code (adding only), made_on (yyyy-mm-dd, an <input type=date>'s value), notes-*
"""
import re
import secrets
import unicodedata
from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tourism import forms
from tourism.concurrency import RaceGuard
from tourism.forms import InvalidInput, Problems, TextField
from tourism.i18n import _
from tourism.shop.models import BATCH_CODE_ALPHABET, BATCH_CODE_MAX_LENGTH, Product, ProductBatch

CODE_MIN_LENGTH = 4  # shorter codes are too easily hit by someone typing at random
NOTES_MAX = 1000
EARLIEST = date(2000, 1, 1)  # an earlier date is a typing slip (2O26, 206), not a lot still sold
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
# Made codes: up to 2 letters from the product's web address name (TC for che-tan-cuong), so
# staff can tell lots apart at a glance, then 6 random characters: 32⁶, about a billion, per
# prefix, so a clash is rare and simply means another draw.
PREFIX_LENGTH = 2
RANDOM_LENGTH = 6
MAKE_ATTEMPTS = 10

# Off (tests only), a code is inserted without the savepoint that turns a clash with another
# batch into the "taken" message: the loser of two creations in the same instant then fails
# with IntegrityError (a 500). The pause, between the "is it free?" check and the insert, lets
# both creations pass the check.
CODE_GUARD = RaceGuard()

NOTE_FIELDS = (
    TextField("notes", NOTES_MAX, multiline=True,
              required_vi=_("Write how this batch was made in Vietnamese: it is shown when a visitor's "
                            "language has no notes.")),)


def code_taken(code: str):
    return _("Another batch already has the code ${code}. Choose another code, or leave the field "
             "empty to get one made for you.", mapping={"code": code})


# --- reading the form --------------------------------------------------------------------------

def normal_code(text: str) -> str:
    """A code as typed, the way it is stored: full-width letters from a phone keyboard made
    plain (NFKC), upper case, every space removed ("tc 24xk" → "TC24XK")."""
    return "".join(unicodedata.normalize("NFKC", text).upper().split())


def read_code(dbsession, form: Mapping, problems: Problems) -> str | None:
    """The code typed in the form, checked; None when the field is empty (one is to be made)."""
    code = normal_code(forms.raw(form, "code"))
    if not code:
        return None
    wrong = list(dict.fromkeys(char for char in code if char not in BATCH_CODE_ALPHABET))
    if wrong:
        shown = " ".join(char if char.isprintable() else "?" for char in wrong[:10])
        problems.add("code", _("A code may have only the letters A to Z and the digits 2 to 9. I, O, 0 and 1 "
                               "are left out because they are easily misread on a small label. Not allowed: "
                               "${characters}", mapping={"characters": shown}))
    elif not CODE_MIN_LENGTH <= len(code) <= BATCH_CODE_MAX_LENGTH:
        problems.add("code", _("A code has ${min} to ${max} characters (this one has ${length}).",
                               mapping={"min": CODE_MIN_LENGTH, "max": BATCH_CODE_MAX_LENGTH,
                                        "length": len(code)}))
    elif is_taken(dbsession, code):
        problems.add("code", code_taken(code))
    return code


def read_made_on(form: Mapping, problems: Problems, *, today: date) -> date | None:
    """The harvest or production date: yyyy-mm-dd, from EARLIEST to `today` (the village's day)."""
    text = forms.line(form, "made_on")
    if not text:
        problems.add("made_on", _("Give the day this batch was harvested or made."))
        return None
    try:
        made_on = date.fromisoformat(text) if DATE_PATTERN.match(text) else None
    except ValueError:  # 2026-02-30
        made_on = None
    if made_on is None:
        problems.add("made_on", _("Write the date as year-month-day, such as ${example}.",
                                  mapping={"example": today.isoformat()}))
    elif made_on > today:
        problems.add("made_on", _("This date is in the future: a batch can only be recorded once it is "
                                  "made (today is ${today}).", mapping={"today": today.isoformat()}))
    elif made_on < EARLIEST:
        problems.add("made_on", _("The date cannot be before ${earliest}.",
                                  mapping={"earliest": EARLIEST.isoformat()}))
    else:
        return made_on
    return None


def read_notes(form: Mapping, problems: Problems) -> dict[str, str]:
    """{locale: notes} for each language with notes; Vietnamese is required."""
    return {locale: values["notes"] for locale, values in forms.read_texts(form, NOTE_FIELDS, problems).items()}


# --- codes ---------------------------------------------------------------------------------------

def is_taken(dbsession, code: str) -> bool:
    return dbsession.scalar(select(ProductBatch.id).where(ProductBatch.code == code)) is not None


def code_prefix(product: Product) -> str:
    """Up to PREFIX_LENGTH letters from the first letters of the product's web address words,
    leaving out those the alphabet has not ("che-tan-cuong" → "CT", "o-ia" → "")."""
    initials = (word[0].upper() for word in product.slug.split("-") if word)
    return "".join(char for char in initials if char in BATCH_CODE_ALPHABET)[:PREFIX_LENGTH]


def make_code(product: Product) -> str:
    return code_prefix(product) + "".join(secrets.choice(BATCH_CODE_ALPHABET) for _ in range(RANDOM_LENGTH))


def _insert(dbsession, batch: ProductBatch) -> bool:
    """Add `batch`; False (and nothing added) when another batch took its code meanwhile."""
    CODE_GUARD.pause()
    if not CODE_GUARD.enabled:  # negative control only
        dbsession.add(batch)
        dbsession.flush()
        return True
    try:
        with dbsession.begin_nested():
            dbsession.add(batch)
            dbsession.flush()
    except IntegrityError:
        return False
    return True


# --- the services --------------------------------------------------------------------------------

def add_batch(dbsession, product: Product, form: Mapping, *, today: date) -> ProductBatch:
    """A new batch of `product` from the add form; `today` is the date in the village's time zone.

    With no code typed, one is made (make_code) and drawn again while it is taken. Raises
    InvalidInput naming every wrong field, also when the typed code was taken by someone else
    in the same instant; then nothing is added.
    """
    problems = Problems()
    made_on = read_made_on(form, problems, today=today)  # in the form's order, for its list of problems
    code = read_code(dbsession, form, problems)
    notes = read_notes(form, problems)
    problems.raise_any()

    def new(batch_code: str) -> ProductBatch:
        return ProductBatch(product_id=product.id, code=batch_code, made_on=made_on, notes=notes)

    if code is not None:
        batch = new(code)
        if not _insert(dbsession, batch):
            raise InvalidInput({"code": code_taken(code)})
    else:
        for _attempt in range(MAKE_ATTEMPTS):
            made = make_code(product)
            if is_taken(dbsession, made):
                continue
            batch = new(made)
            if _insert(dbsession, batch):
                break
        else:  # a billion codes a prefix: only a broken random source gets here
            raise InvalidInput({"code": _("No free code could be made. Please type a code yourself.")})
    dbsession.expire(product, ["batches"])  # the product's list now has this batch
    return batch


def save_batch(dbsession, batch: ProductBatch, form: Mapping, *, today: date) -> None:
    """New date and notes for `batch` (its code never changes: labels may be printed with it).

    `today` is the date in the village's time zone. Raises InvalidInput (nothing changed).
    """
    problems = Problems()
    made_on = read_made_on(form, problems, today=today)
    notes = read_notes(form, problems)
    problems.raise_any()
    batch.made_on = made_on
    batch.notes = notes  # a new dict: the JSON column sees the change
    dbsession.flush()
    dbsession.expire(batch.product, ["batches"])  # its place in the list follows the date


def delete_batch(dbsession, batch: ProductBatch) -> None:
    """Remove `batch`: its code's page then says "Batch not found" (printed labels included)."""
    product = batch.product
    dbsession.delete(batch)
    dbsession.flush()
    dbsession.expire(product, ["batches"])
