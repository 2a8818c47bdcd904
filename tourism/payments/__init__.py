"""Payments: one provider interface for paying at the village, VietQR transfer and cards."""
from pyramid.exceptions import ConfigurationError
from pyramid.path import DottedNameResolver

from tourism.payments.services import PROVIDERS_KEY

DEFAULT_PROVIDERS = "tourism.payments.on_site.OnSiteProvider"


def _load(dotted: str, settings: dict, resolver: DottedNameResolver):
    try:
        factory = resolver.resolve(dotted)
    except (ImportError, AttributeError, ValueError) as error:
        raise ConfigurationError(f"tourism.payment_providers: cannot load {dotted!r} ({error})") from error
    # A provider that needs settings (keys, an account) builds itself from them and raises
    # ConfigurationError, naming what to set, when one is missing.
    from_settings = getattr(factory, "from_settings", None)
    return from_settings(settings) if from_settings is not None else factory()


def includeme(config):
    from tourism.payments import models  # noqa: F401

    settings = config.get_settings()
    resolver = DottedNameResolver()
    names = settings.get("tourism.payment_providers", DEFAULT_PROVIDERS).split()
    registered = {}
    for dotted in names:
        provider = _load(dotted, settings, resolver)
        registered[provider.name] = provider
    config.registry[PROVIDERS_KEY] = registered

    config.include(".refund_views")  # the operator's refunds to pay back, and failed ones

    if "vietqr" in registered:
        from tourism.i18n import _

        # Banks send no callback: the operator confirms transfers one by one, or imports the
        # bank's statement (CSV). Whether cards are on or not.
        views = "tourism.payments.console_views"
        config.add_route("payments.transfers", "/console/transfers", factory=f"{views}.operator_scope")
        config.add_route("payments.transfers.import", "/console/transfers/import", factory=f"{views}.operator_scope")
        config.add_route("payments.transfers.received", "/console/transfers/{reference}/received",
                         factory=f"{views}.transfer_booking")
        config.add_console_link("payments.transfers", _("Bank transfers to confirm"), order=20)
        config.add_console_link("payments.transfers.import", _("Import a bank statement"), order=30)
        config.scan(".console_views")

    if "stripe" in registered:
        from tourism.payments.stripe_provider import CSP_SOURCES

        # Stripe.js, its Payment Element frames and its API calls; only when cards are on.
        for directive, source in CSP_SOURCES:
            config.add_csp_source(directive, source)
        config.add_route("payments.card", "/booking/{token}/card")
        config.add_route("payments.card.return", "/booking/{token}/card/return")
        config.add_route("payments.stripe.webhook", "/payments/stripe/webhook")
        config.scan(".views")
        # A webhook lost or delayed: ask Stripe about card payments pending for too long.
        config.add_worker_task("payments.reconcile_stripe", "tourism.payments.webhooks.reconcile_task", interval=300)
