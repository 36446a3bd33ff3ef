"""A procurement user, in a real browser, works through the reference scenario: sign in, log
Meta Platforms' acquisition of 49% of Scale AI with its preview, work the alerts it raises and
find Meta Platforms in Remotasks' drawn ownership graph."""

import re

import pytest
from django.contrib.auth.models import Group

from alerts.models import Alert
from registry.models import OwnershipEvent
from registry.roles import PROCUREMENT
from tests.pipeline.scenario import build_reference_registry
from tests.web.browser.conftest import new_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "browser-test-password"


@pytest.fixture
def procurement_user(role_groups, django_user_model):
    user = django_user_model.objects.create_user(username="pat", password=PASSWORD)
    user.groups.add(Group.objects.get(name=PROCUREMENT))
    return user


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/vendors/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/vendors/")


def pick(page, field: str, query: str, expected: str) -> None:
    """Type in an entity picker and wait for htmx to offer and choose ``expected``."""
    from playwright.sync_api import expect

    page.locator(f"#id_{field}_q").fill(query)
    expect(page.locator(f"#id_{field} option:checked")).to_contain_text(expected)


def test_log_the_reference_acquisition_and_work_its_alerts(
    chromium, live_server, procurement_user, screenshots
):
    from playwright.sync_api import expect

    ref = build_reference_registry()
    page, console_errors = new_page(chromium)

    sign_in(page, live_server, "pat")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("heading", name="Exposure by influencing party")).to_be_visible()
    screenshots(page, "dashboard-before")

    page.get_by_role("button", name="Log an ownership event").click()
    page.get_by_label("Kind (required)", exact=True).select_option("acquisition")
    pick(page, "subject", "Scale AI", "Scale AI")
    pick(page, "counterparty", "Meta", "Meta Platforms")
    # Enter in a search box searches; it does not submit the half-filled form.
    page.locator("#id_counterparty_q").press("Enter")
    page.wait_for_timeout(500)  # long enough for a submitted form to have come back
    expect(page.locator("#id_counterparty option:checked")).to_contain_text("Meta Platforms")
    expect(page.locator(".errorlist")).to_have_count(0)
    page.get_by_label("Share (%)").fill("49")
    page.get_by_label("Effective date (required)", exact=True).fill("2025-06-13")
    page.get_by_label("Source URL").fill("https://example.com/meta-scale")
    screenshots(page, "event-form")
    page.get_by_role("button", name="Preview impact").click()

    impact = page.locator("#impact tbody tr")
    expect(impact).to_have_count(2)
    expect(impact.nth(0)).to_contain_text("Remotasks")
    expect(impact.nth(0)).to_contain_text("High")
    expect(impact.nth(1)).to_contain_text("Scale AI")
    expect(impact.nth(1)).to_contain_text("Critical")
    expect(page.locator("#edge-changes")).to_contain_text("Meta Platforms")
    expect(page.locator("#edge-changes")).to_contain_text("49%")
    expect(page.locator("#expected-alerts")).to_contain_text(
        "Change-of-control review of SCALE-2024-001 (Scale AI), termination window ends 2025-07-13"
    )
    assert OwnershipEvent.objects.count() == 0
    screenshots(page, "event-preview")
    page.get_by_role("button", name="Confirm and log the event").click()

    page.wait_for_url(re.compile(r"/events/\d+/$"))
    expect(page.get_by_text("Processed", exact=False).first).to_be_visible()
    expect(page.locator("#event-status")).to_contain_text("5 alerts raised")
    event = OwnershipEvent.objects.get()
    assert (event.status, event.logged_by) == ("processed", procurement_user)
    screenshots(page, "event-processed")

    page.get_by_role("link", name=re.compile("^Alerts")).click()
    rows = page.locator("#alert-table tbody tr")
    # The rise of each vendor, Meta's new influence in each, and the change-of-control review.
    expect(rows).to_have_count(5)
    expect(rows.nth(0)).to_contain_text("Scale AI: risk rose from low to critical")
    expect(page.locator("#alert-table")).to_contain_text("termination window ends 2025-07-13")
    screenshots(page, "alert-inbox")

    first = rows.nth(0)
    expect(page.locator("#nav-alert-count")).to_have_text("5")
    first.get_by_role("button", name=re.compile("^Acknowledge")).click()
    expect(first).to_contain_text("Acknowledged: Scale AI")
    # Acknowledged is not yet resolved: it still needs action, as the inbox still lists it.
    expect(page.locator("#nav-alert-count")).to_have_text("5")
    screenshots(page, "alert-acknowledged")
    acknowledged = Alert.objects.get(vendor=ref.scale_vendor, kind="risk_increased")
    assert (acknowledged.status, acknowledged.handled_by) == ("acknowledged", procurement_user)

    page.get_by_role("link", name="Vendors", exact=True).click()
    page.get_by_role("link", name="Remotasks", exact=True).click()
    graph = page.locator("svg.ownership-graph")
    expect(graph).to_be_visible()
    meta = graph.locator(f'a[data-entity="{ref.meta.pk}"]')
    expect(meta).to_contain_text("Meta Platforms")
    expect(meta).to_contain_text("COMPETITOR")
    expect(graph).to_contain_text("49%")
    screenshots(page, "remotasks-graph")
    assert len(screenshots.taken) == 7
    assert console_errors == []


def test_event_form_works_without_javascript(chromium, live_server, procurement_user, screenshots):
    from playwright.sync_api import expect

    build_reference_registry()
    page, _ = new_page(chromium, javascript=False)
    sign_in(page, live_server, "pat")
    page.goto(f"{live_server.url}/events/new/")
    page.get_by_label("Kind (required)", exact=True).select_option("acquisition")
    page.locator("#id_subject_q").fill("Scale AI")
    page.locator("button[name=_find][value=subject]").click()
    expect(page.locator("#id_subject option:checked")).to_contain_text("Scale AI")
    page.locator("#id_counterparty_q").fill("Meta")
    page.locator("button[name=_find][value=counterparty]").click()
    expect(page.locator("#id_counterparty option:checked")).to_contain_text("Meta Platforms")
    page.get_by_label("Share (%)").fill("49")
    page.get_by_label("Effective date (required)", exact=True).fill("2025-06-13")
    page.get_by_role("button", name="Preview impact").click()
    expect(page.locator("#impact tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Confirm and log the event").click()
    page.wait_for_url(re.compile(r"/events/\d+/$"))
    expect(page.locator("#event-status")).to_contain_text("Processed")
    screenshots(page, "no-js-event-processed")
    assert OwnershipEvent.objects.filter(status="processed").count() == 1
