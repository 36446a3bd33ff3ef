"""The event preview uses the engine on an in-memory copy of the change and writes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from alerts.models import Alert
from registry import services
from registry.models import Ownership, OwnershipEvent, RiskAssessment
from registry.services.preview import ownership_event_preview
from tests.pipeline.scenario import DEAL_DATE, build_reference_registry


@pytest.fixture
def registry(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return build_reference_registry()


def _counts():
    return (
        OwnershipEvent.objects.count(),
        Ownership.objects.count(),
        RiskAssessment.objects.count(),
        Alert.objects.count(),
    )


def _levels(preview):
    return [
        (p["vendor"].name, p["current_level"], p["projected_level"])
        for p in preview.affected_vendors
    ]


def test_acquisition_preview_projects_levels_as_of_the_effective_date(registry):
    before = _counts()
    preview = ownership_event_preview(
        kind="acquisition",
        subject=registry.scale,
        counterparty=registry.meta,
        share=Decimal(49),
        effective_date=DEAL_DATE,
    )
    # Scale AI: 49% competitor ownership is high, raised to critical by restricted data.
    assert _levels(preview) == [("Remotasks", "low", "high"), ("Scale AI", "low", "critical")]
    assert _counts() == before


def test_executive_move_preview_finds_the_interlock(registry):
    preview = ownership_event_preview(
        kind="executive_move",
        subject=registry.scale,
        counterparty=registry.meta,
        person=registry.ceo,
        effective_date=DEAL_DATE,
    )
    assert _levels(preview) == [("Remotasks", "low", "low"), ("Scale AI", "low", "critical")]


def test_preview_dilutes_other_holders_like_the_real_event(
    registry, django_capture_on_commit_callbacks
):
    # Scale AI already owns all of Remotasks: Meta taking 60% leaves Scale AI 40%.
    preview = ownership_event_preview(
        kind="acquisition",
        subject=registry.remotasks,
        counterparty=registry.meta,
        share=Decimal(60),
        effective_date=DEAL_DATE,
    )
    assert _levels(preview) == [("Remotasks", "low", "critical")]


def test_preview_refuses_bad_input_with_the_field_named(registry):
    with pytest.raises(ValidationError) as refused:
        ownership_event_preview(
            kind="acquisition",
            subject=registry.scale,
            counterparty=registry.scale,
            share=Decimal(49),
            effective_date=DEAL_DATE,
        )
    assert "counterparty" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        ownership_event_preview(
            kind="divestiture",
            subject=registry.scale,
            counterparty=registry.meta,
            effective_date=DEAL_DATE,
        )
    assert "holds no shares" in refused.value.message_dict["counterparty"][0]


def test_preview_refuses_a_divestiture_that_would_not_lower_the_stake(registry):
    with pytest.raises(ValidationError) as refused:
        ownership_event_preview(
            kind="divestiture",
            subject=registry.remotasks,
            counterparty=registry.scale,
            share=Decimal(100),
            effective_date=DEAL_DATE,
        )
    assert "must be lower" in refused.value.message_dict["share"][0]


def test_divestiture_preview_lowers_the_holding(registry, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        log_reference_events_acquisition_only(registry)
    preview = ownership_event_preview(
        kind="divestiture",
        subject=registry.scale,
        counterparty=registry.meta,
        share=Decimal(20),
        effective_date=DEAL_DATE + datetime.timedelta(days=10),
    )
    # 20% is medium; Scale AI's restricted data does not escalate medium.
    assert _levels(preview) == [("Remotasks", "high", "medium"), ("Scale AI", "critical", "medium")]


def log_reference_events_acquisition_only(ref):
    return services.ownership_event_log(
        kind="acquisition",
        subject=ref.scale,
        counterparty=ref.meta,
        share=Decimal(49),
        effective_date=DEAL_DATE,
    )


def test_board_appointment_preview_finds_the_interlock_it_creates(
    registry, django_capture_on_commit_callbacks
):
    officer = services.entity_create(name="Meta officer", kind="person")
    with django_capture_on_commit_callbacks(execute=True):
        services.ownership_set(
            owner=officer,
            owned=registry.meta,
            interest="senior_managing_official",
            start_date=datetime.date(2020, 1, 1),
        )
    preview = ownership_event_preview(
        kind="board_appointment",
        subject=registry.remotasks,
        person=officer,
        effective_date=DEAL_DATE,
    )
    assert _levels(preview) == [("Remotasks", "low", "high")]


def test_vendor_held_through_a_minimum_only_share_is_affected(
    registry, django_capture_on_commit_callbacks
):
    holding = services.entity_create(name="Scale Holdings")
    with django_capture_on_commit_callbacks(execute=True):
        services.ownership_set(
            owner=holding,
            owned=registry.scale,
            share_min=Decimal(30),
            start_date=datetime.date(2020, 1, 1),
        )
    preview = ownership_event_preview(
        kind="acquisition",
        subject=holding,
        counterparty=registry.meta,
        share=Decimal(60),
        effective_date=DEAL_DATE,
    )
    assert [p["vendor"].name for p in preview.affected_vendors] == ["Remotasks", "Scale AI"]
