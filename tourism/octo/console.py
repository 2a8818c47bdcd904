"""The console's pages for resellers and their API keys (views in .console_views).

Owners and admins only (MANAGE): the list and the "new" form through OwnerRoot, a
reseller's and a key's pages through route factories naming the reseller's operator.
"""


def includeme(config):
    from tourism.accounts.permissions import MANAGE
    from tourism.i18n import _
    from tourism.octo.console_views import key_resource, reseller_resource

    owner_root = "tourism.accounts.permissions.OwnerRoot"
    config.add_route("octo.console.resellers", "/console/resellers", factory=owner_root)
    # Before the {reseller_id} routes, which would take "new" or "keys" for an id.
    config.add_route("octo.console.reseller_new", "/console/resellers/new", factory=owner_root)
    config.add_route("octo.console.key_revoke", "/console/resellers/keys/{key_id}/revoke", factory=key_resource)
    config.add_route("octo.console.reseller", "/console/resellers/{reseller_id}", factory=reseller_resource)
    config.add_route("octo.console.reseller_keys", "/console/resellers/{reseller_id}/keys", factory=reseller_resource)
    config.add_console_link("octo.console.resellers", _("Resellers and API keys"), order=75, permission=MANAGE)
    config.scan("tourism.octo.console_views")
