"""The registry's Django admin: the working tool of risk analysts.

Every write goes through the services (``registry.services``), as it does from any other door.
Most admin forms are ``ServiceForm``s: the model's own validation runs first, then the service is
called as the last step of validation, so anything it refuses (the 100% shareholding rule, an
event with nothing to divest …) shows at the field it names instead of failing the request.
Lists read with ``list_select_related``/prefetching, so a changelist makes the same number of
queries whatever the number of rows; every foreign key to a large table is an autocomplete.

One module per aggregate (entities, ownership, watchlist, vendors, events, risk, currency);
the base they build on (``ServiceForm``, ``AuditedAdmin`` …) is ``core.admin``, shared with the
alerts admin.
"""

from registry.admin import (  # noqa: F401
    currency,
    entities,
    events,
    ownership,
    risk,
    vendors,
    watchlist,
)
