"""Small builders for engine graphs in tests: edges by owner, owned and share."""

from registry.risk.engine import Assessment, Edge, Factor, OwnershipGraph


def holding(
    owner: int,
    owned: int,
    share: float | None = None,
    *,
    low: float | None = None,
    high: float | None = None,
    interest: str = "shareholding",
) -> Edge:
    """A shareholding edge with an exact ``share``, or else the range ``low``–``high`` (either
    side may be unpublished)."""
    lower, upper = (share, share) if share is not None else (low, high)
    offset = {"shareholding": 0, "voting_rights": 500_000}[interest]
    return Edge(owner * 1000 + owned + offset, owner, owned, interest, lower, upper)


def votes(owner: int, owned: int, share: float | None = None, **bounds) -> Edge:
    """A ``voting_rights`` edge, shares as in :func:`holding`."""
    return holding(owner, owned, share, interest="voting_rights", **bounds)


def control(owner: int, owned: int) -> Edge:
    """A ``control`` edge: control without a known share."""
    return Edge(700_000 + owner * 1000 + owned, owner, owned, "control", None, None)


def seat(person: int, entity: int, interest: str = "board_member") -> Edge:
    return Edge(900_000 + person * 1000 + entity, person, entity, interest, None, None)


def graph(*edges: Edge, watchlist=None, names=None, undisclosed=()) -> OwnershipGraph:
    """The graph of ``edges``; ``undisclosed`` lists the entities whose owners are undisclosed."""
    return OwnershipGraph(edges, watchlist or {}, names, undisclosed=undisclosed)


def codes(assessment: Assessment) -> list[str]:
    return [factor.code for factor in assessment.factors]


def only(assessment: Assessment, code: str) -> Factor:
    (factor,) = [factor for factor in assessment.factors if factor.code == code]
    return factor
