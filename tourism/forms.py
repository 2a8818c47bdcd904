"""Reading the console's forms: all or nothing, one message per field.

Every domain's editing service reads a whole form first, collecting one translatable
message per wrong field in `Problems`, then raises them together as `InvalidInput` before
anything is changed; a page shows each message next to its field, with the values as typed
(`Form`). Forms are any mapping of field names to strings (a WebOb MultiDict, or a dict in
tests); a field sent as a file, or not sent, reads as "".

Texts per locale use the field names `<field>-<locale>` (title-vi, title-en…).
"""
import enum
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tourism.i18n import DEFAULT_LOCALE, LOCALES, _

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
# Control characters other than newline and tab: PostgreSQL refuses NUL in text, and none of
# them belongs in a title or a note.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class InvalidInput(Exception):
    """Input refused. `errors` maps a form field's name to a translation string; nothing was changed."""

    def __init__(self, errors: Mapping[str, object]):
        super().__init__(dict(errors))
        self.errors = dict(errors)


class Problems:
    """Collects one message per field while a whole form is read, then raises them together."""

    def __init__(self):
        self.errors: dict[str, object] = {}

    def add(self, field_name: str, message) -> None:
        self.errors.setdefault(field_name, message)

    def raise_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


# --- reading fields --------------------------------------------------------------------------

def raw(form: Mapping, name: str) -> str:
    value = form.get(name)
    # A field sent as a file (or not sent at all) is no text.
    return value if isinstance(value, str) else ""


def line(form: Mapping, name: str) -> str:
    """A one-line text: surrounding and repeated spaces and any line break folded into one space."""
    return " ".join(_CONTROL.sub(" ", raw(form, name)).split())


def paragraphs(form: Mapping, name: str) -> str:
    """A multi-line text: line endings made \\n, control characters dropped, outer space trimmed."""
    text = raw(form, name).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def too_long(problems: Problems, field_name: str, value: str, limit: int) -> bool:
    if len(value) > limit:
        problems.add(field_name, _("At most ${limit} characters, please (this has ${length}).",
                                   mapping={"limit": limit, "length": len(value)}))
        return True
    return False


def decimal_number(text: str) -> float | None:
    """A decimal number as people type it ("0.25", "0,25", " -3 "); None when it is not one."""
    text = text.strip().replace(",", ".") if text.count(",") == 1 and "." not in text else text.strip()
    if not re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def whole_number(text: str, *, max_digits: int = 12) -> int | None:
    """A whole number as people type it, with or without thousands separators ("250000",
    "250.000", "250,000", "250 000"); None when it is not one. A sign is not a digit: callers
    say what range they accept."""
    text = re.sub(r"[\s.,\u00a0\u202f]", "", text.strip()) if re.fullmatch(
        r"-?\d{1,3}(?:[\s.,\u00a0\u202f]\d{3})+|-?\d+", text.strip()) else text.strip()
    negative = text.startswith("-")
    digits = text[1:] if negative else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > max_digits:
        return None
    return -int(digits) if negative else int(digits)


def choice(form: Mapping, name: str, options: type[enum.Enum], problems: Problems, message):
    """The member of `options` whose value was chosen, or None (and `message`) when none was."""
    chosen = raw(form, name)
    for option in options:
        if option.value == chosen:
            return option
    problems.add(name, message)
    return None


def chosen_row(form: Mapping, name: str, rows: Sequence, problems: Problems, message):
    """The row among `rows` whose id was chosen, or None (and `message`): only rows offered count."""
    chosen = raw(form, name)
    found = next((row for row in rows if str(row.id) == chosen), None)
    if found is None:
        problems.add(name, message)
    return found


def chosen_id(text: str) -> int | None:
    """An id picked in a form (a <select> or checkbox value): a plain number, else None."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


# --- per-locale texts ------------------------------------------------------------------------

@dataclass(frozen=True)
class TextField:
    """One text a form has per locale. The first field of a form's list is its main one (a
    name, a title): required in Vietnamese (`required_vi`, shown when a visitor's language
    has none) and in any locale where another field is filled in (`required_other`)."""

    name: str
    limit: int
    multiline: bool = False
    required_vi: object = None
    required_other: object = None


def read_texts(form: Mapping, fields: Sequence[TextField], problems: Problems) -> dict[str, dict[str, str]]:
    """{locale: {field: text}} for each locale with something typed. A locale left empty
    gets no row (visitors see a fallback)."""
    main = fields[0]
    texts = {}
    for locale in LOCALES:
        values = {}
        for text_field in fields:
            name = f"{text_field.name}-{locale}"
            value = paragraphs(form, name) if text_field.multiline else line(form, name)
            too_long(problems, name, value, text_field.limit)
            values[text_field.name] = value
        if locale == DEFAULT_LOCALE and not values[main.name]:
            problems.add(f"{main.name}-{locale}", main.required_vi)
        elif not values[main.name] and any(values.values()):
            problems.add(f"{main.name}-{locale}", main.required_other)
        if any(values.values()):
            texts[locale] = values
    return texts


def replace_texts(dbsession, collection: list, model, texts: dict[str, dict[str, str]]) -> None:
    """Make `collection` hold exactly `texts`: rows updated in place, added, or removed."""
    by_locale = {row.locale: row for row in collection}
    for locale, row in by_locale.items():
        if locale not in texts:
            collection.remove(row)
    for locale, values in texts.items():
        row = by_locale.get(locale)
        if row is None:
            collection.append(model(locale=locale, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
    dbsession.flush()


def texts_values(rows, fields: Sequence[str]) -> dict:
    """The per-locale rows as a form's values, `<field>-<locale>`."""
    return {f"{name}-{row.locale}": getattr(row, name) for row in rows for name in fields}


# --- what templates get ----------------------------------------------------------------------

@dataclass
class Form:
    """A form's state for the templates: typed or saved values, and one message per wrong field.
    `prefix` keeps field ids unique when a page has several forms."""

    prefix: str
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)

    def value(self, name: str) -> str:
        value = self.values.get(name, "")
        return value if isinstance(value, str) else ""


def typed(request) -> dict:
    """The form as sent, text fields only (files are never shown back)."""
    return {name: value for name, value in request.POST.items() if isinstance(value, str) and name != "csrf_token"}


def languages(request) -> list[dict]:
    """The locales a console form has fields for, each named in the page's language."""
    return [{"code": locale, "name": request.fmt.language(locale)} for locale in LOCALES]


def flash(request, message) -> None:
    """A message for the next page (after the redirect), in the person's language."""
    request.session.flash(request.translate(message))


def page_basics(request) -> dict:
    """What every console form page shows: the languages of its fields and the flashed messages."""
    return {"languages": languages(request), "messages": request.session.pop_flash()}


def uploaded_bytes(request, name: str, limit: int) -> bytes | None:
    """The bytes of an uploaded file field, or None when no file was chosen (it comes as text).

    Read up to `limit` and a byte: the view's body limit already refuses what is sent with a
    Content-Length, and a larger file sent chunked is then refused by the file's own size check."""
    upload = request.POST.get(name)
    if getattr(upload, "file", None) is None or not getattr(upload, "filename", None):
        return None
    return upload.file.read(limit + 1)
