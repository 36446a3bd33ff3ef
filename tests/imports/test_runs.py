"""Import runs against a registry that already holds data: matching, events, one recheck,
idempotence, all or nothing and the dry run (DESIGN, "Open ownership data")."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from alerts.models import Alert
from core.models import Lease
from imports.models import ImportedRecord, ImportRun
from imports.services import import_run_create, import_run_execute
from imports.tasks import sweep_import_rechecks
from registry import services
from registry.models import (
    Entity,
    Ownership,
    OwnershipEvent,
    RecheckRequest,
    RiskAssessment,
)
from registry.services.pipeline import pending_work
from tests.imports import bods
from tests.imports.conftest import committed, run_file
from tests.pipeline.scenario import build_reference_registry

pytestmark = pytest.mark.django_db

META_LEI = "BQ4BKCS1HXDV9HN80Z93"


@pytest.fixture
def reference():
    """The reference scenario before the events, with Meta's LEI and Scale AI's DUNS number
    on record, every vendor assessed once."""
    with committed():
        ref = build_reference_registry()
        services.entity_update(entity=ref.meta, lei=META_LEI)
        services.entity_update(entity=ref.scale, identifiers=[("DUNS", "081234567")])
    return ref


def meta_buys_49_percent_of_scale() -> list[dict]:
    return [
        bods.entity("meta", "Meta Platforms, Inc.", identifiers=[("XI-LEI", META_LEI)]),
        bods.entity("scale", "Scale AI, Inc.", identifiers=[("duns", "081234567")]),
        bods.stake("meta-scale", "scale", "meta", share=49, start="2025-06-13"),
    ]


def test_parties_match_by_lei_and_by_identifier_with_the_scheme_upper_cased(reference, write_json):
    run = run_file(write_json(meta_buys_49_percent_of_scale()))

    assert run.status == "done", run.errors
    assert run.counts["entities_new"] == 0
    assert run.counts["entities_matched"] == 2
    assert Entity.objects.count() == 4
    # The registry's names stay; the file's are not a reason to rename.
    assert Entity.objects.get(lei=META_LEI).name == "Meta Platforms"


def test_a_party_matches_by_its_record_id_in_an_earlier_run_of_the_same_source(write_json):
    first = run_file(write_json([bods.entity("acme", "Acme Ltd", country="GB")]), source_name="S")
    renamed = write_json([bods.entity("acme", "ACME Limited", country="GB")], "second.json")

    again = run_file(renamed, source_name="S")
    other_source = run_file(renamed, source_name="Another register")

    assert (first.counts["entities_new"], again.counts["entities_matched"]) == (1, 1)
    assert again.counts["entities_new"] == 0
    # Another source's record ids mean nothing here: a new entity, flagged as a possible
    # duplicate since its name and country equal an existing entity's.
    assert other_source.counts["entities_new"] == 1
    assert Entity.objects.filter(name__iexact="acme limited").count() == 1
    assert Entity.objects.count() == 2


def test_a_party_never_matches_by_name_alone_and_is_flagged_as_a_possible_duplicate(
    write_json,
):
    existing = services.entity_create(name="Chrinon Ltd", country="GB")
    run = run_file(write_json([bods.entity("c", "CHRINON LTD", country="GB")]))

    assert run.counts["entities_new"] == 1
    assert run.counts["entities_matched"] == 0
    new = Entity.objects.exclude(pk=existing.pk).get()
    assert run.warnings == [
        {
            "record": "element 0 (line 1) (c-2025-06-20-new)",
            "field": "name",
            "message": f"Possible duplicate: created CHRINON LTD (#{new.pk}) beside Chrinon Ltd "
            f"(GB) (#{existing.pk}), which has the same name and country.",
        }
    ]


def test_a_stake_between_two_registry_parties_is_an_event_of_the_run_with_its_alerts(
    reference, write_json
):
    before_rechecks = RecheckRequest.objects.count()
    before_assessments = RiskAssessment.objects.count()

    run = run_file(write_json(meta_buys_49_percent_of_scale()))

    event = OwnershipEvent.objects.get()
    assert run.counts["events"] == 1
    assert run.counts["edges_new"] == 1
    assert (event.kind, event.import_run, event.share) == ("acquisition", run, Decimal("49"))
    assert event.effective_date == datetime.date(2025, 6, 13)
    assert event.status == "processed"
    assert set(event.affected_vendors.all()) == {reference.scale_vendor, reference.remotasks_vendor}
    edge = Ownership.objects.get(owner=reference.meta, owned=reference.scale)
    assert (edge.share, edge.source_event) == (Decimal("49"), event)
    # One recheck for the run: no recheck request per edge, one assessment per vendor.
    assert RecheckRequest.objects.count() == before_rechecks
    assert RiskAssessment.objects.count() - before_assessments == 2
    coc = Alert.objects.get(kind="change_of_control")
    assert (coc.contract, coc.event, coc.import_run) == (reference.scale_contract, event, run)
    assert coc.due_date == datetime.date(2025, 7, 13)
    rises = Alert.objects.filter(kind="risk_increased").order_by("vendor_id")
    assert [(a.vendor, a.severity, a.import_run, a.event) for a in rises] == [
        (reference.scale_vendor, "critical", run, None),
        (reference.remotasks_vendor, "high", run, None),
    ]
    assert rises[0].dedup_key.startswith(f"risk_increased:import:{run.pk}:")
    assert run.affected_vendors == [
        {
            "vendor": reference.scale_vendor.pk,
            "vendor_name": "Scale AI",
            "current_level": "low",
            "projected_level": "critical",
        },
        {
            "vendor": reference.remotasks_vendor.pk,
            "vendor_name": "Remotasks",
            "current_level": "low",
            "projected_level": "high",
        },
    ]


def test_the_same_file_twice_changes_nothing_the_second_time(reference, write_json):
    path = write_json(meta_buys_49_percent_of_scale())
    run_file(path)
    edges, events, alerts = (
        Ownership.objects.count(),
        OwnershipEvent.objects.count(),
        Alert.objects.count(),
    )

    second = run_file(path)

    assert second.status == "done"
    assert second.counts == {
        "entities_new": 0,
        "entities_matched": 2,
        "edges_new": 0,
        "edges_changed": 0,
        "edges_ended": 0,
        "edges_unchanged": 1,
        "indirect_skipped": 0,
        "events": 0,
    }
    assert (Ownership.objects.count(), OwnershipEvent.objects.count()) == (edges, events)
    assert Alert.objects.count() == alerts
    assert second.affected_vendors == []


@pytest.mark.parametrize("version", ["v02-1-single-direct.json", "v04-bods-package-fi-soe.json"])
def test_a_published_example_imported_twice_is_unchanged_the_second_time(version):
    first = run_file(version)
    second = run_file(version)

    assert second.counts["entities_new"] == second.counts["edges_new"] == 0
    assert second.counts["edges_changed"] == second.counts["edges_ended"] == 0
    assert second.counts["edges_unchanged"] == first.counts["edges_new"]
    assert second.counts["entities_matched"] == first.counts["entities_new"]


def test_a_later_statement_of_the_record_changes_the_stake_from_its_date(write_json):
    run_file(
        write_json(
            [
                bods.entity("a", "A"),
                bods.entity("b", "B"),
                bods.stake("ab", "a", "b", share=30, start="2020-01-01", date="2020-01-05"),
            ]
        ),
        source_name="S",
    )
    update = run_file(
        write_json(
            [bods.stake("ab", "a", "b", share=40, start="2020-01-01", date="2022-03-01")],
            "update.json",
        ),
        source_name="S",
    )

    assert update.counts["edges_changed"] == 1
    assert update.counts["events"] == 1  # A and B were registry parties by then
    assert sorted((e.share, e.start_date, e.end_date) for e in Ownership.objects.all()) == [
        (Decimal("30"), datetime.date(2020, 1, 1), datetime.date(2022, 2, 28)),
        (Decimal("40"), datetime.date(2022, 3, 1), None),
    ]


def test_a_closed_record_and_an_end_date_end_their_edges(write_json):
    parties = [bods.entity("a", "A"), bods.entity("b", "B"), bods.person("p", "P")]
    run_file(
        write_json(
            [
                *parties,
                bods.stake("ab", "a", "b", share=60, start="2020-01-01"),
                bods.stake("pa", "a", "p", kind="boardMember", start="2021-01-01"),
            ]
        ),
        source_name="S",
    )

    closing = run_file(
        write_json(
            [
                bods.stake(
                    "ab", "a", "b", share=60, start="2020-01-01", date="2024-05-01", status="closed"
                ),
                bods.stake(
                    "pa", "a", "p", kind="boardMember", start="2021-01-01", end="2024-01-01"
                ),
            ],
            "closing.json",
        ),
        source_name="S",
    )

    assert closing.counts["edges_ended"] == 2
    ends = dict(Ownership.objects.values_list("interest", "end_date"))
    assert ends == {
        "shareholding": datetime.date(2024, 4, 30),
        "board_member": datetime.date(2023, 12, 31),
    }
    # B's stake was between two registry parties: ending it is a divestiture.
    assert list(OwnershipEvent.objects.values_list("kind", "effective_date")) == [
        ("divestiture", datetime.date(2024, 5, 1))
    ]


def test_a_share_of_150_fails_the_run_naming_the_statement_and_field_and_changes_nothing(
    reference, write_json
):
    statements = meta_buys_49_percent_of_scale()
    statements[2]["recordDetails"]["interests"][0]["share"] = {"exact": 150}
    statements.insert(0, bods.entity("new", "Brand New Ltd"))
    entities = Entity.objects.count()

    run = run_file(write_json(statements))

    assert run.status == "failed"
    assert run.errors == [
        {
            "record": "element 3 (line 1) (meta-scale-2025-06-20-new)",
            "field": "recordDetails.interests[0].share.exact",
            "message": "150 is not a share: a share runs from 0 to 100 percent.",
        }
    ]
    assert run.counts["entities_new"] == 0
    assert Entity.objects.count() == entities
    assert OwnershipEvent.objects.count() == Alert.objects.count() == 0


def test_invalid_json_at_line_3_of_json_lines_changes_nothing(write_json):
    lines = [
        '{"statementID": "e1", "statementType": "entityStatement", "name": "A Ltd"}',
        '{"statementID": "e2", "statementType": "entityStatement", "name": "B Ltd"}',
        '{"statementID": "e3", "statementType": "entityStatement", "name": "C Ltd",,}',
    ]
    run = run_file(write_json("\n".join(lines) + "\n", "statements.jsonl"))

    assert run.status == "failed"
    assert run.errors == [
        {
            "record": "line 3",
            "field": "(file)",
            "message": "invalid JSON at line 3, column 75: Expecting property name enclosed "
            "in double quotes.",
        }
    ]
    assert Entity.objects.count() == 0


def test_a_change_the_registry_refuses_fails_the_whole_run_at_its_statement(write_json):
    run = run_file(
        write_json(
            [
                bods.entity("a", "A"),
                bods.entity("b", "B"),
                bods.entity("c", "C"),
                bods.stake("ba", "a", "b", share=60, start="2020-01-01"),
                bods.stake("ca", "a", "c", share=60, start="2020-01-01"),
            ]
        )
    )

    assert run.status == "failed"
    [error] = run.errors
    assert error["record"] == "element 4 (line 1) (ca-2025-06-20-new)"
    assert error["field"] == "recordDetails.interests[0].share"
    assert "above 100%" in error["message"]
    assert Entity.objects.count() == Ownership.objects.count() == 0


def test_a_dry_run_reports_the_events_and_projected_levels_and_writes_only_the_run(
    reference, write_json
):
    before = (
        Entity.objects.count(),
        Ownership.objects.count(),
        RiskAssessment.objects.count(),
        RecheckRequest.objects.count(),
    )

    run = run_file(write_json(meta_buys_49_percent_of_scale()), dry_run=True)

    assert run.status == "done"
    assert run.dry_run is True
    assert run.counts["events"] == 1
    assert run.events == [
        {
            "id": None,
            "kind": "acquisition",
            "subject": reference.scale.pk,
            "subject_name": "Scale AI",
            "counterparty": reference.meta.pk,
            "counterparty_name": "Meta Platforms",
            "person": None,
            "person_name": "",
            "share": "49",
            "effective_date": "2025-06-13",
            "record": "meta-scale",
        }
    ]
    assert [
        (row["vendor"], row["current_level"], row["projected_level"])
        for row in run.affected_vendors
    ] == [
        (reference.scale_vendor.pk, "low", "critical"),
        (reference.remotasks_vendor.pk, "low", "high"),
    ]
    after = (
        Entity.objects.count(),
        Ownership.objects.count(),
        RiskAssessment.objects.count(),
        RecheckRequest.objects.count(),
    )
    assert after == before
    assert OwnershipEvent.objects.count() == Alert.objects.count() == 0
    assert ImportRun.objects.count() == 1


@pytest.mark.parametrize(("confers", "interest"), [(True, "control"), (False, "other_influence")])
def test_control_by_articles_is_control_when_the_statement_says_it_confers_it(
    write_json, confers, interest
):
    statement = bods.stake("ab", "a", "b", kind="controlViaCompanyRulesOrArticles")
    statement["recordDetails"]["interests"][0]["beneficialOwnershipOrControl"] = confers
    statement["recordDetails"]["interests"][0]["share"] = {"exact": 100}

    run = run_file(write_json([bods.entity("a", "A"), bods.entity("b", "B"), statement]))

    edge = Ownership.objects.get()
    assert run.counts["edges_new"] == 1
    assert edge.interest == interest
    # Control carries no share; other influence keeps what was published.
    assert edge.share == (None if confers else Decimal(100))


def test_a_run_whose_recheck_was_lost_is_swept_and_its_events_wait_for_it(
    reference, write_json, django_capture_on_commit_callbacks
):
    path = write_json(meta_buys_49_percent_of_scale())
    with django_capture_on_commit_callbacks(execute=False):  # the recheck task is lost
        run = import_run_create(source_name="S", file_name=path.name, enqueue=False)
        import_run_execute(run=run, path=path)
    event = OwnershipEvent.objects.get()
    assert event.status == "pending"
    # The per-event sweeper leaves it to the run's recheck.
    assert pending_work(older_than=datetime.timedelta(seconds=-60)) == ([], [], [])

    ImportRun.objects.filter(pk=run.pk).update(
        finished_at=run.finished_at - datetime.timedelta(minutes=5)
    )
    assert sweep_import_rechecks() == 1

    event.refresh_from_db()
    assert event.status == "processed"
    assert Alert.objects.filter(import_run=run, kind="change_of_control").count() == 1
    assert sweep_import_rechecks() == 0


def test_the_reference_scenario_from_a_file_logs_both_events_and_rechecks_once(
    reference, write_json
):
    """Meta buys 49% of Scale AI and Scale's CEO, already on Scale's board, becomes an
    officer at Meta: an acquisition and an executive move, as if logged by hand."""
    statements = [
        *meta_buys_49_percent_of_scale(),
        bods.person("ceo", "Scale AI CEO"),
        bods.stake("ceo-meta", "meta", "ceo", kind="seniorManagingOfficial", start="2025-06-13"),
    ]
    # The CEO is matched by the record id an earlier run of the same source gave it.
    earlier = ImportRun.objects.create(source_name="Test register", format="bods", status="done")
    ImportedRecord.objects.create(run=earlier, record="ceo", entity=reference.ceo)

    run = run_file(write_json(statements))

    assert run.status == "done", run.errors
    assert run.counts["entities_matched"] == 3
    events = {e.kind: e for e in OwnershipEvent.objects.filter(import_run=run)}
    assert set(events) == {"acquisition", "executive_move"}
    move = events["executive_move"]
    assert (move.subject, move.counterparty, move.person) == (
        reference.scale,
        reference.meta,
        reference.ceo,
    )
    reference.scale_vendor.refresh_from_db()
    reference.remotasks_vendor.refresh_from_db()
    assert reference.scale_vendor.risk_level == "critical"
    assert reference.remotasks_vendor.risk_level == "high"
    factors = set(
        RiskAssessment.objects.filter(vendor=reference.scale_vendor)
        .latest("assessed_at", "id")
        .factors.values_list("code", flat=True)
    )
    assert {"competitor_ownership", "key_person_interlock"} <= factors
    assert all(e.status == "processed" for e in events.values())


def test_a_dry_run_reports_the_counts_the_run_then_has(reference, write_json):
    path = write_json(meta_buys_49_percent_of_scale())

    dry = run_file(path, dry_run=True)
    real = run_file(path)

    assert dry.counts == real.counts
    assert [row["kind"] for row in dry.events] == [row["kind"] for row in real.events]
    assert [
        (row["vendor"], row["current_level"], row["projected_level"])
        for row in dry.affected_vendors
    ] == [
        (row["vendor"], row["current_level"], row["projected_level"])
        for row in real.affected_vendors
    ]


def test_a_run_whose_worker_died_is_failed_by_the_sweeper_and_changed_nothing():
    # Run from a path (no stored file), its worker's lease ran out: it cannot be run again.
    stuck = import_run_create(source_name="S", enqueue=False)
    ImportRun.objects.filter(pk=stuck.pk).update(status="running", started_at=stuck.created_at)
    Lease.objects.create(
        kind="import_run",
        object_id=stuck.pk,
        claimed_by="elsewhere:1:dead",
        claimed_at=stuck.created_at,
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    # Started four hours ago, its worker still renews its lease: left alone.
    recent = import_run_create(source_name="S", enqueue=False)
    ImportRun.objects.filter(pk=recent.pk).update(
        status="running", started_at=recent.created_at - datetime.timedelta(hours=4)
    )
    Lease.objects.create(
        kind="import_run",
        object_id=recent.pk,
        claimed_by="elsewhere:2:alive",
        claimed_at=recent.created_at,
        lease_expires_at=timezone.now() + datetime.timedelta(seconds=20),
    )

    sweep_import_rechecks()

    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert stuck.status == "failed"
    assert "worker ended" in stuck.errors[0]["message"]
    assert recent.status == "running"


def test_an_undisclosed_owner_of_a_vendors_parent_is_rechecked_once_with_the_run(
    reference, write_json
):
    # Scale AI (matched by its DUNS number) declares an owner it does not name; Remotasks,
    # which Scale AI owns outright, is below it and is affected too.
    hidden = bods.stake("hidden-scale", "scale", "meta", share=30)
    hidden["recordDetails"]["interestedParty"] = {
        "reason": "informationUnknownToPublisher",
        "description": "Nominee shareholder",
    }
    statements = [bods.entity("scale", "Scale AI, Inc.", identifiers=[("DUNS", "081234567")])]
    run = run_file(write_json([*statements, hidden]))

    assert run.status == "done", run.errors
    reference.scale.refresh_from_db()
    assert reference.scale.owners_undisclosed is True
    # The run rechecks its affected vendors once; the edit it made asks for no recheck of its own.
    assert not RecheckRequest.objects.filter(reason="disclosure_changed").exists()
    assert sorted(row["vendor"] for row in run.affected_vendors) == sorted(
        [reference.scale_vendor.pk, reference.remotasks_vendor.pk]
    )
    for vendor, path in (
        (reference.scale_vendor, [reference.scale.pk]),
        (reference.remotasks_vendor, [reference.scale.pk, reference.remotasks.pk]),
    ):
        latest = RiskAssessment.objects.filter(vendor=vendor).latest()
        assert list(latest.factors.values_list("code", "party", "effective_share", "path")) == [
            ("undisclosed_ownership", reference.scale.pk, Decimal("100.0000"), path)
        ]
        assert (latest.level, latest.score) == ("low", 7)


def test_entities_and_edges_written_in_bulk_keep_their_audit_history(write_json):
    run = run_file(
        write_json(
            [
                bods.entity("a", "A", identifiers=[("gb-coh", "00000042")]),
                bods.entity("b", "B"),
                bods.stake("ab", "a", "b", share=30, start="2020-01-01"),
            ]
        )
    )

    assert run.status == "done", run.errors
    a = Entity.objects.get(name="A")
    edge = Ownership.objects.get()
    assert (a.import_run, a.import_record) == (run, "a")
    assert [(i.scheme, i.value) for i in a.identifiers.all()] == [("GB-COH", "00000042")]
    assert (edge.import_run, edge.import_record, edge.share) == (run, "ab", Decimal("30"))
    assert a.history.count() == 1
    assert a.identifiers.get().history.count() == 1
    assert list(edge.history.values_list("history_type", "share")) == [("+", Decimal("30"))]


def test_an_uploaded_run_whose_worker_died_is_run_again_by_the_sweeper():
    from django.core.files.base import ContentFile

    from tests.imports.conftest import DATA

    name = sorted(p.name for p in DATA.glob("*.json"))[0]
    with committed():
        run = import_run_create(
            source_name="S",
            file=ContentFile((DATA / name).read_bytes(), name=name),
            enqueue=False,
        )
    # Its worker took it up and died: its lease ran out, its transaction never committed.
    ImportRun.objects.filter(pk=run.pk).update(status="running", started_at=run.created_at)
    Lease.objects.create(
        kind="import_run",
        object_id=run.pk,
        claimed_by="elsewhere:1:dead",
        claimed_at=run.created_at,
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    with committed():
        sweep_import_rechecks()
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("done", 1)
    assert Lease.objects.filter(kind="import_run", object_id=run.pk, claimed_by="x").count() == 0
    # Its lease was given back when it finished; the sweeper's hold is all that is left.
    assert list(Lease.objects.filter(kind="import_run").values_list("claimed_by", flat=True)) == [
        ""
    ]
