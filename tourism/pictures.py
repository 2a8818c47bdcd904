"""The pictures of a thing visitors see (a product, an experience): upload one, say what it
shows in every language, put it in its place, remove it.

A `Gallery` names the thing's model, its picture model (an ImageMixin row with a foreign key
to the thing, and the thing's `images` relationship ordered by position) and the few
sentences that differ between them; the rules are the same for all. Like every editing
service, each method reads the whole form first and changes everything or nothing: a
refusal raises `InvalidInput` with one translatable message per form field. A picture goes
to the media store only once everything else has passed, so a refused upload stores nothing.

Form fields: alt-<locale> (what the picture shows; Vietnamese required) and the file.
"""
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from tourism import forms
from tourism.forms import InvalidInput, Problems, TextField
from tourism.i18n import _
from tourism.images import ImageRefused, check_image, media_path
from tourism.ordering import move_within

__all__ = ["Gallery", "InvalidInput"]

# What a phone photo resized for the web weighs: big enough to look sharp on a page, small
# enough for a village's mobile connection.
MAX_BYTES = 2 * 1024 * 1024
MIN_SIDE, MAX_SIDE = 200, 4000
ALT_MAX = 300

REFUSALS = {
    "too_large": _("The picture is over 2 MB: send a smaller one (about 1600 pixels wide is plenty)."),
    "not_image": _("This file is not a picture we can read: use a PNG, JPEG or WebP photo."),
    "format": _("The picture must be a PNG, JPEG or WebP file."),
    "size": _("The picture must be at least ${min} and at most ${max} pixels on each side.",
              mapping={"min": MIN_SIDE, "max": MAX_SIDE}),
}


@dataclass(frozen=True)
class Gallery:
    """The pictures of one kind of thing, and how its forms word what is missing."""

    owner: type  # the thing: Product, Experience
    picture: type  # its pictures' model: ProductImage, ExperienceImage
    owner_key: str  # the picture's column naming its thing: "product_id"
    missing: str  # no file chosen: "Choose a picture of the product (PNG, JPEG or WebP)."
    too_many: str  # with ${max}: "A product can have at most ${max} pictures: remove one first."
    alt_needed: str  # no Vietnamese description, with an example that fits the thing

    def read_alt(self, form: Mapping, problems: Problems) -> dict[str, str]:
        """What a picture shows, per locale (Vietnamese required)."""
        fields = (TextField("alt", ALT_MAX, required_vi=self.alt_needed, required_other=None),)
        return {locale: values["alt"] for locale, values in forms.read_texts(form, fields, problems).items()}

    def owner_of(self, dbsession, picture):
        return dbsession.get(self.owner, getattr(picture, self.owner_key))

    def add(self, dbsession, store, owner, form: Mapping, data: bytes | None, *, max_count: int):
        """A new picture, last of `owner`'s: a PNG, JPEG or WebP of at most MAX_BYTES, MIN_SIDE
        to MAX_SIDE pixels a side, with what it shows per locale; at most `max_count` pictures.

        Stored in the media `store`, its path "media/<key>". Raises InvalidInput naming the
        file's or the texts' problem; then no row and no file is stored. Locks the owner.
        """
        problems = Problems()
        alt = self.read_alt(form, problems)
        info = None
        if not data:
            problems.add("image", self.missing)
        else:
            try:
                info = check_image(data, max_bytes=MAX_BYTES, min_side=MIN_SIDE, max_side=MAX_SIDE)
            except ImageRefused as refused:
                problems.add("image", REFUSALS[refused.code])
        self._lock(dbsession, owner)
        pictures = self._ordered(dbsession, owner.id)
        if len(pictures) >= max_count:
            problems.add("image", _(self.too_many, mapping={"max": max_count}))
        problems.raise_any()
        picture = self.picture(path=media_path(store.put(data, info.extension)), width=info.width,
                               height=info.height, alt=alt, position=len(pictures), **{self.owner_key: owner.id})
        dbsession.add(picture)
        dbsession.flush()
        dbsession.expire(owner, ["images"])
        return picture

    def describe(self, dbsession, picture, form: Mapping) -> None:
        """New texts for what a picture shows. Raises InvalidInput (nothing changed)."""
        problems = Problems()
        alt = self.read_alt(form, problems)
        problems.raise_any()
        picture.alt = alt
        dbsession.flush()

    def move(self, dbsession, picture, place: int) -> bool:
        """Put a picture at `place` (1 = first, shown on cards and at the top of the page;
        out-of-range places clamp). Returns False when it was there already. Locks the owner."""
        owner = self.owner_of(dbsession, picture)
        self._lock(dbsession, owner)
        ordered = self._ordered(dbsession, owner.id)
        moved = move_within(ordered, picture, place)
        _renumber(ordered)
        dbsession.flush()
        dbsession.expire(owner, ["images"])
        return moved

    def remove(self, dbsession, picture) -> None:
        """Take a picture off its owner; the others close the gap. The file stays in the media
        store (content-addressed: another row, or a cached page, may still use it)."""
        owner = self.owner_of(dbsession, picture)
        self._lock(dbsession, owner)
        dbsession.delete(picture)
        dbsession.flush()
        _renumber(self._ordered(dbsession, owner.id))
        dbsession.flush()
        dbsession.expire(owner, ["images"])

    def _lock(self, dbsession, owner) -> None:
        # Two people adding or reordering pictures at once take turns (places stay 0…n-1).
        dbsession.execute(select(self.owner.id).where(self.owner.id == owner.id).with_for_update())

    def _ordered(self, dbsession, owner_id: int) -> list:
        return list(dbsession.scalars(select(self.picture).where(getattr(self.picture, self.owner_key) == owner_id)
                                      .order_by(self.picture.position, self.picture.id)
                                      .execution_options(populate_existing=True)))


def _renumber(pictures: list) -> None:
    for position, picture in enumerate(pictures):
        picture.position = position
