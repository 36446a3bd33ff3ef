"""In a real browser: an alert is resolved only with a note, and "Assign to" offers only people
who may act, named in full."""

import pytest
from django.contrib.auth.models import Group

from alerts.models import Alert
from registry.roles import PROCUREMENT, RISK_ANALYST, VIEWER
from tests.factories import EntityFactory, VendorFactory
from tests.web.browser.conftest import new_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "browser-test-password"


@pytest.fixture
def people(role_groups, django_user_model):
    def make(username, role, **names):
        user = django_user_model.objects.create_user(username=username, password=PASSWORD, **names)
        user.groups.add(Group.objects.get(name=role))
        return user

    return {
        "analyst": make("ana", RISK_ANALYST, first_name="Ana", last_name="Lyst"),
        "buyer": make("bea", PROCUREMENT, first_name="Bea", last_name="Buyer"),
        "viewer": make("vic", VIEWER, first_name="Vic", last_name="Viewer"),
    }


def test_resolving_needs_a_note_and_only_actors_can_be_assigned(
    chromium, live_server, people, screenshots
):
    from playwright.sync_api import expect

    alert = Alert.objects.create(
        kind="risk_increased",
        severity="high",
        title="Ledgerline Payroll rose to high",
        vendor=VendorFactory(entity=EntityFactory(name="Ledgerline Payroll")),
        dedup_key="browser:note",
    )
    page, console_errors = new_page(chromium)
    page.goto(f"{live_server.url}/alerts/{alert.pk}/")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/alerts/{alert.pk}/")

    assign = page.get_by_label("Assign to")
    options = assign.locator("option").all_inner_texts()
    assert options == ["Nobody", "Ana Lyst (ana)", "Bea Buyer (bea)"]

    # An empty note is stopped by the browser (the field is required) …
    note = page.get_by_label("Resolution note (required)")
    page.get_by_role("button", name="Resolve", exact=True).click()
    assert note.evaluate("element => element.validity.valueMissing") is True
    # … and a note of blanks by the server, which says why and changes nothing.
    note.fill("   ")
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(
        page.get_by_text("A note is required: say what was done to resolve the alert.")
    ).to_be_visible()
    screenshots(page, "resolve-refused-without-a-note")
    alert.refresh_from_db()
    assert alert.status == "open"

    page.get_by_label("Resolution note (required)").fill("Board seat reviewed with legal.")
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.get_by_text("Resolved: Ledgerline Payroll rose to high")).to_be_visible()
    expect(page.locator("dd", has_text="Board seat reviewed with legal.")).to_be_visible()
    expect(page.locator("dd", has_text="by Ana Lyst (ana)")).to_be_visible()
    screenshots(page, "resolved-with-a-note")
    alert.refresh_from_db()
    assert (alert.status, alert.resolution_note) == ("resolved", "Board seat reviewed with legal.")
    assert console_errors == []
