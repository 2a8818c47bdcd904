"""Notify: e-mail through a transactional outbox, and .ics calendar files.

Domains call `tourism.notify.services.enqueue_email` inside their own transaction; the
worker task `notify.send_outbox` sends what is due through the mailer chosen by
`mail.transport` (see tourism.notify.mailer).
"""
from tourism.notify.mailer import mailer_from_settings
from tourism.notify.services import send_outbox


def includeme(config):
    # Built now, so a bad mail.transport stops the app at start-up rather than at the first e-mail.
    config.registry["notify.mailer"] = mailer_from_settings(config.get_settings())
    config.add_worker_task("notify.send_outbox", send_outbox, interval=10)
