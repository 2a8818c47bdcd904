"""Fonts for PDFs: find the TrueType files, register them with reportlab once, and pick,
for each run of text, a font that has its glyphs.

reportlab embeds only TrueType-outline fonts (TTF, or TTC with glyf tables — not the CFF
.otf/.ttc of Noto CJK). Two Debian packages cover every language LàngViệt speaks:

- DejaVu Sans (fonts-dejavu-core): Latin with all Vietnamese letters, in regular and bold;
- WenQuanYi Micro Hei (fonts-wqy-microhei, 5 MB): Chinese, Japanese kana and kanji, Hangul.

Text is split into runs by code point: each character goes to the first font of the
chain that has it, so "Kim 김민준" is set in DejaVu and then in Micro Hei. Micro Hei has no
bold; bold CJK runs use the regular face.
"""
import os
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

from pyramid.exceptions import ConfigurationError
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

FONT_DIRS_SETTING = "tourism.font_dirs"
# Where Debian puts them, then the usual places for fonts installed by hand.
DEFAULT_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/wqy",
    "/usr/share/fonts/truetype",
    "/usr/local/share/fonts",
    os.path.expanduser("~/.local/share/fonts"),
)


@dataclass(frozen=True)
class FontFile:
    name: str  # the name registered with reportlab
    filename: str
    package: str  # the Debian package that installs it
    description: str
    subfont: int = 0  # index in a .ttc collection


SANS = FontFile("LV-Sans", "DejaVuSans.ttf", "fonts-dejavu-core", "DejaVu Sans")
SANS_BOLD = FontFile("LV-Sans-Bold", "DejaVuSans-Bold.ttf", "fonts-dejavu-core", "DejaVu Sans Bold")
CJK = FontFile("LV-CJK", "wqy-microhei.ttc", "fonts-wqy-microhei",
               "WenQuanYi Micro Hei (Chinese, Japanese, Korean)")
REGULAR_CHAIN = (SANS, CJK)
BOLD_CHAIN = (SANS_BOLD, CJK)


def font_dirs(settings: dict) -> tuple[str, ...]:
    """The directories named (whitespace-separated) by `tourism.font_dirs`, else the defaults."""
    return tuple(settings.get(FONT_DIRS_SETTING, "").split()) or DEFAULT_FONT_DIRS


def find_font(font: FontFile, dirs: tuple[str, ...]) -> str:
    """The path of `font` in the first directory (searched recursively) that holds it.

    Raises ConfigurationError naming the package to install.
    """
    for directory in dirs:
        direct = os.path.join(directory, font.filename)
        if os.path.isfile(direct):
            return direct
    for directory in dirs:
        for root, _, files in os.walk(directory):
            if font.filename in files:
                return os.path.join(root, font.filename)
    raise ConfigurationError(
        f"Font {font.filename} ({font.description}) not found in {', '.join(dirs)}. PDF tickets need it: "
        f"install the Debian package {font.package} (`apt-get install {font.package}`), or set "
        f"{FONT_DIRS_SETTING} to a directory that holds it.")


class FontSet:
    """Registered fallback chains for regular and bold text, and the runs they make."""

    def __init__(self, regular: tuple[str, ...], bold: tuple[str, ...]):
        self.regular = regular
        self.bold = bold
        self._cmaps = {name: pdfmetrics.getFont(name).face.charToGlyph for name in {*regular, *bold}}

    def runs(self, text: str, bold: bool = False) -> list[tuple[str, str]]:
        """`text` (NFC) as (font name, text) runs, each font having the run's glyphs.

        Spaces and combining marks stay with the run they are in when its font has them
        (fewer font switches); a character no font has goes to the first font, where it
        shows as a blank box rather than vanishing.
        """
        chain = self.bold if bold else self.regular
        runs: list[list] = []
        for char in unicodedata.normalize("NFC", text):
            code = ord(char)
            if runs and (char.isspace() or unicodedata.combining(char)) and code in self._cmaps[runs[-1][0]]:
                font = runs[-1][0]
            else:
                font = next((name for name in chain if code in self._cmaps[name]), chain[0])
            if runs and runs[-1][0] == font:
                runs[-1][1].append(char)
            else:
                runs.append([font, [char]])
        return [(font, "".join(chars)) for font, chars in runs]

    def markup(self, text: str, bold: bool = False) -> str:
        """`text` as reportlab paragraph markup, escaped, with a <font> span per run."""
        chain = self.bold if bold else self.regular
        return "".join(
            escape(chunk) if font == chain[0] else f'<font name="{font}">{escape(chunk)}</font>'
            for font, chunk in self.runs(text, bold)
        )

    def single_font(self, text: str, bold: bool = False) -> str | None:
        """The first font of the chain that has every glyph of `text`, if one does."""
        chain = self.bold if bold else self.regular
        codes = {ord(c) for c in unicodedata.normalize("NFC", text) if not c.isspace()}
        return next((name for name in chain if codes <= self._cmaps[name].keys()), None)


@lru_cache(maxsize=None)
def load_fonts(dirs: tuple[str, ...] = DEFAULT_FONT_DIRS) -> FontSet:
    """Find and register the fonts (once per process: parsing them is the slow part).

    reportlab's font registry is global: a name registered once is reused, whatever
    `dirs` later calls pass. Raises ConfigurationError when a file is missing or unreadable.
    """
    for font in {*REGULAR_CHAIN, *BOLD_CHAIN}:
        if font.name in pdfmetrics.getRegisteredFontNames():
            continue
        path = find_font(font, dirs)
        try:
            pdfmetrics.registerFont(TTFont(font.name, path, subfontIndex=font.subfont))
        except (OSError, TTFError) as error:
            raise ConfigurationError(f"Cannot use the font {path} ({error}): reinstall {font.package}.") from error
    return FontSet(tuple(f.name for f in REGULAR_CHAIN), tuple(f.name for f in BOLD_CHAIN))
