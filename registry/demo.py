"""The demo data set: the reference scenario (docs/risk-rules.md) and about fifty more vendors.

Plain data, built by :func:`demo_plan` from a seeded random generator, so every run describes the
same rows; ``manage.py seed_demo`` writes them through the services. Apart from Meta Platforms,
Scale AI and Remotasks (the reference scenario), every name is invented.

Besides the reference scenario, the set shows each rule of the engine at least once: private-equity
chains with a sovereign fund among the investors (state ownership through look-through), a listed
group with a competitor on its share register, two cross-holdings, range shares as published
registers give them (25–50%), sanctioned holders that block a vendor alone and together (OFAC 50%
rule), competitor control through a controlled fund, and people whose seats link a vendor to a
competitor. The other vendors are plain, so lists read like a real registry.
"""

import datetime
import random
import string
from dataclasses import dataclass, field
from decimal import Decimal

from stdnum.iso7064 import mod_97_10

from registry.choices import (
    DataAccess,
    EntityKind,
    EventKind,
    Interest,
    VendorCategory,
    VendorStatus,
)
from registry.roles import PROCUREMENT, RISK_ANALYST, VIEWER

DEMO_SEED = 20250613

COMPANY = EntityKind.COMPANY
FUND = EntityKind.FUND
PERSON = EntityKind.PERSON

BOARD = Interest.BOARD_MEMBER
OFFICER = Interest.SENIOR_MANAGING_OFFICIAL

CURRENCY_BY_COUNTRY = {"US": "USD", "GB": "GBP", "JP": "USD", "NO": "EUR", "SE": "EUR"}
EURO_COUNTRIES = {"AT", "BE", "CZ", "DE", "EE", "ES", "FI", "FR", "IE", "IT", "NL", "PT"}

#: Contract value ranges (currency units) by vendor tier: tier 1 vendors carry the big contracts.
VALUE_RANGE_BY_TIER = {
    1: (4_000_000, 40_000_000),
    2: (600_000, 6_000_000),
    3: (80_000, 900_000),
    4: (15_000, 150_000),
}
COC_WINDOWS = (30, 45, 60, 90)

CONTRACT_TITLES = {
    VendorCategory.DATA_LABELLING: (
        "Data annotation services",
        "Model evaluation and red-teaming",
        "Speech transcription programme",
    ),
    VendorCategory.CLOUD: (
        "Cloud hosting agreement",
        "Managed Kubernetes platform",
        "Object storage and backup",
    ),
    VendorCategory.SOFTWARE: (
        "Enterprise subscription",
        "Software licence and support",
        "Implementation services",
    ),
    VendorCategory.PAYROLL: ("Payroll outsourcing", "Benefits administration"),
    VendorCategory.CONSULTING: ("Advisory framework agreement", "Security assessment"),
    VendorCategory.HARDWARE: ("Hardware supply agreement", "Component framework contract"),
    VendorCategory.TELECOM: ("Wide-area network services", "Mobile fleet contract"),
    VendorCategory.LOGISTICS: ("Freight forwarding", "Warehousing and distribution"),
    VendorCategory.FACILITIES: ("Facilities management", "Office services"),
    VendorCategory.MARKETING: ("Agency retainer", "Events and campaigns"),
    VendorCategory.LEGAL: ("Legal services panel", "Regulatory advice"),
    VendorCategory.FINANCIAL_SERVICES: ("Treasury services", "Payment processing"),
    VendorCategory.OTHER: ("Services agreement", "Research panel services"),
}

DATA_ACCESS_ORDER = list(DataAccess.values)


@dataclass(frozen=True)
class UserSpec:
    username: str
    password: str
    role: str
    first_name: str
    last_name: str
    #: Staff can sign in to the Django admin, the risk analysts' working tool.
    staff: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"


@dataclass(frozen=True)
class EntitySpec:
    key: str
    name: str
    kind: str = COMPANY
    country: str = ""
    lei: str = ""
    identifiers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class WatchlistSpec:
    entity: str
    category: str
    reason: str


@dataclass(frozen=True)
class OwnershipSpec:
    owner: str
    owned: str
    start_date: datetime.date
    interest: str = Interest.SHAREHOLDING
    share: Decimal | None = None
    share_min: Decimal | None = None
    share_max: Decimal | None = None


@dataclass(frozen=True)
class VendorSpec:
    entity: str
    category: str
    tier: int
    data_access: str
    status: str
    business_owner: str


@dataclass(frozen=True)
class ContractSpec:
    vendor: str
    reference: str
    title: str
    value: Decimal
    currency: str
    start_date: datetime.date
    end_date: datetime.date | None
    data_classification: str
    change_of_control_clause: bool
    coc_termination_window_days: int | None
    owner: str


@dataclass(frozen=True)
class EventSpec:
    kind: str
    subject: str
    effective_date: datetime.date
    counterparty: str | None = None
    person: str | None = None
    share: Decimal | None = None
    announced_date: datetime.date | None = None
    note: str = ""


@dataclass(frozen=True)
class RateSpec:
    """One unit of ``currency`` is worth ``rate`` US dollars from ``valid_from``."""

    currency: str
    rate: Decimal
    valid_from: datetime.date
    source: str = "Demo rate, not a market quote"


#: The demo's contracts are in USD, EUR and GBP; the dashboard converts them to USD with these.
RATES = (
    RateSpec("EUR", Decimal("1.08"), datetime.date(2024, 1, 1)),
    RateSpec("EUR", Decimal("1.16"), datetime.date(2025, 7, 1)),
    RateSpec("GBP", Decimal("1.27"), datetime.date(2024, 1, 1)),
    RateSpec("GBP", Decimal("1.34"), datetime.date(2025, 7, 1)),
)


@dataclass(frozen=True)
class DemoPlan:
    users: tuple[UserSpec, ...]
    entities: tuple[EntitySpec, ...]
    watchlist: tuple[WatchlistSpec, ...]
    ownerships: tuple[OwnershipSpec, ...]
    vendors: tuple[VendorSpec, ...]
    contracts: tuple[ContractSpec, ...]
    events: tuple[EventSpec, ...]
    rates: tuple[RateSpec, ...] = RATES

    @property
    def size(self) -> int:
        return sum(
            len(part)
            for part in (
                self.users,
                self.entities,
                self.watchlist,
                self.ownerships,
                self.vendors,
                self.contracts,
                self.events,
                self.rates,
            )
        )


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def pct(text: str) -> Decimal:
    return Decimal(text)


USERS = (
    UserSpec("buyer", "buyer-demo", PROCUREMENT, "Bea", "Moreno"),
    UserSpec("analyst", "analyst-demo", RISK_ANALYST, "Arjun", "Castell", staff=True),
    UserSpec("viewer", "viewer-demo", VIEWER, "Vic", "Lindahl"),
)

# (key, name, kind, country). The first four are the reference scenario.
ENTITIES = (
    ("meta", "Meta Platforms", COMPANY, "US"),
    ("scale", "Scale AI", COMPANY, "US"),
    ("remotasks", "Remotasks", COMPANY, "US"),
    ("scale_ceo", "Scale AI CEO", PERSON, "US"),
    # Competitors and what they control.
    ("kestrel", "Kestrel Ridge AI Inc.", COMPANY, "US"),
    ("kestrel_ventures", "Kestrel Ridge Ventures LLC", FUND, "US"),
    ("quillfeather", "Quillfeather Analytics Ltd", COMPANY, "GB"),
    ("brightmoor", "Brightmoor Data Systems Corp.", COMPANY, "US"),
    # Sanctioned, state-owned and otherwise listed owners.
    ("karavel", "Karavel Trade Holdings JSC", COMPANY, "RU"),
    ("dahrain", "Dahrain Maritime Company", COMPANY, "IR"),
    ("ostrog", "Ostrog Metals Group", COMPANY, "BY"),
    ("gulf_meridian", "Gulf Meridian Sovereign Holdings", FUND, "AE"),
    ("eastgate", "Eastgate State Capital Fund", FUND, "CN"),
    ("halvard", "Halvard Brokerage Ltd", COMPANY, "CY"),
    # Holding companies and funds.
    ("ashcombe_fund", "Ashcombe Capital Partners IV LP", FUND, "GB"),
    ("ashcombe_topco", "Ashcombe Topco Ltd", COMPANY, "GB"),
    ("velmont", "Velmont Equity Fund III LP", FUND, "US"),
    ("tidebrook", "Tidebrook Growth Partners II LP", FUND, "US"),
    ("norrvik", "Norrvik Pension Fund", FUND, "SE"),
    ("harrowgate", "Harrowgate Holdings Inc.", COMPANY, "US"),
    ("corvane", "Corvane Group plc", COMPANY, "GB"),
    # People: founders, board members, officers.
    ("ingrid", "Ingrid Vasquez-Thorne", PERSON, "GB"),
    ("marcus", "Marcus Oyelaran", PERSON, "US"),
    ("delphine", "Delphine Aubertin", PERSON, "FR"),
    ("kenji", "Kenji Halloway", PERSON, "US"),
    ("oona", "Oona Pemberton", PERSON, "GB"),
    ("farid", "Farid Nazemi-Clarke", PERSON, "GB"),
    ("rosalind", "Rosalind Achterberg", PERSON, "DE"),
    ("lucian", "Lucian Draganescu", PERSON, "DE"),
    ("gideon", "Gideon Fairweather", PERSON, "GB"),
    ("harriet", "Harriet Quennell", PERSON, "GB"),
    ("anselm", "Anselm Whitlock", PERSON, "US"),
    ("wren", "Wren Castellane", PERSON, "GB"),
    ("soren", "Soren Abernathy", PERSON, "US"),
)

LABELLING = VendorCategory.DATA_LABELLING
FINANCE = VendorCategory.FINANCIAL_SERVICES
RESTR = DataAccess.RESTRICTED
CONF = DataAccess.CONFIDENTIAL
INTERNAL = DataAccess.INTERNAL
NO_DATA = DataAccess.NONE
ACTIVE = VendorStatus.ACTIVE
ONBOARDING = VendorStatus.ONBOARDING
SUSPENDED = VendorStatus.SUSPENDED
OFFBOARDED = VendorStatus.OFFBOARDED

# (entity key, name, country, category, tier, data access, status). Scale AI and Remotasks first.
VENDORS = (
    ("scale", None, "US", LABELLING, 1, RESTR, ACTIVE),
    ("remotasks", None, "US", LABELLING, 2, CONF, ACTIVE),
    ("tallyweave", "Tallyweave Annotation Inc.", "US", LABELLING, 2, CONF, ACTIVE),
    ("glimmerset", "Glimmerset Labelling Ltd", "GB", LABELLING, 2, CONF, ACTIVE),
    ("parallax", "Parallax Crowdwork B.V.", "NL", LABELLING, 3, INTERNAL, ACTIVE),
    ("mosaic_ridge", "Mosaic Ridge Transcription Inc.", "US", LABELLING, 3, CONF, ONBOARDING),
    ("sablewood", "Sablewood Data Services Inc.", "US", LABELLING, 1, RESTR, ACTIVE),
    ("quintessa", "Quintessa Speech Data S.r.l.", "IT", LABELLING, 3, CONF, ONBOARDING),
    ("corvane_cloud", "Corvane Cloud Ltd", "GB", "cloud", 1, RESTR, ACTIVE),
    ("nimbeo", "Nimbeo Hosting GmbH", "DE", "cloud", 2, CONF, ACTIVE),
    ("minato", "Minatomirai Cloudworks K.K.", "JP", "cloud", 2, INTERNAL, ACTIVE),
    ("stratavault", "Stratavault Storage Inc.", "US", "cloud", 1, RESTR, ACTIVE),
    ("aldermere", "Aldermere Systems AG", "DE", "software", 2, CONF, ACTIVE),
    ("bruecke", "Brückenwerk Daten GmbH", "DE", "software", 3, INTERNAL, ACTIVE),
    ("sakuragawa", "Sakuragawa Data K.K.", "JP", "software", 3, INTERNAL, ACTIVE),
    ("ledgerwise", "Ledgerwise Software Inc.", "US", "software", 2, CONF, ACTIVE),
    ("orrin", "Orrin Identity Inc.", "US", "software", 1, RESTR, ACTIVE),
    ("halcyra", "Halcyra Analytics SAS", "FR", "software", 3, INTERNAL, ACTIVE),
    ("kettlemark", "Kettlemark Observability Inc.", "US", "software", 2, CONF, ACTIVE),
    ("vellichor", "Vellichor Docs Inc.", "US", "software", 4, INTERNAL, ACTIVE),
    ("quarrybrook", "Quarrybrook Security Ltd", "GB", "software", 2, RESTR, ACTIVE),
    ("ledgerline", "Ledgerline Payroll Ltd", "GB", "payroll", 1, RESTR, ACTIVE),
    ("paysmith", "Paysmith Europe B.V.", "NL", "payroll", 2, CONF, ACTIVE),
    ("hollins_wraye", "Hollins & Wraye Benefits LLP", "GB", FINANCE, 3, CONF, ACTIVE),
    ("marrowgate", "Marrowgate Consulting LLP", "GB", "consulting", 3, INTERNAL, ACTIVE),
    ("tessellate", "Tessellate Advisory GmbH", "DE", "consulting", 2, CONF, ACTIVE),
    ("beaumont", "Beaumont Rivière Conseil SARL", "FR", "consulting", 4, INTERNAL, ACTIVE),
    ("northgale", "Northgale Risk Partners LLC", "US", "consulting", 3, CONF, ACTIVE),
    ("ridgeback", "Ridgeback Pen Testing Ltd", "GB", "consulting", 2, RESTR, ACTIVE),
    ("ostrava", "Ostrava Precision Components s.r.o.", "CZ", "hardware", 3, NO_DATA, ACTIVE),
    ("kirrin", "Kirrin Devices Inc.", "US", "hardware", 3, INTERNAL, ACTIVE),
    ("tamberlane", "Tamberlane Semiconductor Ltd", "GB", "hardware", 2, INTERNAL, ACTIVE),
    ("corvane_telecom", "Corvane Telecom Services Ltd", "GB", "telecom", 2, CONF, ACTIVE),
    ("baltwave", "Baltwave Networks OÜ", "EE", "telecom", 3, INTERNAL, ACTIVE),
    ("fjordlink", "Fjordlink Telecom AS", "NO", "telecom", 3, INTERNAL, ACTIVE),
    ("clearpath", "Clearpath Freight Ltd", "GB", "logistics", 3, INTERNAL, ACTIVE),
    ("baltic_route", "Baltic Route Forwarding OÜ", "EE", "logistics", 3, INTERNAL, SUSPENDED),
    ("nordlys", "Nordlys Freight AS", "NO", "logistics", 3, INTERNAL, ACTIVE),
    ("redhaven", "Redhaven Couriers Inc.", "US", "logistics", 3, CONF, ACTIVE),
    ("corvane_facilities", "Corvane Facilities Ltd", "GB", "facilities", 3, INTERNAL, ACTIVE),
    ("greystone", "Greystone Cleanworks Ltd", "GB", "facilities", 4, NO_DATA, ACTIVE),
    ("pell_oake", "Pell & Oake Catering Ltd", "GB", "facilities", 4, NO_DATA, ACTIVE),
    ("fernhill", "Fernhill Print & Mail Ltd", "GB", "other", 3, CONF, ACTIVE),
    ("kiteline", "Kiteline Media Inc.", "US", "marketing", 3, INTERNAL, ACTIVE),
    ("lantern_loom", "Lantern & Loom Creative Ltd", "GB", "marketing", 4, INTERNAL, ACTIVE),
    ("maison_pollard", "Maison Pollard Événements SAS", "FR", "marketing", 4, NO_DATA, ACTIVE),
    ("ashdown_pryce", "Ashdown Pryce LLP", "GB", "legal", 2, RESTR, ACTIVE),
    ("kessler_varga", "Kessler Varga Rechtsanwälte PartG", "DE", "legal", 3, CONF, ACTIVE),
    ("whitcombe_lyle", "Whitcombe Lyle LLP", "US", "legal", 3, CONF, ACTIVE),
    ("harbourstone", "Harbourstone Treasury Services Ltd", "IE", FINANCE, 1, RESTR, ACTIVE),
    ("veyra", "Veyra Payments B.V.", "NL", FINANCE, 2, CONF, ACTIVE),
    ("caldera", "Caldera FX Ltd", "GB", FINANCE, 3, INTERNAL, OFFBOARDED),
    ("oakhurst", "Oakhurst Survey Panels Ltd", "GB", "other", 4, INTERNAL, ACTIVE),
    ("yellowpine", "Yellowpine Translation Ltd", "IE", "other", 4, INTERNAL, ACTIVE),
    ("greenlaw", "Greenlaw Office Supplies Ltd", "GB", "facilities", 4, NO_DATA, ACTIVE),
    ("arbourline", "Arbourline Recruitment Ltd", "GB", "consulting", 4, CONF, ACTIVE),
)

WATCHLIST = (
    ("meta", "competitor", "Builds foundation models that compete with ours."),
    ("kestrel", "competitor", "Direct competitor in enterprise assistants."),
    ("quillfeather", "competitor", "Competes with our analytics product line in Europe."),
    ("brightmoor", "competitor", "Competes for the same data-platform customers."),
    ("karavel", "sanctioned", "Listed on the sanctions list (asset freeze)."),
    ("dahrain", "sanctioned", "Listed on the sanctions list (shipping)."),
    ("ostrog", "sanctioned", "Listed on the sanctions list (metals sector)."),
    ("gulf_meridian", "state_owned", "Sovereign wealth fund of a foreign state."),
    ("eastgate", "state_owned", "State investment fund of a foreign government."),
    ("halvard", "other", "Under investigation for bid rigging; legal asked to be told of links."),
)

# (owner, owned, share or (min, max) or interest, start date).
OWNERSHIPS = (
    # Reference scenario: Scale AI owns Remotasks; its CEO sits on Scale AI's board.
    ("scale", "remotasks", "100", "2017-08-01"),
    ("scale_ceo", "scale", BOARD, "2016-06-01"),
    # A competitor's small stake, next to the founder and a growth fund.
    ("soren", "tallyweave", "60", "2018-03-01"),
    ("tidebrook", "tallyweave", "22", "2021-09-01"),
    ("meta", "tallyweave", "8", "2023-04-01"),
    # A competitor's fund: controlled by it, a minority in one vendor (then a majority in another,
    # by the 2025 acquisition event).
    ("kestrel", "kestrel_ventures", "55", "2020-01-15"),
    ("tidebrook", "kestrel_ventures", "20", "2020-01-15"),
    ("kestrel_ventures", "mosaic_ridge", "30", "2022-05-10"),
    ("anselm", "sablewood", "100", "2015-02-01"),
    # A range share as a register publishes it (25–50%), held by a competitor.
    ("quillfeather", "glimmerset", ("25", "50"), "2021-07-01"),
    ("norrvik", "glimmerset", "10", "2021-07-01"),
    # A listed group with a competitor on its share register, and its subsidiaries.
    ("brightmoor", "corvane", "11", "2019-01-01"),
    ("norrvik", "corvane", "7", "2018-01-01"),
    ("corvane", "corvane_cloud", "100", "2012-01-01"),
    ("corvane", "corvane_telecom", "100", "2014-06-01"),
    ("corvane", "corvane_facilities", "100", "2016-03-01"),
    ("delphine", "corvane", BOARD, "2020-05-01"),
    ("delphine", "halcyra", BOARD, "2018-09-01"),
    ("brightmoor", "orrin", "4", "2022-01-01"),
    ("velmont", "orrin", "35", "2020-07-01"),
    ("marcus", "brightmoor", OFFICER, "2019-04-01"),
    # People whose seats link a vendor to a competitor.
    ("ingrid", "kestrel", BOARD, "2020-06-01"),
    ("ingrid", "tessellate", BOARD, "2018-02-01"),
    ("kenji", "redhaven", BOARD, "2017-09-01"),
    # Cross-holding 1: Aldermere and Brückenwerk hold each other; a competitor holds Aldermere.
    ("kestrel", "aldermere", "30", "2019-03-01"),
    ("bruecke", "aldermere", "20", "2019-03-01"),
    ("rosalind", "aldermere", "35", "2011-05-01"),
    ("aldermere", "bruecke", "25", "2019-03-01"),
    ("lucian", "bruecke", "60", "2013-10-01"),
    ("aldermere", "nimbeo", "60", "2020-11-01"),
    # Cross-holding 2: two Japanese vendors, one with a state fund among its holders.
    ("sakuragawa", "minato", "15", "2016-04-01"),
    ("minato", "sakuragawa", "15", "2016-04-01"),
    ("eastgate", "sakuragawa", "20", "2021-02-01"),
    # Sanctioned holders: alone at 50%, together at 25% + 25%, and a minority at 12%.
    ("karavel", "baltic_route", "50", "2014-06-01"),
    ("karavel", "nordlys", "25", "2019-08-01"),
    ("dahrain", "nordlys", "25", "2020-01-01"),
    ("ostrog", "ostrava", "12", "2018-11-01"),
    ("halvard", "veyra", "15", "2022-03-01"),
    # A private-equity chain with a sovereign fund among the fund's investors.
    ("gulf_meridian", "ashcombe_fund", "35", "2019-09-01"),
    ("ashcombe_fund", "ashcombe_topco", "100", "2019-10-01"),
    ("ashcombe_topco", "ledgerline", "80", "2020-02-01"),
    ("ashcombe_topco", "clearpath", "65", "2021-05-01"),
    ("oona", "ledgerline", BOARD, "2020-02-01"),
    ("oona", "clearpath", BOARD, "2021-05-01"),
    ("gulf_meridian", "harbourstone", "40", "2017-07-01"),
    ("eastgate", "tamberlane", "18", "2020-12-01"),
    ("velmont", "ledgerwise", "70", "2019-05-01"),
    ("velmont", "paysmith", "55", "2021-01-01"),
    ("harrowgate", "stratavault", "100", "2016-01-01"),
    ("harrowgate", "kirrin", "100", "2018-01-01"),
    # Founders, some with register bands rather than exact shares.
    ("gideon", "fernhill", "70", "2009-04-01"),
    ("harriet", "fernhill", "30", "2009-04-01"),
    ("farid", "oakhurst", ("50", "75"), "2015-09-01"),
    ("oona", "oakhurst", ("25", "50"), "2015-09-01"),
    ("wren", "lantern_loom", ("75", "100"), "2012-02-01"),
)

# (kind, subject, counterparty, person, share, effective date, note), in date order.
EVENTS = (
    (
        EventKind.EXECUTIVE_MOVE,
        "redhaven",
        "kestrel_ventures",
        "kenji",
        None,
        "2024-05-20",
        "Redhaven's board member joins Kestrel Ridge Ventures as a managing partner.",
    ),
    (
        EventKind.STAKE_CHANGE,
        "aldermere",
        "kestrel",
        None,
        "40",
        "2024-09-16",
        "Kestrel Ridge AI raises its stake in Aldermere Systems from 30% to 40%.",
    ),
    (
        EventKind.ACQUISITION,
        "fernhill",
        "ashcombe_topco",
        None,
        "60",
        "2024-11-01",
        "Ashcombe buys 60% of Fernhill; the founders are diluted pro rata.",
    ),
    (
        EventKind.DIVESTITURE,
        "clearpath",
        "ashcombe_topco",
        None,
        None,
        "2025-02-28",
        "Ashcombe sells its whole stake in Clearpath Freight.",
    ),
    (
        EventKind.ACQUISITION,
        "clearpath",
        "harrowgate",
        None,
        "65",
        "2025-03-01",
        "Harrowgate Holdings buys the 65% Ashcombe sold.",
    ),
    (
        EventKind.BOARD_APPOINTMENT,
        "quintessa",
        "brightmoor",
        "marcus",
        None,
        "2025-03-03",
        "A Brightmoor officer joins Quintessa's board.",
    ),
    (
        EventKind.ACQUISITION,
        "scale",
        "meta",
        None,
        "49",
        "2025-06-13",
        "Meta Platforms buys 49% of Scale AI.",
    ),
    (
        EventKind.EXECUTIVE_MOVE,
        "scale",
        "meta",
        "scale_ceo",
        None,
        "2025-06-13",
        "Scale AI's CEO becomes an officer at Meta Platforms and stays on Scale AI's board.",
    ),
    (
        EventKind.ACQUISITION,
        "sablewood",
        "kestrel_ventures",
        None,
        "60",
        "2025-08-01",
        "Kestrel Ridge Ventures buys 60% of Sablewood; the founder keeps the rest.",
    ),
)

# The reference scenario's contracts, fixed so the dashboard reads "USD 201M under Meta Platforms'
# influence": Scale AI's CoC clause (30 days) is active on 2025-06-13; Remotasks has no clause.
REFERENCE_CONTRACTS = (
    ContractSpec(
        vendor="scale",
        reference="CTR-2023-0001",
        title="Data labelling and model evaluation MSA",
        value=Decimal("148500000.00"),
        currency="USD",
        start_date=d("2023-01-01"),
        end_date=d("2026-12-31"),
        data_classification=DataAccess.RESTRICTED,
        change_of_control_clause=True,
        coc_termination_window_days=30,
        owner="buyer",
    ),
    ContractSpec(
        vendor="remotasks",
        reference="CTR-2024-0002",
        title="Annotation workforce services",
        value=Decimal("52500000.00"),
        currency="USD",
        start_date=d("2024-02-01"),
        end_date=d("2027-01-31"),
        data_classification=DataAccess.CONFIDENTIAL,
        change_of_control_clause=False,
        coc_termination_window_days=None,
        owner="buyer",
    ),
)

#: Vendors whose first contract has a change-of-control clause active on their event's date, so
#: the events raise change_of_control alerts beyond the reference one.
COC_VENDORS = {"fernhill", "clearpath", "aldermere", "nimbeo", "sablewood"}


@dataclass
class _Builder:
    rng: random.Random
    used_identifiers: set[str] = field(default_factory=set)

    def lei(self) -> str:
        """An invented LEI with valid ISO 17442 check digits; "DEMO" marks it as invented."""
        alphabet = string.ascii_uppercase + string.digits
        body = "DEMO00" + "".join(self.rng.choice(alphabet) for _ in range(12))
        return body + mod_97_10.calc_check_digits(body)

    def number(self, digits: int) -> str:
        while True:
            value = "".join(self.rng.choice(string.digits) for _ in range(digits))
            if value not in self.used_identifiers:
                self.used_identifiers.add(value)
                return value

    def entity(self, key: str, name: str, kind: str, country: str, invented: bool) -> EntitySpec:
        if kind == PERSON or not invented:
            return EntitySpec(key, name, kind, country)
        lei = self.lei() if self.rng.random() < 0.7 else ""
        identifiers: list[tuple[str, str]] = []
        if country == "GB" and kind == COMPANY:
            identifiers.append(("GB-COH", self.number(8)))
        elif country == "US" and self.rng.random() < 0.5:
            identifiers.append(("DUNS", self.number(9)))
        return EntitySpec(key, name, kind, country, lei, tuple(identifiers))

    def contracts(self, vendor: VendorSpec, country: str, first_number: int) -> list[ContractSpec]:
        currency = CURRENCY_BY_COUNTRY.get(country, "EUR" if country in EURO_COUNTRIES else "USD")
        low, high = VALUE_RANGE_BY_TIER[vendor.tier]
        titles = CONTRACT_TITLES[VendorCategory(vendor.category)]
        ceiling = DATA_ACCESS_ORDER.index(vendor.data_access)
        count = self.rng.choice((1, 1, 2, 2, 3))
        specs = []
        for index in range(count):
            start = d("2020-01-01") + datetime.timedelta(days=self.rng.randrange(0, 5 * 365))
            if vendor.entity in COC_VENDORS and index == 0:
                start = d("2022-01-01") + datetime.timedelta(days=self.rng.randrange(0, 365))
            years = self.rng.choice((1, 2, 3, 3, 4, 5, None))
            if vendor.entity in COC_VENDORS and index == 0:
                years = 5
            end = None if years is None else start + datetime.timedelta(days=365 * years - 1)
            coc = (vendor.entity in COC_VENDORS and index == 0) or self.rng.random() < 0.35
            value = Decimal(self.rng.randrange(low, high) // 1000 * 1000)
            classification = DATA_ACCESS_ORDER[max(0, ceiling - self.rng.choice((0, 0, 1)))]
            specs.append(
                ContractSpec(
                    vendor=vendor.entity,
                    reference=f"CTR-{start.year}-{first_number + index:04d}",
                    title=titles[index % len(titles)],
                    value=value.quantize(Decimal("0.01")),
                    currency=currency,
                    start_date=start,
                    end_date=end,
                    data_classification=classification,
                    change_of_control_clause=coc,
                    coc_termination_window_days=self.rng.choice(COC_WINDOWS) if coc else None,
                    owner=vendor.business_owner,
                )
            )
        return specs


def _ownership(owner: str, owned: str, holding: object, start: str) -> OwnershipSpec:
    if isinstance(holding, tuple):
        low, high = holding
        return OwnershipSpec(owner, owned, d(start), share_min=pct(low), share_max=pct(high))
    if holding in (BOARD, OFFICER):
        return OwnershipSpec(owner, owned, d(start), interest=holding)
    return OwnershipSpec(owner, owned, d(start), share=pct(str(holding)))


def demo_plan(seed: int = DEMO_SEED) -> DemoPlan:
    """Every row of the demo data set, in the order it is written (owners before what they
    own, the graph before the vendors, vendors before their contracts and events)."""
    builder = _Builder(rng=random.Random(seed))
    reference_keys = {"meta", "scale", "remotasks", "scale_ceo"}
    entities = [
        builder.entity(key, name, kind, country, invented=key not in reference_keys)
        for key, name, kind, country in ENTITIES
    ]
    vendors = []
    contracts = list(REFERENCE_CONTRACTS)
    for key, name, country, category, tier, data_access, status in VENDORS:
        if name is not None:
            entities.append(builder.entity(key, name, COMPANY, country, invented=True))
        owner = (
            "buyer" if key in ("scale", "remotasks") else builder.rng.choice(("buyer", "analyst"))
        )
        vendor = VendorSpec(key, category, tier, data_access, status, owner)
        vendors.append(vendor)
        if key not in ("scale", "remotasks"):
            contracts += builder.contracts(vendor, country, first_number=len(contracts) + 1)
    events = [
        EventSpec(
            kind=kind,
            subject=subject,
            counterparty=counterparty,
            person=person,
            share=None if share is None else pct(share),
            effective_date=d(effective),
            announced_date=d(effective) - datetime.timedelta(days=1),
            note=note,
        )
        for kind, subject, counterparty, person, share, effective, note in EVENTS
    ]
    return DemoPlan(
        users=USERS,
        entities=tuple(entities),
        watchlist=tuple(WatchlistSpec(*row) for row in WATCHLIST),
        ownerships=tuple(_ownership(*row) for row in OWNERSHIPS),
        vendors=tuple(vendors),
        contracts=tuple(contracts),
        events=tuple(events),
    )
