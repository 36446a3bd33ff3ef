"""A synthetic registry of realistic shape, generated from a seed and bulk-inserted.

Shape (the vocabulary of docs/risk-rules.md, sizes from :class:`Spec`):

- entities: companies, funds, governments and about 10% people;
- companies form holding groups whose sizes follow a power law (most groups are a handful of
  companies, a few have thousands), trees 2–10 levels deep whose subsidiaries are wholly or
  majority owned; some group roots are held by a fund (private equity) or a government
  (state-owned groups), some funds by an asset manager;
- hubs: a few index funds and asset managers holding 1–5% of a large share of all group roots
  (``Spec.hubs``, ``Spec.hub_reach``), as the largest index funds do with listed companies —
  an event on one of them reaches a third of the registry's vendors or more;
- minority stakes fill the rest of the edge budget: funds, people, governments and the top
  companies of other groups invest in companies and funds, which gives multi-parent chains;
- cross-holdings: subsidiaries holding a little of their parent, and pairs of groups holding
  each other;
- people sit on boards (``board_member``) and run companies (``senior_managing_official``),
  mostly within one group and sometimes elsewhere (interlocks); about 1% are professional
  directors with six to ten seats across groups;
- a few published ranges instead of exact shares, and a few ended edges (history);
- vendors drawn from the companies, contracts with them (some with a change-of-control
  clause), the roots of the largest groups as competitors, and sanctioned companies and people.

Every entity's shareholdings total at most 100% on every date, by construction: shares are
integers in hundredths of a percent drawn from each entity's remaining room (upper bounds for
ranges), and an ended edge is an earlier, smaller version of a current one.

The plan is plain data, so the same seed and sizes always give the same registry;
:func:`registry_insert` writes it.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from typing import NamedTuple

#: Bump when the generator changes, so that a registry built by an older one is rebuilt.
GENERATOR_VERSION = 2

#: Shares are integers in hundredths of a percent, so sums are exact.
WHOLE = 10_000
MIN_STAKE = 50  # 0.5%
MAX_MINORITY = 2_500  # 25%

SHAREHOLDING = "shareholding"
BOARD_MEMBER = "board_member"
OFFICER = "senior_managing_official"

COMPANY, FUND, GOVERNMENT, PERSON = "company", "fund", "government", "person"

PERSON_SHARE = 0.10
FUND_SHARE = 0.07
GOVERNMENT_SHARE = 0.01
#: Fractions of the edge budget for cross-holdings and for ended (historical) edges.
CROSS_HOLDING_SHARE = 0.005
HISTORY_SHARE = 0.02
RANGE_SHARE = 0.03
BATCH = 5_000
USERS = 20
#: Group sizes: a Pareto tail (shape ``GROUP_SIZE_ALPHA``) from three companies upward, the
#: largest capped at ``GROUP_SIZE_CAP`` of all companies; depths up to ``MAX_GROUP_DEPTH``.
GROUP_SIZE_ALPHA = 1.6
GROUP_SIZE_CAP = 0.02
MAX_GROUP_DEPTH = 10
#: A hub's stake in each group root it holds, in hundredths of a percent (1–5%).
HUB_STAKE = (100, 500)
#: People with six to ten board seats across groups.
DIRECTOR_SHARE = 0.01

FIRST_DAY = datetime.date(2008, 1, 1)
LAST_DAY = datetime.date(2024, 12, 31)
HISTORY_FLOOR = datetime.date(1995, 1, 1)
DAY_SPAN = (LAST_DAY - FIRST_DAY).days

_PREFIXES = ("Northwind", "Atlas", "Cobalt", "Meridian", "Pioneer", "Granite", "Evergreen", "Orion")
_SECTORS = ("Data", "Cloud", "Logistics", "Payroll", "Analytics", "Systems", "Labs", "Energy")
_SUFFIXES = ("Inc.", "Ltd", "GmbH", "S.A.", "B.V.", "plc", "LLC", "AG", "Pty Ltd", "K.K.")
_FUND_STYLES = ("Growth", "Opportunities", "Infrastructure", "Credit", "Ventures", "Buyout")
_FIRST_NAMES = ("Alex", "Maria", "Wei", "Fatima", "John", "Aiko", "Carlos", "Priya", "Olga")
_LAST_NAMES = ("Smith", "Garcia", "Chen", "Khan", "Müller", "Tanaka", "Silva", "Patel", "Mensah")
_COUNTRIES = ("US", "GB", "DE", "FR", "NL", "JP", "CN", "IN", "BR", "CA", "AU", "CH", "SG", "KR")
_VENDOR_CATEGORIES = ("data_labelling", "cloud", "software", "payroll", "consulting", "logistics")
_DATA_ACCESS = ("none", "internal", "confidential", "restricted")


@dataclass(frozen=True)
class Spec:
    """The registry's sizes and the seed it is drawn from."""

    entities: int = 100_000
    edges: int = 200_000
    vendors: int = 10_000
    contracts: int = 20_000
    competitors: int = 20
    sanctioned: int = 50
    #: Index funds and asset managers above a large share of all group roots …
    hubs: int = 2
    #: … each holding 1–5% of this fraction of them.
    hub_reach: float = 0.4
    seed: int = 20_250_613

    def scaled(self, factor: float) -> Spec:
        """Every size times ``factor`` (at least a handful of each)."""
        if factor <= 0:
            raise ValueError(f"--scale must be above 0, not {factor}")
        return replace(
            self,
            entities=max(100, round(self.entities * factor)),
            edges=max(200, round(self.edges * factor)),
            vendors=max(10, round(self.vendors * factor)),
            contracts=max(10, round(self.contracts * factor)),
            competitors=max(3, round(self.competitors * factor)),
            sanctioned=max(5, round(self.sanctioned * factor)),
        )

    def key(self) -> dict:
        """What identifies a built registry: the sizes, the seed and the generator version."""
        return {**asdict(self), "generator": GENERATOR_VERSION}


class PlannedEdge(NamedTuple):
    """An ownership row; shares in hundredths of a percent, entities by plan index.

    A named tuple, not a dataclass: 200 000 of them are made, and tuples are made fastest.
    """

    owner: int
    owned: int
    interest: str
    share: int | None
    share_min: int | None
    share_max: int | None
    start: datetime.date
    end: datetime.date | None = None


@dataclass(frozen=True, slots=True)
class PlannedVendor:
    entity: int
    category: str
    tier: int
    data_access: str
    status: str
    owner: int | None  # user index


@dataclass(frozen=True, slots=True)
class PlannedContract:
    vendor: int  # vendor index
    reference: str
    value: int
    currency: str
    start: datetime.date
    end: datetime.date | None
    classification: str
    coc_window: int | None
    owner: int | None


@dataclass
class Plan:
    """The whole synthetic registry as plain data (entities by index 0 … n-1)."""

    spec: Spec
    kinds: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    edges: list[PlannedEdge] = field(default_factory=list)
    vendors: list[PlannedVendor] = field(default_factory=list)
    contracts: list[PlannedContract] = field(default_factory=list)
    watchlist: list[tuple[int, str, str]] = field(default_factory=list)
    users: int = USERS
    groups: list[list[int]] = field(default_factory=list)
    depth: dict[int, int] = field(default_factory=dict)
    #: Hub (by plan index) → how many group roots it holds a stake in.
    hubs: dict[int, int] = field(default_factory=dict)

    def rows(self) -> int:
        """Rows the insert writes (for the progress bar)."""
        return (
            self.users
            + len(self.kinds)
            + len(self.edges)
            + len(self.vendors)
            + len(self.contracts)
            + len(self.watchlist)
        )

    def summary(self) -> dict:
        """Counts that describe the shape, for the report."""
        interests = Counter(edge.interest for edge in self.edges)
        group_depths = Counter(
            max(self.depth[member] for member in group) for group in self.groups if len(group) > 1
        )
        return {
            "entities": len(self.kinds),
            "entities_by_kind": dict(sorted(Counter(self.kinds).items())),
            "edges": len(self.edges),
            "edges_by_interest": dict(sorted(interests.items())),
            "range_shares": sum(
                edge.share is None and edge.share_max is not None for edge in self.edges
            ),
            "ended_edges": sum(edge.end is not None for edge in self.edges),
            "holding_groups": sum(len(group) > 1 for group in self.groups),
            "holding_groups_by_depth": dict(sorted(group_depths.items())),
            "largest_group": max((len(group) for group in self.groups), default=0),
            "group_sizes": {
                "1": sum(len(group) == 1 for group in self.groups),
                "2-9": sum(2 <= len(group) <= 9 for group in self.groups),
                "10-99": sum(10 <= len(group) <= 99 for group in self.groups),
                "100+": sum(len(group) >= 100 for group in self.groups),
            },
            "hubs": [{"entity": hub, "group_roots_held": held} for hub, held in self.hubs.items()],
            "vendors": len(self.vendors),
            "contracts": len(self.contracts),
            "contracts_with_coc_clause": sum(c.coc_window is not None for c in self.contracts),
            "watchlist": dict(
                sorted(Counter(category for _, category, _ in self.watchlist).items())
            ),
        }


class _Planner:
    """Draws a :class:`Plan`; each step keeps every entity's room (``self.room``) non-negative."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.random = self.rng.random
        self.plan = Plan(spec=spec)
        self.room: list[int] = []
        self.pairs: set[tuple[int, int, str]] = set()
        self.parent: dict[int, int] = {}

    def pick(self, items):
        """``random.choice``, three times faster (drawing 10⁶ of them is most of the work)."""
        return items[int(self.random() * len(items))]

    def between(self, low: int, high: int) -> int:
        """``random.randint``, faster: an integer from ``low`` to ``high`` inclusive."""
        return low + int(self.random() * (high - low + 1))

    # --- entities -----------------------------------------------------------------------------

    def entities(self) -> None:
        n = self.spec.entities
        people = round(n * PERSON_SHARE)
        funds = max(1, round(n * FUND_SHARE))
        governments = max(1, round(n * GOVERNMENT_SHARE))
        companies = n - people - funds - governments
        if companies < 20:
            raise ValueError(f"--entities {n} is too small for a registry (at least 100)")
        plan = self.plan
        for k in range(companies):
            plan.kinds.append(COMPANY)
            plan.names.append(
                f"{self.pick(_PREFIXES)} {self.pick(_SECTORS)} {k:05d} {self.pick(_SUFFIXES)}"
            )
        for k in range(funds):
            plan.kinds.append(FUND)
            plan.names.append(f"{self.pick(_PREFIXES)} {self.pick(_FUND_STYLES)} Fund {k:04d}")
        for k in range(governments):
            plan.kinds.append(GOVERNMENT)
            plan.names.append(f"State Holding Agency {k:04d}")
        for _ in range(people):
            plan.kinds.append(PERSON)
            plan.names.append(f"{self.pick(_FIRST_NAMES)} {self.pick(_LAST_NAMES)}")
        plan.countries = [self.pick(_COUNTRIES) for _ in plan.kinds]
        self.room = [0 if kind == PERSON else WHOLE for kind in plan.kinds]
        self.by_kind: dict[str, list[int]] = {}
        for index, kind in enumerate(plan.kinds):
            self.by_kind.setdefault(kind, []).append(index)

    # --- edges --------------------------------------------------------------------------------

    def _day(self) -> datetime.date:
        return FIRST_DAY + datetime.timedelta(days=int(self.random() * DAY_SPAN))

    def _stake(self, owner: int, owned: int, share: int, *, ranged: bool = False) -> bool:
        """Add a shareholding if the pair is new and ``owned`` has room for it."""
        key = (owner, owned, SHAREHOLDING)
        if owner == owned or key in self.pairs or share > self.room[owned] or share <= 0:
            return False
        self.pairs.add(key)
        self.room[owned] -= share
        if ranged:
            low = max(1, share * self.between(40, 80) // 100)
            edge = PlannedEdge(owner, owned, SHAREHOLDING, None, low, share, self._day())
        else:
            edge = PlannedEdge(owner, owned, SHAREHOLDING, share, None, None, self._day())
        self.plan.edges.append(edge)
        return True

    def _seat(self, person: int, entity: int, interest: str) -> None:
        key = (person, entity, interest)
        if key not in self.pairs:
            self.pairs.add(key)
            self.plan.edges.append(
                PlannedEdge(person, entity, interest, None, None, None, self._day())
            )

    def _group_size(self, cap: int) -> int:
        """A group's size: one company in eight stands alone, the rest follow a power law."""
        if self.random() < 0.12:
            return 1
        return min(int(3 * self.rng.paretovariate(GROUP_SIZE_ALPHA)), cap)

    def _group_depth(self, size: int) -> int:
        """Mostly 2–4 levels, deep trees rarer, never deeper than the group has members."""
        depth = 2 + min(int(self.rng.expovariate(0.45)), MAX_GROUP_DEPTH - 2)
        return min(depth, size - 1)

    def holding_groups(self) -> None:
        """Companies in trees 2–10 levels deep, group sizes drawn from a power law."""
        rng, plan = self.rng, self.plan
        companies = self.by_kind[COMPANY]
        cap = max(3, round(len(companies) * GROUP_SIZE_CAP))
        at = 0
        while at < len(companies):
            members = companies[at : at + self._group_size(cap)]
            at += len(members)
            plan.groups.append(members)
            plan.depth[members[0]] = 0
            if len(members) == 1:
                continue
            depth = self._group_depth(len(members))
            for k, child in enumerate(members[1:], start=1):
                if k <= depth:
                    parent = members[k - 1]  # one chain reaches the full depth
                else:
                    parent = self.pick(members[:k])
                    while plan.depth[parent] >= depth:
                        parent = self.pick(members[:k])
                plan.depth[child] = plan.depth[parent] + 1
                self.parent[child] = parent
                share = WHOLE if rng.random() < 0.45 else self.between(5_001, 9_999)
                self._stake(parent, child, share)

    def hub_stakes(self) -> None:
        """The first ``spec.hubs`` funds become hubs: each holds 1–5% of ``spec.hub_reach`` of
        all group roots (where the root has room), and nobody holds the hubs."""
        funds = self.by_kind[FUND]
        self.hub_ids = set(funds[: self.spec.hubs])
        roots = [group[0] for group in self.plan.groups if len(group) > 1]
        reach = round(len(roots) * self.spec.hub_reach)
        for number, hub in enumerate(sorted(self.hub_ids), start=1):
            self.plan.names[hub] = f"{self.pick(_PREFIXES)} Total Market Index Fund {number}"
            held = 0
            for root in self.rng.sample(roots, min(reach, len(roots))):
                held += self._stake(hub, root, self.between(*HUB_STAKE))
            self.plan.hubs[hub] = held

    def group_owners(self) -> None:
        """Governments own state groups, funds buy some groups, asset managers own funds."""
        rng = self.rng
        roots = [group[0] for group in self.plan.groups if len(group) > 1]
        rng.shuffle(roots)
        # The largest groups stay independent: their roots are the competitors.
        independent = set(self.largest_roots())
        roots = [root for root in roots if root not in independent]
        governments = self.by_kind[GOVERNMENT]
        for government, root in zip(governments, roots, strict=False):
            self._stake(government, root, self.between(5_001, WHOLE))
        funds = self.by_kind[FUND]
        buyers = [fund for fund in funds if fund not in self.hub_ids] or funds
        for root in roots[len(governments) :: 10]:
            self._stake(self.pick(buyers), root, self.between(5_001, WHOLE))
        # Asset managers are standalone companies nobody else invests in, so a fund's owners
        # end with its manager (fund-of-fund chains would make every vendor's ancestry huge).
        standalone = [group[0] for group in self.plan.groups if len(group) == 1]
        managers = standalone[: max(1, len(funds) // 20)]
        self.managers = set(managers)
        for fund in funds:
            if fund in self.hub_ids:
                continue
            if rng.random() < 0.3 and managers:
                self._stake(self.pick(managers), fund, self.between(5_001, WHOLE))

    def largest_roots(self) -> list[int]:
        groups = sorted(self.plan.groups, key=lambda group: (-len(group), group[0]))
        return [group[0] for group in groups[: self.spec.competitors]]

    def seats(self) -> None:
        """People on boards and in management, mostly within one group, some elsewhere."""
        rng = self.rng
        companies = self.by_kind[COMPANY]
        group_of = {member: group for group in self.plan.groups for member in group}
        for person in self.by_kind[PERSON]:
            home = group_of[self.pick(companies)]
            count = rng.choices((1, 2, 3, 4, 5), weights=(35, 30, 20, 10, 5))[0]
            for k in range(count):
                entity = self.pick(home) if rng.random() < 0.75 else self.pick(companies)
                interest = OFFICER if (k == 0 and rng.random() < 0.3) else BOARD_MEMBER
                self._seat(person, entity, interest)
        people = self.by_kind[PERSON]
        for person in people[: round(len(people) * DIRECTOR_SHARE)]:
            for _ in range(self.between(6, 10)):
                self._seat(person, self.pick(companies), BOARD_MEMBER)

    def cross_holdings(self, count: int) -> None:
        """Subsidiaries holding a little of their parent, and groups holding each other."""
        rng = self.rng
        children = sorted(self.parent)
        roots = [group[0] for group in self.plan.groups]
        made = attempts = 0
        while made < count and attempts < count * 20 and children:
            attempts += 1
            if rng.random() < 0.5:
                child = self.pick(children)
                made += self._stake(child, self.parent[child], self.between(MIN_STAKE, 1_000))
            else:
                first, second = self.pick(roots), self.pick(roots)
                if self._stake(first, second, self.between(MIN_STAKE, 1_500)):
                    made += 1
                    made += self._stake(second, first, self.between(MIN_STAKE, 1_500))

    def minority_stakes(self, count: int) -> None:
        """Funds, people, governments and (less often) top companies invest in companies.

        Corporate investors are kept rare: each one brings its own owners into the ancestry of
        everything it invests in, and too many would make every vendor's ancestry huge.
        """
        rng = self.rng
        holders = {
            FUND: self.by_kind[FUND],
            PERSON: self.by_kind[PERSON],
            GOVERNMENT: self.by_kind[GOVERNMENT],
            COMPANY: [c for c in self.by_kind[COMPANY] if self.plan.depth[c] <= 1],
        }
        kinds = [FUND] * 60 + [COMPANY] * 12 + [PERSON] * 20 + [GOVERNMENT] * 8
        targets = [
            t for t in self.by_kind[COMPANY] if self.room[t] >= MIN_STAKE and t not in self.managers
        ]
        made = misses = 0
        while made < count and targets and misses < count * 20:
            slot = int(self.random() * len(targets))
            target = targets[slot]
            room = self.room[target]
            if room < MIN_STAKE:
                targets[slot] = targets[-1]
                targets.pop()
                continue
            owner = self.pick(holders[self.pick(kinds)])
            share = self.between(MIN_STAKE, min(room, MAX_MINORITY))
            if self._stake(owner, target, share, ranged=rng.random() < RANGE_SHARE):
                made += 1
            else:
                misses += 1

    def history(self, count: int) -> None:
        """Earlier, smaller versions of current exact stakes, ended the day before."""
        rng = self.rng
        current = [
            edge
            for edge in self.plan.edges
            if edge.interest == SHAREHOLDING and edge.share is not None and edge.start.year > 1996
        ]
        for edge in rng.sample(current, min(count, len(current))):
            start = max(
                HISTORY_FLOOR, edge.start - datetime.timedelta(days=self.between(365, 2_920))
            )
            self.plan.edges.append(
                PlannedEdge(
                    edge.owner,
                    edge.owned,
                    SHAREHOLDING,
                    self.between(max(1, edge.share // 2), edge.share),
                    None,
                    None,
                    start,
                    edge.start - datetime.timedelta(days=1),
                )
            )

    # --- vendors, contracts, watchlist --------------------------------------------------------

    def watchlist(self) -> None:
        rng, plan = self.rng, self.plan
        competitors = self.largest_roots()
        if len(competitors) < self.spec.competitors:
            raise ValueError(
                f"--competitors {self.spec.competitors} exceeds the {len(competitors)} "
                "holding groups of this registry"
            )
        for entity in competitors:
            plan.watchlist.append((entity, "competitor", "Competes with us (synthetic)."))
        taken = set(competitors)
        investors = sorted(
            {
                e.owner
                for e in plan.edges
                if plan.kinds[e.owner] == PERSON and e.interest == SHAREHOLDING
            }
        )
        people = min(len(investors), round(self.spec.sanctioned * 0.3))
        companies = [c for c in self.by_kind[COMPANY] if c not in taken]
        listed = rng.sample(investors, people) + rng.sample(
            companies, self.spec.sanctioned - people
        )
        for entity in listed:
            plan.watchlist.append((entity, "sanctioned", "On a sanctions list (synthetic)."))

    def vendors(self) -> None:
        rng, plan = self.rng, self.plan
        competitors = {entity for entity, category, _ in plan.watchlist if category == "competitor"}
        candidates = [c for c in self.by_kind[COMPANY] if c not in competitors]
        if self.spec.vendors > len(candidates):
            raise ValueError(
                f"--vendors {self.spec.vendors} exceeds the {len(candidates)} companies available"
            )
        for entity in sorted(rng.sample(candidates, self.spec.vendors)):
            plan.vendors.append(
                PlannedVendor(
                    entity=entity,
                    category=self.pick(_VENDOR_CATEGORIES),
                    tier=rng.choices((1, 2, 3, 4), weights=(10, 25, 40, 25))[0],
                    data_access=rng.choices(_DATA_ACCESS, weights=(20, 40, 30, 10))[0],
                    status=rng.choices(("active", "onboarding", "suspended"), weights=(90, 5, 5))[
                        0
                    ],
                    owner=rng.randrange(plan.users) if rng.random() < 0.7 else None,
                )
            )

    def contracts(self) -> None:
        rng, plan = self.rng, self.plan
        vendor_count = len(plan.vendors)
        owners = list(range(vendor_count))
        owners += [rng.randrange(vendor_count) for _ in range(self.spec.contracts - vendor_count)]
        for k, vendor in enumerate(sorted(owners[: self.spec.contracts])):
            start = datetime.date(2018, 1, 1) + datetime.timedelta(days=rng.randrange(2_700))
            end = (
                None
                if rng.random() < 0.4
                else start + datetime.timedelta(days=self.between(365, 5 * 365))
            )
            access = _DATA_ACCESS.index(plan.vendors[vendor].data_access)
            coc = rng.random() < 0.3
            plan.contracts.append(
                PlannedContract(
                    vendor=vendor,
                    reference=f"BENCH-{k + 1:06d}",
                    value=self.between(10_000, 5_000_000),
                    currency=self.pick(("USD", "USD", "EUR", "GBP")),
                    start=start,
                    end=end,
                    classification=_DATA_ACCESS[self.between(0, access)],
                    coc_window=self.pick((30, 45, 60, 90)) if coc else None,
                    owner=rng.randrange(plan.users) if rng.random() < 0.5 else None,
                )
            )

    def build(self) -> Plan:
        spec = self.spec
        self.entities()
        self.holding_groups()
        self.hub_stakes()
        self.group_owners()
        self.seats()
        cross = round(spec.edges * CROSS_HOLDING_SHARE)
        history = round(spec.edges * HISTORY_SHARE)
        fixed = len(self.plan.edges) + cross + history
        if fixed > spec.edges:
            raise ValueError(
                f"--edges {spec.edges} is too few for {spec.entities} entities "
                f"(their trees and board seats alone need {fixed})"
            )
        self.cross_holdings(cross)
        self.minority_stakes(spec.edges - len(self.plan.edges) - history)
        self.history(spec.edges - len(self.plan.edges))
        self.watchlist()
        self.vendors()
        self.contracts()
        return self.plan


def plan_registry(spec: Spec) -> Plan:
    """The registry ``spec`` describes, as plain data; the same spec always gives the same plan."""
    return _Planner(spec).build()


# --- Writing it ----------------------------------------------------------------------------------


def _percent(hundredths: int | None) -> Decimal | None:
    return None if hundredths is None else Decimal(hundredths).scaleb(-2)


def _batches(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def registry_insert(plan: Plan, *, progress: Callable[[int], None] | None = None) -> None:
    """Write ``plan`` into the database in one transaction, ``bulk_create`` in batches.

    This bypasses the services on purpose: they validate each write, keep its audit history
    and queue a recheck per edge, which for 200 000 edges would take hours and recheck a
    registry not yet assessed. The plan is valid by construction and the database's check
    constraints still hold every row; the benchmark's full recheck assesses every vendor
    afterwards. Entities and vendors get explicit ids (after any already there), so the edges
    and contracts can name them without reading anything back; the id sequences are moved
    past them at the end.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.db.models import Max

    from registry.models import Contract, Entity, Ownership, Vendor, WatchlistEntry

    advance = progress or (lambda rows: None)
    user_model = get_user_model()

    def write(model, objects: list) -> None:
        for batch in _batches(objects):
            model.objects.bulk_create(batch)
            advance(len(batch))

    with transaction.atomic():
        entity_base = (Entity.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        vendor_base = (Vendor.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        unusable = make_password(None)
        names = [f"bench-owner-{entity_base}-{k:02d}" for k in range(plan.users)]
        write(
            user_model,
            [
                user_model(username=name, email=f"{name}@example.com", password=unusable)
                for name in names
            ],
        )
        user_ids = dict(user_model.objects.filter(username__in=names).values_list("username", "id"))
        users = [user_ids[name] for name in names]
        write(
            Entity,
            [
                Entity(id=entity_base + index, name=name, kind=kind, country=country)
                for index, (name, kind, country) in enumerate(
                    zip(plan.names, plan.kinds, plan.countries, strict=True)
                )
            ],
        )
        write(
            Ownership,
            [
                Ownership(
                    owner_id=entity_base + edge.owner,
                    owned_id=entity_base + edge.owned,
                    interest=edge.interest,
                    share=_percent(edge.share),
                    share_min=_percent(edge.share_min),
                    share_max=_percent(edge.share_max),
                    start_date=edge.start,
                    end_date=edge.end,
                )
                for edge in plan.edges
            ],
        )
        write(
            Vendor,
            [
                Vendor(
                    id=vendor_base + index,
                    entity_id=entity_base + vendor.entity,
                    category=vendor.category,
                    tier=vendor.tier,
                    data_access=vendor.data_access,
                    status=vendor.status,
                    business_owner_id=None if vendor.owner is None else users[vendor.owner],
                )
                for index, vendor in enumerate(plan.vendors)
            ],
        )
        write(
            Contract,
            [
                Contract(
                    vendor_id=vendor_base + contract.vendor,
                    reference=f"{contract.reference}-{entity_base}",
                    title=f"Services agreement {contract.reference}",
                    value=Decimal(contract.value),
                    currency=contract.currency,
                    start_date=contract.start,
                    end_date=contract.end,
                    data_classification=contract.classification,
                    change_of_control_clause=contract.coc_window is not None,
                    coc_termination_window_days=contract.coc_window,
                    owner_id=None if contract.owner is None else users[contract.owner],
                )
                for contract in plan.contracts
            ],
        )
        write(
            WatchlistEntry,
            [
                WatchlistEntry(entity_id=entity_base + entity, category=category, reason=reason)
                for entity, category, reason in plan.watchlist
            ],
        )
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Entity, Vendor]):
                cursor.execute(statement)
