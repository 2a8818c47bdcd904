"""Jinja2 templates: the `.jinja2` renderer, translation inside templates, layout helpers."""
import json
from urllib.parse import urlencode

from jinja2 import pass_context
from markupsafe import Markup
from translationstring import TranslationString

from tourism.i18n import LANGUAGE_NAMES, LOCALE_PARAM, LOCALES


@pass_context
def translate(context, message):
    """`{{ message|t }}`: translate a message id handed over by a view or a service."""
    if isinstance(message, TranslationString):
        return context["request"].localizer.translate(message)
    return message


def json_ld(data) -> Markup:
    """Serialise schema.org data for a `<script type="application/ld+json">` block.

    `<`, `>` and `&` are escaped so no text can close the script element.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def language_alternates(request) -> list[dict]:
    """This page in every language: for the switcher and for hreflang links."""
    query = [(k, v) for k, v in request.GET.items() if k != LOCALE_PARAM]
    alternates = []
    for code in LOCALES:
        url = request.path_url + "?" + urlencode(query + [(LOCALE_PARAM, code)])
        alternates.append(
            {"code": code, "name": LANGUAGE_NAMES[code], "url": url, "current": code == request.locale_name}
        )
    return alternates


def includeme(config):
    settings = config.get_settings()
    settings.setdefault("jinja2.newstyle", "true")
    settings.setdefault("jinja2.trim_blocks", "true")
    settings.setdefault("jinja2.lstrip_blocks", "true")
    settings.setdefault("jinja2.undefined", "strict")
    settings.setdefault("jinja2.filters", {"t": translate, "json_ld": json_ld})
    config.include("pyramid_jinja2")
    config.add_jinja2_renderer(".jinja2")
    config.add_request_method(language_alternates, "language_alternates", reify=True)
