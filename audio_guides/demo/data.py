"""The demo tours' file (tours.toml), read and checked: shared by the loader and `speak`.

The file is the single source of the texts: a track's transcript is exactly the script its
recording was spoken from, so the two cannot drift apart.
"""
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import escape

from audio_guides.models import CODE_ALPHABET
from tourism.i18n import LOCALES

DEMO_FILE = Path(__file__).with_name("tours.toml")
AUDIO_DIR = Path(__file__).with_name("audio")
# In AUDIO_DIR: the script each recording was spoken from (written by speak.py). TOML, so
# that packaging (MANIFEST.in) ships it with the recordings.
MANIFEST = "manifest.toml"
STATIC_DIR = Path(__file__).parents[2] / "tourism" / "static"

# Codes go on posters and into QR URLs; short enough to read aloud and type.
CODE_LENGTH = range(2, 7)
TEXT_KEYS = {"title", "summary"}
TOUR_KEYS = {"slug", "village", "status", "experiences", "texts", "stops"}
STOP_KEYS = {"code", "keypad", "latitude", "longitude", "texts", "scripts", "images"}
IMAGE_KEYS = {"path", "width", "height", "alt"}
SPEECH_KEYS = {"vietnamese_terms", "say"}


class DemoDataError(ValueError):
    """The demo file breaks its schema; the message says where."""


@dataclass(frozen=True)
class Image:
    path: str
    width: int
    height: int
    alt: dict[str, str]


@dataclass(frozen=True)
class DemoStop:
    code: str
    keypad: int
    latitude: float
    longitude: float
    texts: dict[str, dict[str, str]]
    scripts: dict[str, str]
    images: list[Image] = field(default_factory=list)


@dataclass(frozen=True)
class DemoTour:
    slug: str
    village: str
    status: str
    experiences: list[str]
    texts: dict[str, dict[str, str]]
    stops: list[DemoStop]


@dataclass(frozen=True)
class Speech:
    """How the scripts are spoken (not shown): names kept Vietnamese, spoken spellings."""

    vietnamese_terms: list[str]
    say: dict[str, dict[str, str]]


@dataclass(frozen=True)
class DemoFile:
    speech: Speech
    tours: list[DemoTour]

    def recordings(self):
        """(tour, stop, locale, script) for every track, in file order."""
        for tour in self.tours:
            for stop in tour.stops:
                for locale, script in stop.scripts.items():
                    yield tour, stop, locale, script


def _check_keys(data: dict, allowed: set, where: str, optional: set = frozenset()):
    if not isinstance(data, dict):
        raise DemoDataError(f"{where}: expected a table")
    unknown = set(data) - allowed
    if unknown:
        raise DemoDataError(f"{where}: unknown keys {sorted(unknown)}")
    missing = allowed - optional - set(data)
    if missing:
        raise DemoDataError(f"{where}: missing keys {sorted(missing)}")


def _texts(data: dict, where: str) -> dict[str, dict[str, str]]:
    unknown = set(data) - set(LOCALES)
    if unknown:
        raise DemoDataError(f"{where}.texts: unknown locales {sorted(unknown)}")
    if not {"vi", "en"} <= set(data):
        raise DemoDataError(f"{where}.texts: Vietnamese and English are both required")
    for locale, fields in data.items():
        _check_keys(fields, TEXT_KEYS, f"{where}.texts.{locale}")
    return {locale: {k: fields[k].strip() for k in TEXT_KEYS} for locale, fields in data.items()}


def _image(data: dict, where: str) -> Image:
    _check_keys(data, IMAGE_KEYS, where)
    if not (STATIC_DIR / data["path"]).is_file():
        raise DemoDataError(f"{where}: no file tourism/static/{data['path']}")
    if not {"vi", "en"} <= set(data["alt"]) or set(data["alt"]) - set(LOCALES):
        raise DemoDataError(f"{where}.alt: needs vi and en, and only known locales")
    return Image(data["path"], data["width"], data["height"], dict(data["alt"]))


def _stop(data: dict, where: str) -> DemoStop:
    _check_keys(data, STOP_KEYS, where, optional={"images"})
    code = data["code"]
    if len(code) not in CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        raise DemoDataError(f"{where}: code {code!r} must be 2–6 characters of {CODE_ALPHABET}")
    if not isinstance(data["keypad"], int) or data["keypad"] <= 0:
        raise DemoDataError(f"{where}: keypad must be a positive whole number")
    # Normalised (paragraphs on one line each), so a re-wrapped line is not a new recording.
    scripts = {locale: "\n\n".join(paragraphs(text)) for locale, text in data["scripts"].items()}
    if not {"vi", "en"} <= set(scripts) or set(scripts) - set(LOCALES):
        raise DemoDataError(f"{where}.scripts: needs vi and en, and only known locales")
    if not all(scripts.values()):
        raise DemoDataError(f"{where}.scripts: a script is empty")
    images = [_image(image, f"{where}.images[{i}]") for i, image in enumerate(data.get("images", []))]
    return DemoStop(code, data["keypad"], float(data["latitude"]), float(data["longitude"]),
                    _texts(data["texts"], where), scripts, images)


def _tour(data: dict, where: str) -> DemoTour:
    _check_keys(data, TOUR_KEYS, where)
    stops = [_stop(stop, f"{where}.stops[{i}]") for i, stop in enumerate(data["stops"])]
    for attribute in ("code", "keypad"):
        values = [getattr(stop, attribute) for stop in stops]
        if len(set(values)) != len(values):
            raise DemoDataError(f"{where}: stops share a {attribute}")
    return DemoTour(data["slug"], data["village"], data["status"], list(data["experiences"]),
                    _texts(data["texts"], where), stops)


def read(path: Path = DEMO_FILE) -> DemoFile:
    """The demo file, checked. Raises DemoDataError naming the first problem."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    _check_keys(data, {"speech", "tours"}, path.name)
    _check_keys(data["speech"], SPEECH_KEYS, "speech")
    speech = Speech(list(data["speech"]["vietnamese_terms"]),
                    {locale: dict(words) for locale, words in data["speech"]["say"].items()})
    tours = [_tour(tour, f"tours[{i}] {tour.get('slug')!r}") for i, tour in enumerate(data["tours"])]
    codes = [stop.code for tour in tours for stop in tour.stops]
    if len(set(codes)) != len(codes):
        raise DemoDataError("stop codes must be unique across tours (they are QR URLs)")
    return DemoFile(speech, tours)


def read_manifest(audio_dir: Path = AUDIO_DIR) -> dict[str, dict[str, str]]:
    path = audio_dir / MANIFEST
    if not path.is_file():
        return {}
    with open(path, "rb") as f:
        return tomllib.load(f)


def write_manifest(manifest: dict[str, dict[str, str]], audio_dir: Path = AUDIO_DIR) -> None:
    """One table per file, sorted; JSON's string escapes are valid TOML basic strings."""
    lines = ["# Written by `python -m audio_guides.demo.speak`: what each recording was spoken from."]
    for name in sorted(manifest):
        lines += ["", f"[{json.dumps(name)}]"]
        lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in sorted(manifest[name].items())]
    (audio_dir / MANIFEST).write_text("\n".join(lines) + "\n")


def audio_filename(tour_slug: str, code: str, locale: str) -> str:
    return f"{tour_slug}-{code.lower()}-{locale}.mp3"


def script_sha256(script: str) -> str:
    return hashlib.sha256(script.encode()).hexdigest()


def paragraphs(script: str) -> list[str]:
    """A script's paragraphs: split at blank lines, each on one line."""
    return [" ".join(part.split()) for part in re.split(r"\n\s*\n", script) if part.strip()]


def transcript_html(script: str) -> str:
    """The transcript shown with a track: the script, escaped, one <p> per paragraph."""
    return "".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs(script))
