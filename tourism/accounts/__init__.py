"""Accounts: operators, the people who sign in to the console, and what each may do.

`config.add_console_link(route, label, order)` lets a domain put its console page on the
landing page (check-in, payments…), so accounts need not know the domains; the most used
come first (lowest `order`).
"""
from dataclasses import dataclass

from translationstring import TranslationString

CONSOLE_LINKS = "console.links"


@dataclass(frozen=True)
class ConsoleLink:
    route: str
    label: TranslationString
    order: int = 100


def add_console_link(config, route: str, label: TranslationString, order: int = 100):
    links = config.registry.setdefault(CONSOLE_LINKS, [])
    links.append(ConsoleLink(route, label, order))
    links.sort(key=lambda link: link.order)


def includeme(config):
    from tourism.accounts import models  # noqa: F401  (registers the tables)
    from tourism.accounts.permissions import ConsoleRoot
    from tourism.accounts.security import SessionSecurityPolicy

    config.set_security_policy(SessionSecurityPolicy())
    config.add_directive("add_console_link", add_console_link)
    config.add_route("accounts.sign_in", "/console/sign-in")
    config.add_route("accounts.sign_out", "/console/sign-out")
    config.add_route("console.home", "/console", factory=ConsoleRoot)
    config.scan(".views")
    config.add_worker_task("accounts.forget_old_failures", "tourism.accounts.throttle.forget_old_failures_task",
                           interval=3600)
