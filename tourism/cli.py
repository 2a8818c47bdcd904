"""`langviet`: the operator's command line.

    langviet migrate development.ini        bring the database schema up to date
    langviet demo development.ini           load the demo villages (idempotent)
    langviet worker development.ini         run background tasks until stopped
    langviet create-admin development.ini --email admin@example.com
    langviet revision development.ini -m "add sessions"   write a migration (developers)
"""
import argparse
import getpass
import os
import sys

import transaction
from pyramid.paster import get_appsettings, setup_logging

from tourism.settings import load_settings


def _settings(config_uri: str) -> dict:
    setup_logging(config_uri)
    return load_settings(get_appsettings(config_uri))


def _session(settings):
    from tourism.db import get_engine, get_session_factory, get_tm_session

    factory = get_session_factory(get_engine(settings))
    return get_tm_session(factory, transaction.manager)


def cmd_migrate(args):
    from tourism import migrations

    settings = _settings(args.config_uri)
    migrations.upgrade(settings["sqlalchemy.url"])
    print("Database schema is up to date.")


def cmd_revision(args):
    from tourism import migrations

    settings = _settings(args.config_uri)
    migrations.new_revision(settings["sqlalchemy.url"], args.message, head=f"{args.branch}@head")


def cmd_demo(args):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tourism.addons import demo_loaders
    from tourism.catalog import demo
    from tourism.octo import demo as octo_demo
    from tourism.scheduling import demo as schedule_demo
    from tourism.shop import demo as shop_demo

    settings = _settings(args.config_uri)
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    with transaction.manager:
        dbsession = _session(settings)
        report = demo.load(dbsession)
        sessions = schedule_demo.load(dbsession, today=today)
        shop = shop_demo.load(dbsession)  # the villages' products, linked to the experiences above
        octo = octo_demo.load(dbsession, today=today, now=datetime.now(ZoneInfo("UTC")))  # a reseller and its key
        # Add-ons' demo data (audio tours…) builds on the catalog just loaded.
        addon_reports = [load(dbsession, settings) for load in demo_loaders()]
    print(report)
    print(f"Sessions: {sessions.created} created, {sessions.updated} updated, {sessions.deleted} deleted.")
    print(shop)
    print(octo)
    for addon_report in addon_reports:
        print(addon_report)


def cmd_worker(args):
    import signal
    import threading

    from tourism import configure
    from tourism.worker import Worker

    settings = _settings(args.config_uri)
    config = configure(settings)
    config.commit()
    worker = Worker(config.registry)
    if args.once:
        outcomes = worker.run_due()
        return 0 if all(outcomes.values()) else 1
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker.run_forever(stop)
    return 0


def _create_user(args, create) -> int:
    """Run `create(dbsession, password)` in a transaction; DomainErrors go to stderr in English."""
    from tourism.exceptions import DomainError

    settings = _settings(args.config_uri)
    password = os.environ.get("LANGVIET_PASSWORD") or getpass.getpass("Password: ")
    try:
        with transaction.manager:
            user = create(_session(settings), password)
            email = user.email
    except DomainError as error:
        from translationstring import Translator  # English messages for the terminal

        print(Translator()(error.message), file=sys.stderr)
        return 2
    print(f"{email} can sign in at /console/sign-in.")
    return 0


def cmd_create_admin(args):
    from tourism.accounts.services import create_admin

    return _create_user(args, lambda dbsession, password: create_admin(
        dbsession, email=args.email, password=password, display_name=args.name or ""))


def cmd_create_staff(args):
    from tourism.accounts.services import create_operator_user, find_operator
    from tourism.exceptions import DomainError

    def create(dbsession, password):
        operator = find_operator(dbsession, args.operator)
        if operator is None:
            raise DomainError(f"No operator {args.operator!r}.")
        return create_operator_user(dbsession, operator=operator, email=args.email, password=password,
                                    role=args.role, display_name=args.name or "")

    return _create_user(args, create)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="langviet", description="LàngViệt command line")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name, func, help):
        sub = commands.add_parser(name, help=help)
        sub.add_argument("config_uri", help="the ini file, e.g. development.ini")
        sub.set_defaults(func=func)
        return sub

    command("migrate", cmd_migrate, "bring the database schema up to date")
    command("demo", cmd_demo, "load the demo villages and experiences (safe to run again)")
    worker = command("worker", cmd_worker, "run background tasks until stopped (SIGTERM/Ctrl-C)")
    worker.add_argument("--once", action="store_true", help="run every task once, then exit")
    admin = command("create-admin", cmd_create_admin,
                    "create a platform admin (password from LANGVIET_PASSWORD or a prompt)")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name")
    staff = command("create-staff", cmd_create_staff,
                    "create an operator's owner or staff (password from LANGVIET_PASSWORD or a prompt)")
    staff.add_argument("--operator", required=True, help="the operator's slug, e.g. htx-che-tan-cuong")
    staff.add_argument("--email", required=True)
    staff.add_argument("--role", choices=("owner", "staff"), default="staff")
    staff.add_argument("--name")
    revision = command("revision", cmd_revision, "write a new migration from the models")
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument("--branch", default="tourism", help="tourism, or an add-on's branch, e.g. audio_guides")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
