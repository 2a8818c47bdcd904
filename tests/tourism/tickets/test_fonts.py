"""Fonts: found, registered once, and chosen per run of text by the glyphs they have."""
import unicodedata

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from tourism.tickets import codes, fonts
from tourism.tickets.services import ticket_font_set


def test_each_script_goes_to_a_font_that_has_it(fonts):
    assert fonts.runs("Nguyễn Thị Hương") == [("LV-Sans", "Nguyễn Thị Hương")]
    assert fonts.runs("Kim 김민준 · 王小明 / 山田太郎") == [
        ("LV-Sans", "Kim "), ("LV-CJK", "김민준 "), ("LV-Sans", "· "), ("LV-CJK", "王小明 "),
        ("LV-Sans", "/ "), ("LV-CJK", "山田太郎")]
    assert fonts.runs("Hương 김", bold=True) == [("LV-Sans-Bold", "Hương "), ("LV-CJK", "김")]


def test_decomposed_vietnamese_is_composed_first(fonts):
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hương")
    assert fonts.runs(decomposed) == [("LV-Sans", "Nguyễn Thị Hương")]


def test_a_space_only_the_cjk_font_has_switches_font(fonts):
    # U+3000 IDEOGRAPHIC SPACE: DejaVu lacks it, so it must not stay in the Latin run.
    assert fonts.runs("Tokyo\u3000東京") == [("LV-Sans", "Tokyo"), ("LV-CJK", "\u3000東京")]


def test_markup_escapes_and_tags_runs(fonts):
    assert fonts.markup("A&B <김>") == 'A&amp;B &lt;<font name="LV-CJK">김</font>&gt;'


def test_single_font(fonts):
    assert fonts.single_font("Nguyễn Thị Hương") == "LV-Sans"
    assert fonts.single_font("Nguyễn 김민준") == "LV-CJK"  # Micro Hei has Vietnamese too
    assert fonts.single_font("\U0001F3FA") is None  # an amphora emoji: no font has it


def test_a_missing_font_names_the_package_to_install(tmp_path):
    with pytest.raises(ConfigurationError, match=r"apt-get install fonts-wqy-microhei") as caught:
        fonts.find_font(fonts.CJK, (str(tmp_path),))
    assert fonts.FONT_DIRS_SETTING in str(caught.value)


def test_fonts_are_found_in_subdirectories(tmp_path):
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "DejaVuSans.ttf").write_bytes(b"")
    assert fonts.find_font(fonts.SANS, (str(tmp_path),)) == str(tmp_path / "deep" / "er" / "DejaVuSans.ttf")


def test_font_dirs_setting():
    assert fonts.font_dirs({}) == fonts.DEFAULT_FONT_DIRS
    assert fonts.font_dirs({fonts.FONT_DIRS_SETTING: "/opt/fonts\n  /srv/fonts"}) == ("/opt/fonts", "/srv/fonts")


def test_includeme_loads_the_key_and_fonts_are_found_on_first_use(tmp_path):
    key_file = tmp_path / "ticket-signing.key"
    config = Configurator(settings={codes.KEY_FILE_SETTING: str(key_file)})
    config.include("tourism.tickets")
    keys = config.registry[codes.REGISTRY_KEY]
    assert isinstance(keys, codes.TicketKeys) and key_file.exists()
    assert list(keys.public_keys) == [keys.key_id]
    assert ticket_font_set(config.registry).regular == ("LV-Sans", "LV-CJK")


def test_includeme_refuses_to_start_without_a_key(monkeypatch):
    monkeypatch.delenv(codes.KEY_ENV, raising=False)
    with pytest.raises(ConfigurationError, match=codes.KEY_ENV):
        Configurator(settings={}).include("tourism.tickets")
