"""The console's pages for a thing's pictures (a product's, an experience's): each picture
with a form to say what it shows, buttons to move it up or down and a link to remove it
(after a page that asks), then the upload form. Everything works without JavaScript.

A domain describes its pages once in a `PicturePages` (the rules of its `Gallery`, its
routes and templates, what the pages say of the thing) and calls `add_picture_views` from
its includeme. It adds the routes itself, each with a route factory naming the operator who
owns the thing (OperatorResource), so another operator's people get 403 whatever id they
try:

- `route` (placeholder `owner_id`): GET the pictures page, POST an upload (`max_body`);
- `picture_route` (placeholder `picture_id`): POST a picture's description;
- `picture_route + "_move"`: POST a new place (1 = first);
- `picture_route + "_remove"`: GET the page that asks, POST removes.

The templates extend tourism/templates/console_pictures.jinja2 and
console_picture_remove.jinja2, giving the breadcrumbs and the sentences about the thing
(`owner` in them, its name `name`).
"""
from collections.abc import Callable
from dataclasses import dataclass

from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther

from tourism import pictures
from tourism.accounts.views import no_store
from tourism.catalog.services import image_alt
from tourism.forms import Form, flash, page_basics, typed, uploaded_bytes
from tourism.i18n import _
from tourism.images import image_url
from tourism.media import media_store
from tourism.pictures import Gallery, InvalidInput
from tourism.uploads import BodyTooLarge

TOO_LARGE_TEMPLATE = "tourism:templates/console_picture_too_large.jinja2"
# What the upload form carries besides its picture: six descriptions (at most 4 bytes a
# character in UTF-8), the token and the multipart framing.
FORM_OVERHEAD = 64 * 1024
MAX_PLACE_DIGITS = 4  # a place is 1…max_count: a longer number is not from our buttons


def max_body(registry) -> int:
    """An upload's body limit: the picture's 2 MB and the rest of the form."""
    return pictures.MAX_BYTES + FORM_OVERHEAD


@dataclass(frozen=True)
class PicturePages:
    """One kind of thing's picture pages in the console; its methods are the views."""

    gallery: Gallery
    max_count: int  # pictures a thing may have
    permission: str  # the views' permission (CONSOLE for products, MANAGE for experiences)
    route: str  # the thing's pictures page, such as "shop.console.product_images"
    owner_id: str  # its placeholder: "product_id"
    picture_route: str  # one picture, such as "shop.console.product_image"
    picture_id: str  # its placeholder: "image_id"
    template: str  # the pictures page, extending tourism:templates/console_pictures.jinja2
    remove_template: str  # the page that asks, extending console_picture_remove.jinja2
    title: Callable[..., str]  # (thing, locale) -> its name in the page's language

    # --- addresses ---------------------------------------------------------------------------

    def page_path(self, request, owner_id, anchor: str | None = None) -> str:
        at = {"_anchor": anchor} if anchor else {}
        return request.route_path(self.route, **{self.owner_id: owner_id}, **at)

    def picture_path(self, request, picture, action: str = "") -> str:
        return request.route_path(self.picture_route + action, **{self.picture_id: picture.id})

    def _back(self, request, picture, anchor: str | None = None) -> HTTPSeeOther:
        owner_id = getattr(picture, self.gallery.owner_key)
        return HTTPSeeOther(self.page_path(request, owner_id, anchor or f"image-{picture.id}"))

    # --- what the pages show -----------------------------------------------------------------

    def _about(self, request, owner) -> dict:
        return {"owner": owner, "name": self.title(owner, request.locale_name)}

    def page(self, request, owner, *, upload: Form | None = None, edited=None, edit_form: Form | None = None,
             status: int = 200) -> dict:
        """The pictures page of `owner`; `edited`'s form shows `edit_form` (a refused description)."""
        no_store(request)
        request.response.status = status
        shown = []
        for number, picture in enumerate(owner.images, start=1):
            form = edit_form if edited is not None and picture.id == edited.id else \
                Form(f"image-{picture.id}", {f"alt-{locale}": text for locale, text in (picture.alt or {}).items()})
            shown.append({"image": picture, "number": number, "url": image_url(request, picture),
                          "alt": image_alt(picture, request.locale_name), "form": form,
                          "describe_url": self.picture_path(request, picture),
                          "move_url": self.picture_path(request, picture, "_move"),
                          "remove_url": self.picture_path(request, picture, "_remove")})
        return {"images": shown, "pictures_url": self.page_path(request, owner.id),
                "upload": upload or Form("upload"), "can_add": len(shown) < self.max_count,
                "max_images": self.max_count, "max_size": request.fmt.file_size(pictures.MAX_BYTES),
                "min_side": pictures.MIN_SIDE, "max_side": pictures.MAX_SIDE,
                **self._about(request, owner), **page_basics(request)}

    # --- the views ---------------------------------------------------------------------------

    def show(self, request):
        return self.page(request, request.context.obj)

    def upload(self, request):
        owner = request.context.obj
        try:
            picture = self.gallery.add(request.dbsession, media_store(request.registry), owner, request.POST,
                                       uploaded_bytes(request, "image", max_body(request.registry)),
                                       max_count=self.max_count)
        except InvalidInput as error:
            return self.page(request, owner, upload=Form("upload", typed(request), error.errors), status=400)
        flash(request, _("The picture was added."))
        return self._back(request, picture)

    def too_large(self, request):
        """An upload over `max_body`, refused before it was read (after the permission check:
        the id in the URL is the person's own thing's)."""
        no_store(request)
        request.response.status = 413
        return {"max_size": request.fmt.file_size(pictures.MAX_BYTES),
                "back_url": self.page_path(request, request.matchdict[self.owner_id], "add")}

    def describe(self, request):
        picture = request.context.obj
        try:
            self.gallery.describe(request.dbsession, picture, request.POST)
        except InvalidInput as error:
            return self.page(request, self.gallery.owner_of(request.dbsession, picture), edited=picture,
                             edit_form=Form(f"image-{picture.id}", typed(request), error.errors), status=400)
        flash(request, _("The picture's description was saved."))
        return self._back(request, picture)

    def back_to_page(self, request):
        """A picture's address opened again (after a refused form, say): its place on the page."""
        return self._back(request, request.context.obj)

    def move(self, request):
        picture = request.context.obj
        raw = request.POST.get("place", "")
        if not (isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= MAX_PLACE_DIGITS):
            raise HTTPBadRequest()
        moved = self.gallery.move(request.dbsession, picture, int(raw))
        place = self.gallery.owner_of(request.dbsession, picture).images.index(picture) + 1
        if moved:
            flash(request, _("Moved to place ${place}.", mapping={"place": place}))
        else:
            flash(request, _("Already at place ${place}.", mapping={"place": place}))
        return self._back(request, picture)

    def ask_remove(self, request):
        no_store(request)
        picture = request.context.obj
        owner = self.gallery.owner_of(request.dbsession, picture)
        return {"image": picture, "url": image_url(request, picture), "alt": image_alt(picture, request.locale_name),
                "pictures_url": self.page_path(request, owner.id),
                "keep_url": self.page_path(request, owner.id, f"image-{picture.id}"), **self._about(request, owner)}

    def remove(self, request):
        picture = request.context.obj
        self.gallery.remove(request.dbsession, picture)
        flash(request, _("The picture was removed."))
        return self._back(request, picture, anchor="pictures")


def add_picture_views(config, pages: PicturePages) -> None:
    """Register `pages`' views on its routes (which the caller adds)."""
    def view(view_callable, route_name, method, renderer=None, **options):
        config.add_view(view_callable, route_name=route_name, request_method=method, permission=pages.permission,
                        renderer=renderer, **options)

    view(pages.show, pages.route, "GET", pages.template)
    view(pages.upload, pages.route, "POST", pages.template, max_body=max_body)
    config.add_exception_view(pages.too_large, context=BodyTooLarge, route_name=pages.route,
                              renderer=TOO_LARGE_TEMPLATE)
    view(pages.describe, pages.picture_route, "POST", pages.template)
    view(pages.back_to_page, pages.picture_route, "GET")
    view(pages.move, pages.picture_route + "_move", "POST")
    view(pages.ask_remove, pages.picture_route + "_remove", "GET", pages.remove_template)
    view(pages.remove, pages.picture_route + "_remove", "POST")
