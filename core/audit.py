"""The audit trail records the request each change came from, beside who made it."""

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

#: The width of django-simple-history's ``history_change_reason`` column.
REASON_LENGTH = 100


def record_request(sender, *, history_instance, **kwargs) -> None:
    """``pre_create_historical_record`` receiver: note ``METHOD /path`` of the current request
    (nothing for changes made by tasks or commands) unless a reason was set explicitly."""
    request = getattr(HistoricalRecords.context, "request", None)
    if request is None or history_instance.history_change_reason:
        return
    history_instance.history_change_reason = f"{request.method} {request.path}"[:REASON_LENGTH]


def last_login_record(sender, *, user, **kwargs) -> None:
    """``user_logged_in`` receiver, in place of Django's ``update_last_login``: the time is
    written without a save, so a sign-in adds no record to the account's audit history."""
    user.last_login = timezone.now()
    type(user)._default_manager.filter(pk=user.pk).update(last_login=user.last_login)


class ActorNamed(models.Model):
    """The base of every audit record: beside ``history_user`` (a link, emptied if the user is
    ever deleted) it keeps the actor's username as text, so the trail never loses who acted.

    The name is taken when the record is built with its user (every path of
    django-simple-history does, bulk ones included), never by a query."""

    history_user_name = models.CharField(
        max_length=150, blank=True, default="", editable=False, help_text="Who acted, as text."
    )

    class Meta:
        abstract = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.history_user_name:
            user = self._state.fields_cache.get("history_user")
            if user is not None:
                self.history_user_name = user.get_username()


#: What every HistoricalRecords of the project is given (``bases=AUDITED``).
AUDITED = [ActorNamed]


def actor_name(record: models.Model) -> str | None:
    """Who made an audit record: the user's username, or the one kept as text once the user
    is gone; ``None`` for the system."""
    if record.history_user_id is not None and record.history_user is not None:
        return record.history_user.get_username()
    return record.history_user_name or None
