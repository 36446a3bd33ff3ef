"""GLEIF Level 1 and Level 2 imports: LEI records, relationship records and reporting
exceptions, as XML and as the golden-copy CSV, plain or zipped, full and delta (DESIGN,
"Open ownership data")."""

import datetime
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from imports.models import ImportRun, LeiRegistration
from imports.services import import_format_detect, import_run_create, import_run_execute
from registry import services
from registry.models import Entity, Ownership, OwnershipEvent
from tests.imports import gleif as g
from tests.imports.conftest import committed

pytestmark = pytest.mark.django_db

PARENT = g.make_lei("5493PARENT")
CHILD = g.make_lei("5493CHILD")
GRAND = g.make_lei("5493GRAND")
FUND = g.make_lei("5493FUND")
MANAGER = g.make_lei("5493MANAGER")

TODAY = datetime.date.today()


def run_gleif(
    path: Path, *, source_name: str = "GLEIF", dry_run: bool = False, file_format: str = ""
) -> ImportRun:
    """Import ``path`` as the command does, the format detected from the content unless
    given."""
    if not file_format:
        with path.open("rb") as stream:
            file_format = import_format_detect(stream)
    with committed():
        run = import_run_create(
            source_name=source_name,
            file_name=path.name,
            format=file_format,
            dry_run=dry_run,
            enqueue=False,
        )
        import_run_execute(run=run, path=path)
    return ImportRun.objects.get(pk=run.pk)


@pytest.fixture
def write(tmp_path):
    def write(content: str | bytes, name: str) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


def group() -> list[g.Lei]:
    return [
        g.Lei(GRAND, "Grand Holdings plc", country="GB"),
        g.Lei(PARENT, "Parent Holdings Inc."),
        g.Lei(CHILD, "Child Operations LLC", country="DE"),
        g.Lei(FUND, "Example Sub-Fund", country="LU", category="FUND"),
        g.Lei(MANAGER, "Example Fund Manager S.A.", country="LU"),
    ]


def test_lei_records_create_entities_with_name_country_kind_and_statuses(write):
    run = run_gleif(write(g.lei_xml(group()), "lei.xml"))

    assert run.status == "done", run.errors
    assert run.format == "gleif-lei"
    assert run.counts["entities_new"] == 5
    child = Entity.objects.get(lei=CHILD)
    assert (child.name, child.country, child.kind) == ("Child Operations LLC", "DE", "company")
    assert Entity.objects.get(lei=FUND).kind == "fund"
    registration = LeiRegistration.objects.get(entity=child)
    assert (registration.entity_status, registration.registration_status) == ("ACTIVE", "ISSUED")
    assert registration.last_update == datetime.date(2024, 3, 1)


def edges(**filters) -> set[tuple]:
    """Edges as (owned LEI, owner LEI, interest, share, start, end)."""
    return {
        (e.owned.lei, e.owner.lei, e.interest, e.share, e.start_date, e.end_date)
        for e in Ownership.objects.filter(**filters).select_related("owner", "owned")
    }


def with_group(write, fmt: str = "xml") -> None:
    records = group()
    content = g.lei_xml(records) if fmt == "xml" else g.lei_csv(records)
    run = run_gleif(write(content, f"lei.{fmt}"))
    assert run.status == "done", run.errors


def rr_file(write, records: list[g.Rel], fmt: str, name: str = "rr") -> Path:
    content = g.rr_xml(records) if fmt == "xml" else g.rr_csv(records)
    return write(content, f"{name}.{fmt}")


def test_the_golden_copy_csv_reads_as_the_xml_does(write):
    run = run_gleif(write(g.lei_csv(group()), "lei.csv"))

    assert run.status == "done", run.errors
    assert run.format == "gleif-lei"
    assert sorted(Entity.objects.values_list("lei", "name", "country", "kind")) == sorted(
        (r.lei, r.name, r.country, "fund" if r.category == "FUND" else "company") for r in group()
    )


D2020 = datetime.date(2020, 1, 1)


@pytest.mark.parametrize("fmt", ["xml", "csv"])
def test_every_relationship_type_maps_to_its_edges(write, fmt):
    with_group(write, fmt)
    records = [
        g.Rel(CHILD, PARENT, percent="60.50"),
        g.Rel(PARENT, GRAND, kind="IS_INTERNATIONAL_BRANCH_OF"),
        g.Rel(FUND, PARENT, kind="IS_SUBFUND_OF", percent="100"),
        g.Rel(FUND, MANAGER, kind="IS_FUND-MANAGED_BY", percent="10"),
        g.Rel(CHILD, FUND, kind="IS_FEEDER_TO"),
        g.Rel(CHILD, GRAND, kind="IS_ULTIMATELY_CONSOLIDATED_BY"),
    ]

    run = run_gleif(rr_file(write, records, fmt))

    assert run.status == "done", run.errors
    assert run.format == "gleif-rr"
    assert edges() == {
        (CHILD, PARENT, "control", None, D2020, None),
        (CHILD, PARENT, "shareholding", Decimal("60.5000"), D2020, None),
        (PARENT, GRAND, "control", None, D2020, None),
        (FUND, PARENT, "control", None, D2020, None),
        (FUND, PARENT, "shareholding", Decimal("100.0000"), D2020, None),
        # Fund relations are influence, whatever their quantifier says.
        (FUND, MANAGER, "other_influence", None, D2020, None),
        (CHILD, FUND, "other_influence", None, D2020, None),
    }
    # The ultimate parent is where the graph leads (child → parent → grand): no warning.
    assert run.counts["edges_new"] == 7
    assert not [w for w in run.warnings if "ultimate" in w["message"]]
    # The parties were in the registry (from the LEI file): each stake is an acquisition;
    # control and influence edges are written directly.
    assert run.counts["events"] == 2
    assert sorted(
        OwnershipEvent.objects.filter(import_run=run).values_list(
            "kind", "subject__lei", "counterparty__lei", "share"
        )
    ) == sorted(
        [
            ("acquisition", CHILD, PARENT, Decimal("60.5000")),
            ("acquisition", FUND, PARENT, Decimal("100.0000")),
        ]
    )


def test_the_report_lists_the_first_events_and_counts_them_all(
    write, monkeypatch, client, django_user_model
):
    from imports import services as import_services

    monkeypatch.setattr(import_services, "REPORT_EVENTS", 1)
    with_group(write)
    records = [g.Rel(CHILD, PARENT, percent="60.50"), g.Rel(FUND, PARENT, percent="100")]

    run = run_gleif(rr_file(write, records, "csv"))

    assert run.counts["events"] == 2
    assert OwnershipEvent.objects.filter(import_run=run).count() == 2
    assert [(e["kind"], e["share"]) for e in run.events] == [("acquisition", "60.5")]
    report = import_services.import_run_report(run)
    assert "… and 1 more event (the first 1 are listed)" in report
    client.force_login(django_user_model.objects.create_user("reader", password="pw-tests"))
    page = client.get(f"/imports/{run.pk}/").content.decode()
    assert "… and 1 more (the first 1 are listed" in page


def test_an_ultimate_parent_the_graph_does_not_lead_to_is_a_warning_never_an_edge(write):
    with_group(write)
    records = [
        g.Rel(CHILD, PARENT),
        g.Rel(CHILD, MANAGER, kind="IS_ULTIMATELY_CONSOLIDATED_BY"),
        g.Rel(PARENT, GRAND),
        g.Rel(CHILD, PARENT, kind="IS_ULTIMATELY_CONSOLIDATED_BY"),
    ]

    run = run_gleif(rr_file(write, records, "xml"))

    assert run.status == "done", run.errors
    assert not Ownership.objects.filter(owner__lei=MANAGER).exists()
    messages = [(w["field"], w["message"]) for w in run.warnings]
    assert (
        "Relationship.RelationshipType",
        "Example Fund Manager S.A. is published as the ultimate parent of Child Operations LLC, "
        "but no chain of control in the registry leads from Child Operations LLC up to it.",
    ) in messages
    assert (
        "Relationship.RelationshipType",
        "Parent Holdings Inc. is published as the ultimate parent of Child Operations LLC, but "
        "the registry's chain of control goes on above it (to Grand Holdings plc).",
    ) in messages
    assert len(messages) == 2


@pytest.mark.parametrize("fmt", ["xml", "csv"])
def test_dates_come_from_the_relationship_period_and_inactive_or_an_end_date_ends(write, fmt):
    with_group(write, fmt)
    records = [
        # Ends on its period's end date (the last day it held).
        g.Rel(CHILD, PARENT, start="2018-04-01T00:00:00Z", end="2023-06-30T00:00:00Z"),
        # Inactive without an end date: ended the day before the record said so.
        g.Rel(PARENT, GRAND, status="INACTIVE", updated="2024-02-15T10:00:00Z"),
        # No relationship period: from the record's initial registration.
        g.Rel(FUND, PARENT, kind="IS_SUBFUND_OF", start="", accounting=None),
    ]
    records[2].start = ""

    run = run_gleif(rr_file(write, records, fmt))

    assert run.status == "done", run.errors
    assert edges() == {
        (CHILD, PARENT, "control", None, datetime.date(2018, 4, 1), datetime.date(2023, 6, 30)),
        (PARENT, GRAND, "control", None, D2020, datetime.date(2024, 2, 14)),
        (FUND, PARENT, "control", None, datetime.date(2019, 5, 1), None),
    }


def test_an_inactive_record_in_a_delta_ends_the_edge_between_registry_parties(write):
    with_group(write)
    run_gleif(rr_file(write, [g.Rel(CHILD, PARENT, percent="100")], "xml"))
    delta = [
        g.Rel(
            CHILD,
            PARENT,
            percent="100",
            status="INACTIVE",
            end="2024-04-30T00:00:00Z",
            updated="2024-05-02T08:00:00Z",
        )
    ]

    run = run_gleif(rr_file(write, delta, "xml", "delta"))

    assert run.status == "done", run.errors
    assert run.counts["edges_ended"] == 2
    end = datetime.date(2024, 4, 30)
    assert edges() == {
        (CHILD, PARENT, "control", None, D2020, end),
        (CHILD, PARENT, "shareholding", Decimal("100.0000"), D2020, end),
    }
    # Both were in the registry before the run: the stake's end is a divestiture.
    event = OwnershipEvent.objects.get(import_run=run)
    assert (event.kind, event.subject.lei, event.counterparty.lei) == ("divestiture", CHILD, PARENT)
    assert event.effective_date == datetime.date(2024, 5, 1)


@pytest.mark.parametrize("fmt", ["xml", "csv"])
def test_reporting_exceptions_record_undisclosed_owners_for_a_direct_parent_withheld(write, fmt):
    leis = {
        reason: g.make_lei(f"5493RX{n}")
        for n, reason in enumerate(
            [
                "NON_PUBLIC",
                "NATURAL_PERSONS",
                "NO_LEI",
                "NO_KNOWN_PERSON",
                "NON_CONSOLIDATING",
                "ULT",
            ]
        )
    }
    run_gleif(write(g.lei_xml([g.Lei(lei, f"Entity {key}") for key, lei in leis.items()]), "l.xml"))
    records = [
        g.Repex(leis[reason], reasons=[reason])
        for reason in [
            "NON_PUBLIC",
            "NATURAL_PERSONS",
            "NO_LEI",
            "NO_KNOWN_PERSON",
            "NON_CONSOLIDATING",
        ]
    ] + [
        # Withheld, but the ultimate parent: recorded on the run, not on the entity.
        g.Repex(leis["ULT"], category="ULTIMATE_ACCOUNTING_CONSOLIDATION_PARENT"),
        g.Repex(leis["NO_KNOWN_PERSON"], category="ULTIMATE_ACCOUNTING_CONSOLIDATION_PARENT"),
    ]
    content = g.repex_xml(records) if fmt == "xml" else g.repex_csv(records)

    run = run_gleif(write(content, f"repex.{fmt}"))

    assert run.status == "done", run.errors
    assert run.format == "gleif-repex"
    flagged = set(Entity.objects.filter(owners_undisclosed=True).values_list("lei", flat=True))
    assert flagged == {leis["NON_PUBLIC"], leis["NATURAL_PERSONS"], leis["NO_LEI"]}


def test_a_later_exception_that_no_longer_withholds_the_parent_clears_what_gleif_set(write):
    lei = g.make_lei("5493RXCLEAR")
    run_gleif(write(g.lei_xml([g.Lei(lei, "Clearing Co")]), "l.xml"))
    run_gleif(write(g.repex_csv([g.Repex(lei, reasons=["NATURAL_PERSONS"])]), "r1.csv"))
    assert Entity.objects.get(lei=lei).owners_undisclosed

    run = run_gleif(write(g.repex_csv([g.Repex(lei, reasons=["NO_KNOWN_PERSON"])]), "r2.csv"))

    assert run.status == "done", run.errors
    assert not Entity.objects.get(lei=lei).owners_undisclosed


@pytest.mark.parametrize("fmt", ["xml", "csv"])
def test_zipped_files_import_as_the_plain_ones(write, fmt):
    lei = g.lei_xml(group()) if fmt == "xml" else g.lei_csv(group())
    rr = rr_file(write, [g.Rel(CHILD, PARENT, percent="75")], fmt).read_bytes()

    zipped = write(g.zipped(f"lei.{fmt}", lei), "lei.zip")
    first = run_gleif(zipped)
    second = run_gleif(write(g.zipped(f"rr.{fmt}", rr), "rr.zip"))

    assert (first.status, second.status) == ("done", "done"), (first.errors, second.errors)
    assert (first.format, second.format) == ("gleif-lei", "gleif-rr")
    assert first.counts["entities_new"] == 5
    # The digest is the archive's, as stored.
    assert first.sha256 == hashlib.sha256(zipped.read_bytes()).hexdigest()
    assert edges(interest="shareholding") == {
        (CHILD, PARENT, "shareholding", Decimal("75.0000"), D2020, None)
    }


# --- Full, delta, again --------------------------------------------------------------------------


def registry_state() -> dict:
    """What the registry holds today: entities by LEI, and the edges active today (its
    history may differ: a delta's registry remembers what the earlier file said)."""
    entities = {
        e.lei: (
            e.name,
            e.country,
            e.kind,
            e.owners_undisclosed,
            e.lei_registration.entity_status,
            e.lei_registration.registration_status,
        )
        for e in Entity.objects.select_related("lei_registration")
    }
    active = {
        (e.owned.lei, e.owner.lei, e.interest, e.share, e.end_date)
        for e in Ownership.objects.active_on(TODAY).select_related("owner", "owned")
    }
    ended = {
        (e.owned.lei, e.owner.lei, e.interest, e.end_date)
        for e in Ownership.objects.filter(end_date__lt=TODAY).select_related("owner", "owned")
        if not Ownership.objects.active_on(TODAY)
        .filter(owner=e.owner, owned=e.owned, interest=e.interest)
        .exists()
    }
    return {"entities": entities, "active": active, "ended": ended}


NEW = g.make_lei("5493NEWCO")
LATER = "2024-06-01T08:00:00Z"


def full_v1():
    leis = group()
    rels = [
        g.Rel(CHILD, PARENT, percent="60"),
        g.Rel(PARENT, GRAND),
        g.Rel(FUND, MANAGER, kind="IS_FUND-MANAGED_BY"),
    ]
    return leis, rels, [g.Repex(GRAND, reasons=["NATURAL_PERSONS"])]


def delta_changes():
    """What changed between the two publications, as a delta file carries it."""
    leis = [
        g.Lei(CHILD, "Child Operations GmbH", country="DE", updated=LATER),
        g.Lei(
            MANAGER, "Example Fund Manager S.A.", country="LU", registration="LAPSED", updated=LATER
        ),
        g.Lei(NEW, "New Subsidiary BV", country="NL", updated=LATER),
    ]
    rels = [
        g.Rel(CHILD, PARENT, percent="80", updated=LATER),
        g.Rel(FUND, MANAGER, kind="IS_FUND-MANAGED_BY", status="INACTIVE", updated=LATER),
        g.Rel(NEW, CHILD, percent="100", start="2024-05-01T00:00:00Z", updated=LATER),
    ]
    return leis, rels, [g.Repex(NEW, reasons=["NO_LEI"])]


def full_v2():
    leis, rels, repex = full_v1()
    d_leis, d_rels, d_repex = delta_changes()
    by_lei = {r.lei: r for r in leis} | {r.lei: r for r in d_leis}
    by_key = {(r.child, r.kind, r.parent): r for r in rels} | {
        (r.child, r.kind, r.parent): r for r in d_rels
    }
    return list(by_lei.values()), list(by_key.values()), repex + d_repex


def import_set(write, files, tag: str, fmt: str = "xml") -> list[ImportRun]:
    leis, rels, repex = files
    contents = [
        (g.lei_xml(leis, content="GLEIF_DELTA_PUBLISHED") if fmt == "xml" else g.lei_csv(leis)),
        (g.rr_xml(rels) if fmt == "xml" else g.rr_csv(rels)),
        (g.repex_xml(repex) if fmt == "xml" else g.repex_csv(repex)),
    ]
    runs = [
        run_gleif(write(content, f"{tag}-{n}.{fmt}"))
        for n, content in zip(("lei", "rr", "repex"), contents, strict=True)
    ]
    for run in runs:
        assert run.status == "done", run.errors
    return runs


def wipe_registry() -> None:
    Ownership.objects.all().delete()
    OwnershipEvent.objects.all().delete()
    Entity.objects.all().delete()
    ImportRun.objects.all().delete()


@pytest.mark.parametrize("fmt", ["xml", "csv"])
def test_a_delta_after_the_full_file_gives_the_registry_of_the_newer_full_file(write, fmt):
    import_set(write, full_v1(), "full1", fmt)
    import_set(write, delta_changes(), "delta", fmt)
    after_delta = registry_state()
    wipe_registry()

    import_set(write, full_v2(), "full2", fmt)
    newer_full = registry_state()

    assert after_delta == newer_full
    # What the delta changed, as read.
    assert newer_full["entities"][CHILD][0] == "Child Operations GmbH"
    assert newer_full["entities"][MANAGER][5] == "LAPSED"
    assert (CHILD, PARENT, "shareholding", Decimal("80.0000"), None) in newer_full["active"]
    assert (NEW, CHILD, "shareholding", Decimal("100.0000"), None) in newer_full["active"]
    assert newer_full["entities"][NEW][3] is True
    assert (FUND, MANAGER, "other_influence", datetime.date(2024, 5, 31)) in newer_full["ended"]


def test_reimporting_the_same_files_changes_nothing(write, lookups):
    import_set(write, full_v1(), "first")
    events = OwnershipEvent.objects.count()
    history = Entity.history.count() + Ownership.history.count()

    again = import_set(write, full_v1(), "again")

    for run in again:
        assert run.counts["entities_new"] == 0
        assert run.counts["edges_new"] == 0
        assert run.counts["edges_changed"] == 0
        assert run.counts["edges_ended"] == 0
        assert run.counts["events"] == 0
    assert again[0].counts["entities_matched"] == 5
    assert again[1].counts["edges_unchanged"] == 4
    assert OwnershipEvent.objects.count() == events
    assert Entity.history.count() + Ownership.history.count() == history


# --- The engine ----------------------------------------------------------------------------------


def test_a_consolidating_parent_on_the_competitor_watchlist_makes_the_child_vendor_critical(
    write,
):
    with committed():
        rival = services.entity_create(name="Rival Corp", country="US", lei=PARENT)
        services.watchlist_entry_create(entity=rival, category="competitor", reason="Rival.")
        supplier = services.entity_create(name="Supplier GmbH", country="DE", lei=CHILD)
        vendor = services.vendor_create(
            entity=supplier, category="software", tier=2, data_access="internal"
        )
    vendor.refresh_from_db()
    assert vendor.risk_level == "low"

    lei_run = run_gleif(write(g.lei_xml(group()), "lei.xml"))
    rr_run = run_gleif(rr_file(write, [g.Rel(CHILD, PARENT)], "xml"))

    assert lei_run.counts["entities_matched"] == 2
    assert rr_run.status == "done", rr_run.errors
    vendor.refresh_from_db()
    assert vendor.risk_level == "critical"
    assessment = vendor.assessments.order_by("-id").first()
    factors = {f.code: f for f in assessment.factors.all()}
    assert "competitor_control" in factors
    assert factors["competitor_control"].severity == "critical"
    assert rr_run.affected_vendors == [
        {
            "vendor": vendor.pk,
            "vendor_name": "Child Operations LLC",
            "current_level": "low",
            "projected_level": "critical",
        }
    ]


# --- Bad input -----------------------------------------------------------------------------------


def assert_refused(run: ImportRun, *fragments: str) -> list[dict]:
    assert run.status == "failed"
    text = " | ".join(f"{e['record']}, {e['field']}: {e['message']}" for e in run.errors)
    for fragment in fragments:
        assert fragment in text, text
    return run.errors


def test_xml_with_an_external_entity_is_refused_and_the_file_it_names_never_read(write, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    doctype = f'<!DOCTYPE lei:LEIData [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    content = g.lei_xml([g.Lei(PARENT, "&xxe;")], doctype=doctype)

    run = run_gleif(write(content, "xxe.xml"))

    errors = assert_refused(run, "DTD")
    assert errors == [
        {
            "record": "line 1",
            "field": "(file)",
            "message": "the XML declares a DTD (<!DOCTYPE>): DTDs and entities are refused.",
        }
    ]
    assert "TOP-SECRET" not in str(run.errors) + str(run.warnings)
    assert not Entity.objects.exists()


@pytest.mark.parametrize(
    "doctype",
    [
        # An external DTD: never fetched.
        '<!DOCTYPE rr:RelationshipData SYSTEM "http://127.0.0.1:9/rr.dtd">',
        # Entities that expand a billion-fold.
        '<!DOCTYPE rr:RelationshipData [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;">]>',
    ],
)
def test_xml_with_any_dtd_is_refused_before_its_first_record(write, doctype):
    with_group(write)
    content = g.rr_xml([g.Rel(CHILD, PARENT)], doctype=doctype)

    run = run_gleif(write(content, "dtd.xml"))

    assert_refused(run, "line 1, (file): the XML declares a DTD")
    assert not Ownership.objects.exists()


def test_malformed_xml_says_where(write):
    content = g.lei_xml(group()).replace("</lei:LEIRecords>", "")

    run = run_gleif(write(content, "broken.xml"))

    assert_refused(run, "the XML is not well-formed")
    assert not Entity.objects.exists()


def test_a_zip_declaring_more_than_the_limit_uncompressed_is_refused(write, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 10_000
    content = g.lei_csv(group() * 30)  # about 14 kB, zipped to a few hundred bytes
    assert len(content) > 10_000

    run = run_gleif(write(g.zipped("lei.csv", content), "bomb.zip"))

    assert_refused(run, "(zip) lei.csv", "above the limit of 10000: refused")
    assert not Entity.objects.exists()


def test_a_zip_whose_declared_size_lies_is_refused_by_what_it_holds(write, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 10_000
    content = g.lei_csv(group() * 30).encode()
    data = bytearray(g.zipped("lei.csv", content))
    real = len(content).to_bytes(4, "little")
    lie = (2000).to_bytes(4, "little")
    # The uncompressed size stands in the local header (offset 22) and in the central
    # directory entry (offset 24 of it): both say 2000 bytes.
    assert data[22:26] == real
    central = data.rfind(b"PK\x01\x02")
    assert data[central + 24 : central + 28] == real
    data[22:26] = lie
    data[central + 24 : central + 28] = lie

    path = write(bytes(data), "liar.zip")
    # Reading its head already meets the lie (the checksum): the format is not detected …
    with pytest.raises(ValidationError), path.open("rb") as stream:
        import_format_detect(stream)
    # … and, the format given, the run is refused.
    run = run_gleif(path, file_format="gleif-lei")

    assert_refused(run, "(zip) lei.csv")
    assert not Entity.objects.exists()


def test_a_zip_of_two_files_is_refused(write):
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.csv", g.lei_csv(group()))
        archive.writestr("b.csv", g.lei_csv(group()))
    run = run_gleif(write(out.getvalue(), "two.zip"), file_format="gleif-lei")

    assert_refused(run, "a zip must hold one file; this one holds 2")


@pytest.mark.parametrize("fmt", ["xml", "csv"])
def test_relationships_naming_bad_or_unknown_leis_are_each_reported_and_nothing_applied(write, fmt):
    with_group(write, fmt)
    unknown = g.make_lei("5493NOWHERE")
    records = [
        g.Rel(CHILD, PARENT, percent="100"),  # fine, but not applied either
        g.Rel(g.bad_check_digits(CHILD), PARENT),
        g.Rel(CHILD, unknown, kind="IS_FUND-MANAGED_BY"),
    ]

    run = run_gleif(rr_file(write, records, fmt))

    errors = assert_refused(run)
    assert [(e["field"], e["message"].split(":")[0]) for e in errors] == [
        (
            "Relationship.StartNode.NodeID",
            f"“{g.bad_check_digits(CHILD)}” is not a valid LEI",
        ),
    ]
    assert errors[0]["record"].startswith("record 2" if fmt == "xml" else "row 2")
    assert not Ownership.objects.exists()

    # With the check digit right, the LEI nobody knows is reported with its record.
    records[1] = g.Rel(GRAND, PARENT)
    run = run_gleif(rr_file(write, records, fmt, "again"))

    errors = assert_refused(run)
    assert [(e["field"], e["message"]) for e in errors] == [
        (
            "Relationship.EndNode.NodeID",
            f"LEI {unknown} is neither a record of this file nor an entity of the registry "
            "(import its LEI record first).",
        )
    ]
    assert errors[0]["record"].endswith(f"({CHILD} IS_FUND-MANAGED_BY {unknown})")
    assert not Ownership.objects.exists()


def test_an_unknown_relationship_type_is_refused_with_its_record(write):
    with_group(write)
    records = [g.Rel(CHILD, PARENT), g.Rel(CHILD, GRAND, kind="IS_BEST_FRIEND_OF")]

    run = run_gleif(rr_file(write, records, "csv"))

    errors = assert_refused(run)
    assert len(errors) == 1
    assert errors[0]["record"] == f"row 2 (line 3) ({CHILD} IS_BEST_FRIEND_OF {GRAND})"
    assert errors[0]["field"] == "Relationship.RelationshipType"
    assert errors[0]["message"].startswith("“IS_BEST_FRIEND_OF” is not a relationship type")
    assert not Ownership.objects.exists()


def test_a_csv_missing_columns_is_refused_naming_them(write):
    with_group(write)
    content = g.rr_csv(
        [g.Rel(CHILD, PARENT)],
        drop=("Relationship.EndNode.NodeID", "Relationship.RelationshipStatus"),
    )
    run = run_gleif(write(content, "rr.csv"), file_format="gleif-rr")

    assert run.errors == [
        {
            "record": "line 1",
            "field": "(file)",
            "message": "the CSV header lacks the columns Relationship.EndNode.NodeID, "
            "Relationship.RelationshipStatus of gleif-rr.",
        }
    ]
    assert not Ownership.objects.exists()


def test_an_lei_file_with_one_bad_record_changes_nothing(write):
    records = group()
    records[3] = g.Lei(g.bad_check_digits(FUND), "Bad Fund")
    records[4] = g.Lei(MANAGER, "")

    run = run_gleif(write(g.lei_csv(records), "lei.csv"))

    errors = assert_refused(run)
    assert [(e["record"].split(" (")[0], e["field"]) for e in errors] == [
        ("row 4", "LEI"),
        ("row 5", "Entity.LegalName"),
    ]
    assert not Entity.objects.exists()


def test_an_exception_with_an_unknown_category_or_reason_is_refused(write):
    lei = g.make_lei("5493RXBAD")
    run_gleif(write(g.lei_xml([g.Lei(lei, "Bad Exceptions Co")]), "l.xml"))
    records = [g.Repex(lei, category="SIDEWAYS_PARENT"), g.Repex(lei, reasons=["BECAUSE"])]

    run = run_gleif(write(g.repex_csv(records), "repex.csv"))

    errors = assert_refused(run)
    assert [e["field"] for e in errors] == ["ExceptionCategory", "ExceptionReason.1"]
    assert not Entity.objects.filter(owners_undisclosed=True).exists()


def test_the_format_is_detected_from_the_content(write):
    cases = {
        "lei.xml": (g.lei_xml(group()), "gleif-lei"),
        "rr.xml": (g.rr_xml([g.Rel(CHILD, PARENT)]), "gleif-rr"),
        "repex.xml": (g.repex_xml([g.Repex(CHILD)]), "gleif-repex"),
        "lei.csv": (g.lei_csv(group()), "gleif-lei"),
        "rr.csv": (g.rr_csv([g.Rel(CHILD, PARENT)]), "gleif-rr"),
        "repex.csv": (g.repex_csv([g.Repex(CHILD)]), "gleif-repex"),
        "rr.zip": (g.zipped("rr.csv", g.rr_csv([g.Rel(CHILD, PARENT)])), "gleif-rr"),
        "bom.csv": ("\ufeff" + g.lei_csv(group()), "gleif-lei"),
    }
    for name, (content, expected) in cases.items():
        with write(content, name).open("rb") as stream:
            assert import_format_detect(stream) == expected, name


def test_the_api_answers_202_and_a_failed_run_for_a_dtd_or_a_zip_bomb(analyst, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.api.conftest import token_client

    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 10_000
    client = token_client(analyst)
    uploads = {
        "dtd.xml": g.lei_xml(group(), doctype='<!DOCTYPE x SYSTEM "file:///etc/passwd">').encode(),
        "bomb.zip": g.zipped("lei.csv", g.lei_csv(group() * 30)),
        "garbage.zip": b"PK\x03\x04 not really a zip",
    }
    answers = {}
    for name, content in uploads.items():
        body = {"file": SimpleUploadedFile(name, content), "source_name": "GLEIF"}
        if name == "garbage.zip":
            body["format"] = "gleif-lei"
        with committed():
            response = client.post("/api/v1/imports/", body, format="multipart")
        answers[name] = response.status_code
        assert response.status_code == 202, response.content
        run = client.get(f"/api/v1/imports/{response.json()['id']}/").json()
        assert run["status"] == "failed"
        assert run["errors"][0]["message"]
    assert not Entity.objects.exists()

    unknown = client.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("x.zip", b"PK\x03\x04 junk"), "source_name": "GLEIF"},
        format="multipart",
    )
    assert unknown.status_code == 400
    assert set(unknown.json()) == {"format"}


# --- The scheduled delta -------------------------------------------------------------------------


def test_the_beat_task_imports_the_configured_files_in_order_and_skips_unchanged_ones(
    write, settings
):
    from imports.tasks import import_gleif_delta

    leis, rels, repex = full_v1()
    settings.GLEIF_DELTA_FILES = [
        str(write(g.zipped("lei.xml", g.lei_xml(leis)), "lei-delta.zip")),
        str(write(g.rr_csv(rels), "rr-delta.csv")),
        str(write(g.repex_xml(repex), "repex-delta.xml")),
    ]
    settings.GLEIF_SOURCE_NAME = "GLEIF golden copy"

    with committed():
        first = import_gleif_delta()
    with committed():
        second = import_gleif_delta()

    runs = list(ImportRun.objects.filter(pk__in=first).order_by("pk"))
    assert [(r.format, r.status, r.source_name) for r in runs] == [
        ("gleif-lei", "done", "GLEIF golden copy"),
        ("gleif-rr", "done", "GLEIF golden copy"),
        ("gleif-repex", "done", "GLEIF golden copy"),
    ]
    assert Ownership.objects.filter(interest="control").count() == 2
    assert Entity.objects.get(lei=GRAND).owners_undisclosed
    # Nothing changed since: no run at all.
    assert second == []
    assert ImportRun.objects.count() == 3


def test_the_beat_task_stops_at_a_missing_or_failing_file(write, settings, tmp_path):
    from imports.tasks import import_gleif_delta

    leis, rels, _ = full_v1()
    settings.GLEIF_DELTA_FILES = [
        str(write(g.rr_csv(rels), "rr-first.csv")),  # its LEIs are not imported yet: fails
        str(write(g.lei_csv(leis), "lei.csv")),
    ]
    with committed():
        runs = import_gleif_delta()
    assert [ImportRun.objects.get(pk=pk).status for pk in runs] == ["failed"]

    settings.GLEIF_DELTA_FILES = [
        str(tmp_path / "not-downloaded.csv"),
        settings.GLEIF_DELTA_FILES[1],
    ]
    with committed():
        assert import_gleif_delta() == []
    assert not Entity.objects.exists()


def test_the_beat_task_fetches_a_configured_url(settings):
    import http.server
    import threading

    content = g.lei_csv(group()).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    from imports.tasks import import_gleif_delta

    settings.GLEIF_DELTA_FILES = [f"http://127.0.0.1:{server.server_port}/golden/lei.csv"]
    try:
        with committed():
            runs = import_gleif_delta()
    finally:
        thread.join(5)
        server.server_close()

    run = ImportRun.objects.get(pk=runs[0])
    assert (run.status, run.file_name, run.counts["entities_new"]) == ("done", "lei.csv", 5)


def test_an_annulled_or_duplicate_relationship_record_is_reported_never_applied(write):
    with_group(write)
    records = [
        g.Rel(CHILD, PARENT, percent="100", registration="ANNULLED"),
        g.Rel(FUND, MANAGER, kind="IS_FUND-MANAGED_BY", registration="DUPLICATE"),
        g.Rel(PARENT, GRAND),
    ]

    run = run_gleif(rr_file(write, records, "xml"))

    assert run.status == "done", run.errors
    assert edges() == {(PARENT, GRAND, "control", None, D2020, None)}
    assert [(w["field"], w["message"]) for w in run.warnings] == [
        ("Registration.RegistrationStatus", "the record is ANNULLED: read, not applied."),
        ("Registration.RegistrationStatus", "the record is DUPLICATE: read, not applied."),
    ]


@pytest.fixture(params=["sieved", "looked up"])
def lookups(request, monkeypatch):
    """Both ways an LEI run finds what the registry holds: through its sieves (a small
    registry), and by looking every record up (a registry above the sieve's limit), one
    record a batch so that what an earlier batch wrote is found too."""
    from imports import services as import_services

    monkeypatch.setattr(import_services, "LEI_BATCH", 1)
    if request.param == "looked up":
        monkeypatch.setattr(import_services, "SIEVE_REGISTRY_MAX", -1)
    return request.param


def test_an_lei_another_session_registers_during_the_run_is_matched_not_copied(write, monkeypatch):
    """The sieves read the registry once, then what other sessions committed since."""
    from imports import services as import_services

    monkeypatch.setattr(import_services, "LEI_BATCH", 1)
    first, second = g.make_lei("5493SIEVE1"), g.make_lei("5493SIEVE2")
    batch = import_services._Applier._lei_batch
    registered = []

    def then_someone_registers_the_second(self, parties):
        batch(self, parties)
        if not registered:
            registered.append(services.entity_create(name="Kestrel Ltd", lei=second))

    monkeypatch.setattr(import_services._Applier, "_lei_batch", then_someone_registers_the_second)
    records = [g.Lei(first, "Orchard Ltd", country="GB"), g.Lei(second, "Kestrel Ltd")]

    run = run_gleif(write(g.lei_csv(records), "lei.csv"))

    assert run.status == "done", run.errors
    assert (run.counts["entities_new"], run.counts["entities_matched"]) == (1, 1)
    assert Entity.objects.get(lei=second).pk == registered[0].pk


def test_a_renamed_entity_takes_gleifs_legal_name_and_the_run_says_so(write, lookups):
    with_group(write)

    run = run_gleif(
        write(g.lei_csv([g.Lei(CHILD, "Child Operations GmbH", country="AT")]), "d.csv")
    )

    assert run.counts["entities_matched"] == 1
    child = Entity.objects.get(lei=CHILD)
    assert (child.name, child.country) == ("Child Operations GmbH", "AT")
    assert [w["message"] for w in run.warnings] == [
        "Child Operations LLC is now Child Operations GmbH."
    ]


def test_lei_records_written_in_bulk_keep_history_and_flag_possible_duplicates(write, lookups):
    existing = services.entity_create(name="Acme Ltd", country="GB")
    first, second, third = g.make_lei("5493ACME1"), g.make_lei("5493ACME2"), g.make_lei("5493ACME3")
    records = [
        g.Lei(first, "ACME LTD", country="GB"),
        g.Lei(second, "Twin Trading SA", country="FR"),
        g.Lei(third, "Twin Trading SA", country="FR"),
    ]

    run = run_gleif(write(g.lei_csv(records), "lei.csv"))

    assert run.status == "done", run.errors
    assert run.counts["entities_new"] == 3
    acme, twin_one, twin_two = (Entity.objects.get(lei=lei) for lei in (first, second, third))
    assert [w["message"] for w in run.warnings] == [
        f"Possible duplicate: created ACME LTD (#{acme.pk}) beside Acme Ltd (GB) "
        f"(#{existing.pk}), which has the same name and country.",
        f"Possible duplicate: created Twin Trading SA (#{twin_two.pk}) beside Twin Trading SA "
        f"(FR) (#{twin_one.pk}), which has the same name and country.",
    ]
    assert acme.history.count() == 1
    assert (acme.import_run_id, acme.import_record) == (run.pk, first)


# --- In bulk -------------------------------------------------------------------------------------


def test_control_and_fund_edges_between_registry_parties_are_written_in_bulk_with_history(
    write, django_assert_max_num_queries
):
    leis = [g.make_lei(f"5493BULK{n:02d}") for n in range(41)]
    run_gleif(
        write(g.lei_csv([g.Lei(lei, f"Bulk {n} Ltd") for n, lei in enumerate(leis)]), "l.csv")
    )
    # 40 children of the first: 30 consolidations (control) and 10 fund relations, no
    # percentage, so nothing is an event.
    records = [g.Rel(lei, leis[0]) for lei in leis[1:31]] + [
        g.Rel(lei, leis[0], kind="IS_FUND-MANAGED_BY") for lei in leis[31:]
    ]
    path = rr_file(write, records, "csv")

    # One at a time through the services this took 2,425 queries.
    with django_assert_max_num_queries(60):
        run = run_gleif(path)

    assert run.status == "done", run.errors
    assert run.counts["edges_new"] == 40 and run.counts["events"] == 0
    assert Ownership.objects.filter(interest="control", import_run=run).count() == 30
    assert Ownership.objects.filter(interest="other_influence", import_run=run).count() == 10
    assert Ownership.history.filter(history_type="+", import_run_id=run.pk).count() == 40
    assert not OwnershipEvent.objects.exists()
    assert len(run.recheck_entities) == 40


def test_a_second_import_of_the_same_bulk_edges_changes_nothing(write):
    leis = [g.make_lei(f"5493AGAIN{n}") for n in range(4)]
    run_gleif(
        write(g.lei_csv([g.Lei(lei, f"Again {n} Ltd") for n, lei in enumerate(leis)]), "l.csv")
    )
    records = [g.Rel(leis[1], leis[0]), g.Rel(leis[2], leis[0], kind="IS_FEEDER_TO")]
    run_gleif(rr_file(write, records, "csv"))

    again = run_gleif(rr_file(write, records, "csv", name="rr-again"))

    assert again.status == "done", again.errors
    assert (again.counts["edges_new"], again.counts["edges_unchanged"]) == (0, 2)
    assert Ownership.objects.count() == 2


def test_reporting_exceptions_are_written_a_batch_at_a_time_with_history(
    write, django_assert_max_num_queries
):
    leis = [g.make_lei(f"5493RXB{n:02d}") for n in range(50)]
    run_gleif(
        write(g.lei_csv([g.Lei(lei, f"Withheld {n} Ltd") for n, lei in enumerate(leis)]), "l.csv")
    )
    path = write(g.repex_csv([g.Repex(lei, reasons=["NATURAL_PERSONS"]) for lei in leis]), "r.csv")

    with django_assert_max_num_queries(30):
        run = run_gleif(path)

    assert run.status == "done", run.errors
    assert Entity.objects.filter(owners_undisclosed=True).count() == 50
    changed = Entity.history.filter(history_type="~", owners_undisclosed=True)
    assert changed.count() == 50
    assert run.records.filter(interests=["owners_undisclosed"]).count() == 50
