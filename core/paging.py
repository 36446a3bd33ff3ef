"""A paginator that finds a page's keys before it reads the page's rows.

``OFFSET n`` makes the database produce and throw away ``n`` rows first. When those rows come
with their joins (a vendor with its entity, say), a deep page costs a join per row skipped.
:class:`KeysFirstPaginator` skips over the primary keys alone, which an index on the ordering
can serve without touching the table, and then reads the page's rows by key, joins and all:
the last page of 100,000 vendors costs about what the first does. Pages near the start, where
the rows skipped cost less than a second query, are read in one query as usual.
"""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


class KeysFirstPaginator(Paginator):
    """A :class:`~django.core.paginator.Paginator` whose pages of a queryset are read in two
    queries, keys first, once ``keys_first_from`` rows or more come before the page (see the
    module). Anything else is paginated as usual."""

    keys_first_from = 1000

    def page(self, number) -> Page:
        number = self.validate_number(number)
        items = self.object_list
        bottom = (number - 1) * self.per_page
        if bottom < self.keys_first_from or not isinstance(items, QuerySet) or not items.ordered:
            return super().page(number)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(items.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in items.filter(pk__in=keys)}
        return self._get_page([rows[key] for key in keys if key in rows], number, self)
