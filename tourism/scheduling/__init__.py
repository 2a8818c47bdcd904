"""Scheduling: schedule rules, closures, shared resources and the sessions they produce."""


def includeme(config):
    from tourism.scheduling import models  # noqa: F401
    from tourism.scheduling.services import materialise_task

    # Keeps the rolling horizon of sessions filled as days pass; idempotent.
    config.add_worker_task("scheduling.materialise", materialise_task, interval=3600)
    config.include(".console_views")  # the operator's schedules, extra sessions, closures and seats, previewed
