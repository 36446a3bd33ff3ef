"""Every write to the registry goes through these functions, whichever door it came in by."""

from registry.services.bulk import (
    RowsInvalid,
    contract_rows_apply,
    contract_rows_check,
    vendor_rows_apply,
    vendor_rows_check,
)
from registry.services.currency import (
    currency_rate_create,
    currency_rate_delete,
    currency_rate_update,
)
from registry.services.entities import entity_create, entity_delete, entity_update
from registry.services.events import ownership_event_log, ownership_event_resend
from registry.services.ownership import (
    OWNERSHIP_KEY,
    ownership_delete,
    ownership_end,
    ownership_set,
    ownership_update,
)
from registry.services.policy import risk_policy_update
from registry.services.vendors import (
    contract_create,
    contract_delete,
    contract_update,
    vendor_create,
    vendor_delete,
    vendor_update,
)
from registry.services.watchlist import (
    watchlist_entry_create,
    watchlist_entry_delete,
    watchlist_entry_update,
)

__all__ = [
    "OWNERSHIP_KEY",
    "RowsInvalid",
    "contract_rows_apply",
    "contract_rows_check",
    "contract_create",
    "contract_delete",
    "contract_update",
    "currency_rate_create",
    "currency_rate_delete",
    "currency_rate_update",
    "entity_create",
    "entity_delete",
    "entity_update",
    "ownership_delete",
    "ownership_end",
    "ownership_event_log",
    "ownership_event_resend",
    "ownership_set",
    "ownership_update",
    "risk_policy_update",
    "vendor_rows_apply",
    "vendor_rows_check",
    "vendor_create",
    "vendor_delete",
    "vendor_update",
    "watchlist_entry_create",
    "watchlist_entry_delete",
    "watchlist_entry_update",
]
