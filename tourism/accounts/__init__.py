"""Accounts: operators, the people who sign in to the console, and what each may do.

`config.add_console_link(route, label, order, permission)` lets a domain put its console page
on the landing page (check-in, payments…), so accounts need not know the domains; the most
used come first (lowest `order`). A link shows only to those who have `permission` on the
console's OwnerRoot: CONSOLE (the default: everyone signed in) or MANAGE (owners and admins).

Accounts' own pages: sign-in and "Forgot your password?" (password_views), the person's own
account (account_views: change password, sign out everywhere), the operator's team for its
owners (staff_views).
"""
from dataclasses import dataclass

from translationstring import TranslationString

from tourism.accounts.permissions import CONSOLE

CONSOLE_LINKS = "console.links"


@dataclass(frozen=True)
class ConsoleLink:
    route: str
    label: TranslationString
    order: int = 100
    permission: str = CONSOLE


def add_console_link(config, route: str, label: TranslationString, order: int = 100, permission: str = CONSOLE):
    links = config.registry.setdefault(CONSOLE_LINKS, [])
    links.append(ConsoleLink(route, label, order, permission))
    links.sort(key=lambda link: link.order)


def includeme(config):
    from tourism.accounts import models  # noqa: F401  (registers the tables)
    from tourism.accounts.permissions import MANAGE, ConsoleRoot, OwnerRoot, can_manage
    from tourism.accounts.security import SessionSecurityPolicy
    from tourism.accounts.staff_views import person_resource
    from tourism.i18n import _

    config.set_security_policy(SessionSecurityPolicy())
    config.add_directive("add_console_link", add_console_link)
    config.add_request_method(can_manage, "can_manage")  # templates: show an owner's controls only to owners
    config.add_route("accounts.sign_in", "/console/sign-in")
    config.add_route("accounts.sign_out", "/console/sign-out")
    config.add_route("console.home", "/console", factory=ConsoleRoot)
    # Forgotten passwords and invitations: for people who are not signed in.
    config.add_route("accounts.password.forgot", "/console/forgot-password")
    config.add_route("accounts.password.sent", "/console/forgot-password/sent")
    config.add_route("accounts.password.choose", "/console/password/{token}")
    # The signed-in person's own account.
    config.add_route("accounts.account", "/console/account", factory=ConsoleRoot)
    config.add_route("accounts.account.password", "/console/account/password", factory=ConsoleRoot)
    config.add_route("accounts.account.sign_out_everywhere", "/console/account/sign-out-everywhere",
                     factory=ConsoleRoot)
    # The operator's team, for its owners ("new" before the person's id).
    config.add_route("accounts.staff", "/console/staff", factory=OwnerRoot)
    config.add_route("accounts.staff.new", "/console/staff/new", factory=OwnerRoot)
    config.add_route("accounts.staff.person", "/console/staff/{user_id}", factory=person_resource)
    config.add_route("accounts.staff.role", "/console/staff/{user_id}/role", factory=person_resource)
    config.add_route("accounts.staff.invite", "/console/staff/{user_id}/invite", factory=person_resource)
    config.add_route("accounts.staff.remove", "/console/staff/{user_id}/remove", factory=person_resource)
    config.add_console_link("accounts.staff", _("Your team"), order=800, permission=MANAGE)
    config.add_console_link("accounts.account", _("Your account"), order=900)
    for module in (".views", ".password_views", ".account_views", ".staff_views"):
        config.scan(module)
    config.add_worker_task("accounts.forget_old_failures", "tourism.accounts.throttle.forget_old_failures_task",
                           interval=3600)
