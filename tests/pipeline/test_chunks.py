"""Large rechecks in chunks: an event on a hub is planned into chunk tasks, each in its own
transaction; the event is processed when the last commits, with exactly the alerts and
assessments one transaction would have given, each once — also when a chunk dies mid-way and
is retried, or is delivered twice."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from alerts.models import Alert
from registry import services
from registry.choices import DataAccess, EventKind, EventStatus, RecheckReason
from registry.models import OwnershipEvent, RecheckChunk, RecheckRequest, RiskAssessment, Vendor
from registry.services import pipeline
from registry.services.dispatch import recheck_request
from registry.services.risk import policy_current
from registry.tasks import sweep_pending
from tests.conftest import require_service
from tests.pipeline.worker import celery_worker, real_worker_possible, wait_for

START = datetime.date(2020, 1, 1)
DEAL = datetime.date(2025, 6, 13)
GROUPS = 7


def _hub_registry() -> dict:
    """A fund holding 60% of seven group roots, each root our vendor with a CoC contract, and
    a competitor on the watchlist; nothing is sent (the tests process by hand)."""
    meta = services.entity_create(name="Meta Platforms", country="US")
    services.watchlist_entry_create(entity=meta, category="competitor", reason="A rival.")
    fund = services.entity_create(name="Harbour Index Fund", country="US")
    vendors = []
    for n in range(GROUPS):
        root = services.entity_create(name=f"Group {n} Holdings", country="GB")
        services.ownership_set(owner=fund, owned=root, share=Decimal(60), start_date=START)
        vendor = services.vendor_create(
            entity=root, category="software", tier=2, data_access=DataAccess.CONFIDENTIAL
        )
        services.contract_create(
            vendor=vendor,
            reference=f"GRP-{n}",
            title="Services",
            value=Decimal("1000.00"),
            currency="EUR",
            start_date=START,
            change_of_control_clause=True,
            coc_termination_window_days=30,
        )
        vendors.append(vendor)
    return {"meta": meta, "fund": fund, "vendors": vendors}


def _acquire_fund(hub) -> OwnershipEvent:
    return services.ownership_event_log(
        kind=EventKind.ACQUISITION,
        subject=hub["fund"],
        counterparty=hub["meta"],
        share=Decimal(100),
        effective_date=DEAL,
    )


def _outcome() -> tuple[list[str], list[tuple[str, str]]]:
    keys = sorted(Alert.objects.values_list("dedup_key", flat=True))
    levels = sorted(Vendor.objects.values_list("entity__name", "risk_level"))
    return keys, levels


@pytest.fixture
def hub(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        hub = _hub_registry()
    with django_capture_on_commit_callbacks(execute=False):
        hub["event"] = _acquire_fund(hub)
    return hub


def _process_in_one_transaction(hub, settings, django_capture_on_commit_callbacks):
    settings.PIPELINE_CHUNK_SIZE = 500
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.event_process(event_id=hub["event"].pk)


def test_a_hub_event_in_chunks_gives_what_one_transaction_gives(
    hub, settings, django_capture_on_commit_callbacks
):
    settings.PIPELINE_CHUNK_SIZE = 3
    risk_before = list(Vendor.objects.values_list("pk", "risk_level", "risk_score"))
    with django_capture_on_commit_callbacks(execute=False) as sent:
        pipeline.event_process(event_id=hub["event"].pk)
    event = OwnershipEvent.objects.get(pk=hub["event"].pk)
    chunks = list(RecheckChunk.objects.filter(event=event).order_by("index"))
    # Seven vendors (and their seven contracts) in chunks of three vendors.
    assert [len(chunk.vendor_ids) for chunk in chunks] == [3, 3, 1]
    assert [len(chunk.contract_ids) for chunk in chunks] == [3, 3, 1]
    assert (event.status, event.vendors_total, event.vendors_done) == ("processing", 7, 0)
    assert len(sent) == 1  # one callback sends the three chunk tasks
    for done, chunk in zip([3, 6, 7], chunks, strict=True):
        with django_capture_on_commit_callbacks(execute=True):
            pipeline.chunk_process(chunk_id=chunk.pk)
        event.refresh_from_db()
        assert event.vendors_done == done
        assert event.status == ("processed" if done == 7 else "processing")
    chunked = _outcome()
    kinds = [key.split(":")[0] for key in chunked[0]]
    assert (kinds.count("change_of_control"), kinds.count("risk_increased")) == (7, 7)
    assert kinds.count("new_influence") == 7
    assert {level for _, level in chunked[1]} == {"critical"}
    assert RiskAssessment.objects.filter(event=event).count() == 7

    # The same event, undone and processed in one transaction, gives the same alerts.
    Alert.objects.all().delete()
    RiskAssessment.objects.filter(event=event).delete()
    for pk, level, score in risk_before:
        Vendor.objects.filter(pk=pk).update(risk_level=level, risk_score=score)
    RecheckChunk.objects.all().delete()
    OwnershipEvent.objects.filter(pk=event.pk).update(status=EventStatus.PENDING)
    _process_in_one_transaction(hub, settings, django_capture_on_commit_callbacks)
    assert _outcome() == chunked
    assert OwnershipEvent.objects.get(pk=event.pk).chunks.count() == 0


def test_every_chunk_is_assessed_under_the_policy_in_force_when_the_event_was_planned(
    hub, settings, django_capture_on_commit_callbacks
):
    settings.PIPELINE_CHUNK_SIZE = 3
    planned_under = policy_current()
    with django_capture_on_commit_callbacks(execute=False):
        pipeline.event_process(event_id=hub["event"].pk)
    chunks = list(RecheckChunk.objects.filter(event=hub["event"]).order_by("index"))
    with django_capture_on_commit_callbacks(execute=False):  # its own recheck is not run here
        stricter = services.risk_policy_update(medium_share=Decimal(2), high_share=Decimal(5))
    assert stricter.version == planned_under.version + 1

    for chunk in chunks:
        with django_capture_on_commit_callbacks(execute=True):
            pipeline.chunk_process(chunk_id=chunk.pk)

    assessed = RiskAssessment.objects.filter(event=hub["event"])
    assert assessed.count() == 7
    assert set(assessed.values_list("policy_version", flat=True)) == {planned_under.version}
    assert {chunk.policy_id for chunk in chunks} == {planned_under.pk}


def test_a_chunk_that_dies_mid_way_is_retried_and_nothing_is_doubled(
    hub, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.PIPELINE_CHUNK_SIZE = 3
    with django_capture_on_commit_callbacks(execute=False):
        pipeline.event_process(event_id=hub["event"].pk)
    chunks = list(RecheckChunk.objects.filter(event=hub["event"]).order_by("index"))
    real_raise = pipeline.alerts_raise
    calls = {"n": 0}

    def dies_once(specs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker killed")  # after the chunk's assessments were written
        return real_raise(specs)

    monkeypatch.setattr(pipeline, "alerts_raise", dies_once)
    with pytest.raises(RuntimeError):
        pipeline.chunk_process(chunk_id=chunks[1].pk)
    # Its transaction rolled back whole: no assessment, no alert, not done.
    assert RiskAssessment.objects.filter(event=hub["event"]).count() == 0
    assert RecheckChunk.objects.get(pk=chunks[1].pk).done_at is None
    for chunk in chunks:
        with django_capture_on_commit_callbacks(execute=True):
            pipeline.chunk_process(chunk_id=chunk.pk)
    # Delivered twice: the second run finds it done and changes nothing.
    assert pipeline.chunk_process(chunk_id=chunks[0].pk) is None
    event = OwnershipEvent.objects.get(pk=hub["event"].pk)
    assert (event.status, event.vendors_done) == ("processed", 7)
    assert RiskAssessment.objects.filter(event=event).count() == 7
    assert Alert.objects.filter(kind="change_of_control").count() == 7
    assert RecheckChunk.objects.get(pk=chunks[1].pk).attempts == 2


def test_a_second_run_of_the_same_chunk_rolls_its_work_back(
    hub, settings, django_capture_on_commit_callbacks
):
    settings.PIPELINE_CHUNK_SIZE = 3
    with django_capture_on_commit_callbacks(execute=False):
        pipeline.event_process(event_id=hub["event"].pk)
    chunk = RecheckChunk.objects.filter(event=hub["event"]).order_by("index").first()
    # A run that did the work while another run of the same chunk committed first.
    RecheckChunk.objects.filter(pk=chunk.pk).update(
        done_at=datetime.datetime(2025, 1, 1, 12, 0, tzinfo=datetime.UTC)
    )
    chunk.refresh_from_db()
    with pytest.raises(pipeline._ChunkAlreadyDone), transaction.atomic():
        pipeline._chunk_work(chunk)
        pipeline._chunk_finish(chunk, datetime.datetime(2025, 1, 1, 12, 1, tzinfo=datetime.UTC))
    assert RiskAssessment.objects.filter(event=hub["event"]).count() == 0
    assert Alert.objects.count() == 0


def test_lost_chunk_tasks_are_swept_and_a_resent_event_sends_only_what_is_left(
    hub, settings, django_capture_on_commit_callbacks
):
    settings.PIPELINE_CHUNK_SIZE = 3
    with django_capture_on_commit_callbacks(execute=False):
        pipeline.event_process(event_id=hub["event"].pk)  # its chunk tasks are lost
    first, *rest = RecheckChunk.objects.filter(event=hub["event"]).order_by("index")
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.chunk_process(chunk_id=first.pk)
    # The sweeper does not re-plan the event; it sends the two chunks not done.
    RecheckChunk.objects.update(created_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
    events, rechecks, chunks = pipeline.pending_work(older_than=datetime.timedelta(seconds=60))
    assert (events, rechecks, chunks) == ([], [], [chunk.pk for chunk in rest])
    # Re-sending the event sends the same two, and plans nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.event_process(event_id=hub["event"].pk)
    assert RecheckChunk.objects.filter(event=hub["event"]).count() == 3
    event = OwnershipEvent.objects.get(pk=hub["event"].pk)
    assert (event.status, event.vendors_done) == ("processed", 7)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_pending.apply().get() == {"events": 0, "rechecks": 0, "chunks": 0}


def test_a_chunk_that_fails_after_its_retries_fails_its_event(
    hub, settings, django_capture_on_commit_callbacks
):
    settings.PIPELINE_CHUNK_SIZE = 3
    with django_capture_on_commit_callbacks(execute=False):
        pipeline.event_process(event_id=hub["event"].pk)
    chunk = RecheckChunk.objects.filter(event=hub["event"]).order_by("index").last()
    pipeline.chunk_fail(chunk_id=chunk.pk, error="RuntimeError: boom")
    event = OwnershipEvent.objects.get(pk=hub["event"].pk)
    assert event.status == "failed"
    assert event.last_error == f"{chunk}: RuntimeError: boom"
    assert Alert.objects.filter(kind="pipeline_failure", event=event).count() == 1
    # A failed event's chunks wait for a person to re-send it.
    RecheckChunk.objects.update(created_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
    assert pipeline.pending_work(older_than=datetime.timedelta(seconds=60))[2] == []


def test_an_event_whose_chunks_all_committed_is_never_failed_nor_left_processing(
    hub, settings, django_capture_on_commit_callbacks
):
    settings.PIPELINE_CHUNK_SIZE = 3
    with django_capture_on_commit_callbacks(execute=False):
        pipeline.event_process(event_id=hub["event"].pk)
    chunks = list(RecheckChunk.objects.filter(event=hub["event"]).order_by("index"))
    for chunk in chunks:
        with django_capture_on_commit_callbacks(execute=True):
            pipeline.chunk_process(chunk_id=chunk.pk)
    # A run of the last chunk that gave up after its retries comes too late: nothing fails.
    pipeline.chunk_fail(chunk_id=chunks[-1].pk, error="RuntimeError: late")
    event = OwnershipEvent.objects.get(pk=hub["event"].pk)
    assert (event.status, event.vendors_done) == ("processed", 7)
    assert not Alert.objects.filter(kind="pipeline_failure").exists()
    # And an event marked failed after its chunks all committed is done when it is re-sent.
    OwnershipEvent.objects.filter(pk=event.pk).update(status="failed", vendors_done=3)
    with django_capture_on_commit_callbacks(execute=False) as sent:
        pipeline.event_process(event_id=event.pk)
    event.refresh_from_db()
    assert (event.status, event.vendors_done, event.vendors_total) == ("processed", 7, 7)
    assert sent == []


def test_a_large_recheck_request_runs_in_chunks(hub, settings, django_capture_on_commit_callbacks):
    settings.PIPELINE_CHUNK_SIZE = 2
    before = RiskAssessment.objects.count()
    with django_capture_on_commit_callbacks(execute=False):
        request = recheck_request(
            reason=RecheckReason.MANUAL,
            entity_ids=[vendor.entity_id for vendor in hub["vendors"]],
        )
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.recheck_process(recheck_id=request.pk)
    request = RecheckRequest.objects.get(pk=request.pk)
    assert [len(c.vendor_ids) for c in request.chunks.order_by("index")] == [2, 2, 2, 1]
    assert (request.vendors_total, request.vendors_done) == (7, 7)
    assert request.processed_at is not None
    assert RiskAssessment.objects.count() - before == 7


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_hub_event_through_two_worker_processes_raises_each_alert_once(settings):
    require_service(real_worker_possible(), "Redis (REDIS_URL) and PostgreSQL (DATABASE_URL)")
    hub = _hub_registry()
    with celery_worker(settings.REDIS_URL, processes=2, extra_env={"PIPELINE_CHUNK_SIZE": "2"}):
        settings.PIPELINE_CHUNK_SIZE = 2
        event = _acquire_fund(hub)
        assert wait_for(
            lambda: OwnershipEvent.objects.get(pk=event.pk).status == EventStatus.PROCESSED,
            timeout=60,
        )
    event.refresh_from_db()
    assert (event.vendors_total, event.vendors_done) == (GROUPS, GROUPS)
    assert event.chunks.count() == 4
    assert Alert.objects.filter(kind="change_of_control", event=event).count() == GROUPS
    assert Alert.objects.filter(kind="risk_increased", event=event).count() == GROUPS
    assert set(Vendor.objects.values_list("risk_level", flat=True)) == {"critical"}


def test_progress_shows_in_the_api_and_on_the_event_page(
    hub, settings, django_capture_on_commit_callbacks, viewer
):
    from tests.api.conftest import token_client
    from tests.web.conftest import signed_in

    settings.PIPELINE_CHUNK_SIZE = 3
    with django_capture_on_commit_callbacks(execute=False):
        pipeline.event_process(event_id=hub["event"].pk)
    first = RecheckChunk.objects.filter(event=hub["event"]).order_by("index").first()
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.chunk_process(chunk_id=first.pk)

    url = f"/api/v1/ownership-events/{hub['event'].pk}/progress/"
    assert token_client(viewer).get(url).json() == {
        "id": hub["event"].pk,
        "status": "processing",
        "vendors_done": 3,
        "vendors_total": 7,
        "chunks_done": 1,
        "chunks_total": 3,
    }
    page = signed_in(viewer).get(f"/events/{hub['event'].pk}/status/")
    assert page.status_code == 200
    assert '<progress max="7" value="3"></progress> 3 of 7 vendors rechecked' in page.text
