"""The risk engine: an ownership graph in, a vendor's explained risk factors out.

This module is pure on purpose (plain data, no Django, no database) so that it can be tested on the
worked examples of docs/risk-rules.md (rules 1–5) and reused by the recheck task, the event
preview and the benchmark alike. The loader builds an :class:`OwnershipGraph` from the edges valid
on one date; :func:`assess_vendor` turns it into an :class:`Assessment`.

Every computation starts from the vendor's entity and walks *up* to its owners, so its cost grows
with the vendor's ancestor set (usually fewer than 50 entities), never with the registry.

No input makes :func:`assess_vendor` raise or report a share outside 0–100%: impossible shares
are bounded and a closed loop is set aside, each reported as a ``data_problem`` factor, and
upper bounds are capped.
"""

from __future__ import annotations

import copy
import heapq
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from registry.risk.vocabulary import (
    KEY_PERSON_INTERESTS,
    POLICY_DEFAULTS,
    DataAccess,
    FactorCode,
    Interest,
    Severity,
    WatchlistCategory,
)

SEVERITIES = tuple(Severity)
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}

#: Factors whose "high" is raised to critical for a vendor with restricted data access (rule 5).
ESCALATING_CODES = frozenset(
    {
        FactorCode.COMPETITOR_OWNERSHIP,
        FactorCode.COMPETITOR_CONTROL,
        FactorCode.KEY_PERSON_INTERLOCK,
        FactorCode.SANCTIONED_OWNERSHIP,
    }
)

#: Rule 2 (OFAC) blocks at 50% or more; rule 3 control needs more than 50%.
CONTROL_SHARE = 50.0

#: Percentages are summed as floats (33.3 + 16.7 is not exactly 50.0), so a threshold counts as
#: reached when the sum is within this much of it.
SHARE_TOLERANCE = 1e-9

#: A cross-holding group whose matrix has spectral radius this close to 1 owns itself entirely.
CLOSED_LOOP_RADIUS = 1.0 - 1e-9

#: Products of shares that agree to this many decimals are ties when choosing the strongest chain,
#: so 30% × 20% and a direct 6% compare equal despite float rounding.
PATH_PRODUCT_DECIMALS = 12

#: Score band floors (rule 5): low < 25 ≤ medium < 50 ≤ high < 75 ≤ critical.
SCORE_BAND_FLOOR = {Severity.LOW: 0, Severity.MEDIUM: 25, Severity.HIGH: 50, Severity.CRITICAL: 75}
SCORE_BAND_WIDTH = 24
SEVERITY_POINTS = {Severity.LOW: 2, Severity.MEDIUM: 4, Severity.HIGH: 6, Severity.CRITICAL: 8}

_BOUND_COLUMNS = {"max": 0, "min": 1}


@dataclass(frozen=True)
class Edge:
    """One ownership row valid on the assessed date.

    ``share_min``/``share_max`` are percentages (0–100); an exact share has ``min == max``, and
    a missing bound reads as 0 (minimum) or 100 (maximum). ``shareholding`` edges with a share
    carry weight in rules 1–3; ``voting_rights`` and ``control`` edges (no share) also count for
    rule 3's control; board and officer seats feed rule 4.
    """

    id: int
    owner: int
    owned: int
    interest: str
    share_min: float | None
    share_max: float | None


@dataclass(frozen=True)
class Policy:
    """The admin-edited thresholds the engine grades with (mirrors ``RiskPolicy``)."""

    version: int = 1
    critical_share: float = POLICY_DEFAULTS.critical_share
    high_share: float = POLICY_DEFAULTS.high_share
    medium_share: float = POLICY_DEFAULTS.medium_share
    escalate_restricted: bool = POLICY_DEFAULTS.escalate_restricted
    interlock_severity: str = POLICY_DEFAULTS.interlock_severity
    undisclosed_severity: str = POLICY_DEFAULTS.undisclosed_severity


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Factor:
    """One explained reason for a vendor's level: whose influence, how much, along which chain."""

    code: str
    severity: str
    summary: str
    party: int | None
    effective_share: float | None
    effective_share_min: float | None
    path: tuple[int, ...]


@dataclass(frozen=True)
class Assessment:
    """A vendor's level, score and factors under one policy version."""

    level: str
    score: int
    factors: tuple[Factor, ...]
    policy_version: int


class ClosedLoop(ValueError):
    """A cross-holding group that owns itself entirely, so its look-through shares are undefined.

    Raised by :func:`look_through`; :func:`assess_vendor` reports it as a ``data_problem`` factor.
    """

    def __init__(self, entities: Iterable[int]):
        self.entities = tuple(sorted(entities))
        super().__init__(f"closed ownership loop among entities {self.entities}")


class OwnershipGraph:
    """The edges valid on one date (the loader filtered them), the watchlist and display names.

    ``watchlist`` maps an entity id to its categories (``competitor``, ``sanctioned``,
    ``state_owned``, ``other``); ``kinds`` maps an entity id to its kind (``person``,
    ``company`` …); ``undisclosed`` holds the entities whose owners published data declares
    undisclosed (rule 5's ``undisclosed_ownership``).
    Several shareholdings between the same pair (e.g. two share classes) add up, and so do
    voting rights; a ``control`` edge (no share) records control as such. A range with
    only a minimum reads as minimum–100%, one with only a maximum as 0–maximum. Then each upper
    bound is tightened to what the other holders leave (rule 1): max(i→j) ≤ 100 − Σ min(k→j)
    over the other holders k of j, never below i's own minimum. Shares outside 0–100, a minimum
    above its maximum and lower bounds that add up to more than 100% are kept as
    :meth:`problems` of the owned entity, for the assessment to report. Voting rights are
    bounded and tightened the same way, among themselves.
    """

    def __init__(
        self,
        edges: Iterable[Edge],
        watchlist: Mapping[int, Iterable[str]],
        names: Mapping[int, str] | None = None,
        kinds: Mapping[int, str] | None = None,
        undisclosed: Iterable[int] = (),
    ):
        self.watchlist = {entity: frozenset(found) for entity, found in watchlist.items()}
        listed: dict[str, set[int]] = {}
        for entity, found in self.watchlist.items():
            for category in found:
                listed.setdefault(category, set()).add(entity)
        self._listed = {category: frozenset(found) for category, found in listed.items()}
        self.names = dict(names or {})
        self.kinds = dict(kinds or {})
        self.undisclosed = frozenset(undisclosed)
        self._seats: dict[int, set[int]] = {}
        self._key_persons: dict[int, set[int]] = {}
        self._problems: dict[int, list[str]] = {}
        self._controls: dict[int, set[int]] = {}
        self._controllers: dict[int, set[int]] = {}
        # Derived graphs (see ``without_shareholdings``) share the dicts below and only hide edges.
        self._hidden_pairs: frozenset[tuple[int, int]] = frozenset()
        self._hidden_into: frozenset[int] = frozenset()
        # Upward closures already walked, by (target, bound): one vendor's assessment asks for
        # its closure several times (look-through, each party's strongest chain, control).
        self._closures: dict[tuple[int, str], dict[int, dict[int, float]]] = {}
        # Look-through fractions already found, by bound and entity (``_held_above``): the
        # vendors of one group share their owners' chains, which are then summed once.
        self._held: dict[str, dict[int, dict[int, float]]] = {}
        # ``has_exact_shares`` by entity; hiding edges (a view) does not change it.
        self._exact: dict[int, bool] = {}
        # Competitors controlling each seat (rule 4), once found: key people sit on several
        # boards, and every vendor they sit on asks about the same seats.
        self._competitors: dict[int, tuple[tuple[int, tuple[int, ...], bool], ...]] = {}
        # What a view shares with the graph it was made from (see ``cross_held``).
        self._shared: dict[str, frozenset[int]] = {}
        given: dict[str, dict[int, dict[int, tuple[float, float]]]] = {
            Interest.SHAREHOLDING: {},
            Interest.VOTING_RIGHTS: {},
        }
        # Sorting by id makes float sums of duplicate pairs reproducible.
        for edge in sorted(edges, key=lambda edge: edge.id):
            self._add(edge, given)
        self._holders, self._holdings = self._tightened(
            given[Interest.SHAREHOLDING], "shareholdings"
        )
        self._voters, self._votes = self._tightened(given[Interest.VOTING_RIGHTS], "voting rights")

    def _add(self, edge: Edge, given: dict[str, dict[int, dict[int, tuple[float, float]]]]) -> None:
        if edge.interest in KEY_PERSON_INTERESTS and edge.owner != edge.owned:
            self._seats.setdefault(edge.owner, set()).add(edge.owned)
            self._key_persons.setdefault(edge.owned, set()).add(edge.owner)
        if edge.interest == Interest.CONTROL and edge.owner != edge.owned:
            self._controls.setdefault(edge.owner, set()).add(edge.owned)
            self._controllers.setdefault(edge.owned, set()).add(edge.owner)
        pairs = given.get(edge.interest)
        if pairs is None:
            return
        bounds = self._bounds(edge)
        if bounds is None:
            return
        before_upper, before_lower = pairs.get(edge.owned, {}).get(edge.owner, (0.0, 0.0))
        upper, lower = bounds
        pairs.setdefault(edge.owned, {})[edge.owner] = (before_upper + upper, before_lower + lower)

    def _bounds(self, edge: Edge) -> tuple[float, float] | None:
        """(upper, lower) percent of a shareholding edge, or ``None`` when it holds nothing."""
        low, high = edge.share_min, edge.share_max
        if low is not None and low == high and 0 <= low <= 100:  # exact, the usual case
            return (float(low), float(low)) if low > 0 else None
        low, high = (
            float(bound) if bound is not None and math.isfinite(bound) else None
            for bound in (low, high)
        )
        if low is None and high is None:
            if edge.share_min is not None or edge.share_max is not None:
                self._edge_problem(edge, "is not a number, so it was left out")
            elif edge.interest == Interest.SHAREHOLDING:
                self._edge_problem(edge, "has no share, so it was left out")
            return None
        low = 0.0 if low is None else low
        high = 100.0 if high is None else high
        if not (0.0 <= low <= 100.0 and 0.0 <= high <= 100.0):
            self._edge_problem(edge, "lies outside 0–100%, so it was cut to that range")
            low, high = min(max(low, 0.0), 100.0), min(max(high, 0.0), 100.0)
        if low > high:
            self._edge_problem(edge, "has its minimum above its maximum, so they were swapped")
            low, high = high, low
        return (high, low) if high > 0 else None

    def _edge_problem(self, edge: Edge, text: str) -> None:
        self._problem(
            edge.owned,
            f"the {edge.interest.replace('_', ' ')} of {self.name(edge.owner)} in "
            f"{self.name(edge.owned)} {text}",
        )

    def _tightened(
        self, holders: dict[int, dict[int, tuple[float, float]]], what: str
    ) -> tuple[
        dict[int, dict[int, tuple[float, float]]], dict[int, dict[int, tuple[float, float]]]
    ]:
        """``holders`` with every upper bound tightened to what the others leave (in place),
        and the same pairs by owner."""
        holdings: dict[int, dict[int, tuple[float, float]]] = {}
        for owned, owners in holders.items():
            certain = 0.0
            for _, lower in owners.values():
                certain += lower
            if certain > 100.0 + SHARE_TOLERANCE:
                self._problem(
                    owned,
                    f"the {what} in {self.name(owned)} add up to {_percent(certain)} on their "
                    "lower bounds, more than 100%",
                )
            nothing = []
            for owner, (upper, lower) in owners.items():
                left = 100.0 - (certain - lower)  # what the other holders leave, at most 100
                if upper > left or lower > 100.0:
                    lower = min(lower, 100.0)
                    upper = min(max(left, lower), 100.0)
                    if upper <= SHARE_TOLERANCE:  # the others hold it all
                        nothing.append(owner)
                        continue
                    owners[owner] = (upper, lower)
                holdings.setdefault(owner, {})[owned] = owners[owner]
            for owner in nothing:
                del owners[owner]
        return {owned: owners for owned, owners in holders.items() if owners}, holdings

    def _problem(self, entity: int, text: str) -> None:
        self._problems.setdefault(entity, []).append(text)

    def problems(self, entity: int) -> tuple[str, ...]:
        """What is inconsistent in the shares held in ``entity`` (empty when nothing is)."""
        return tuple(self._problems.get(entity, ()))

    @property
    def has_problems(self) -> bool:
        """Whether any entity's shares are inconsistent (see :meth:`problems`)."""
        return bool(self._problems)

    def _counts(self, owner: int, owned: int) -> bool:
        return owned not in self._hidden_into and (owner, owned) not in self._hidden_pairs

    def shareholders(self, owned: int, bound: str = "max") -> dict[int, float]:
        """Direct shareholders of ``owned``: owner id -> percent (upper or lower bound)."""
        column = _bound_column(bound)
        holders = self._holders.get(owned, {})
        if not (self._hidden_pairs or self._hidden_into):  # the common case, kept fast
            return {owner: shares[column] for owner, shares in holders.items()}
        return {
            owner: shares[column] for owner, shares in holders.items() if self._counts(owner, owned)
        }

    def shareholdings(self, owner: int, bound: str = "max") -> dict[int, float]:
        """Direct shareholdings of ``owner``: owned id -> percent (upper or lower bound)."""
        column = _bound_column(bound)
        holdings = self._holdings.get(owner, {})
        if not (self._hidden_pairs or self._hidden_into):
            return {owned: shares[column] for owned, shares in holdings.items()}
        return {
            owned: shares[column]
            for owned, shares in holdings.items()
            if self._counts(owner, owned)
        }

    def has_exact_shares(self, owned: int) -> bool:
        """Whether every shareholding and voting right in ``owned`` is exact (no published
        range, or one the other holders leave no room in), so that its bounds agree."""
        exact = self._exact.get(owned)
        if exact is None:
            exact = self._exact[owned] = all(
                upper == lower
                for holders in (self._holders, self._voters)
                for upper, lower in holders.get(owned, {}).values()
            )
        return exact

    def cross_held(self) -> frozenset[int]:
        """Entities a chain of shareholdings comes back to (members of cross-holdings, and
        entities holding shares in themselves), found once per graph; a view of the graph
        (``without_shareholdings``) shares the answer, a superset of its own."""
        found = self._shared.get("cross_held")
        if found is None:
            successors: dict[int, list[int]] = {}
            for owner, holdings in self._holdings.items():
                successors[owner] = list(holdings)
                for owned in holdings:
                    successors.setdefault(owned, [])
            found = frozenset(
                member
                for group in _strong_components(successors)
                if len(group) > 1 or group[0] in self._holdings.get(group[0], ())
                for member in group
            )
            self._shared["cross_held"] = found
        return found

    @property
    def has_influence_edges(self) -> bool:
        """Whether any voting rights or ``control`` edges are in the graph (rule 3 control)."""
        return bool(self._voters or self._controls)

    def control_weights(self, owner: int, bound: str = "max") -> dict[int, float]:
        """Rule 3's weight of ``owner`` in each entity it holds: owned id -> the larger of its
        shareholding and its voting rights there, in percent."""
        weights = self.shareholdings(owner, bound)
        votes = self._votes.get(owner)
        if votes:
            column = _bound_column(bound)
            for owned, bounds in votes.items():
                if bounds[column] > weights.get(owned, 0.0):
                    weights[owned] = bounds[column]
        return weights

    def controlled(self, owner: int) -> frozenset[int]:
        """Entities on which ``owner`` holds a ``control`` edge."""
        return frozenset(self._controls.get(owner, ()))

    def influencers(self, owned: int, bound: str = "max") -> set[int]:
        """Everyone holding shares, votes or a ``control`` edge in ``owned``; with
        ``bound="min"``, only the shares and votes whose lower bound is above zero count."""
        if bound == "max":
            return (
                set(self.shareholders(owned))
                | set(self._voters.get(owned, ()))
                | self._controllers.get(owned, set())
            )
        column = _bound_column(bound)
        return (
            {owner for owner, percent in self.shareholders(owned, bound).items() if percent > 0}
            | {owner for owner, shares in self._voters.get(owned, {}).items() if shares[column] > 0}
            | self._controllers.get(owned, set())
        )

    def owners_undisclosed(self, entity: int) -> bool:
        """Whether published data declares the owners of ``entity`` undisclosed."""
        return entity in self.undisclosed

    def seats(self, person: int) -> frozenset[int]:
        """Entities on which ``person`` is a board member or senior managing official."""
        return frozenset(self._seats.get(person, ()))

    def key_persons(self, entity: int) -> frozenset[int]:
        """Board members and senior managing officials of ``entity``."""
        return frozenset(self._key_persons.get(entity, ()))

    def is_listed(self, entity: int, category: str) -> bool:
        """Whether ``entity`` is on the watchlist under ``category``."""
        return category in self.watchlist.get(entity, ())

    def listed_among(self, entities: Iterable[int], category: str) -> list[int]:
        """The ``entities`` on the watchlist under ``category``, in id order."""
        listed = self._listed.get(category)
        return sorted(listed.intersection(entities)) if listed else []

    def name(self, entity: int) -> str:
        """The display name, or ``entity #<id>`` when the loader gave none."""
        return self.names.get(entity) or f"entity #{entity}"

    def without_shareholdings(
        self, *, within: Iterable[int] = (), into: Iterable[int] = ()
    ) -> OwnershipGraph:
        """A view of this graph without the shareholdings among ``within`` and into ``into``.

        Cheap: the view shares the edge dictionaries and only filters them.
        """
        group = set(within)
        hidden = {
            (owner, owned)
            for owner in group
            for owned in self.shareholdings(owner)
            if owned in group
        }
        view = copy.copy(self)
        view._hidden_pairs = self._hidden_pairs | hidden
        view._hidden_into = self._hidden_into | frozenset(into)
        view._closures = {}  # the view hides edges, so its closures are its own
        view._held = {}  # … and so are its look-through fractions
        view._competitors = {}  # … and the competitors controlling a seat
        return view


def _bound_column(bound: str) -> int:
    try:
        return _BOUND_COLUMNS[bound]
    except KeyError:
        raise ValueError(f"bound must be 'max' or 'min', not {bound!r}") from None


def _reaches(share: float, threshold: float, *, strict: bool = False) -> bool:
    if strict:
        return share > threshold + SHARE_TOLERANCE
    return share >= threshold - SHARE_TOLERANCE


# --- Rule 1: look-through shares ------------------------------------------------------------------


def _upward_closure(graph: OwnershipGraph, target: int, bound: str) -> dict[int, dict[int, float]]:
    """``target`` and every entity above it, each with its holdings (fractions) inside that set.

    Remembered by the graph (which never changes once built): callers only read it."""
    cached = graph._closures.get((target, bound))
    if cached is not None:
        return cached
    holdings: dict[int, dict[int, float]] = {target: {}}
    graph._closures[target, bound] = holdings
    # Without hidden edges (the usual graph, not a view) the holders are read in place.
    plain = not (graph._hidden_pairs or graph._hidden_into)
    column = _bound_column(bound)
    holders_of = graph._holders
    frontier = [target]
    while frontier:
        owned = frontier.pop()
        if plain:
            holders = holders_of.get(owned)
            if not holders:
                continue
            pairs = ((owner, shares[column]) for owner, shares in holders.items())
        else:
            pairs = graph.shareholders(owned, bound).items()
        for owner, percent in pairs:
            if owner not in holdings:
                holdings[owner] = {}
                frontier.append(owner)
            holdings[owner][owned] = percent / 100.0
    return holdings


def ancestors(graph: OwnershipGraph, entity: int) -> set[int]:
    """``entity`` and every entity that holds a share in it, directly or indirectly."""
    return set(_upward_closure(graph, entity, "max"))


def _strong_components(successors: Mapping[int, Iterable[int]]) -> list[list[int]]:
    """Tarjan's strongly connected components, iterative; sinks come first.

    Sinks first means every component's holdings outside itself are solved before it is.
    """
    index: dict[int, int] = {}
    lowlink: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    components: list[list[int]] = []

    def visit(node: int) -> tuple[int, Iterator[int]]:
        index[node] = lowlink[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        return node, iter(successors[node])

    for root in successors:
        if root in index:
            continue
        work = [visit(root)]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    work.append(visit(child))
                    break
                if child in on_stack:
                    lowlink[node] = min(lowlink[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    lowlink[parent] = min(lowlink[parent], lowlink[node])
                if lowlink[node] == index[node]:
                    component = []
                    while not component or component[-1] != node:
                        component.append(stack.pop())
                        on_stack.discard(component[-1])
                    components.append(sorted(component))
    return components


def _solve_group(
    group: list[int],
    holdings: Mapping[int, Mapping[int, float]],
    target: int,
    graph: OwnershipGraph,
    bound: str,
    held: dict[int, float],
    returns: dict[int, float],
) -> None:
    """Fill ``held`` (fraction of ``target``) for one component: x = W (e_target + x), locally.

    For a cross-holding group, ``returns`` gets each member's [(I−W)⁻¹]ᵢᵢ, the weight of the
    chains that leave it and come back: every closed chain through a member stays inside its
    group, so the group's own matrix gives it. A group whose lower bounds have spectral radius
    ≥ 1 owns itself (:class:`ClosedLoop`); one that diverges only on its upper bounds holds, as
    an upper bound, everything it reaches (``held`` becomes infinite and the share is capped).
    """
    if len(group) == 1 and group[0] not in holdings[group[0]]:
        owner = group[0]
        held[owner] = sum(
            fraction * ((owned == target) + held[owned])
            for owned, fraction in holdings[owner].items()
        )
        return
    if len(group) == 2 and all(member not in holdings[member] for member in group):
        _solve_pair(group, holdings, target, graph, bound, held, returns)
        return
    position = {entity: k for k, entity in enumerate(group)}
    inside = np.zeros((len(group), len(group)))
    known = np.zeros(len(group))
    for owner in group:
        for owned, fraction in holdings[owner].items():
            known[position[owner]] += fraction * (owned == target)
            if owned in position:
                inside[position[owner], position[owned]] += fraction
            else:
                known[position[owner]] += fraction * held[owned]
    exact = bound == "min" or all(graph.has_exact_shares(member) for member in group)
    certain = inside if exact else _group_matrix(graph, group, position, "min")
    radius = _spectral_radius(certain)
    if radius >= CLOSED_LOOP_RADIUS:
        raise ClosedLoop(group)
    if not exact:
        radius = _spectral_radius(inside)
    if radius >= CLOSED_LOOP_RADIUS or not np.all(np.isfinite(known)):
        held.update(dict.fromkeys(group, math.inf))
        return
    inverse = np.linalg.inv(np.eye(len(group)) - inside)
    held.update(zip(group, (inverse @ known).tolist(), strict=True))
    returns.update(zip(group, np.diag(inverse).tolist(), strict=True))


def _solve_pair(
    group: list[int],
    holdings: Mapping[int, Mapping[int, float]],
    target: int,
    graph: OwnershipGraph,
    bound: str,
    held: dict[int, float],
    returns: dict[int, float],
) -> None:
    """:func:`_solve_group` for two entities holding each other (the usual cross-holding), in
    closed form: W = [[0, b], [c, 0]] has spectral radius √(bc) and (I−W)⁻¹ = [[1, b], [c, 1]]
    / (1 − bc)."""
    first, second = group
    b, c = holdings[first][second], holdings[second][first]
    known = []
    for owner, other in ((first, second), (second, first)):
        outside = 0.0
        for owned, fraction in holdings[owner].items():
            outside += fraction * (owned == target) + (
                0.0 if owned == other else fraction * held[owned]
            )
        known.append(outside)
    certain = b * c
    if bound == "max" and not (graph.has_exact_shares(first) and graph.has_exact_shares(second)):
        lower = {member: graph.shareholdings(member, "min") for member in group}
        certain = lower[first].get(second, 0.0) * lower[second].get(first, 0.0) / 10_000.0
    if certain >= CLOSED_LOOP_RADIUS**2:
        raise ClosedLoop(group)
    if b * c >= CLOSED_LOOP_RADIUS**2 or not all(math.isfinite(value) for value in known):
        held.update(dict.fromkeys(group, math.inf))
        return
    determinant = 1.0 - b * c
    held[first] = (known[0] + b * known[1]) / determinant
    held[second] = (c * known[0] + known[1]) / determinant
    returns[first] = returns[second] = 1.0 / determinant


def _group_matrix(
    graph: OwnershipGraph, group: list[int], position: Mapping[int, int], bound: str
) -> np.ndarray:
    matrix = np.zeros((len(group), len(group)))
    for owner in group:
        for owned, percent in graph.shareholdings(owner, bound).items():
            if owned in position:
                matrix[position[owner], position[owned]] += percent / 100.0
    return matrix


def _spectral_radius(matrix: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


def look_through(graph: OwnershipGraph, target: int, *, bound: str = "max") -> dict[int, float]:
    """Each party's integrated share of ``target`` in percent (rule 1).

    That is [(I−W)⁻¹W]ᵢⱼ / [(I−W)⁻¹]ᵢᵢ: the chains from party i to ``target`` j that do not pass
    through i again. For a party that no cycle returns to, the divisor is 1 and this is plain
    (I−W)⁻¹W; for a member of a cross-holding it removes the chains through itself, so no share
    exceeds 100%. ``bound`` picks the upper (``max``) or lower (``min``) end of range shares;
    an upper bound is capped at 100%.

    Only ``target``'s ancestors are visited. Acyclic parts are a memoised walk; each
    cross-holding group is a small dense solve. Parties with no share are left out, and so is
    ``target`` itself (a cross-holding gives it an indirect stake in itself).

    Raises :class:`ClosedLoop` when a group of ``target``'s ancestors owns itself entirely on
    the lower bounds of its shares.

    Speed, checked by hand: on a random 100 000-entity registry (trees plus scattered
    cross-holdings), a target with about 50 ancestors takes about 0.4 ms, and a whole
    ``assess_vendor`` about 2 ms.
    """
    return _integrated(target, graph, bound)


def _held_above(graph: OwnershipGraph, target: int, bound: str) -> dict[int, float]:
    """Each party's fraction of ``target``: over every chain from the party to ``target``
    that does not pass through the party again (rule 1), ``target`` itself left out.

    An entity that no cross-holding returns to holds, through each direct holder, the holder's
    share times (1 for the holder itself + each party's fraction of the holder): so its
    fractions are its holders' fractions, scaled and summed. Each entity's are found once per
    graph and reused by everything below it, so the vendors of one group, and the groups under
    one fund, share their owners' chains. A member of a cross-holding is solved on its own
    upward closure (:func:`_solved_above`); an entity below it sums it like any other holder.
    Raises :class:`ClosedLoop` like :func:`look_through`.
    """
    memo = graph._held.setdefault(bound, {})
    found = memo.get(target)
    if found is not None:
        return found
    cyclic = graph.cross_held()
    stack = [target]
    while stack:
        node = stack[-1]
        if node in memo:
            stack.pop()
            continue
        if node in cyclic:
            memo[node] = _solved_above(graph, node, bound)
            stack.pop()
            continue
        holders = graph.shareholders(node, bound)
        missing = [owner for owner in holders if owner not in memo]
        if missing:
            stack.extend(missing)
            continue
        stack.pop()
        fractions: dict[int, float] = {}
        for owner, percent in holders.items():
            share = percent / 100.0
            fractions[owner] = fractions.get(owner, 0.0) + share
            for party, fraction in memo[owner].items():
                fractions[party] = fractions.get(party, 0.0) + share * fraction
        memo[node] = fractions
    return memo[target]


def _solved_above(graph: OwnershipGraph, target: int, bound: str) -> dict[int, float]:
    """:func:`_held_above` for a member of a cross-holding: its upward closure's groups solved
    sinks first, then each cross-held party's chains that come back through it taken out."""
    holdings = _upward_closure(graph, target, bound)
    held: dict[int, float] = {}
    returns: dict[int, float] = {}
    for group in _strong_components(holdings):
        _solve_group(group, holdings, target, graph, bound, held, returns)
    for member, returning in returns.items():
        held[member] /= returning  # only the chains that do not come back through the member
    held.pop(target, None)
    return held


def _integrated(target: int, graph: OwnershipGraph, bound: str) -> dict[int, float]:
    """:func:`look_through` from the fractions :func:`_held_above` found."""
    held = _held_above(graph, target, bound)
    return {
        party: 100.0 * fraction if fraction <= 1.0 else 100.0
        for party, fraction in held.items()
        if party != target and fraction > 0
    }


def strongest_path(graph: OwnershipGraph, party: int, target: int) -> tuple[int, ...]:
    """The chain of entities from ``party`` down to ``target`` with the largest product of shares.

    Upper bounds are used. Ties go to the shorter chain, then to the lexicographically lower
    sequence of ids. An empty tuple means ``party`` holds no share of ``target``.
    """
    if party == target:
        return (target,)
    region = _upward_closure(graph, target, "max")
    if party not in region:
        return ()
    # Shares are at most 100%, so a chain's product only falls as it grows: Dijkstra applies,
    # ordered by (−product, length, ids), an order that extending two chains alike preserves.
    queue: list[tuple[float, int, tuple[int, ...], float]] = [(-1.0, 1, (party,), 1.0)]
    settled: set[int] = set()
    while queue:
        _, length, path, product = heapq.heappop(queue)
        node = path[-1]
        if node in settled:
            continue
        settled.add(node)
        if node == target:
            return path
        for owned, fraction in region[node].items():
            if owned not in settled:
                extended = product * fraction
                key = -round(extended, PATH_PRODUCT_DECIMALS)
                heapq.heappush(queue, (key, length + 1, (*path, owned), extended))
    return ()


# --- Rules 2 and 3: blocking (OFAC 50%) and control -----------------------------------------------


def blocked_entities(
    graph: OwnershipGraph,
    sources: set[int],
    *,
    threshold: float = CONTROL_SHARE,
    strict: bool = False,
    among: set[int] | None = None,
    bound: str = "max",
) -> dict[int, float]:
    """Entities held ``threshold``% or more by ``sources`` and entities already held that way.

    The least fixed point of rule 2: start from ``sources`` and add every entity they and the
    entities already added hold ``threshold``% or more of, until nothing changes. Shares are
    summed directly, never multiplied along a chain, and each entity is expanded once, so cycles
    terminate (and a cycle blocks nothing by itself). Returns entity -> the aggregate direct
    share its blocked holders have in it; ``sources`` themselves are included with 100.0.
    ``strict=True`` asks for more than ``threshold``. ``among`` restricts the search, e.g. to a
    vendor's ancestors, which are all that decide whether the vendor is blocked. ``bound``
    picks the upper or lower end of range shares.
    """
    blocked = {source: 100.0 for source in sources}
    held: dict[int, float] = {}
    pending = sorted(sources)
    while pending:
        holder = pending.pop()
        for owned, percent in graph.shareholdings(holder, bound).items():
            if owned in sources or (among is not None and owned not in among):
                continue
            held[owned] = held.get(owned, 0.0) + percent
            if owned not in blocked and _reaches(held[owned], threshold, strict=strict):
                blocked[owned] = 0.0
                pending.append(owned)
    return {entity: held.get(entity, share) for entity, share in blocked.items()}


@dataclass(frozen=True)
class _Step:
    """How an entity came under a party's control: through ``via`` (the party or an entity it
    already controls), by ``via``'s ``control`` edge or else by the weights held together."""

    via: int | None
    by_edge: bool


def _control_steps(
    graph: OwnershipGraph, sources: set[int], *, among: set[int] | None, bound: str
) -> tuple[dict[int, _Step], dict[int, float]]:
    """Rule 3's control fixed point, with how each entity was reached and the weights held."""
    steps = {source: _Step(None, False) for source in sources}
    held: dict[int, float] = {}
    pending = sorted(sources)
    while pending:
        holder = pending.pop()
        for owned in sorted(graph.controlled(holder)):
            if owned not in steps and (among is None or owned in among):
                steps[owned] = _Step(holder, True)
                pending.append(owned)
        for owned, percent in graph.control_weights(holder, bound).items():
            if owned in sources or (among is not None and owned not in among):
                continue
            held[owned] = held.get(owned, 0.0) + percent
            if owned not in steps and _reaches(held[owned], CONTROL_SHARE, strict=True):
                steps[owned] = _Step(holder, False)
                pending.append(owned)
    return steps, held


def controlled_entities(
    graph: OwnershipGraph, sources: set[int], *, among: set[int] | None = None, bound: str = "max"
) -> dict[int, float]:
    """Entities ``sources`` control (rule 3), each with the weight its controllers hold in it.

    The same least fixed point as :func:`blocked_entities`, with more than 50% instead of 50%
    or more, and with an owner's weight in an entity the larger of its shareholding and its
    voting rights there; a ``control`` edge held by a source or by an entity already controlled
    is control in itself. ``sources`` are included with 100.0.
    """
    steps, held = _control_steps(graph, sources, among=among, bound=bound)
    return {entity: 100.0 if entity in sources else held.get(entity, 0.0) for entity in steps}


def _influence_closure(graph: OwnershipGraph, target: int, bound: str = "max") -> set[int]:
    """``target`` and everyone above it through shares, votes or ``control`` edges (on the
    lower bounds of ranges with ``bound="min"``)."""
    if not graph.has_influence_edges and bound == "max":
        return ancestors(graph, target)
    found = {target}
    frontier = [target]
    while frontier:
        for owner in graph.influencers(frontier.pop(), bound):
            if owner not in found:
                found.add(owner)
                frontier.append(owner)
    return found


def _influence_path(graph: OwnershipGraph, party: int, target: int) -> tuple[int, ...]:
    """The shortest chain from ``party`` down to ``target`` through shares, votes or
    ``control`` edges (ties: the lower ids), for a party that holds no look-through share."""
    below: dict[int, int] = {target: target}
    frontier = [target]
    while frontier and party not in below:
        reached = []
        for owned in frontier:
            for owner in sorted(graph.influencers(owned)):
                if owner not in below:
                    below[owner] = owned
                    reached.append(owner)
        frontier = reached
    if party not in below:
        return ()
    path = [party]
    while path[-1] != target:
        path.append(below[path[-1]])
    return tuple(path)


@dataclass(frozen=True)
class _Control:
    """A party's control of an entity (rule 3), as an assessment explains it."""

    path: tuple[int, ...]  # the party, the entities it controls on the way, the entity
    via: int  # the party or controlled entity whose weight or edge decided it
    by_edge: bool
    certain: bool  # holds on the lower bounds of ranges too


def _control(
    graph: OwnershipGraph, party: int, entity: int, *, among: set[int], exact: bool
) -> _Control | None:
    """Whether ``party`` controls ``entity``; ``exact`` says no range lies in ``among``."""
    steps, _ = _control_steps(graph, {party}, among=among, bound="max")
    if entity not in steps or entity == party:
        return None
    chain = [entity]
    while chain[-1] != party:
        chain.append(steps[chain[-1]].via)
    certain = exact or entity in _control_steps(graph, {party}, among=among, bound="min")[0]
    step = steps[entity]
    return _Control(tuple(reversed(chain)), step.via, step.by_edge, certain)


# --- Assessment -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Exposure:
    """What every rule needs about one vendor's entity, computed once."""

    graph: OwnershipGraph  # closed loops removed: for look-through shares and their paths
    entity: int
    upper: dict[int, float]  # look-through %, upper bounds
    lower: dict[int, float]  # look-through %, lower bounds
    # The graph as given, loops included: the fixed points of rules 2 and 3 (blocking and
    # control) are well defined on any cycle, so a loop must not hide them.
    full: OwnershipGraph
    full_region: set[int]  # the entity and all its ancestors, loops included
    # ``full_region`` and whoever holds votes or a ``control`` edge above the entity (rule 3).
    influence_region: set[int]
    exact: bool  # no range anywhere in ``influence_region``: lower bounds equal upper ones

    def path(self, party: int) -> tuple[int, ...]:
        """The strongest chain from ``party``, through a loop only if there is no other."""
        return strongest_path(self.graph, party, self.entity) or strongest_path(
            self.full, party, self.entity
        )

    def control(self, party: int) -> _Control | None:
        """Whether ``party`` controls the entity (rule 3), and how."""
        return _control(
            self.full, party, self.entity, among=self.influence_region, exact=self.exact
        )


def _percent(value: float) -> str:
    return f"{value:.2f}%"


def _share_text(upper: float, lower: float) -> str:
    if abs(upper - lower) < 5e-5:
        return _percent(upper)
    return f"{lower:.2f}–{upper:.2f}% (upper bound used)"


def _chain(graph: OwnershipGraph, path: tuple[int, ...]) -> str:
    return " → ".join(graph.name(entity) for entity in path)


def _graded(share: float, policy: Policy, *, in_control: bool = False) -> str | None:
    """Rule 3's grading: control or ≥ critical → critical, ≥ high, ≥ medium, > 0 → low."""
    if in_control or _reaches(share, policy.critical_share):
        return Severity.CRITICAL
    if _reaches(share, policy.high_share):
        return Severity.HIGH
    if _reaches(share, policy.medium_share):
        return Severity.MEDIUM
    return Severity.LOW if share > 0 else None


def _at_most_high(severity: str | None) -> str | None:
    """Rule 2: a sanctioned holding that does not block is graded like rule 3, never above high."""
    if severity is None:
        return None
    return SEVERITIES[min(SEVERITY_RANK[severity], SEVERITY_RANK[Severity.HIGH])]


def _severity_note(severity: str, certain: str | None) -> str:
    """The summary's note when the severity rests on an upper bound (rule 1), else ''."""
    if severity == certain:
        return ""
    on_lower = f"{certain} on the lower bounds" if certain else "nothing on the lower bounds"
    return f" {str(severity).capitalize()} only on the upper bound of a range ({on_lower})."


def _closed_loop_factor(graph: OwnershipGraph, loop: ClosedLoop) -> Factor:
    names = ", ".join(graph.name(entity) for entity in loop.entities)
    return Factor(
        code=FactorCode.DATA_PROBLEM,
        severity=Severity.MEDIUM,
        summary=(
            f"Closed ownership loop among {names}: on the lower bounds of their shares they hold "
            "each other entirely with no outside holder, so look-through shares are undefined "
            "and these holdings were ignored."
        ),
        party=None,
        effective_share=None,
        effective_share_min=None,
        path=loop.entities,
    )


def _inconsistent_data_factor(graph: OwnershipGraph, entity: int) -> Factor:
    found = "; ".join(graph.problems(entity))
    return Factor(
        code=FactorCode.DATA_PROBLEM,
        severity=Severity.MEDIUM,
        summary=f"Inconsistent ownership data for {graph.name(entity)}: {found}.",
        party=None,
        effective_share=None,
        effective_share_min=None,
        path=(entity,),
    )


def _exposure(graph: OwnershipGraph, entity: int) -> tuple[_Exposure, list[Factor]]:
    """Look-through shares in ``entity``, after setting aside (and reporting) closed loops and
    reporting inconsistent shares above it."""
    full = graph
    problems: list[Factor] = []
    while True:
        holdings = _upward_closure(graph, entity, "max")
        try:
            upper = _integrated(entity, graph, "max")
            # Without a range share in the closure just walked (``ancestors``), the lower bounds
            # are the upper ones and need no second computation (the usual case).
            if all(graph.has_exact_shares(node) for node in holdings):
                lower = dict(upper)
            else:
                lower = look_through(graph, entity, bound="min")
            break
        except ClosedLoop as loop:
            problems.append(_closed_loop_factor(graph, loop))
            graph = graph.without_shareholdings(within=loop.entities)
    full_region = set(holdings) if full is graph else ancestors(full, entity)
    influence_region = _influence_closure(full, entity) if full.has_influence_edges else full_region
    exact = all(full.has_exact_shares(node) for node in influence_region)
    if full.has_problems:
        problems += [
            _inconsistent_data_factor(full, node)
            for node in sorted(influence_region)
            if full.problems(node)
        ]
    exposure = _Exposure(
        graph=graph,
        entity=entity,
        upper=upper,
        lower=lower,
        full=full,
        full_region=full_region,
        influence_region=influence_region,
        exact=exact,
    )
    return exposure, problems


def _self_listed_factors(
    exposure: _Exposure, codes: Iterable[str], category: str
) -> Iterator[Factor]:
    graph, entity = exposure.graph, exposure.entity
    for code in codes:
        yield Factor(
            code=code,
            severity=Severity.CRITICAL,
            summary=f"{graph.name(entity)} is itself on the watchlist ({category}).",
            party=entity,
            effective_share=100.0,
            effective_share_min=100.0,
            path=(entity,),
        )


def _control_summary(
    exposure: _Exposure, party: int, control: _Control, category: str, share_text: str
) -> str:
    graph, entity = exposure.graph, exposure.entity
    if not control.by_edge:
        how = "with the entities it controls it holds more than 50% of its shares or votes directly"
    elif control.via == party:
        how = "it holds a control edge on it"
    else:
        how = f"{graph.name(control.via)}, which it controls, holds a control edge on it"
    uncertain = "" if control.certain else " Control holds only on the upper bound of a range."
    return (
        f"{graph.name(party)} ({category}) controls {graph.name(entity)}: {how}; look-through "
        f"{share_text} via {_chain(graph, control.path)}.{uncertain}"
    )


def _influence_factors(
    exposure: _Exposure, category: str, policy: Policy, *, code: str, control_code: str | None
) -> Iterator[Factor]:
    """Rule 3 for every ``category`` party above the entity (competitors; state-owned too).

    A party with control gets both factors, its look-through share possibly 0.00% (control
    through ``control`` edges, votes or a closed loop); so does the entity itself when listed.
    """
    graph, entity = exposure.graph, exposure.entity
    if graph.is_listed(entity, category):
        codes = (control_code, code) if control_code else (code,)
        yield from _self_listed_factors(exposure, codes, category)
    for party in graph.listed_among(exposure.influence_region - {entity}, category):
        share = exposure.upper.get(party, 0.0)
        share_min = min(exposure.lower.get(party, 0.0), share)
        control = exposure.control(party)
        if share <= 0 and control is None:
            continue
        path = exposure.path(party) or control.path
        share_text = _share_text(share, share_min)
        common = {
            "party": party,
            "effective_share": round(share, 4),
            "effective_share_min": round(share_min, 4),
            "path": path,
        }
        severity = _graded(share, policy, in_control=control is not None)
        certain = _graded(share_min, policy, in_control=control is not None and control.certain)
        if share > 0:
            holds = (
                f"{graph.name(party)} holds {share_text} of {graph.name(entity)} "
                f"via {_chain(graph, path)} ({category})."
            )
        else:
            holds = (
                f"{graph.name(party)} ({category}) holds no look-through share of "
                f"{graph.name(entity)} ({_percent(0)}) but controls it via {_chain(graph, path)}."
            )
        yield Factor(
            code=code,
            severity=severity,
            summary=holds + _severity_note(severity, certain),
            **common,
        )
        if control is not None and control_code:
            yield Factor(
                code=control_code,
                severity=Severity.CRITICAL,
                summary=_control_summary(exposure, party, control, category, share_text),
                **common,
            )


def _listed_behind(
    graph: OwnershipGraph, entity: int, blocked: set[int], listed: set[int]
) -> list[int]:
    """The listed entities whose holdings, directly or through blocked ones, blocked ``entity``."""
    found: set[int] = set()
    seen = {entity}
    frontier = [entity]
    while frontier:
        for owner in graph.shareholders(frontier.pop()):
            if owner in blocked and owner not in seen:
                seen.add(owner)
                if owner in listed:
                    found.add(owner)
                else:
                    frontier.append(owner)
    return sorted(found)


def _sanctions_factor(exposure: _Exposure, policy: Policy) -> Factor | None:
    """Rule 2: critical when the entity is blocked, else graded by rule 3 and capped at high."""
    graph, full, entity = exposure.graph, exposure.full, exposure.entity
    if graph.is_listed(entity, WatchlistCategory.SANCTIONED):
        (factor,) = _self_listed_factors(
            exposure, (FactorCode.SANCTIONED_OWNERSHIP,), WatchlistCategory.SANCTIONED
        )
        return factor
    region = exposure.full_region
    listed = set(graph.listed_among(region, WatchlistCategory.SANCTIONED))
    if not listed:
        return None
    blocked = blocked_entities(full, listed, among=region)
    certain = (
        blocked if exposure.exact else blocked_entities(full, listed, among=region, bound="min")
    )
    if entity in blocked:
        return _blocked_factor(exposure, listed, blocked, certain)
    return _sanctioned_holders_factor(exposure, policy, listed, blocked, certain)


def _blocked_factor(
    exposure: _Exposure, listed: set[int], blocked: dict[int, float], certain: dict[int, float]
) -> Factor:
    """Rule 2 for a blocked entity: critical, with the aggregate share that blocked it."""
    graph, full, entity = exposure.graph, exposure.full, exposure.entity
    # A chain through two listed entities (X owns Y owns the vendor) must count once, so the
    # largest listed holder is found without holdings in listed entities.
    upper = look_through(graph.without_shareholdings(into=listed), entity)
    holders = {party: upper[party] for party in listed if upper.get(party, 0.0) > 0}
    party = min(holders or listed, key=lambda holder: (-holders.get(holder, 0.0), holder))
    path = exposure.path(party)
    share = min(100.0, blocked[entity])
    share_min = min(
        share,
        sum(
            percent
            for owner, percent in full.shareholders(entity, "min").items()
            if owner in certain
        ),
    )
    summary = (
        f"{graph.name(entity)} is blocked under the OFAC 50% rule: sanctioned or blocked "
        f"owners hold {_share_text(share, share_min)} of it directly; the largest sanctioned "
        f"holder is {graph.name(party)} via {_chain(graph, path)}."
    )
    if entity not in certain:
        summary += (
            " The block holds only on the upper bound of a range: on the lower bounds sanctioned "
            f"or blocked owners hold {_percent(share_min)} of it."
        )
    return Factor(
        code=FactorCode.SANCTIONED_OWNERSHIP,
        severity=Severity.CRITICAL,
        summary=summary,
        party=party,
        effective_share=round(share, 4),
        effective_share_min=round(share_min, 4),
        path=path,
    )


def _sanctioned_holders_factor(
    exposure: _Exposure,
    policy: Policy,
    listed: set[int],
    blocked: dict[int, float],
    certain: dict[int, float],
) -> Factor | None:
    """Rule 2 for an entity that is not blocked: the look-through share of the sanctioned and
    blocked parties, graded like rule 3 and never above high; its party is the largest holder."""
    graph, entity = exposure.graph, exposure.entity
    # Each chain counts once, at the first sanctioned or blocked entity it meets from below.
    upper = look_through(graph.without_shareholdings(into=blocked), entity)
    holders = {party: upper[party] for party in blocked if upper.get(party, 0.0) > 0}
    if not holders:
        return None
    lower = (
        upper
        if exposure.exact
        else look_through(graph.without_shareholdings(into=certain), entity, bound="min")
    )
    share = min(100.0, sum(holders.values()))
    share_min = min(share, sum(lower.get(party, 0.0) for party in certain))
    severity = _at_most_high(_graded(share, policy))
    party = min(holders, key=lambda holder: (-holders[holder], holder))
    path = exposure.path(party)
    share_text = _share_text(share, share_min)
    if set(holders) <= listed:
        summary = (
            f"Sanctioned parties hold {share_text} of {graph.name(entity)}; the largest is "
            f"{graph.name(party)} via {_chain(graph, path)} (sanctioned)."
        )
    else:
        behind = " and ".join(
            f"{graph.name(lister)} (sanctioned)"
            for lister in _listed_behind(exposure.full, party, set(blocked), listed)
        )
        why = (
            " (sanctioned)"
            if party in listed
            else f", blocked under the OFAC 50% rule by {behind},"
        )
        summary = (
            f"Sanctioned or blocked parties hold {share_text} of {graph.name(entity)}; the "
            f"largest is {graph.name(party)}{why} via {_chain(graph, path)}."
        )
    return Factor(
        code=FactorCode.SANCTIONED_OWNERSHIP,
        severity=severity,
        summary=summary + _severity_note(severity, _at_most_high(_graded(share_min, policy))),
        party=party,
        effective_share=round(share, 4),
        effective_share_min=round(share_min, 4),
        path=path,
    )


def _competitors_controlling(
    graph: OwnershipGraph, seat: int
) -> tuple[tuple[int, tuple[int, ...], bool], ...]:
    """Competitors that are ``seat`` or control it (rule 3), each with its chain down to
    ``seat`` and whether control holds on the lower bounds of ranges too; remembered by the
    graph."""
    found = graph._competitors.get(seat)
    if found is None:
        found = graph._competitors[seat] = tuple(_competitors_found(graph, seat))
    return found


def _competitors_found(
    graph: OwnershipGraph, seat: int
) -> Iterator[tuple[int, tuple[int, ...], bool]]:
    region = _influence_closure(graph, seat)
    exact = None
    for party in graph.listed_among(region, WatchlistCategory.COMPETITOR):
        if party == seat:
            yield party, (seat,), True
            continue
        if exact is None:
            exact = all(graph.has_exact_shares(node) for node in region)
        control = _control(graph, party, seat, among=region, exact=exact)
        if control is not None:
            yield party, strongest_path(graph, party, seat) or control.path, control.certain


def _interlock_factors(exposure: _Exposure, policy: Policy) -> Iterator[Factor]:
    """Rule 4: a key person of the entity who also sits on a competitor or on what it controls.

    One factor per competitor: control that holds on lower bounds first, then the shortest path,
    then the lower person id.
    """
    graph, entity = exposure.full, exposure.entity
    best: dict[int, tuple[bool, int, int, tuple[int, ...], int]] = {}
    for person in sorted(graph.key_persons(entity) - {entity}):
        for seat in sorted(graph.seats(person) - {entity}):
            for competitor, chain, certain in _competitors_controlling(graph, seat):
                if competitor == entity:
                    continue
                path = (*chain, person, entity)
                candidate = (not certain, len(path), person, path, seat)
                if competitor not in best or candidate < best[competitor]:
                    best[competitor] = candidate
    for competitor, (uncertain, _, person, path, seat) in sorted(best.items()):
        where = (
            f"{graph.name(competitor)} (competitor)"
            if seat == competitor
            else f"{graph.name(seat)}, which {graph.name(competitor)} (competitor) controls"
        )
        if uncertain:
            where += " only on the upper bound of a range"
        yield Factor(
            code=FactorCode.KEY_PERSON_INTERLOCK,
            severity=policy.interlock_severity,
            summary=(
                f"{graph.name(person)} is a key person of {graph.name(entity)} and of {where}, "
                f"via {_chain(graph, path)}."
            ),
            party=competitor,
            effective_share=None,
            effective_share_min=None,
            path=path,
        )


def _undisclosed_factors(exposure: _Exposure, policy: Policy) -> Iterator[Factor]:
    """Rule 5: one ``undisclosed_ownership`` factor per entity whose owners are declared
    undisclosed, among the vendor's entity and everyone above it through shares, votes or
    ``control`` edges (rule 3's region); graded by the policy whatever the share.

    Its ``effective_share`` is the entity's look-through share in the vendor's (100% for the
    vendor's own entity, possibly 0.00% when it lies above only through votes or ``control``
    edges), its path the strongest chain, else the shortest chain of influence."""
    graph, full, entity = exposure.graph, exposure.full, exposure.entity
    if not full.undisclosed:
        return
    flagged = sorted(party for party in exposure.influence_region if full.owners_undisclosed(party))
    if not flagged:
        return
    certain_region = (
        exposure.influence_region
        if exposure.exact
        else _influence_closure(full, entity, bound="min")
    )
    for party in flagged:
        if party == entity:
            share = share_min = 100.0
            path: tuple[int, ...] = (entity,)
            summary = (
                f"The owners of {graph.name(entity)} itself are declared undisclosed in "
                "published ownership data."
            )
        else:
            share = exposure.upper.get(party, 0.0)
            share_min = min(exposure.lower.get(party, 0.0), share)
            path = exposure.path(party) or _influence_path(full, party, entity)
            if share > 0:
                holds = f"it holds {_share_text(share, share_min)} of {graph.name(entity)}"
            else:
                holds = (
                    f"it holds no look-through share of {graph.name(entity)} "
                    f"({_percent(0)}) but votes or control edges lead down to it"
                )
            summary = (
                f"The owners of {graph.name(party)} are declared undisclosed in published "
                f"ownership data; {holds} via {_chain(graph, path)}."
            )
            if party not in certain_region:
                summary += (
                    f" {graph.name(party)} lies above {graph.name(entity)} only on the upper "
                    "bound of a range (on the lower bounds it holds nothing of it)."
                )
        yield Factor(
            code=FactorCode.UNDISCLOSED_OWNERSHIP,
            severity=policy.undisclosed_severity,
            summary=summary,
            party=party,
            effective_share=round(share, 4),
            effective_share_min=round(share_min, 4),
            path=path,
        )


def _factor_order(factor: Factor) -> tuple[int, str, int]:
    party = -1 if factor.party is None else factor.party
    return (-SEVERITY_RANK[factor.severity], factor.code, party)


def risk_level(factors: Iterable[Factor], *, data_access: str, policy: Policy) -> str:
    """Rule 5: the highest severity (``low`` without factors), escalated for restricted data.

    With ``policy.escalate_restricted``, a vendor with ``restricted`` data access whose highest
    competitor (ownership, control, interlock) or sanctions factor is ``high`` becomes critical.
    """
    factors = list(factors)
    level = max(
        (factor.severity for factor in factors), key=SEVERITY_RANK.get, default=Severity.LOW
    )
    escalating = [factor.severity for factor in factors if factor.code in ESCALATING_CODES]
    if (
        policy.escalate_restricted
        and data_access == DataAccess.RESTRICTED
        and max(escalating, key=SEVERITY_RANK.get, default=None) == Severity.HIGH
    ):
        return Severity.CRITICAL
    return level


def risk_score(level: str, factors: Iterable[Factor]) -> int:
    """Rule 5's score, 0–100, inside the level's band (low < 25 ≤ medium < 50 ≤ high < 75 ≤ …).

    score = band floor (low 0, medium 25, high 50, critical 75) + min(24, round(points)), where
    points = Σ over factors of a severity weight (low 2, medium 4, high 6, critical 8) plus
    effective_share / 20 when the factor has a share; rounding is half up. No factors scores 0;
    a low level with at least one factor scores at least 1.
    """
    factors = list(factors)
    if not factors:
        return 0
    points = sum(
        SEVERITY_POINTS[factor.severity] + (factor.effective_share or 0.0) / 20
        for factor in factors
    )
    bonus = min(SCORE_BAND_WIDTH, math.floor(points + 0.5))
    return SCORE_BAND_FLOOR[level] + max(bonus, 1 if level == Severity.LOW else 0)


def _labels(codes: Iterable[str]) -> list[str]:
    """Factor codes as lower-case names, each once, in a stable order."""
    names = {code: FactorCode(code).label for code in codes}
    return [names[code][:1].lower() + names[code][1:] for code in sorted(names)]


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def is_escalated(factors: Iterable, *, data_access: str, escalate_restricted: bool) -> bool:
    """Whether rule 5 raised the level to critical for restricted data: the factors' own
    highest severity is below critical, and the escalation applies."""
    factors = list(factors)
    highest = max(
        (factor.severity for factor in factors), key=SEVERITY_RANK.get, default=Severity.LOW
    )
    escalating = [factor.severity for factor in factors if factor.code in ESCALATING_CODES]
    return (
        highest != Severity.CRITICAL
        and escalate_restricted
        and data_access == DataAccess.RESTRICTED
        and max(escalating, key=SEVERITY_RANK.get, default=None) == Severity.HIGH
    )


def level_explanation(factors: Iterable, *, data_access: str, escalate_restricted: bool) -> str:
    """Why a level is what it is, in one sentence: "Raised to critical: restricted data access
    and a high competitor ownership factor." for an escalation, else the highest factors.
    ``factors`` are the engine's or the stored ones (``code`` and ``severity`` are read)."""
    factors = list(factors)
    if not factors:
        return "Low: no risk factor was found."
    if is_escalated(factors, data_access=data_access, escalate_restricted=escalate_restricted):
        high = _labels(
            f.code for f in factors if f.code in ESCALATING_CODES and f.severity == Severity.HIGH
        )
        what = f"a high {high[0]} factor" if len(high) == 1 else f"high {_and(high)} factors"
        return f"Raised to critical: restricted data access and {what}."
    highest = max((factor.severity for factor in factors), key=SEVERITY_RANK.get)
    top = _labels(f.code for f in factors if f.severity == highest)
    if len(top) == 1:
        return f"{Severity(highest).label}: its highest factor ({top[0]}) is {highest}."
    return f"{Severity(highest).label}: its highest factors ({_and(top)}) are {highest}."


@dataclass(frozen=True)
class ScoreLine:
    """One factor's part of a score: its severity weight and its share's points."""

    code: str
    label: str
    severity: str
    weight: int
    share_points: float
    points: float


@dataclass(frozen=True)
class ScoreBreakdown:
    """How ``risk_score`` reached ``score``: the level's band floor plus the factors' points,
    rounded half up and capped at the band's width."""

    level: str
    floor: int
    lines: tuple[ScoreLine, ...]
    points: float
    bonus: int
    capped: bool
    score: int


def score_breakdown(level: str, factors: Iterable) -> ScoreBreakdown:
    """``risk_score(level, factors)`` shown step by step (the same arithmetic)."""
    factors = list(factors)
    lines = []
    for factor in factors:
        share = float(factor.effective_share) if factor.effective_share is not None else 0.0
        weight = SEVERITY_POINTS[factor.severity]
        lines.append(
            ScoreLine(
                code=factor.code,
                label=FactorCode(factor.code).label,
                severity=factor.severity,
                weight=weight,
                share_points=share / 20,
                points=weight + share / 20,
            )
        )
    points = sum(line.points for line in lines)
    rounded = math.floor(points + 0.5) if lines else 0
    bonus = min(SCORE_BAND_WIDTH, rounded)
    if lines and level == Severity.LOW:
        bonus = max(bonus, 1)
    return ScoreBreakdown(
        level=level,
        floor=SCORE_BAND_FLOOR[level] if lines else 0,
        lines=tuple(lines),
        points=points,
        bonus=bonus,
        capped=rounded > SCORE_BAND_WIDTH,
        score=(SCORE_BAND_FLOOR[level] + bonus) if lines else 0,
    )


def assess_vendor(
    graph: OwnershipGraph, entity_id: int, *, data_access: str, policy: Policy = DEFAULT_POLICY
) -> Assessment:
    """Assess the vendor whose entity is ``entity_id`` (docs/risk-rules.md, rules 1–5),
    ``undisclosed_ownership`` included.

    Factors come sorted by severity (highest first), then code, then party id. A closed
    ownership loop above the entity becomes a ``data_problem`` factor and its holdings are
    ignored for look-through shares (not for blocking and control); so does each entity above
    it whose shares are inconsistent, with what is wrong.
    """
    exposure, factors = _exposure(graph, entity_id)
    factors += _influence_factors(
        exposure,
        WatchlistCategory.COMPETITOR,
        policy,
        code=FactorCode.COMPETITOR_OWNERSHIP,
        control_code=FactorCode.COMPETITOR_CONTROL,
    )
    factors += _influence_factors(
        exposure,
        WatchlistCategory.STATE_OWNED,
        policy,
        code=FactorCode.STATE_OWNERSHIP,
        control_code=None,
    )
    factors += _interlock_factors(exposure, policy)
    factors += _undisclosed_factors(exposure, policy)
    sanctions = _sanctions_factor(exposure, policy)
    if sanctions:
        factors.append(sanctions)
    factors.sort(key=_factor_order)
    level = risk_level(factors, data_access=data_access, policy=policy)
    return Assessment(
        level=level,
        score=risk_score(level, factors),
        factors=tuple(factors),
        policy_version=policy.version,
    )
