"""The Celery application; settings come from Django's under the ``CELERY_`` namespace."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("vendor_registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

#: Tasks that talk to the outside world (webhook receivers, the mail server): they wait on
#: others' servers, so they have a queue of their own and never hold up a recheck.
NOTIFICATION_TASKS = frozenset(
    {"alerts.tasks.deliver_webhook", "alerts.tasks.send_email_notification"}
)


def notifications_queue(default_queue: str) -> str:
    """The queue of webhook deliveries and e-mails beside ``default_queue`` (``CELERY_QUEUE``)."""
    return f"{default_queue}-notifications"


def route_task(name: str, args, kwargs, options, task=None, **kw) -> dict | None:
    """``task_routes``: notifications to their own queue, everything else to the default one.
    Read from the configuration at each send, so a changed default queue is followed."""
    if name in NOTIFICATION_TASKS:
        return {"queue": notifications_queue(app.conf.task_default_queue)}
    return None


@signals.worker_init.connect
@signals.worker_process_init.connect
def keep_database_connections(**kwargs) -> None:
    """A worker's tasks share its database connection for ``PIPELINE_WORKER_CONN_MAX_AGE``
    seconds, checked before its first query in each task (``CONN_HEALTH_CHECKS``), instead
    of each connecting anew (a connection costs several milliseconds, as much as a typical
    event's own bookkeeping). The web process keeps its own settings."""
    from django.conf import settings
    from django.db import connections

    age = settings.PIPELINE_WORKER_CONN_MAX_AGE
    if not age:
        return
    for alias in connections:
        connections.settings[alias].update(CONN_MAX_AGE=age, CONN_HEALTH_CHECKS=True)


@signals.task_prerun.connect
@signals.task_postrun.connect
def drop_unusable_connections(sender=None, **kwargs) -> None:
    """Around each task, as Django does around each request: close a connection that broke
    (the database restarted), left autocommit or outlived its age, so the next query opens a
    fresh one; keep the others."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()


# When a worker was last seen, for /health/ (core.heartbeats).
from core.heartbeats import connect_worker_signals  # noqa: E402

connect_worker_signals()
