"""The audio guides' own translation domain (locales/<ll>/LC_MESSAGES/audio_guides.po).

Python code uses `_` from here; templates use `ag_("…")` and `ag_n("…", "…", n)`, while
tourism's layout they extend keeps its own `_` (tourism's domain).
"""
from pyramid.i18n import TranslationStringFactory

DOMAIN = "audio_guides"
_ = TranslationStringFactory(DOMAIN)
