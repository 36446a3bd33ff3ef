"""In a real browser: an event that waits too long says so and why, risk analysts see the
stalled pipeline on the dashboard and in the admin, and send a failed event again."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from registry.choices import EventStatus
from registry.models import OwnershipEvent
from registry.roles import PROCUREMENT, RISK_ANALYST
from tests.factories import EntityFactory
from tests.web.browser.conftest import new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-password"


@pytest.fixture
def people(role_groups, django_user_model):
    def make(username, role, **extra):
        user = django_user_model.objects.create_user(username=username, password=PASSWORD, **extra)
        user.groups.add(Group.objects.get(name=role))
        return user

    return {
        "analyst": make("ana", RISK_ANALYST, first_name="Ana", last_name="Lyst", is_staff=True),
        "buyer": make("bea", PROCUREMENT, first_name="Bea", last_name="Buyer"),
    }


def _event(*, seconds_ago: float, status: str = EventStatus.PENDING) -> OwnershipEvent:
    event = OwnershipEvent.objects.create(
        kind="acquisition",
        subject=EntityFactory(name="Scale AI"),
        counterparty=EntityFactory(name="Meta Platforms"),
        effective_date=datetime.date(2025, 6, 13),
    )
    OwnershipEvent.objects.filter(pk=event.pk).update(
        status=status, created_at=timezone.now() - datetime.timedelta(seconds=seconds_ago)
    )
    return event


def _sign_in(page, url: str, username: str) -> None:
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url)


def test_a_waiting_event_turns_into_an_explained_delay_and_then_processed(
    chromium, live_server, people, settings, screenshots
):
    from playwright.sync_api import expect

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.PIPELINE_STALLED_AFTER_SECONDS = 4
    page, console_errors = new_page(chromium)
    _sign_in(page, f"{live_server.url}/", "bea")
    event = _event(seconds_ago=0)
    page.goto(f"{live_server.url}/events/{event.pk}/")
    status = page.locator("#event-status")
    expect(status).to_contain_text("this usually takes a few seconds")
    shot_waiting = screenshots(page, "waiting")

    # The page polls by itself: after the stalled delay it says why, without a reload.
    expect(status).to_contain_text("Processing is taking longer than usual", timeout=15_000)
    expect(status).to_contain_text("The task broker (Redis) is unreachable")
    expect(status).to_contain_text("1 event pending for")
    expect(status).not_to_contain_text("usually takes a few seconds")
    shot_stalled = screenshots(page, "stalled")

    OwnershipEvent.objects.filter(pk=event.pk).update(
        status=EventStatus.PROCESSED, processed_at=timezone.now()
    )
    expect(status).to_contain_text("Processed", timeout=15_000)
    expect(status).not_to_contain_text("longer than usual")
    assert page.locator("[hx-trigger]").count() == 0
    assert console_errors == []
    assert shot_waiting.exists() and shot_stalled.exists()


def test_risk_analysts_see_the_banner_on_the_dashboard_and_in_the_admin(
    chromium, live_server, people, settings, screenshots
):
    from playwright.sync_api import expect

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.PIPELINE_STALLED_AFTER_SECONDS = 30
    _event(seconds_ago=240)
    page, console_errors = new_page(chromium)
    _sign_in(page, f"{live_server.url}/", "ana")
    banner = page.get_by_role("alert").filter(has_text="The pipeline is not keeping up")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("The task broker (Redis) is unreachable")
    expect(banner).to_contain_text("1 event pending for 4 minutes.")
    screenshots(page, "dashboard")

    page.goto(f"{live_server.url}/admin/")
    expect(page.locator("#pipeline-banner")).to_be_visible()
    expect(page.locator("#pipeline-banner")).to_contain_text("1 event pending for 4 minutes.")
    screenshots(page, "admin")
    assert console_errors == []

    other, _ = new_page(chromium)
    _sign_in(other, f"{live_server.url}/", "bea")
    expect(other.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert other.locator("#pipeline-banner").count() == 0


def test_a_risk_analyst_sends_a_failed_event_again_from_its_page(
    chromium, live_server, people, settings, screenshots
):
    from playwright.sync_api import expect

    settings.REDIS_URL = ""
    event = _event(seconds_ago=600, status=EventStatus.FAILED)
    page, console_errors = new_page(chromium)
    _sign_in(page, f"{live_server.url}/events/{event.pk}/", "ana")
    expect(page.locator("#event-status")).to_contain_text("Processing failed")
    page.get_by_role("button", name="Send it for processing again").click()
    expect(page.get_by_text("The event was sent for processing again.")).to_be_visible()
    # Without a broker the pipeline runs in-process right after the commit.
    expect(page.locator("#event-status")).to_contain_text("Processed")
    screenshots(page, "re-sent")
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED
    assert console_errors == []
