"""Reports: the console's Today page (the day's and the week's sessions, with seats,
check-in and money) and its Reports (bookings, revenue, refunds, occupancy, visitors;
charts, tables and CSV files; the village statistics a provincial tourism office asks for).

Views and templates over `reports.services`, which only reads the booking domains.
"""
from tourism.i18n import _


def includeme(config):
    from tourism.accounts.permissions import ConsoleRoot, OwnerRoot

    config.add_route("reports.today", "/console/today", factory=ConsoleRoot)
    # Reports are for the operator's owners (MANAGE); OwnerRoot grants it, the views narrow
    # what they show to the owner's own villages.
    config.add_route("reports.index", "/console/reports", factory=OwnerRoot)
    config.add_route("reports.experiences_csv", "/console/reports/bookings.csv", factory=OwnerRoot)
    config.add_route("reports.visitors_csv", "/console/reports/visitors.csv", factory=OwnerRoot)
    config.add_route("reports.villages_csv", "/console/reports/village-statistics.csv", factory=OwnerRoot)
    config.add_route("reports.experiences_xlsx", "/console/reports/bookings.xlsx", factory=OwnerRoot)
    config.add_route("reports.visitors_xlsx", "/console/reports/visitors.xlsx", factory=OwnerRoot)
    config.add_route("reports.villages_xlsx", "/console/reports/village-statistics.xlsx", factory=OwnerRoot)
    # Today first: it is what the staff open the console for.
    config.add_console_link("reports.today", _("Today"), order=1)
    config.add_console_link("reports.index", _("Reports"), order=70)
    config.scan(".views")
