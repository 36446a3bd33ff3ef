"""The Celery application; settings come from Django's under the ``CELERY_`` namespace."""

import os

from celery import Celery

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


# When a worker was last seen, for /health/ (core.heartbeats).
from core.heartbeats import connect_worker_signals  # noqa: E402

connect_worker_signals()
