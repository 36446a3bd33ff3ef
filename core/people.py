"""How a person (a user) is named wherever the pages, the admin and the messages show one."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, router, transaction
from django.db.models.deletion import Collector

from core.history import DeleteRefused


def person_label(user: AbstractBaseUser | None, *, empty: str = "") -> str:
    """``"Full Name (username)"``, or the username alone when the user has no name; ``empty``
    for nobody."""
    if user is None:
        return empty
    full = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    username = user.get_username()
    return f"{full} ({username})" if full else username


def user_history_references(user: AbstractBaseUser) -> dict[str, int]:
    """What names ``user`` as its author or actor and would be blanked by deleting the user:
    audit records (``history_user``), logged events (``logged_by``), handled alerts, import
    runs … by label, with counts. Empty: the user can be deleted without losing history."""
    collector = Collector(using=router.db_for_write(type(user), instance=user))
    collector.collect([user])
    references: dict[str, int] = {}
    for (field, _value), instances in collector.field_updates.items():
        count = sum(
            batch.count() if isinstance(batch, models.QuerySet) else len(batch)
            for batch in instances
        )
        if count:
            label = f"{field.model._meta.verbose_name_plural} ({field.name})"
            references[label] = references.get(label, 0) + count
    return references


@transaction.atomic
def user_delete(*, user: AbstractBaseUser) -> None:
    """Delete a user who never wrote anything. A user whom the audit trail or any record
    names is refused (the name would be lost): deactivate the account instead."""
    references = user_history_references(user)
    if references:
        listed = ", ".join(f"{label}: {count}" for label, count in sorted(references.items()))
        raise DeleteRefused(
            f"{person_label(user)} cannot be deleted: the history names them ({listed}). "
            "Deactivate the account instead (untick “active”)."
        )
    user.delete()
