"""The three roles of DESIGN.md as Django groups, and the permissions each one holds.

Kept as plain data so the data migration and the tests read the same definition.
"""

VIEWER = "Viewer"
PROCUREMENT = "Procurement"
RISK_ANALYST = "Risk analyst"

REGISTRY_MODELS = (
    "entity",
    "entityidentifier",
    "ownership",
    "watchlistentry",
    "vendor",
    "contract",
    "ownershipevent",
    "riskpolicy",
    "riskassessment",
    "riskfactor",
)
ALERT_MODELS = ("alert",)

_VIEW = {f"registry.view_{model}" for model in REGISTRY_MODELS} | {
    f"alerts.view_{model}" for model in ALERT_MODELS
}
_PROCUREMENT_WRITES = {
    f"registry.{action}_{model}"
    for model in ("entity", "entityidentifier", "ownership", "vendor", "contract")
    for action in ("add", "change", "delete")
} | {
    "registry.add_ownershipevent",
    "registry.preview_ownershipevent",
    "registry.recheck_vendor",
    "alerts.acknowledge_alert",
    "alerts.resolve_alert",
}
_ANALYST_WRITES = {
    "registry.add_watchlistentry",
    "registry.change_watchlistentry",
    "registry.delete_watchlistentry",
    "registry.add_riskpolicy",
    "registry.change_riskpolicy",
    "alerts.change_alert",
    "alerts.dismiss_alert",
    "alerts.assign_alert",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    VIEWER: frozenset(_VIEW),
    PROCUREMENT: frozenset(_VIEW | _PROCUREMENT_WRITES),
    RISK_ANALYST: frozenset(_VIEW | _PROCUREMENT_WRITES | _ANALYST_WRITES),
}
