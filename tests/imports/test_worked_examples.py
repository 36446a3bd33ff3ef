"""The engine's worked examples (DESIGN, "What the engine computes", rule 1) arriving as BODS
files: each is imported into a registry that holds the vendor, and the vendor's assessment
after the run's one recheck is pinned to the numbers of the design."""

import datetime
from decimal import Decimal

import pytest

from alerts.models import Alert
from registry import services
from registry.choices import DataAccess
from registry.models import Ownership, OwnershipEvent, RiskAssessment
from tests.imports import bods
from tests.imports.conftest import committed, run_file

pytestmark = pytest.mark.django_db

D = datetime.date


def registered(name: str, number: str):
    """An entity the registry already holds, with the company number the file names it by."""
    return services.entity_create(name=name, country="GB", identifiers=[("GB-COH", number)])


def company(record: str, name: str, number: str | None = None) -> dict:
    return bods.entity(record, name, identifiers=[("GB-COH", number)] if number else ())


def vendor_of(entity, data_access=DataAccess.CONFIDENTIAL):
    return services.vendor_create(
        entity=entity, category="data_labelling", tier=2, data_access=data_access
    )


def competitor(entity) -> None:
    services.watchlist_entry_create(entity=entity, category="competitor", reason="A rival.")


def latest(vendor) -> RiskAssessment:
    return vendor.assessments.order_by("-assessed_at", "-id").first()


def factors(vendor) -> list[tuple]:
    return [
        (f.code, f.severity, f.party_id, f.effective_share, f.path)
        for f in latest(vendor).factors.order_by("code", "id")
    ]


def test_a_60_percent_holder_of_a_50_percent_holder_holds_30_percent_of_the_vendor(write_json):
    with committed():
        rival = registered("Rival Holdings", "00000001")
        target = registered("Vendor Ltd", "00000003")
        competitor(rival)
        vendor = vendor_of(target)
    assert latest(vendor).level == "low"

    run = run_file(
        write_json(
            [
                company("a", "Rival Holdings", "00000001"),
                company("b", "Middle Ltd"),
                company("v", "Vendor Ltd", "00000003"),
                bods.stake("a-b", "b", "a", share=60, start="2024-01-01"),
                bods.stake("b-v", "v", "b", share=50, start="2024-01-01"),
            ]
        )
    )

    assert run.status == "done", run.errors
    assert (run.counts["entities_new"], run.counts["entities_matched"]) == (1, 2)
    # The middle company is new, so both edges are written directly, not as events.
    assert (run.counts["edges_new"], run.counts["events"]) == (2, 0)
    middle = Ownership.objects.get(owned=target).owner
    assert middle.name == "Middle Ltd"
    assessment = latest(vendor)
    assert (assessment.level, assessment.event) == ("high", None)
    assert factors(vendor) == [
        (
            "competitor_ownership",
            "high",
            rival.pk,
            Decimal("30.0000"),
            [rival.pk, middle.pk, target.pk],
        )
    ]
    assert run.affected_vendors == [
        {
            "vendor": vendor.pk,
            "vendor_name": "Vendor Ltd",
            "current_level": "low",
            "projected_level": "high",
        }
    ]
    rise = Alert.objects.get(kind="risk_increased")
    assert (rise.vendor, rise.severity, rise.import_run, rise.event) == (vendor, "high", run, None)
    alert = Alert.objects.get(kind="new_influence")
    assert (alert.vendor, alert.severity, alert.import_run) == (vendor, "high", run)


def test_a_cross_holding_gives_two_thirds_and_one_third(write_json):
    """UA→A 50%, B→A 50%, UB→B 50%, A→B 50% ⇒ UA holds 66.67% of A and 33.33% of B."""
    with committed():
        ua = registered("UA Group", "00000010")
        a = registered("A Ltd", "00000011")
        b = registered("B Ltd", "00000012")
        competitor(ua)
        vendor_a, vendor_b = vendor_of(a), vendor_of(b)

    run = run_file(
        write_json(
            [
                company("ua", "UA Group", "00000010"),
                company("a", "A Ltd", "00000011"),
                company("b", "B Ltd", "00000012"),
                company("ub", "UB Group"),
                bods.stake("ua-a", "a", "ua", share=50, start="2024-01-01"),
                bods.stake("b-a", "a", "b", share=50, start="2024-01-01"),
                bods.stake("ub-b", "b", "ub", share=50, start="2024-01-01"),
                bods.stake("a-b", "b", "a", share=50, start="2024-01-01"),
            ]
        )
    )

    assert run.status == "done", run.errors
    # UA→A, B→A and A→B are between parties the registry held: three acquisitions.
    assert (run.counts["edges_new"], run.counts["events"]) == (4, 3)
    assert set(OwnershipEvent.objects.values_list("kind", "status")) == {
        ("acquisition", "processed")
    }
    assert [(f[0], f[1], f[2], f[3]) for f in factors(vendor_a)] == [
        ("competitor_ownership", "critical", ua.pk, Decimal("66.6667"))
    ]
    assert [(f[0], f[1], f[2], f[3]) for f in factors(vendor_b)] == [
        ("competitor_ownership", "high", ua.pk, Decimal("33.3333"))
    ]
    assert factors(vendor_b)[0][4] == [ua.pk, a.pk, b.pk]
    assert (latest(vendor_a).level, latest(vendor_b).level) == ("critical", "high")


def test_a_closed_loop_of_100_percent_becomes_a_data_problem_not_a_hang(write_json):
    with committed():
        a = registered("Loop A Ltd", "00000020")
        vendor = vendor_of(a)

    run = run_file(
        write_json(
            [
                company("a", "Loop A Ltd", "00000020"),
                company("b", "Loop B Ltd"),
                bods.stake("b-a", "a", "b", share=100, start="2024-01-01"),
                bods.stake("a-b", "b", "a", share=100, start="2024-01-01"),
            ]
        )
    )

    assert run.status == "done", run.errors
    assert run.counts["edges_new"] == 2
    b = Ownership.objects.get(owned=a).owner
    [(code, severity, party, share, path)] = factors(vendor)
    assert (code, severity, party, share) == ("data_problem", "medium", None, None)
    assert sorted(path) == sorted([a.pk, b.pk])
    summary = latest(vendor).factors.get().summary
    assert summary.startswith("Closed ownership loop among ")
    assert "Loop A Ltd" in summary and "Loop B Ltd" in summary
    assert latest(vendor).level == "medium"


def test_a_republication_lowering_a_stake_logs_a_stake_change_and_its_coc_review(write_json):
    with committed():
        rival = registered("Rival Holdings", "00000001")
        target = registered("Vendor Ltd", "00000003")
        competitor(rival)
        vendor = vendor_of(target, DataAccess.CONFIDENTIAL)
        contract = services.contract_create(
            vendor=vendor,
            reference="V-2024-01",
            title="Labelling",
            value=Decimal("100000.00"),
            currency="GBP",
            start_date=D(2024, 1, 1),
            change_of_control_clause=True,
            coc_termination_window_days=30,
            data_classification=DataAccess.CONFIDENTIAL,
        )
    parties = [company("a", "Rival Holdings", "00000001"), company("v", "Vendor Ltd", "00000003")]
    first = run_file(
        write_json(
            [
                *parties,
                bods.stake("a-v", "v", "a", share=60, start="2024-06-01", date="2024-06-05"),
            ],
            "january.json",
        ),
        source_name="Register",
    )
    assert first.status == "done", first.errors
    assert latest(vendor).level == "critical"

    second = run_file(
        write_json(
            [
                bods.stake(
                    "a-v",
                    "v",
                    "a",
                    share=40,
                    start="2024-06-01",
                    date="2025-03-01",
                    status="updated",
                )
            ],
            "march.json",
        ),
        source_name="Register",
    )

    assert second.status == "done", second.errors
    assert second.counts["edges_changed"] == 1
    assert second.counts["events"] == 1
    event = OwnershipEvent.objects.get(import_run=second)
    assert (event.kind, event.subject, event.counterparty, event.share) == (
        "stake_change",
        target,
        rival,
        Decimal("40"),
    )
    assert (event.effective_date, event.status) == (D(2025, 3, 1), "processed")
    assert list(event.affected_vendors.all()) == [vendor]
    assert sorted(
        (e.share, e.start_date, e.end_date) for e in Ownership.objects.filter(owned=target)
    ) == [
        (Decimal("40"), D(2025, 3, 1), None),
        (Decimal("60"), D(2024, 6, 1), D(2025, 2, 28)),
    ]
    reviews = Alert.objects.filter(kind="change_of_control").order_by("due_date")
    assert [(a.contract, a.event.kind, a.import_run, a.due_date) for a in reviews] == [
        (contract, "acquisition", first, D(2024, 7, 1)),
        (contract, "stake_change", second, D(2025, 3, 31)),
    ]
    assert factors(vendor) == [
        ("competitor_ownership", "high", rival.pk, Decimal("40.0000"), [rival.pk, target.pk])
    ]
    assert second.affected_vendors == [
        {
            "vendor": vendor.pk,
            "vendor_name": "Vendor Ltd",
            "current_level": "critical",
            "projected_level": "high",
        }
    ]
    # A fall raises no risk_increased alert of its own.
    assert not Alert.objects.filter(kind="risk_increased", import_run=second).exists()
