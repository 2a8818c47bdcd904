"""Checking an uploaded picture before it is stored: format, weight, size, integrity; and
where a stored picture is served.

Shared by every domain that accepts pictures (3D posters, product and experience photos).
It says what is wrong with a stable code; each caller words the message for its own form.
"""
import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}  # what phones show everywhere


class ImageRefused(Exception):
    """`code`: missing, too_large, not_image, format or size."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ImageInfo:
    extension: str
    width: int
    height: int


def check_image(data: bytes, *, max_bytes: int, min_side: int, max_side: int) -> ImageInfo:
    """A PNG, JPEG or WebP image within the limits; ImageRefused otherwise."""
    if not data:
        raise ImageRefused("missing")
    if len(data) > max_bytes:
        raise ImageRefused("too_large")
    try:
        with warnings.catch_warnings():
            # A decompression bomb is an error here, not a warning.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                image.verify()  # reads the whole file: a truncated image fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning,
            Image.DecompressionBombError):
        raise ImageRefused("not_image") from None
    if kind not in FORMATS:
        raise ImageRefused("format")
    if max(width, height) > max_side or min(width, height) < min_side:
        raise ImageRefused("size")
    return ImageInfo(FORMATS[kind], width, height)


# A picture row's `path` (tourism.catalog.models.ImageMixin) is a file under tourism/static
# (demo pictures), or an uploaded picture in the media store: "media/<key>", served at
# /media/<key>. The `image` macro of tourism/templates/macros.jinja2 makes the same choice.
MEDIA_PATH_PREFIX = "media/"


def media_path(key: str) -> str:
    """The `path` of a picture stored in the media store under `key`."""
    return MEDIA_PATH_PREFIX + key


def image_url(request, image) -> str:
    """The absolute address of a picture row, uploaded or demo."""
    if image.path.startswith(MEDIA_PATH_PREFIX):
        return request.route_url("tourism.media", key=image.path.removeprefix(MEDIA_PATH_PREFIX))
    return request.static_url(f"tourism:static/{image.path}")
