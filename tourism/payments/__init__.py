"""Payments: one provider interface for paying at the village, VietQR transfer and cards."""
from pyramid.exceptions import ConfigurationError
from pyramid.path import DottedNameResolver

from tourism.payments.services import PROVIDERS_KEY

DEFAULT_PROVIDERS = "tourism.payments.on_site.OnSiteProvider"


def includeme(config):
    from tourism.payments import models  # noqa: F401

    resolver = DottedNameResolver()
    names = config.get_settings().get("tourism.payment_providers", DEFAULT_PROVIDERS).split()
    registered = {}
    for dotted in names:
        try:
            provider = resolver.resolve(dotted)()
        except (ImportError, AttributeError) as error:
            raise ConfigurationError(f"tourism.payment_providers: cannot load {dotted!r} ({error})") from error
        registered[provider.name] = provider
    config.registry[PROVIDERS_KEY] = registered
