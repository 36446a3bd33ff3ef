"""Nothing lost, nothing doubled: the pipeline's guarantees (in-process, and on PostgreSQL for
the concurrent cases)."""

import datetime
import threading
from decimal import Decimal

import pytest
from celery import current_app
from django.conf import settings
from django.core import mail
from django.db import OperationalError, connection
from django.utils import timezone

from alerts.models import Alert
from core.models import Lease
from registry import services
from registry.choices import EventStatus
from registry.models import OwnershipEvent, RecheckRequest, RiskAssessment
from registry.services import pipeline
from registry.services.risk import vendor_recheck, vendor_recheck_request
from registry.tasks import _backoff, process_event, process_recheck, sweep_pending
from tests.conftest import require_service
from tests.pipeline.scenario import DEAL_DATE, build_reference_registry, log_reference_events


@pytest.fixture
def registry(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return build_reference_registry()


def _alert_keys() -> list[str]:
    return sorted(Alert.objects.values_list("dedup_key", flat=True))


def _log_without_sending(ref, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return log_reference_events(ref)


def test_same_event_processed_twice_raises_one_set_of_alerts(
    registry, django_capture_on_commit_callbacks
):
    acquisition, move = _log_without_sending(registry, django_capture_on_commit_callbacks)
    for _ in range(2):
        pipeline.event_process(event_id=acquisition.pk)
    first = _alert_keys()
    OwnershipEvent.objects.filter(pk=acquisition.pk).update(status=EventStatus.PENDING)
    pipeline.event_process(event_id=acquisition.pk)
    assert _alert_keys() == first
    assert [key.split(":")[0] for key in first] == [
        "change_of_control",
        "new_influence",
        "new_influence",
        "risk_increased",
        "risk_increased",
    ]


def test_logged_event_stays_pending_until_the_sweeper_sends_it(
    registry, django_capture_on_commit_callbacks
):
    acquisition, move = _log_without_sending(registry, django_capture_on_commit_callbacks)
    # Too young to sweep: a task for it may still be on its way.
    assert sweep_pending.apply().get() == {"events": 0, "rechecks": 0, "chunks": 0}
    stale = timezone.now() - datetime.timedelta(seconds=settings.PIPELINE_SWEEP_AFTER_SECONDS + 1)
    OwnershipEvent.objects.update(created_at=stale)
    assert sweep_pending.apply().get() == {"events": 2, "rechecks": 0, "chunks": 0}
    assert set(OwnershipEvent.objects.values_list("status", flat=True)) == {"processed"}
    registry.scale_vendor.refresh_from_db()
    assert registry.scale_vendor.risk_level == "critical"


def test_recheck_requests_are_swept_too(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        ref = build_reference_registry()
    pending = RecheckRequest.objects.filter(processed_at__isnull=True)
    assert pending.count() == 5
    pending.update(created_at=timezone.now() - datetime.timedelta(hours=1))
    assert sweep_pending.apply().get()["rechecks"] == 5
    assert not RecheckRequest.objects.filter(processed_at__isnull=True).exists()
    assert RiskAssessment.objects.filter(vendor=ref.scale_vendor).exists()


def test_failing_event_stops_after_bounded_retries_and_alerts_risk_analysts(
    registry, analyst, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []

    def broken(*, event_id):
        calls.append(event_id)
        raise RuntimeError("graph store unavailable")

    monkeypatch.setattr(pipeline, "event_process", broken)
    acquisition, _ = _log_without_sending(registry, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        process_event.apply(args=[acquisition.pk])
    assert len(calls) == settings.PIPELINE_MAX_RETRIES + 1
    acquisition.refresh_from_db()
    assert acquisition.status == EventStatus.FAILED
    assert acquisition.last_error == "RuntimeError: graph store unavailable"
    alert = Alert.objects.get(kind="pipeline_failure")
    assert (alert.event, alert.severity, alert.status) == (acquisition, "high", "open")
    assert [m.to for m in mail.outbox if "Processing failed" in m.subject] == [[analyst.email]]


def test_retries_are_scheduled_while_the_database_is_down(
    registry, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []

    def down(*, event_id):
        calls.append(event_id)
        raise OperationalError("could not connect to server")

    def cannot_record(**kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(pipeline, "event_process", down)
    monkeypatch.setattr(pipeline, "note_attempt_error", cannot_record)
    acquisition, _ = _log_without_sending(registry, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        process_event.apply(args=[acquisition.pk])
    # Every retry was scheduled although no attempt could be written down.
    assert len(calls) == settings.PIPELINE_MAX_RETRIES + 1
    acquisition.refresh_from_db()
    assert acquisition.status == EventStatus.FAILED
    assert acquisition.last_error == "OperationalError: could not connect to server"


def test_retry_backoff_doubles_and_is_capped():
    assert [_backoff(n) for n in range(10)] == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


def test_tasks_survive_a_dying_worker_and_time_out_before_redelivery():
    conf = current_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    visibility = conf.broker_transport_options["visibility_timeout"]
    assert conf.task_soft_time_limit < conf.task_time_limit < visibility


def test_broker_timeouts_are_short_so_a_request_never_hangs_on_a_dead_broker():
    conf = current_app.conf
    assert conf.broker_transport_options["socket_connect_timeout"] <= 2
    assert conf.task_publish_retry_policy["max_retries"] <= 1
    assert conf.broker_connection_timeout <= 2


def test_future_event_is_rechecked_on_its_effective_date_and_alerts_name_it(
    registry, django_capture_on_commit_callbacks
):
    closing = timezone.localdate() + datetime.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        event = services.ownership_event_log(
            kind="acquisition",
            subject=registry.scale,
            counterparty=registry.meta,
            share=Decimal(60),
            effective_date=closing,
        )
    event.refresh_from_db()
    registry.scale_vendor.refresh_from_db()
    # Announced, not closed: today nothing has changed yet.
    assert event.status == EventStatus.PROCESSED
    assert registry.scale_vendor.risk_level == "low"
    assert not Alert.objects.filter(kind="risk_increased").exists()
    # The CoC review clock runs from the closing date.
    coc = Alert.objects.get(kind="change_of_control")
    assert coc.due_date == closing + datetime.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        rechecked = pipeline.scheduled_recheck(today=closing)
    assert rechecked == 2
    rises = Alert.objects.filter(kind="risk_increased").order_by("vendor__entity__name")
    assert [(a.vendor.name, a.severity, a.event_id) for a in rises] == [
        ("Remotasks", "critical", event.pk),
        ("Scale AI", "critical", event.pk),
    ]
    # Running the daily job again the same day raises nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.scheduled_recheck(today=closing)
    assert Alert.objects.filter(kind="risk_increased").count() == 2


def test_watchlist_change_rechecks_the_vendors_below_the_listed_entity(
    registry, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        log_reference_events(registry)
        entry = registry.meta.watchlist_entries.get()
        services.watchlist_entry_delete(entry=entry)
    registry.scale_vendor.refresh_from_db()
    registry.remotasks_vendor.refresh_from_db()
    assert (registry.scale_vendor.risk_level, registry.remotasks_vendor.risk_level) == (
        "low",
        "low",
    )


def test_direct_edge_change_rechecks_the_vendors_below(
    registry, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ownership_set(
            owner=registry.meta,
            owned=registry.scale,
            share=Decimal(30),
            start_date=datetime.date(2025, 1, 1),
        )
    registry.remotasks_vendor.refresh_from_db()
    assert registry.remotasks_vendor.risk_level == "high"
    alert = Alert.objects.get(kind="risk_increased", vendor=registry.remotasks_vendor)
    assert alert.event is None


def test_manual_recheck_always_stores_a_new_assessment(
    registry, django_capture_on_commit_callbacks
):
    before = RiskAssessment.objects.filter(vendor=registry.scale_vendor).count()
    with django_capture_on_commit_callbacks(execute=True):
        vendor_recheck_request(vendor=registry.scale_vendor)
        vendor_recheck_request(vendor=registry.scale_vendor)
    assert RiskAssessment.objects.filter(vendor=registry.scale_vendor).count() == before + 2


def test_closed_ownership_loop_is_processed_with_a_data_problem_factor(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        a = services.entity_create(name="Loop A")
        b = services.entity_create(name="Loop B")
        services.ownership_set(owner=a, owned=b, share=Decimal(100), start_date=DEAL_DATE)
        vendor = services.vendor_create(entity=b, data_access="internal")
        event = services.ownership_event_log(
            kind="acquisition",
            subject=a,
            counterparty=b,
            share=Decimal(100),
            effective_date=DEAL_DATE,
        )
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED
    assessment = RiskAssessment.objects.filter(vendor=vendor).latest()
    assert [f.code for f in assessment.factors.all()] == ["data_problem"]


def _run_in_threads(*targets) -> None:
    errors = []

    def wrap(target):
        try:
            target()
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_same_event_processed_twice_at_once_raises_one_set_of_alerts(
    django_capture_on_commit_callbacks,
):
    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    with django_capture_on_commit_callbacks(execute=True):
        ref = build_reference_registry()
    acquisition, _ = _log_without_sending(ref, django_capture_on_commit_callbacks)
    run = lambda: pipeline.event_process(event_id=acquisition.pk)  # noqa: E731
    _run_in_threads(run, run, run)
    assert Alert.objects.filter(kind="risk_increased").count() == 2
    assert Alert.objects.filter(kind="change_of_control").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_events_on_one_vendor_at_once_leave_the_fresh_assessment(
    django_capture_on_commit_callbacks,
):
    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    with django_capture_on_commit_callbacks(execute=True):
        ref = build_reference_registry()
    acquisition, move = _log_without_sending(ref, django_capture_on_commit_callbacks)
    _run_in_threads(
        lambda: pipeline.event_process(event_id=acquisition.pk),
        lambda: pipeline.event_process(event_id=move.pk),
    )
    stored = RiskAssessment.objects.filter(vendor=ref.scale_vendor).latest()
    stored_factors = sorted((f.code, f.severity, f.path) for f in stored.factors.all())
    fresh = vendor_recheck(vendor=ref.scale_vendor)
    fresh_factors = sorted((f.code, f.severity, f.path) for f in fresh.factors.all())
    assert (stored.level, stored.score, stored_factors) == (fresh.level, fresh.score, fresh_factors)
    assert stored.level == "critical"


def test_event_abandoned_by_a_dead_worker_is_swept_once_its_lease_runs_out(
    registry, django_capture_on_commit_callbacks
):
    acquisition, move = _log_without_sending(registry, django_capture_on_commit_callbacks)
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    OwnershipEvent.objects.update(created_at=long_ago, status=EventStatus.PROCESSING)
    # The acquisition's worker stopped renewing its lease a second ago (it died).
    Lease.objects.create(
        kind="event",
        object_id=acquisition.pk,
        claimed_by="elsewhere:1:dead",
        claimed_at=long_ago,
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    # The move's worker renews its lease: still being worked on, however long ago it began.
    Lease.objects.create(
        kind="event",
        object_id=move.pk,
        claimed_by="elsewhere:2:alive",
        claimed_at=long_ago,
        lease_expires_at=timezone.now() + datetime.timedelta(seconds=20),
    )
    assert sweep_pending.apply().get() == {"events": 1, "rechecks": 0, "chunks": 0}
    acquisition.refresh_from_db()
    assert acquisition.status == EventStatus.PROCESSED


def test_recheck_that_failed_after_its_retries_is_not_swept_again(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        build_reference_registry()

    def broken(*, recheck_id):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "recheck_process", broken)
    request = RecheckRequest.objects.order_by("pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        process_recheck.apply(args=[request.pk])
    request.refresh_from_db()
    assert request.failed_at is not None
    assert request.last_error == "RuntimeError: boom"
    RecheckRequest.objects.update(created_at=timezone.now() - datetime.timedelta(hours=1))
    assert sweep_pending.apply().get()["rechecks"] == 4
