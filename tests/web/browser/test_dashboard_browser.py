"""The dashboard in a real browser at 1366×900 and 390×844: exposure ranked by its value in the
reporting currency with the rate used named, a currency without a rate kept apart with a note,
deadlines split into upcoming and overdue, and level totals that say what they leave out."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from alerts.models import Alert
from registry.models import RiskPolicy
from registry.roles import RISK_ANALYST
from tests.factories import ContractFactory, CurrencyRateFactory, VendorFactory
from tests.web.helpers import assessed_vendor, competitor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-password"


@pytest.fixture
def analyst(role_groups, django_user_model):
    user = django_user_model.objects.create_user(username="ana", password=PASSWORD)
    user.groups.add(Group.objects.get(name=RISK_ANALYST))
    return user


@pytest.fixture
def registry_with_three_currencies(role_groups):
    # A transactional test before this one may have flushed the migration's first policy.
    if not RiskPolicy.objects.exists():
        RiskPolicy.objects.create(version=1)
    today = timezone.localdate()
    meta, many, euro = (
        competitor("Meta Platforms"),
        competitor("Many Small Holdings"),
        competitor("Euro Rival"),
    )
    scale = assessed_vendor(party=meta, value="201000000.00")
    ContractFactory(vendor=scale, currency="GBP", value=Decimal("5000000.00"))
    for _ in range(3):
        assessed_vendor(party=many, value="1000000.00")
    assessed_vendor(party=euro, value="1.00").contracts.update(currency="EUR", value="40000000.00")
    CurrencyRateFactory(currency="EUR", rate="1.08", valid_from=today - datetime.timedelta(30))
    VendorFactory(status="offboarded")
    for key, due in (("overdue", -400), ("soon", 10)):
        Alert.objects.create(
            kind="change_of_control",
            severity="high",
            title=f"CoC {key}",
            vendor=scale,
            contract=scale.contracts.first(),
            due_date=today + datetime.timedelta(days=due),
            dedup_key=f"coc:{key}",
        )
    return today


def dashboard(chromium, live_server, viewport, **options):
    context = chromium.new_context(viewport=viewport, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    return page, errors


def exposure_table(page) -> list[list[str]]:
    rows = page.locator("section[aria-labelledby='exposure-heading'] tbody tr")
    return [
        [" ".join(cell.inner_text().split()) for cell in row.locator("th, td").all()]
        for row in rows.all()
    ]


@pytest.mark.parametrize(
    ("viewport", "options", "name"),
    [
        ({"width": 1366, "height": 900}, {}, "desktop"),
        ({"width": 390, "height": 844}, {"is_mobile": True, "has_touch": True}, "phone"),
    ],
)
def test_the_dashboard_adds_up_in_one_currency_and_says_what_it_leaves_out(
    chromium,
    live_server,
    analyst,
    registry_with_three_currencies,
    screenshots,
    viewport,
    options,
    name,
):
    from playwright.sync_api import expect

    today = registry_with_three_currencies
    page, errors = dashboard(chromium, live_server, viewport, **options)
    # 40,000,000 EUR × 1.08 = 43,200,000 USD ranks the euro party second; the GBP contract has
    # no rate and is shown apart, never added to Meta's USD 201M.
    assert exposure_table(page) == [
        ["Meta Platforms", "Competitor", "USD 201,000,000 + GBP 5,000,000 no rate", "1", "Report"],
        ["Euro Rival", "Competitor", "USD 43,200,000 incl. EUR 40,000,000", "1", "Report"],
        ["Many Small Holdings", "Competitor", "USD 3,000,000", "3", "Report"],
    ]
    since = (today - datetime.timedelta(30)).isoformat()
    expect(page.locator("#exposure-ranking")).to_have_text(
        "Ranked by contract value in USD, the reporting currency, converted at the rates in "
        f"force on {today.isoformat()}: 1 EUR = 1.08 USD (from {since})."
    )
    note = page.locator("#exposure-missing-rates")
    expect(note).to_be_visible()
    expect(note).to_contain_text(f"No rate to USD on {today.isoformat()} for GBP:")
    expect(note.get_by_role("link", name="Add a rate")).to_be_visible()
    # Deadlines: upcoming and overdue apart, with the overdue count.
    expect(page.locator("#coc-upcoming tbody tr")).to_have_count(1)
    expect(page.locator("#coc-overdue-heading")).to_contain_text("1 past their due date")
    expect(page.locator("#levels-excluded")).to_contain_text("Excludes 1 offboarded vendor")
    width = viewport["width"]
    values = page.locator("#exposure-table td.exposure-value")
    expect(values).to_have_count(3)
    for locator in (note, page.locator("#exposure-ranking"), *values.all()):
        box = locator.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    size = note.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 11
    screenshots(page, f"dashboard-{name}")
    assert errors == []
