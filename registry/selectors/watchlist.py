"""Reads of the watchlist."""

from django.db.models import QuerySet

from registry.models import WatchlistEntry


def watchlist_entry_list() -> QuerySet[WatchlistEntry]:
    """Watchlist entries, most relevant category first."""
    return WatchlistEntry.objects.all()
