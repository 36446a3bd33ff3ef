"""Celery beat's scheduler: django-celery-beat's, noting on each tick that beat is alive."""

from django_celery_beat.schedulers import DatabaseScheduler

from core.heartbeats import BEAT, heartbeat_record


class HeartbeatScheduler(DatabaseScheduler):
    """The schedule kept in the database, as before; each tick (at least every 5 s) also
    records beat's heartbeat (core.heartbeats)."""

    def tick(self, *args, **kwargs):
        heartbeat_record(BEAT)
        return super().tick(*args, **kwargs)
