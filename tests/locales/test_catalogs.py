"""Translation catalogs: every message in the code is translated, for real, in every locale.

The messages are extracted from the source on the fly (same rules as `make extract`), so a
new string that nobody extracted fails here too.
"""
from pathlib import Path

import pytest
from babel.messages.checkers import python_format
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tourism.i18n import LOCALES

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = {"tourism": ROOT / "tourism", "audio_guides": ROOT / "audio_guides", "heritage3d": ROOT / "heritage3d"}
ADD_ONS = ("audio_guides", "heritage3d")
# What `make extract` collects per domain: add-ons' templates translate with their own
# prefix (ag_/ag_n, h3_/h3_n: config.add_template_translators).
KEYWORDS = {
    "tourism": {"_": None, "gettext": None, "ngettext": (1, 2), "_n": (1, 2)},
    "audio_guides": {"_": None, "ag_": None, "ag_n": (1, 2)},
    "heritage3d": {"_": None, "h3_": None, "h3_n": (1, 2)},
}
# Proper names, and words a language really shares with English.
SAME_EVERYWHERE = {"LàngViệt", "Excel", "CSV"}
SAME_IN = {"fr": {"Page %(num)d", "Stock", "%(width)s × %(height)s pixels", "Code", "E-mail", "Invitation", "Minutes"}}


def source_messages(domain: str) -> set:
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        DOMAINS[domain], method_map, options_map, keywords=KEYWORDS[domain]
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalog(domain, locale):
    with open(ROOT / "locales" / locale / "LC_MESSAGES" / f"{domain}.po", "rb") as f:
        return read_po(f, locale=locale, domain=domain)


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_source_message_is_translated(domain, locale):
    messages = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog(domain, locale) if m.id}
    missing = []
    for msgid in sorted(source_messages(domain)):
        message = messages.get(msgid)
        strings = [] if message is None else (message.string if isinstance(message.string, tuple) else [message.string])
        if message is None or message.fuzzy or not all(strings):
            missing.append(msgid)
    assert not missing, f"{len(missing)} messages untranslated in {locale}: {missing[:10]}"


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != "en"])
def test_translations_are_not_copies_of_the_english(domain, locale):
    copies = [
        m.id for m in catalog(domain, locale)
        if m.id and isinstance(m.id, str) and m.string == m.id and m.id not in SAME_EVERYWHERE | SAME_IN.get(locale, set())
        and any(c.isalpha() for c in m.id)
    ]
    assert not copies, f"{locale} copies the English for: {copies[:10]}"


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_compiles_and_keeps_placeholders(domain, locale, tmp_path):
    cat = catalog(domain, locale)
    for message in cat:
        if not message.id:
            continue
        python_format(cat, message)  # raises TranslationError on a broken %(name)s
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for placeholder in {p for p in ids[0].split() if p.startswith("${")}:
            token = placeholder[: placeholder.index("}") + 1]
            assert all(token in s for s in strings), f"{locale}: {message.id!r} lost {token}"
    with open(tmp_path / "out.mo", "wb") as f:
        write_mo(f, cat)


def test_add_on_templates_translate_in_their_own_domain():
    """tourism's `_` in an add-on's template would look the text up in the wrong catalog."""
    import re

    offenders = [str(path.relative_to(ROOT)) for add_on in ADD_ONS for path in (ROOT / add_on).rglob("*.jinja2")
                 if re.search(r"(?<![A-Za-z0-9_])(_|gettext|ngettext)\(", path.read_text())]
    assert offenders == []
