"""Every read that builds a page, an API list or the health check, each in a constant number
of queries whatever the size of the registry.

One module per aggregate, as in ``registry.models`` and ``registry.services``, plus the vendor
page's ownership graph and the dashboard; the pages, the API and the admin import them from
here. Reads of alerts are ``alerts.selectors``; the audit trail's diff is ``core.history``.
"""

from registry.selectors.contracts import contract_list, contract_page, contract_page_list
from registry.selectors.dashboard import (
    DASHBOARD_HORIZON_DAYS,
    contract_renewals,
    exposure_by_influencing_party,
    factor_code_filter,
    influencing_party_filter,
    vendors_by_risk_level,
)
from registry.selectors.entities import (
    entities_by_id,
    entities_labelled,
    entity_by_id,
    entity_events,
    entity_holdings,
    entity_list,
    entity_owners,
    entity_page,
    entity_page_list,
    entity_possible_duplicates,
    entity_search,
    identifier_match,
)
from registry.selectors.events import (
    event_affected_vendors,
    event_page,
    event_page_list,
    ownership_event_list,
    ownership_event_progress,
    recent_events,
)
from registry.selectors.graph import GraphNode, OwnershipGraphView, vendor_ownership_graph
from registry.selectors.ownership import ownership_list, ownership_page, ownership_page_list
from registry.selectors.pipeline import oldest_pending_work
from registry.selectors.vendors import (
    DEFAULT_SORT,
    assessment_changes,
    assessment_factors,
    vendor_assessments,
    vendor_audit_history,
    vendor_contracts,
    vendor_events,
    vendor_latest_assessment,
    vendor_list,
    vendor_page,
    vendor_page_list,
    vendors_sorted,
)
from registry.selectors.watchlist import watchlist_entry_list

__all__ = [
    "DASHBOARD_HORIZON_DAYS",
    "DEFAULT_SORT",
    "GraphNode",
    "OwnershipGraphView",
    "assessment_changes",
    "assessment_factors",
    "contract_list",
    "contract_page",
    "contract_page_list",
    "contract_renewals",
    "entities_by_id",
    "entities_labelled",
    "entity_by_id",
    "entity_events",
    "entity_holdings",
    "entity_list",
    "entity_owners",
    "entity_page",
    "entity_page_list",
    "entity_possible_duplicates",
    "entity_search",
    "event_affected_vendors",
    "event_page",
    "event_page_list",
    "exposure_by_influencing_party",
    "factor_code_filter",
    "identifier_match",
    "influencing_party_filter",
    "oldest_pending_work",
    "ownership_event_list",
    "ownership_list",
    "ownership_page",
    "ownership_page_list",
    "ownership_event_progress",
    "recent_events",
    "vendor_assessments",
    "vendor_audit_history",
    "vendor_contracts",
    "vendor_events",
    "vendor_latest_assessment",
    "vendor_list",
    "vendor_ownership_graph",
    "vendor_page",
    "vendor_page_list",
    "vendors_by_risk_level",
    "vendors_sorted",
    "watchlist_entry_list",
]
