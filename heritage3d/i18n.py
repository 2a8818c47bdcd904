"""The 3D heritage add-on's own translation domain (locales/<ll>/LC_MESSAGES/heritage3d.po).

Python code uses `_` from here, so its messages are extracted into heritage3d's catalog and
not into tourism's.
"""
from pyramid.i18n import TranslationStringFactory

DOMAIN = "heritage3d"
_ = TranslationStringFactory(DOMAIN)
