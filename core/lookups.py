"""``field__any_of=values``: membership in a long list of values, sent as one array.

``field__in`` turns each value into a parameter of its own: for the thousands of keys a bulk
import or a recheck looks up at once, preparing, splitting and planning those parameters
costs more than the lookup. On PostgreSQL ``any_of`` sends the list as a single array
parameter (``field = ANY(%s)``), which PostgreSQL reads by the same index; elsewhere it is an
ordinary ``IN``. The values are taken as given, not converted by the field: they must
already be plain values of the column's type (integer ids, LEIs, lowered names), never model
instances, querysets, strings for numbers or aware datetimes.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        # As ``__in``: ``None`` is never a match (and would make ``exclude()`` match nothing).
        return [value for value in self.rhs if value is not None]

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", (*params, self.rhs)
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", (*params, *self.rhs)


Field.register_lookup(AnyOf)
# A foreign key (``vendor_id__any_of``) has lookups of its own.
ForeignObject.register_lookup(AnyOf)
