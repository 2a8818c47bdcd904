"""The media store: uploaded files (audio, captions, 3D models, images) on disk, named by
the SHA-256 of their bytes; tourism.media_serving serves them at /media/<key>.

A file's name is its content's hash, so a URL never serves two different files: it can be
cached for a year, and storing the same file twice stores it once. Files are written to a
temporary name and renamed into place, so a reader never sees half a file.

Infrastructure for the add-ons (audio guides, 3D heritage): one store, one setting
(`tourism.media_dir`), one /media/ URL space, whoever uploads.
"""
import hashlib
import os
import re
import tempfile
from pathlib import Path

# \Z, not $: "$" also matches before a final newline, which would let "<key>\n" through.
KEY_PATTERN = re.compile(r"^[0-9a-f]{64}\.[a-z0-9]{2,5}\Z")
REGISTRY_KEY = "tourism.media"
MEDIA_DIR_SETTING = "tourism.media_dir"


class MediaStore:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    def put(self, data: bytes, extension: str) -> str:
        """Store `data`; returns its key "<sha256>.<extension>" (the same bytes, the same key)."""
        key = f"{hashlib.sha256(data).hexdigest()}.{extension}"
        if not KEY_PATTERN.match(key):
            raise ValueError(f"bad extension {extension!r}")
        target = self.path(key)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
                tmp.write(data)
            os.replace(tmp.name, target)
        return key

    def path(self, key: str) -> Path:
        """Where the file of `key` is (or would be). ValueError for a malformed key."""
        if not KEY_PATTERN.match(key):
            raise ValueError(f"not a media key: {key!r}")
        return self.root / key[:2] / key

    def exists(self, key: str) -> bool:
        try:
            return self.path(key).is_file()
        except ValueError:
            return False


def media_store_for_settings(settings) -> MediaStore:
    """The store `settings` name, for code that runs outside the app (demo loaders)."""
    return MediaStore(settings.get(MEDIA_DIR_SETTING) or Path.cwd() / "var" / "media")


def media_store(registry) -> MediaStore:
    """The app's store (created by `includeme`)."""
    return registry[REGISTRY_KEY]


def includeme(config):
    config.registry[REGISTRY_KEY] = media_store_for_settings(config.get_settings())
