"""A stalled pipeline is visible: the event page says why after PIPELINE_STALLED_AFTER_SECONDS,
risk analysts see a banner on the dashboard and in the admin, and re-send a failed event."""

import datetime

import pytest
from django.utils import timezone

from core import health
from registry.choices import EventStatus
from registry.models import OwnershipEvent
from tests.factories import EntityFactory

pytestmark = pytest.mark.django_db

UNREACHABLE = "redis://127.0.0.1:1/0"


def _event(*, minutes_ago: float, status: str = EventStatus.PENDING, **fields) -> OwnershipEvent:
    event = OwnershipEvent.objects.create(
        kind="other",
        subject=EntityFactory(name="Scale AI"),
        effective_date=datetime.date(2025, 6, 13),
    )
    OwnershipEvent.objects.filter(pk=event.pk).update(
        status=status, created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago), **fields
    )
    return event


@pytest.fixture
def no_broker(settings):
    settings.REDIS_URL = UNREACHABLE
    settings.PIPELINE_STALLED_AFTER_SECONDS = 30


def test_a_fresh_event_says_it_usually_takes_seconds_and_polls_every_second(
    viewer_client, settings
):
    settings.REDIS_URL = UNREACHABLE
    event = _event(minutes_ago=0.2)
    page = viewer_client.get(f"/events/{event.pk}/status/").content.decode()
    assert "this usually takes a few seconds" in page
    assert 'hx-trigger="every 1s"' in page
    assert "longer than usual" not in page


def test_after_30_seconds_the_event_page_says_the_broker_is_unreachable(viewer_client, no_broker):
    event = _event(minutes_ago=2)
    _event(minutes_ago=7)
    for url in (f"/events/{event.pk}/", f"/events/{event.pk}/status/"):
        page = viewer_client.get(url).content.decode()
        assert "Processing is taking longer than usual" in page
        assert "The task broker (Redis) is unreachable (" in page
        assert "2 events pending for 7 minutes." in page
        assert 'hx-trigger="every 5s"' in page
        assert "this usually takes a few seconds" not in page


def test_the_event_page_says_no_worker_was_seen(viewer_client, settings, monkeypatch):
    settings.REDIS_URL = "redis://broker.invalid:6379/0"
    monkeypatch.setattr(health, "_broker_state", lambda: "ok")
    event = _event(minutes_ago=1, status=EventStatus.PROCESSING)
    page = viewer_client.get(f"/events/{event.pk}/status/").content.decode()
    assert "Processing is taking longer than usual" in page
    assert "No worker has been seen: nothing takes the work from the queue." in page
    assert "1 event pending for 1 minute." in page


def test_risk_analysts_see_a_banner_on_the_dashboard_while_the_pipeline_is_stalled(
    analyst_client, buyer_client, no_broker
):
    _event(minutes_ago=4)
    page = analyst_client.get("/").content.decode()
    assert 'id="pipeline-banner"' in page
    assert "The task broker (Redis) is unreachable (" in page
    assert "1 event pending for 4 minutes." in page
    assert 'id="pipeline-banner"' not in buyer_client.get("/").content.decode()


def test_no_banner_while_the_pipeline_is_well(analyst_client, settings):
    settings.REDIS_URL = ""
    _event(minutes_ago=0.1)
    assert 'id="pipeline-banner"' not in analyst_client.get("/").content.decode()


def test_risk_analysts_see_the_banner_in_the_admin(
    analyst, analyst_client, superuser, client, no_broker
):
    analyst.is_staff = True
    analyst.save(update_fields=["is_staff"])
    _event(minutes_ago=3)
    for page in (
        analyst_client.get("/admin/"),
        analyst_client.get("/admin/registry/ownershipevent/"),
    ):
        assert page.status_code == 200
        body = page.content.decode()
        assert 'id="pipeline-banner"' in body
        assert "1 event pending for 3 minutes." in body
    client.force_login(superuser)
    assert 'id="pipeline-banner"' in client.get("/admin/").content.decode()


def test_a_risk_analyst_re_sends_a_failed_event_from_its_page(
    analyst_client, settings, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = ""
    event = _event(minutes_ago=10, status=EventStatus.FAILED, last_error="OperationalError")
    page = analyst_client.get(f"/events/{event.pk}/").content.decode()
    assert f'action="/events/{event.pk}/resend/"' in page
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = analyst_client.post(f"/events/{event.pk}/resend/", follow=True)
    assert len(callbacks) == 1
    assert response.redirect_chain == [(f"/events/{event.pk}/", 302)]
    assert "The event was sent for processing again." in response.content.decode()
    # Without a broker the pipeline runs in-process, right after the commit.
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED


def test_only_a_failed_event_is_re_sent_and_the_page_says_why(analyst_client, settings):
    settings.REDIS_URL = ""
    event = _event(minutes_ago=10, status=EventStatus.PROCESSED)
    response = analyst_client.post(f"/events/{event.pk}/resend/", follow=True)
    assert "Only failed events are re-sent" in response.content.decode()
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED


def test_procurement_and_viewers_may_not_re_send(buyer_client, viewer_client):
    event = _event(minutes_ago=10, status=EventStatus.FAILED)
    for client in (buyer_client, viewer_client):
        assert "/resend/" not in client.get(f"/events/{event.pk}/").content.decode()
        assert client.post(f"/events/{event.pk}/resend/").status_code == 403
    event.refresh_from_db()
    assert event.status == EventStatus.FAILED


def test_re_sending_is_a_post(analyst_client):
    event = _event(minutes_ago=10, status=EventStatus.FAILED)
    assert analyst_client.get(f"/events/{event.pk}/resend/").status_code == 405
