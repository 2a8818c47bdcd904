"""The operator's changes to 3D heritage assets: what the console may change, and how input is read.

Every function here takes what it needs (the database session, the media store, the budget)
and either changes everything asked or nothing: input is read and checked completely first,
and a refusal raises `InvalidInput` with one translatable message per form field, so a page
can show each message next to its field. Files go to the media store only once everything
else has passed, so a refused upload stores nothing.

Forms are read from any mapping of field names to strings (a WebOb MultiDict, or a dict in
tests). Field names, per locale `<field>-<locale>`:
  asset:    slug, village, title-*, description-*, alt-*, licence, creator, attribution,
            provenance, width_m, height_m, depth_m, status, stop_codes (+ experience ids)
  hotspot:  x, y, z, normal_x, normal_y, normal_z, label-*, text-*
  view:     orbit, target, caption-*
"""
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from heritage3d.i18n import _
from heritage3d.models import (
    SLUG_MAX_LENGTH,
    STOP_CODE_MAX_LENGTH,
    AssetStop,
    AssetText,
    GuidedView,
    GuidedViewText,
    HeritageAsset,
    Hotspot,
    HotspotText,
    Licence,
)
from heritage3d.services import Budget, UploadError, check_model, check_poster
from tourism import forms
from tourism.catalog.models import Experience, PublicationStatus, Village
from tourism.forms import InvalidInput, Problems, TextField
from tourism.ordering import move_within

# audio_guides' public stop codes: its alphabet leaves out I, O, 0 and 1 (read aloud, they are
# confused). Only the shape is checked: this add-on does not know the audio guides' stops.
STOP_CODE_PATTERN = re.compile(rf"[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{{1,{STOP_CODE_MAX_LENGTH}}}\Z")
MAX_STOP_CODES = 20
MAX_DIMENSION_M = 100.0
# Hotspot coordinates are in the model's units (metres for every model we accept): a point
# farther than this from the origin is a typing mistake, not a detail of a heritage object.
MAX_COORDINATE = 10_000.0

# What model-viewer accepts as camera-orbit and camera-target, kept strict and simple: three
# plain numbers (no exponent), each with its unit. Orbit: theta and phi as angles, then the
# radius as a length (never negative); target: three lengths.
_NUMBER = r"-?(?:\d+(?:\.\d*)?|\.\d+)"
_ANGLE = rf"{_NUMBER}(?:deg|rad)"
_LENGTH = rf"{_NUMBER}(?:m|cm|mm)"
_RADIUS = r"(?:\d+(?:\.\d*)?|\.\d+)(?:m|cm|mm)"
ORBIT_PATTERN = re.compile(rf"{_ANGLE} {_ANGLE} {_RADIUS}\Z")
TARGET_PATTERN = re.compile(rf"{_LENGTH} {_LENGTH} {_LENGTH}\Z")

# Lengths of the text columns (models.py) and sensible limits for the unbounded ones.
TITLE_MAX, ALT_MAX, DESCRIPTION_MAX = 200, 300, 5000
CREATOR_MAX, ATTRIBUTION_MAX, PROVENANCE_MAX = 200, 400, 5000
LABEL_MAX, NOTE_MAX, CAPTION_MAX = 120, 2000, 300
SLUG_TAKEN = _("Another model already has this web address name: choose another.")


# --- per-locale texts ------------------------------------------------------------------------

ASSET_TEXT_FIELDS = (
    TextField("title", TITLE_MAX,
              required_vi=_("Give the title in Vietnamese: it is shown when no other language has one."),
              required_other=_("Give a title in this language too, or leave the language empty.")),
    TextField("description", DESCRIPTION_MAX, multiline=True),
    TextField("alt", ALT_MAX))
HOTSPOT_TEXT_FIELDS = (
    TextField("label", LABEL_MAX,
              required_vi=_("Give the label in Vietnamese: it is shown when no other language has one."),
              required_other=_("Give a label in this language too, or leave the language empty.")),
    TextField("text", NOTE_MAX, multiline=True))
VIEW_TEXT_FIELDS = (
    TextField("caption", CAPTION_MAX,
              required_vi=_("Give the caption in Vietnamese: it is shown when no other language has one."),
              required_other=_("Give a caption in this language too, or leave the language empty.")),)


# --- an asset's details ----------------------------------------------------------------------

@dataclass(frozen=True)
class Details:
    """What the asset form says besides its texts and links."""

    licence: Licence
    creator: str
    attribution: str
    provenance: str
    dimensions: tuple[float, float, float] | None  # width, height, depth in metres; None: not given


DIMENSION_FIELDS = ("width_m", "height_m", "depth_m")


def read_details(form: Mapping, problems: Problems) -> Details | None:
    licence = forms.choice(form, "licence", Licence, problems,
                           _("Choose the licence under which visitors may use this model."))
    creator, attribution = forms.line(form, "creator"), forms.line(form, "attribution")
    provenance = forms.paragraphs(form, "provenance")
    forms.too_long(problems, "creator", creator, CREATOR_MAX)
    forms.too_long(problems, "attribution", attribution, ATTRIBUTION_MAX)
    forms.too_long(problems, "provenance", provenance, PROVENANCE_MAX)
    dimensions = read_dimensions(form, problems)
    if licence is None:
        return None
    return Details(licence, creator, attribution, provenance, dimensions)


def read_dimensions(form: Mapping, problems: Problems) -> tuple[float, float, float] | None:
    """All three lengths in metres (rounded to the millimetre), or None when all are empty."""
    raws = [forms.raw(form, name).strip() for name in DIMENSION_FIELDS]
    if not any(raws):
        return None
    values = []
    for name, raw in zip(DIMENSION_FIELDS, raws):
        value = forms.decimal_number(raw) if raw else None
        if not raw:
            problems.add(name, _("Give all three sizes, or leave all three empty."))
        elif value is None:
            problems.add(name, _("Write the size in metres as a number, such as 0.35."))
        elif not 0 < value <= MAX_DIMENSION_M:
            problems.add(name, _("A size must be more than 0 and at most ${max} metres.",
                                 mapping={"max": int(MAX_DIMENSION_M)}))
        else:
            values.append(round(value, 3))
    if len(values) != 3 or min(values) <= 0:
        if len(values) == 3:  # rounded to 0: under half a millimetre
            problems.add(DIMENSION_FIELDS[values.index(min(values))],
                         _("A size must be at least 1 millimetre (0.001 m)."))
        return None
    return values[0], values[1], values[2]


def dimensions_from_bounds(bounds_min, bounds_max) -> tuple[float, float, float] | None:
    """The model's own box as width, height, depth (metres, to the millimetre), when sensible."""
    if bounds_min is None or bounds_max is None:
        return None
    sizes = tuple(round(high - low, 3) for low, high in zip(bounds_min, bounds_max))
    if not all(0 < size <= MAX_DIMENSION_M for size in sizes):
        return None  # a flat or huge model: the operator gives the real size
    return sizes


def read_status(form: Mapping, problems: Problems) -> PublicationStatus | None:
    return forms.choice(form, "status", PublicationStatus, problems, _("Choose whether visitors may see this model."))


def parse_stop_codes(raw: str, problems: Problems) -> list[str]:
    """Audio-guide stop codes, separated by commas or spaces, upper-cased, each once, in order."""
    codes = []
    for part in re.split(r"[\s,;]+", raw.upper()):
        if part and part not in codes:
            codes.append(part)
    wrong = [code for code in codes if not STOP_CODE_PATTERN.match(code)]
    if wrong:
        problems.add("stop_codes", _(
            "These are not stop codes: ${codes}. A stop code is the letters and digits after /g/ in "
            "the stop's address (such as GA2), at most ${max} characters.",
            mapping={"codes": ", ".join(wrong[:5]), "max": STOP_CODE_MAX_LENGTH}))
    elif len(codes) > MAX_STOP_CODES:
        problems.add("stop_codes", _("At most ${max} stops, please.", mapping={"max": MAX_STOP_CODES}))
    return codes


def village_experience_choices(dbsession, village_id: int) -> list[Experience]:
    """The experiences an asset of this village may be shown on: its own village's, all of them."""
    return list(dbsession.scalars(select(Experience).where(Experience.village_id == village_id)
                                  .order_by(Experience.slug)))


def read_experiences(dbsession, village_id: int, raw_ids: Iterable, problems: Problems) -> list[Experience]:
    allowed = {experience.id: experience for experience in village_experience_choices(dbsession, village_id)}
    chosen = []
    for raw in raw_ids:
        raw = raw if isinstance(raw, str) else ""
        experience = allowed.get(int(raw)) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None
        if experience is None:
            problems.add("experiences", _("An experience can be chosen only among this village's experiences."))
            return []
        if experience not in chosen:
            chosen.append(experience)
    return chosen


def save_asset(dbsession, asset: HeritageAsset, form: Mapping, experience_ids: Iterable) -> None:
    """Update `asset` from the edit form: texts in every locale, licence and credits, size,
    status, the experiences (of its own village only) and the audio-guide stops it shows on.

    Raises InvalidInput (nothing changed) when any field is wrong.
    """
    problems = Problems()
    texts = forms.read_texts(form, ASSET_TEXT_FIELDS, problems)
    details = read_details(form, problems)
    status = read_status(form, problems)
    experiences = read_experiences(dbsession, asset.village_id, experience_ids, problems)
    codes = parse_stop_codes(forms.raw(form, "stop_codes"), problems)
    problems.raise_any()

    forms.replace_texts(dbsession, asset.texts, AssetText, texts)
    _apply_details(asset, details)
    asset.status = status
    asset.experiences = experiences
    kept = {link.stop_code: link for link in asset.stops}
    asset.stops = [kept.get(code) or AssetStop(stop_code=code) for code in codes]
    dbsession.flush()


def _apply_details(asset: HeritageAsset, details: Details) -> None:
    asset.licence = details.licence
    asset.creator, asset.attribution, asset.provenance = details.creator, details.attribution, details.provenance
    asset.width_m, asset.height_m, asset.depth_m = details.dimensions or (None, None, None)


# --- a new asset -----------------------------------------------------------------------------

def read_slug(dbsession, form: Mapping, problems: Problems) -> str:
    slug = forms.raw(form, "slug").strip()
    if not slug:
        problems.add("slug", _("Give the model a web address name, such as chu-dau-vase."))
    elif len(slug) > SLUG_MAX_LENGTH or not forms.SLUG_PATTERN.match(slug):
        problems.add("slug", _("Use only small letters a–z, digits and hyphens between words (such as "
                               "chu-dau-vase), at most ${max} characters.", mapping={"max": SLUG_MAX_LENGTH}))
    elif dbsession.scalar(select(HeritageAsset.id).where(HeritageAsset.slug == slug)) is not None:
        problems.add("slug", SLUG_TAKEN)
    return slug


def read_village(form: Mapping, villages: Sequence[Village], problems: Problems) -> Village | None:
    return forms.chosen_row(form, "village", villages, problems, _("Choose the village this model belongs to."))


def create_asset(dbsession, store, form: Mapping, *, villages: Sequence[Village], model: bytes | None,
                 poster: bytes | None, limits: Budget) -> HeritageAsset:
    """A new draft asset from the upload form: `villages` are those the person may choose
    (their operator's; all for an admin); `model` and `poster` the files' bytes (None: no file).

    The GLB passes services.check_model with `limits`, the poster check_poster; the size is
    the model's own box unless the form gives one. Raises InvalidInput naming every wrong
    field (the file's problem as services worded it); then no row and no file is stored.
    """
    problems = Problems()
    village = read_village(form, villages, problems)
    slug = read_slug(dbsession, form, problems)
    texts = forms.read_texts(form, ASSET_TEXT_FIELDS, problems)
    details = read_details(form, problems)
    glb = _checked(problems, "model", lambda: check_model(model, limits), model,
                   _("Choose the model file (.glb)."))
    picture = _checked(problems, "poster", lambda: check_poster(poster), poster,
                       _("Choose a poster image (PNG, JPEG or WebP)."))
    problems.raise_any()

    dimensions = details.dimensions or dimensions_from_bounds(glb.bounds_min, glb.bounds_max)
    details = Details(details.licence, details.creator, details.attribution, details.provenance, dimensions)
    last = dbsession.scalar(select(func.max(HeritageAsset.position)).where(HeritageAsset.village_id == village.id))
    # Files last, once nothing can refuse the upload any more. (Should two people take the same
    # slug in the same instant, the unique constraint refuses the second below; its files,
    # stored under their content's hash, are then merely unused.)
    asset = HeritageAsset(
        slug=slug, village=village, status=PublicationStatus.DRAFT, position=(last or 0) + 1,
        model_key=store.put(model, "glb"), size_bytes=glb.size_bytes, triangle_count=glb.triangle_count,
        vertex_count=glb.vertex_count, poster_key=store.put(poster, picture.extension),
        poster_width=picture.width, poster_height=picture.height)
    _apply_details(asset, details)
    asset.texts = [AssetText(locale=locale, **values) for locale, values in texts.items()]
    try:
        with dbsession.begin_nested():
            dbsession.add(asset)
            dbsession.flush()
    except IntegrityError:
        raise InvalidInput({"slug": SLUG_TAKEN}) from None
    return asset


def _checked(problems: Problems, field: str, check, data: bytes | None, missing):
    if not data:
        problems.add(field, missing)
        return None
    try:
        return check()
    except UploadError as error:
        problems.add(field, error.message)
        return None


def replace_files(dbsession, store, asset: HeritageAsset, *, model: bytes | None, poster: bytes | None,
                  limits: Budget) -> None:
    """Replace the model, the poster or both (None: keep it), with the upload's checks.

    The old files stay in the store (other rows, or a cached page, may still name them).
    Raises InvalidInput when no file is given or one is refused; then nothing changes.
    """
    problems = Problems()
    if not model and not poster:
        problems.add("model", _("Choose a new model file, a new poster, or both."))
    glb = _checked(problems, "model", lambda: check_model(model, limits), model, None) if model else None
    picture = _checked(problems, "poster", lambda: check_poster(poster), poster, None) if poster else None
    problems.raise_any()
    if glb is not None:
        asset.model_key = store.put(model, "glb")
        asset.size_bytes, asset.triangle_count, asset.vertex_count = \
            glb.size_bytes, glb.triangle_count, glb.vertex_count
    if picture is not None:
        asset.poster_key = store.put(poster, picture.extension)
        asset.poster_width, asset.poster_height = picture.width, picture.height
    dbsession.flush()


# --- hotspots --------------------------------------------------------------------------------

POSITION_FIELDS = ("x", "y", "z")
NORMAL_FIELDS = ("normal_x", "normal_y", "normal_z")


@dataclass(frozen=True)
class Placement:
    position: tuple[float, float, float]
    normal: tuple[float, float, float]  # of length 1


def read_placement(form: Mapping, problems: Problems) -> Placement | None:
    """A point (model units) and the surface's normal there, scaled to length 1."""
    values = {}
    for name in POSITION_FIELDS + NORMAL_FIELDS:
        raw = forms.raw(form, name)
        value = forms.decimal_number(raw) if raw.strip() else None
        if not raw.strip():
            problems.add(name, _("Give a number here (click on the model to fill it in)."))
        elif value is None or abs(value) > MAX_COORDINATE:
            problems.add(name, _("Write a number such as -0.125 here."))
        else:
            values[name] = value
    if len(values) != 6:
        return None
    normal = [values[name] for name in NORMAL_FIELDS]
    length = math.sqrt(sum(c * c for c in normal))
    if length < 1e-6:
        problems.add("normal_x", _("The direction (normal) cannot be 0, 0, 0: it says which way the "
                                   "surface faces. Click on the model to fill it in, or use 0, 1, 0 (up)."))
        return None
    return Placement(tuple(round(values[name], 6) for name in POSITION_FIELDS),
                     tuple(round(c / length, 6) for c in normal))


def _place(hotspot: Hotspot, placement: Placement) -> None:
    hotspot.x, hotspot.y, hotspot.z = placement.position
    hotspot.normal_x, hotspot.normal_y, hotspot.normal_z = placement.normal


def add_hotspot(dbsession, asset: HeritageAsset, form: Mapping) -> Hotspot:
    """A new hotspot, numbered after the others. Raises InvalidInput (nothing added)."""
    placement, texts = _read_hotspot(form)
    _lock(dbsession, asset)
    hotspot = Hotspot(position=len(asset.hotspots) + 1)
    _place(hotspot, placement)
    hotspot.texts = [HotspotText(locale=locale, **values) for locale, values in texts.items()]
    asset.hotspots.append(hotspot)
    dbsession.flush()
    return hotspot


def _read_hotspot(form: Mapping) -> tuple[Placement, dict]:
    """A hotspot form's place and texts; InvalidInput naming every wrong field."""
    problems = Problems()
    placement = read_placement(form, problems)
    texts = forms.read_texts(form, HOTSPOT_TEXT_FIELDS, problems)
    problems.raise_any()
    return placement, texts


def update_hotspot(dbsession, hotspot: Hotspot, form: Mapping) -> None:
    """New texts and place for `hotspot`. Raises InvalidInput (nothing changed)."""
    placement, texts = _read_hotspot(form)
    _place(hotspot, placement)
    forms.replace_texts(dbsession, hotspot.texts, HotspotText, texts)


# --- guided views ----------------------------------------------------------------------------

def normal_camera_text(raw: str) -> str:
    """Spaces folded and units lower-cased, so "20DEG  60deg 2.2M" reads as it is stored."""
    return " ".join(raw.split()).lower()


def read_camera(form: Mapping, problems: Problems) -> tuple[str, str]:
    orbit, target = normal_camera_text(forms.raw(form, "orbit")), normal_camera_text(forms.raw(form, "target"))
    if not ORBIT_PATTERN.match(orbit) or len(orbit) > 80:
        problems.add("orbit", _("Write the camera position as two angles and a distance, such as "
                                "“20deg 60deg 2.2m” (angles in deg or rad; distance in m, cm or mm)."))
    if not TARGET_PATTERN.match(target) or len(target) > 80:
        problems.add("target", _("Write the point looked at as three lengths, such as “0m 0.3m 0m” "
                                 "(in m, cm or mm)."))
    return orbit, target


def _read_view(form: Mapping) -> tuple[str, str, dict]:
    """A guided view form's camera and captions; InvalidInput naming every wrong field."""
    problems = Problems()
    orbit, target = read_camera(form, problems)
    texts = forms.read_texts(form, VIEW_TEXT_FIELDS, problems)
    problems.raise_any()
    return orbit, target, texts


def add_view(dbsession, asset: HeritageAsset, form: Mapping) -> GuidedView:
    """A new guided view, last in the tour. Raises InvalidInput (nothing added)."""
    orbit, target, texts = _read_view(form)
    _lock(dbsession, asset)
    view = GuidedView(position=len(asset.views) + 1, orbit=orbit, target=target)
    view.texts = [GuidedViewText(locale=locale, **values) for locale, values in texts.items()]
    asset.views.append(view)
    dbsession.flush()
    return view


def update_view(dbsession, view: GuidedView, form: Mapping) -> None:
    orbit, target, texts = _read_view(form)
    view.orbit, view.target = orbit, target
    forms.replace_texts(dbsession, view.texts, GuidedViewText, texts)


# --- order of hotspots and views ---------------------------------------------------------------

def _lock(dbsession, asset: HeritageAsset) -> None:
    # Two people adding or reordering at once take turns (numbers stay 1…n without gaps).
    dbsession.execute(select(HeritageAsset.id).where(HeritageAsset.id == asset.id).with_for_update())


def _siblings(dbsession, model, asset_id: int) -> list:
    return list(dbsession.scalars(select(model).where(model.asset_id == asset_id)
                                  .order_by(model.position, model.id).execution_options(populate_existing=True)))


def _renumber(items: list) -> None:
    for number, item in enumerate(items, start=1):
        item.position = number


def move(dbsession, item: Hotspot | GuidedView, place: int) -> bool:
    """Put a hotspot or guided view at `place` (1 = first; out-of-range places clamp) among its
    asset's and number them 1…n. Returns False when it was there already (a repeated press).
    Locks the asset row."""
    asset = dbsession.get(HeritageAsset, item.asset_id)
    _lock(dbsession, asset)
    ordered = _siblings(dbsession, type(item), item.asset_id)
    moved = move_within(ordered, item, place)
    _renumber(ordered)
    dbsession.flush()
    dbsession.expire(asset, ["hotspots" if isinstance(item, Hotspot) else "views"])
    return moved


def delete(dbsession, item: Hotspot | GuidedView) -> None:
    """Remove a hotspot or guided view (and its texts); the others close the gap."""
    asset = dbsession.get(HeritageAsset, item.asset_id)
    _lock(dbsession, asset)
    collection = asset.hotspots if isinstance(item, Hotspot) else asset.views
    collection.remove(item)  # delete-orphan: its texts go with it
    dbsession.flush()
    _renumber(_siblings(dbsession, type(item), asset.id))
    dbsession.flush()
    dbsession.expire(asset, ["hotspots" if isinstance(item, Hotspot) else "views"])
