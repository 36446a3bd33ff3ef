"""The audit trail records the request each change came from, beside who made it."""

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
