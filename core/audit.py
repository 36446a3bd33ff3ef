"""The audit trail records the request each change came from, beside who made it."""

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
