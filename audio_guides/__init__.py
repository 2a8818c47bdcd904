"""Audio guides: multilingual tracks a visitor opens by scanning a stop's QR code.

An add-on of `tourism` (declared in setup.cfg's `tourism.addons` entry points): it uses
tourism's catalog, i18n and templates; tourism never imports it.
"""
from pathlib import Path

MEDIA_DIR_SETTING = "audio_guides.media_dir"


def includeme(config):
    from audio_guides import models  # noqa: F401  (registers the tables)
    from audio_guides.media import REGISTRY_KEY, MediaStore

    settings = config.get_settings()
    media_dir = settings.get(MEDIA_DIR_SETTING) or str(Path.cwd() / "var" / "media")
    config.registry[REGISTRY_KEY] = MediaStore(media_dir)
    # Our own translation domain: `_` in Python (audio_guides.i18n), `ag_` in templates.
    config.add_template_translators("ag_", "audio_guides")

    config.include(".serving")  # /media/<key>: audio and WebVTT with Range, ETag, a year of caching
    config.include(".views")  # the visitor's pages: /g/<CODE>, the keypad, the tour, offline saving
    config.include(".console_views")  # the operator's tools: tracks, transcripts, order, posters, plays
