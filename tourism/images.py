"""Checking an uploaded picture before it is stored: format, weight, size, integrity.

Shared by every domain that accepts pictures (3D posters, product photos). It says what is
wrong with a stable code; each caller words the message for its own form.
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
