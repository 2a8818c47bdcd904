"""Audio guides: multilingual tracks a visitor opens by scanning a stop's QR code.

An add-on of `tourism` (declared in setup.cfg's `tourism.addons` entry points): it uses
tourism's catalog, media store, i18n and templates; tourism never imports it.
"""


def includeme(config):
    from audio_guides import models  # noqa: F401  (registers the tables)

    # Our own translation domain: `_` in Python (audio_guides.i18n), `ag_` in templates.
    config.add_template_translators("ag_", "audio_guides")

    config.include(".views")  # the visitor's pages: /g/<CODE>, the keypad, the tour, offline saving
    config.include(".console_views")  # the operator's tools: tracks, transcripts, order, posters, plays
