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


def domain_translators(domain: str):
    """Jinja2 globals that translate in `domain`, with the newstyle gettext's rules.

    The translation is trusted markup, the `%(name)s` values are escaped when filled in,
    and the plural form also fills `%(num)d` (as Jinja's newstyle ngettext does).
    """
    @pass_context
    def gettext(context, message, **variables):
        text = context["request"].localizer.translate(TranslationString(message, domain=domain))
        text = Markup(text) if context.eval_ctx.autoescape else text
        return text % variables if variables else text

    @pass_context
    def ngettext(context, singular, plural, num, **variables):
        text = context["request"].localizer.pluralize(singular, plural, num, domain=domain)
        text = Markup(text) if context.eval_ctx.autoescape else text
        return text % dict(num=num, **variables)

    return gettext, ngettext


def add_template_translators(config, name: str, domain: str):
    """`{{ <name>("…") }}` and `{{ <name>n("…", "…", n) }}` in templates: an add-on's own domain.

    Add-ons own their translation domain; their templates still extend tourism's layout,
    whose `_` stays in tourism's. `make extract` collects `<name>` and `<name>n` calls.
    """
    gettext, ngettext = domain_translators(domain)

    def register():
        environment = config.get_jinja2_environment()
        environment.globals[name] = gettext
        environment.globals[f"{name}n"] = ngettext

    # After pyramid_jinja2 has built the environment (its own example uses this order).
    config.action(("template-translators", name), register, order=999)


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
    config.add_directive("add_template_translators", add_template_translators)
