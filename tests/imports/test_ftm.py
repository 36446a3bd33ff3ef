"""FollowTheMoney (OpenSanctions) imports: schemas, topics, relations as written, the
watchlist entries a source lists and unlists, idempotence and bad input (DESIGN, "Mapping")."""

import datetime
import io
import json
from decimal import Decimal

import pytest

from alerts.models import Alert
from imports.models import ImportRun
from imports.services import import_format_detect
from registry import services
from registry.models import Entity, Ownership, OwnershipEvent, RiskAssessment, WatchlistEntry
from tests.imports.conftest import committed, run_file

pytestmark = pytest.mark.django_db

LEI = "5493001KJTIIGC8Y1R12"
OTHER_LEI = "213800ABCDEFGHIJKL82"
TODAY = datetime.date.today


def entity(entity_id: str, schema: str, datasets=("us_ofac_sdn",), **properties) -> dict:
    """An FtM entity; a property given as a string is one value, a list many."""
    return {
        "id": entity_id,
        "schema": schema,
        "properties": {
            name: value if isinstance(value, list) else [value]
            for name, value in properties.items()
        },
        "datasets": list(datasets),
    }


def company(entity_id: str, name: str, **properties) -> dict:
    return entity(entity_id, "Company", name=name, **properties)


def owns(entity_id: str, owner: str, asset: str, **properties) -> dict:
    return entity(entity_id, "Ownership", owner=owner, asset=asset, **properties)


@pytest.fixture
def write_ftm(tmp_path):
    def write(entities: list[dict | str], name: str = "entities.ftm.json"):
        path = tmp_path / name
        path.write_text(
            "\n".join(e if isinstance(e, str) else json.dumps(e) for e in entities) + "\n"
        )
        return path

    return write


def run_ftm(path, *, source_name: str = "OpenSanctions", dry_run: bool = False) -> ImportRun:
    return run_file(path, source_name=source_name, dry_run=dry_run, format="ftm")


def edge_of(owner: str, owned: str) -> Ownership:
    return Ownership.objects.get(owner__name=owner, owned__name=owned)


# --- Entities ------------------------------------------------------------------------------------


def test_each_party_schema_becomes_its_kind_with_country_lei_and_registration_number(write_ftm):
    run = run_ftm(
        write_ftm(
            [
                company(
                    "c1",
                    "Acme Ltd",
                    jurisdiction="gb",
                    registrationNumber="01234567",
                    leiCode=LEI,
                ),
                entity("o1", "Organization", name="Friends of Acme", country="fr"),
                entity(
                    "l1",
                    "LegalEntity",
                    name="Acme Holdings",
                    jurisdiction="de",
                    registrationNumber="HRB 1234",
                ),
                entity("g1", "PublicBody", name="Ministry of Things", country="ru"),
                entity("p1", "Person", name="Ivan Petrov", nationality="ru"),
            ]
        )
    )

    assert run.status == "done", run.errors
    assert run.counts["entities_new"] == 5
    kinds = dict(Entity.objects.values_list("name", "kind"))
    assert kinds == {
        "Acme Ltd": "company",
        "Friends of Acme": "company",
        "Acme Holdings": "company",
        "Ministry of Things": "government",
        "Ivan Petrov": "person",
    }
    acme = Entity.objects.get(name="Acme Ltd")
    assert (acme.country, acme.lei, acme.import_record) == ("GB", LEI, "c1")
    assert [str(i) for i in acme.identifiers.all()] == ["GB-COH:01234567"]
    holdings = Entity.objects.get(name="Acme Holdings")
    assert [str(i) for i in holdings.identifiers.all()] == ["DE-REG:HRB 1234"]
    assert Entity.objects.get(name="Ivan Petrov").country == "RU"


def test_a_party_matches_by_registration_number_and_by_lei(write_ftm):
    vendor_co = services.entity_create(
        name="Acme Data Services", country="GB", identifiers=[("GB-COH", "01234567")]
    )
    lei_co = services.entity_create(name="Lei Holder AG", country="CH", lei=LEI)

    run = run_ftm(
        write_ftm(
            [
                company(
                    "c1",
                    "ACME DATA SERVICES LIMITED",
                    jurisdiction="gb",
                    registrationNumber="01234567",
                ),
                company("c2", "Lei Holder", leiCode=LEI),
            ]
        )
    )

    assert (run.counts["entities_new"], run.counts["entities_matched"]) == (0, 2)
    assert set(Entity.objects.all()) == {vendor_co, lei_co}


def test_multi_valued_properties_take_the_first_valid_value_and_warn_of_the_rest(write_ftm):
    run = run_ftm(
        write_ftm(
            [
                company(
                    "c1",
                    ["Acme Ltd", "Acme Limited"],
                    jurisdiction=["xx", "cy", "ru"],
                    leiCode=["NOT-AN-LEI", LEI, OTHER_LEI],
                    registrationNumber=["HE 123", "HE 456"],
                )
            ]
        )
    )

    assert run.status == "done", run.errors
    acme = Entity.objects.get()
    assert (acme.name, acme.country, acme.lei) == ("Acme Ltd", "CY", LEI)
    assert [str(i) for i in acme.identifiers.all()] == ["CY-REG:HE 123", "CY-REG:HE 456"]
    messages = {(w["field"], w["message"]) for w in run.warnings}
    assert (
        "properties.jurisdiction[0]",
        "“xx” is not an ISO 3166-1 country code: left out.",
    ) in messages
    assert ("properties.jurisdiction", "more than one country (RU beside CY): CY kept.") in messages
    assert (
        "properties.leiCode[2]",
        f"a second LEI {OTHER_LEI} beside {LEI}: left out.",
    ) in messages
    assert any(f == "properties.leiCode[0]" and "not a valid LEI" in m for f, m in messages)
    assert all(w["record"] == "line 1 (c1)" for w in run.warnings)


def test_a_bad_lei_check_digit_is_a_warning_and_the_entity_is_kept_without_it(write_ftm):
    bad = LEI[:-2] + "99"
    run = run_ftm(write_ftm([company("c1", "Acme Ltd", leiCode=bad)]))

    assert run.status == "done"
    assert Entity.objects.get().lei == ""
    assert run.warnings[0]["field"] == "properties.leiCode[0]"
    assert f"“{bad}” is not a valid LEI" in run.warnings[0]["message"]


# --- Relations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "interest", "share", "low", "high"),
    [
        ("50", "shareholding", Decimal("50"), None, None),
        ("50%", "shareholding", Decimal("50"), None, None),
        ("12.5 %", "shareholding", Decimal("12.5"), None, None),
        ("25-50", "shareholding", None, Decimal("25"), Decimal("50")),
        ("25% - 50%", "shareholding", None, Decimal("25"), Decimal("50")),
        ("", "other_influence", None, None, None),
        (None, "other_influence", None, None, None),
    ],
)
def test_an_ownership_percentage_is_read_as_written(write_ftm, written, interest, share, low, high):
    properties = {} if written is None else {"percentage": written}
    run = run_ftm(
        write_ftm(
            [company("a", "Owner Co"), company("b", "Owned Co"), owns("o", "a", "b", **properties)]
        )
    )

    assert run.status == "done", run.errors
    edge = edge_of("Owner Co", "Owned Co")
    assert (edge.interest, edge.share, edge.share_min, edge.share_max) == (
        interest,
        share,
        low,
        high,
    )
    assert (edge.import_run, edge.import_record) == (run, "o")


def test_relations_may_name_entities_later_in_the_file_and_partial_dates_are_first_days(
    write_ftm,
):
    run = run_ftm(
        write_ftm(
            [
                owns("o", "a", "b", percentage="30", startDate="2021", endDate="2023-03"),
                entity("d", "Directorship", director="p", organization="b", startDate="2019-05-17"),
                company("a", "Owner Co"),
                company("b", "Owned Co"),
                entity("p", "Person", name="Jane Roe"),
            ]
        )
    )

    assert run.status == "done", run.errors
    edge = edge_of("Owner Co", "Owned Co")
    assert (edge.share, edge.start_date, edge.end_date) == (
        Decimal("30"),
        datetime.date(2021, 1, 1),
        datetime.date(2023, 3, 1),
    )
    seat = edge_of("Jane Roe", "Owned Co")
    assert (seat.interest, seat.start_date) == ("board_member", datetime.date(2019, 5, 17))


@pytest.mark.parametrize(
    ("roles", "interest"),
    [
        (["Chief Executive Officer"], "senior_managing_official"),
        (["CFO"], "senior_managing_official"),
        (["President"], "senior_managing_official"),
        (["Managing Director"], "senior_managing_official"),
        (["Company Secretary"], "senior_managing_official"),
        (["Director", "Officer"], "senior_managing_official"),
        (["Director"], "board_member"),
        (["Chairman of the Board"], "board_member"),
        ([], "board_member"),
    ],
)
def test_a_directorship_is_a_board_seat_unless_its_role_names_an_officer(
    write_ftm, roles, interest
):
    seat = entity("d", "Directorship", director="p", organization="c", startDate="2020-01-01")
    if roles:
        seat["properties"]["role"] = roles
    run = run_ftm(write_ftm([entity("p", "Person", name="Jane Roe"), company("c", "Acme"), seat]))

    assert run.status == "done", run.errors
    edge = edge_of("Jane Roe", "Acme")
    assert (edge.interest, edge.share) == (interest, None)


def test_control_is_a_control_edge_without_a_share(write_ftm):
    run = run_ftm(
        write_ftm(
            [
                entity("g", "PublicBody", name="State Property Agency"),
                company("c", "Acme"),
                entity("k", "Control", controller="g", entity="c", startDate="2022-07"),
            ]
        )
    )

    assert run.status == "done", run.errors
    edge = edge_of("State Property Agency", "Acme")
    assert (edge.interest, edge.share, edge.start_date) == (
        "control",
        None,
        datetime.date(2022, 7, 1),
    )


def test_a_stake_between_two_registry_parties_is_an_acquisition_event_of_the_run(write_ftm):
    services.entity_create(name="Owner Co", lei=LEI)
    services.entity_create(name="Owned Co", lei=OTHER_LEI)

    run = run_ftm(
        write_ftm(
            [
                company("a", "Owner", leiCode=LEI),
                company("b", "Owned", leiCode=OTHER_LEI),
                owns("o", "a", "b", percentage="40%", startDate="2024-02-01"),
            ]
        )
    )

    event = OwnershipEvent.objects.get()
    assert (event.kind, event.share, event.import_run) == ("acquisition", Decimal("40"), run)
    assert event.effective_date == datetime.date(2024, 2, 1)
    assert run.counts["events"] == 1


# --- Topics and the watchlist --------------------------------------------------------------------


def test_topics_list_sanctioned_and_state_owned_with_the_dataset_and_program(write_ftm):
    run = run_ftm(
        write_ftm(
            [
                entity(
                    "s",
                    "Company",
                    datasets=["us_ofac_sdn", "eu_fsf"],
                    name="Sanctioned Oil",
                    topics=["sanction", "role.oligarch"],
                    programId="RUSSIA-EO14024",
                ),
                entity("soe", "Company", datasets=["ru_soe"], name="State Rail", topics="gov.soe"),
                entity("p", "Person", name="Ivan Petrov", topics=["sanction"]),
            ]
        )
    )

    assert run.status == "done", run.errors
    entries = {
        (e.entity.name, e.category): (e.reason, e.import_run, e.import_record)
        for e in WatchlistEntry.objects.select_related("entity")
    }
    assert entries == {
        ("Sanctioned Oil", "sanctioned"): (
            "Sanctioned in us_ofac_sdn, eu_fsf; program RUSSIA-EO14024.",
            run,
            "s",
        ),
        ("State Rail", "state_owned"): ("State-owned enterprise in ru_soe.", run, "soe"),
        ("Ivan Petrov", "sanctioned"): ("Sanctioned in us_ofac_sdn.", run, "p"),
    }
    assert {
        "message": "Sanctioned Oil listed as sanctioned.",
        "field": "properties.topics",
        "record": "line 1 (s)",
    } in run.warnings


def test_a_sanction_entity_lends_its_program_to_the_reason_and_is_skipped_and_counted(
    write_ftm,
):
    run = run_ftm(
        write_ftm(
            [
                entity("s", "Sanction", entity="c", programId="UKR-EO13662", authority="OFAC"),
                entity("c", "Company", datasets=["us_ofac_sdn"], name="Acme", topics="sanction"),
                entity("t", "Sanction", entity="c", program="SSI"),
            ]
        )
    )

    assert run.status == "done", run.errors
    assert (
        WatchlistEntry.objects.get().reason
        == "Sanctioned in us_ofac_sdn; program UKR-EO13662, SSI."
    )
    assert {
        "record": "line 1",
        "field": "schema",
        "message": "2 entities of schema Sanction skipped: the registry does not map that schema.",
    } in run.warnings


@pytest.fixture
def vendor_below_a_sanctioned_owner(write_ftm):
    """Acme Data (a vendor, GB-COH 01234567) and an export in which a sanctioned company
    owns 60% of it."""
    with committed():
        acme = services.entity_create(
            name="Acme Data", country="GB", identifiers=[("GB-COH", "01234567")]
        )
        vendor = services.vendor_create(
            entity=acme, category="data_labelling", tier=1, data_access="confidential"
        )
    export = [
        company("acme", "ACME DATA LTD", jurisdiction="gb", registrationNumber="01234567"),
        company("rosneft", "Sanctioned Oil", topics="sanction", country="ru"),
        owns("own", "rosneft", "acme", percentage="60", startDate="2020"),
    ]
    return vendor, export


def latest(vendor) -> RiskAssessment:
    return RiskAssessment.objects.filter(vendor=vendor).order_by("-assessed_at", "-id").first()


def test_a_sanctioned_company_owning_60_percent_makes_the_vendor_critical_once(
    vendor_below_a_sanctioned_owner, write_ftm
):
    vendor, export = vendor_below_a_sanctioned_owner
    assessments = RiskAssessment.objects.filter(vendor=vendor).count()

    run = run_ftm(write_ftm(export))

    assert run.status == "done", run.errors
    assessment = latest(vendor)
    assert RiskAssessment.objects.filter(vendor=vendor).count() == assessments + 1
    factor = assessment.factors.get(code="sanctioned_ownership")
    assert (assessment.level, factor.severity, factor.effective_share) == (
        "critical",
        "critical",
        Decimal("60"),
    )
    assert factor.party.name == "Sanctioned Oil"
    assert run.affected_vendors == [
        {
            "vendor": vendor.pk,
            "vendor_name": "Acme Data",
            "current_level": "low",
            "projected_level": "critical",
        }
    ]
    rise = Alert.objects.get(kind="risk_increased")
    assert (rise.vendor, rise.import_run, rise.severity) == (vendor, run, "critical")


def test_re_importing_the_same_export_changes_nothing(vendor_below_a_sanctioned_owner, write_ftm):
    vendor, export = vendor_below_a_sanctioned_owner
    path = write_ftm(export)
    run_ftm(path)
    state = (
        Entity.objects.count(),
        Ownership.objects.count(),
        list(WatchlistEntry.objects.values_list("pk", "reason", "import_run")),
        Alert.objects.count(),
        OwnershipEvent.objects.count(),
    )

    again = run_ftm(path)

    assert again.status == "done", again.errors
    assert again.counts == {
        "entities_new": 0,
        "entities_matched": 2,
        "edges_new": 0,
        "edges_changed": 0,
        "edges_ended": 0,
        "edges_unchanged": 1,
        "indirect_skipped": 0,
        "events": 0,
    }
    assert again.events == []
    assert again.warnings == []
    assert (
        Entity.objects.count(),
        Ownership.objects.count(),
        list(WatchlistEntry.objects.values_list("pk", "reason", "import_run")),
        Alert.objects.count(),
        OwnershipEvent.objects.count(),
    ) == state


def test_a_later_export_that_drops_the_sanction_takes_the_entry_off_and_rechecks(
    vendor_below_a_sanctioned_owner, write_ftm
):
    vendor, export = vendor_below_a_sanctioned_owner
    first = run_ftm(write_ftm(export))
    assert latest(vendor).level == "critical"
    export[1]["properties"].pop("topics")

    later = run_ftm(write_ftm(export, "later.ftm.json"))

    assert later.status == "done", later.errors
    assert not WatchlistEntry.objects.exists()
    assessment = latest(vendor)
    assert assessment.level == "low"
    assert not assessment.factors.filter(code="sanctioned_ownership").exists()
    assert later.affected_vendors == [
        {
            "vendor": vendor.pk,
            "vendor_name": "Acme Data",
            "current_level": "critical",
            "projected_level": "low",
        }
    ]
    assert later.warnings == [
        {
            "record": "rosneft",
            "field": "properties.topics",
            "message": "Sanctioned Oil taken off the watchlist as sanctioned: OpenSanctions no "
            "longer lists it.",
        }
    ]
    assert first.pk != later.pk


def test_an_entry_a_person_made_survives_an_export_that_does_not_list_it(write_ftm):
    listed_by_hand = services.entity_create(name="Hand Listed", lei=LEI)
    entry = services.watchlist_entry_create(
        entity=listed_by_hand, category="sanctioned", reason="Our own screening."
    )
    export = [
        company("h", "Hand Listed", leiCode=LEI, topics="sanction"),
        company("x", "Exported", topics="sanction"),
    ]
    first = run_ftm(write_ftm(export))
    # The person's entry stays theirs: the export does not take it over.
    entry.refresh_from_db()
    assert (entry.reason, entry.import_run) == ("Our own screening.", None)

    later = run_ftm(write_ftm([company("h", "Hand Listed", leiCode=LEI)], "later.json"))

    assert later.status == "done", later.errors
    assert list(WatchlistEntry.objects.values_list("entity__name", "import_run")) == [
        ("Hand Listed", None)
    ]
    assert first.status == "done"


def test_another_source_never_takes_off_an_entry_it_did_not_list(write_ftm):
    run_ftm(write_ftm([company("x", "Exported", topics="sanction")]), source_name="A")

    run_ftm(write_ftm([company("y", "Other")], "b.json"), source_name="B")

    assert WatchlistEntry.objects.get().entity.name == "Exported"


def test_a_dry_run_reports_the_listing_and_writes_nothing(
    vendor_below_a_sanctioned_owner, write_ftm
):
    vendor, export = vendor_below_a_sanctioned_owner

    run = run_ftm(write_ftm(export), dry_run=True)

    assert run.status == "done", run.errors
    assert not WatchlistEntry.objects.exists()
    assert Ownership.objects.count() == 0
    assert run.affected_vendors[0]["projected_level"] == "critical"


# --- Skipped schemas and bad input ---------------------------------------------------------------


def test_schemas_the_registry_does_not_map_are_skipped_and_counted(write_ftm):
    run = run_ftm(
        write_ftm(
            [
                company("c", "Acme"),
                entity("a1", "Address", full="1 Main St"),
                entity("v", "Vessel", name="MV Example"),
                entity("a2", "Address", full="2 Main St"),
                owns("o", "c", "v", percentage="100"),
            ]
        )
    )

    assert run.status == "done", run.errors
    assert run.counts["entities_new"] == 1
    assert run.counts["edges_new"] == 0
    assert run.warnings == [
        {
            "record": "line 2",
            "field": "schema",
            "message": "2 entities of schema Address skipped: the registry does not map that "
            "schema.",
        },
        {
            "record": "line 5",
            "field": "schema",
            "message": "1 entity of schema Ownership skipped: they name an entity of a schema "
            "the registry does not map.",
        },
        {
            "record": "line 3",
            "field": "schema",
            "message": "1 entity of schema Vessel skipped: the registry does not map that schema.",
        },
    ]


@pytest.mark.parametrize(
    ("line", "record", "field", "message"),
    [
        ("not json at all", "line 2", "(file)", "invalid JSON"),
        (
            json.dumps({"schema": "Company", "properties": {"name": ["X"]}}),
            "line 2",
            "id",
            "the entity has no id.",
        ),
        (
            json.dumps({"id": "x", "properties": {"name": ["X"]}}),
            "line 2 (x)",
            "schema",
            "the entity has no schema.",
        ),
        (
            json.dumps(owns("o", "a", "b", percentage="150")),
            "line 2 (o)",
            "properties.percentage",
            "“150” is not a share: a share runs from 0 to 100 percent.",
        ),
        (
            json.dumps(owns("o", "a", "b", percentage="abc")),
            "line 2 (o)",
            "properties.percentage",
            "“abc” is not a percentage.",
        ),
        (
            json.dumps(owns("o", "a", "b", percentage="50-25")),
            "line 2 (o)",
            "properties.percentage",
            "“50-25”: the range runs from high to low.",
        ),
        (
            json.dumps(owns("o", "a", "b", startDate="2021-13")),
            "line 2 (o)",
            "properties.startDate",
            "“2021-13” is not a date (YYYY-MM-DD).",
        ),
        (
            json.dumps(entity("o", "Ownership", owner="a")),
            "line 2 (o)",
            "properties.asset",
            "a Ownership needs its asset.",
        ),
        (
            json.dumps(entity("c2", "Company", country="gb")),
            "line 2 (c2)",
            "properties.name",
            "a Company needs a name.",
        ),
        (
            json.dumps(owns("o", "a", "ghost")),
            "line 2 (o)",
            "properties.asset",
            "“ghost” is not a statement of this file nor a record of an earlier run of "
            "OpenSanctions.",
        ),
    ],
)
def test_bad_input_fails_the_run_naming_the_line_and_field_and_changes_nothing(
    write_ftm, line, record, field, message
):
    run = run_ftm(write_ftm([company("a", "Owner", topics="sanction"), line]))

    assert run.status == "failed"
    error = run.errors[0]
    assert (error["record"], error["field"]) == (record, field)
    assert message in error["message"]
    assert not Entity.objects.exists()
    assert not WatchlistEntry.objects.exists()


def test_a_percentage_that_overflows_the_100_percent_rule_fails_the_run(write_ftm):
    run = run_ftm(
        write_ftm(
            [
                company("a", "A"),
                company("b", "B"),
                company("c", "C"),
                owns("o1", "a", "c", percentage="60", startDate="2020-01-01"),
                owns("o2", "b", "c", percentage="60", startDate="2020-01-01"),
            ]
        )
    )

    assert run.status == "failed"
    assert run.errors[0]["record"] == "line 5 (o2)"
    assert run.errors[0]["field"] == "properties.percentage.share"
    assert not Entity.objects.exists()


def test_the_format_is_detected_from_the_first_line():
    ftm_line = json.dumps(company("c", "Acme")).encode()
    bods_line = json.dumps({"statementId": "s", "recordType": "entity"}).encode()

    assert import_format_detect(io.BytesIO(ftm_line + b"\n")) == "ftm"
    assert import_format_detect(io.BytesIO(bods_line + b"\n")) == "bods"


# --- The scheduled import ------------------------------------------------------------------------


def test_the_scheduled_import_reads_the_configured_export_once_per_change(write_ftm, settings):
    from imports.tasks import import_opensanctions_export

    path = write_ftm([company("s", "Sanctioned Oil", topics="sanction")])
    settings.OPENSANCTIONS_EXPORT_PATH = str(path)
    settings.OPENSANCTIONS_SOURCE_NAME = "OpenSanctions default"

    with committed():
        first = import_opensanctions_export()
    with committed():
        unchanged = import_opensanctions_export()
    write_ftm([company("s", "Sanctioned Oil")])
    with committed():
        changed = import_opensanctions_export()

    runs = list(ImportRun.objects.order_by("pk"))
    assert [(r.pk, r.status, r.format, r.source_name) for r in runs] == [
        (first, "done", "ftm", "OpenSanctions default"),
        (changed, "done", "ftm", "OpenSanctions default"),
    ]
    assert unchanged is None
    assert all(r.rechecked_at is not None for r in runs)
    # The changed export no longer lists the company: its entry is gone again.
    assert not WatchlistEntry.objects.exists()


def test_the_scheduled_import_of_a_missing_file_is_a_failed_run_and_unset_does_nothing(
    tmp_path, settings
):
    from imports.tasks import import_opensanctions_export

    settings.OPENSANCTIONS_EXPORT_PATH = ""
    assert import_opensanctions_export() is None
    settings.OPENSANCTIONS_EXPORT_PATH = str(tmp_path / "absent.ftm.json")

    run = ImportRun.objects.get(pk=import_opensanctions_export())

    assert run.status == "failed"
    assert run.errors == [
        {
            "record": "",
            "field": "file",
            "message": f"{tmp_path / 'absent.ftm.json'}: no such file (the download is the "
            "operator's).",
        }
    ]


def test_a_later_export_with_another_dataset_updates_the_reason_of_the_same_entry(write_ftm):
    first = [entity("x", "Company", datasets=["us_ofac_sdn"], name="Acme", topics="sanction")]
    run_ftm(write_ftm(first))
    entry = WatchlistEntry.objects.get()
    later = [entity("x", "Company", datasets=["eu_fsf"], name="Acme", topics="sanction")]

    run = run_ftm(write_ftm(later, "later.json"))

    assert list(WatchlistEntry.objects.values_list("pk", "reason")) == [
        (entry.pk, "Sanctioned in eu_fsf.")
    ]
    assert run.warnings == [
        {
            "record": "line 1 (x)",
            "field": "properties.topics",
            "message": "Acme, listed as sanctioned: the reason is now Sanctioned in eu_fsf.",
        }
    ]
