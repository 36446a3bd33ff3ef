"""On a phone (390×844) in a real browser: the header stays short, tables become cards whose
actions are on screen, and the ownership graph is listed as readable chains."""

import pytest
from django.contrib.auth.models import Group

from alerts.models import Alert
from registry.roles import RISK_ANALYST
from tests.factories import ContractFactory, EntityFactory, OwnershipFactory, VendorFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "browser-test-password"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def analyst(role_groups, django_user_model):
    user = django_user_model.objects.create_user(username="ana", password=PASSWORD)
    user.groups.add(Group.objects.get(name=RISK_ANALYST))
    return user


def phone_page(chromium, live_server):
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/alerts/")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/alerts/")
    return page, errors


def inside_the_width(page, locator) -> dict:
    box = locator.bounding_box()
    assert box is not None, "not rendered"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    return box


def test_header_is_short_and_alert_actions_are_on_screen(
    chromium, live_server, analyst, screenshots
):
    from playwright.sync_api import expect

    vendor = VendorFactory(entity=EntityFactory(name="Sablewood Data Services Inc."))
    contract = ContractFactory(vendor=vendor, reference="SABLE-2025-007")
    alert = Alert.objects.create(
        kind="change_of_control",
        severity="high",
        title="Change of control at Sablewood Data Services Inc.",
        vendor=vendor,
        contract=contract,
        dedup_key="phone:coc",
    )
    page, errors = phone_page(chromium, live_server)

    header = page.locator("header.app-header").bounding_box()
    assert header["height"] <= 120, header
    # Every main link is still there, in the strip that scrolls sideways.
    for name in ("Dashboard", "Vendors", "Entities", "Events", "Alerts", "Imports"):
        expect(page.locator(".main-links").get_by_role("link", name=name)).to_be_attached()
    # No page-wide sideways scroll.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    row = page.locator(f"#alert-{alert.pk}")
    expect(row.locator("td[data-label='Due']")).to_be_visible()
    inside_the_width(page, row)
    inside_the_width(page, row.get_by_role("button", name="Acknowledge"))
    inside_the_width(page, row.get_by_role("button", name="Resolve or assign"))
    screenshots(page, "alert-inbox")

    row.get_by_role("button", name="Resolve or assign").click()
    page.wait_for_url(f"{live_server.url}/alerts/{alert.pk}/")
    assert page.locator("header.app-header").bounding_box()["height"] <= 120
    for name in ("Resolve", "Dismiss"):
        button = page.get_by_role("button", name=name, exact=True)
        button.scroll_into_view_if_needed()
        inside_the_width(page, button)
    screenshots(page, "alert-detail")
    assert errors == []


def test_lists_become_cards_and_the_graph_becomes_chains(
    chromium, live_server, analyst, screenshots
):
    from playwright.sync_api import expect

    vendor = VendorFactory(entity=EntityFactory(name="Ledgerline Payroll"))
    owner = EntityFactory(name="Sablewood Data Services Inc.")
    OwnershipFactory(owner=owner, owned=vendor.entity, share=60)
    ContractFactory(vendor=vendor, reference="LEDGER-2025-001")
    page, errors = phone_page(chromium, live_server)

    page.goto(f"{live_server.url}/vendors/")
    cell = page.locator("td[data-label='Vendor']", has_text="Ledgerline Payroll")
    inside_the_width(page, cell)
    # The column's name is drawn in the card, beside the value.
    label = cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"Vendor"'
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshots(page, "vendor-list")

    page.goto(f"{live_server.url}/events/")
    expect(page.get_by_role("heading", name="Ownership events")).to_be_visible()
    assert page.locator("header.app-header").bounding_box()["height"] <= 120
    screenshots(page, "event-list")

    page.goto(f"{live_server.url}/vendors/{vendor.pk}/")
    contract = page.locator("#contract-table td[data-label='Reference']")
    expect(contract).to_contain_text("LEDGER-2025-001")
    inside_the_width(page, page.locator("#contract-table td[data-label='Owner']"))
    # A label on two lines ("Change of control") pushes the next row down, never over it.
    clause = page.locator("#contract-table td[data-label='Change of control']").bounding_box()
    owner_row = page.locator("#contract-table td[data-label='Owner']").bounding_box()
    assert owner_row["y"] >= clause["y"] + clause["height"] - 0.5
    assert clause["height"] >= 36, clause

    # The drawing is set aside for the chains, in text of the page's own size.
    expect(page.locator("svg.ownership-graph")).to_be_hidden()
    chains = page.locator("#graph-chains")
    expect(chains).to_be_visible()
    expect(chains.locator("li").first).to_have_text(
        "Sablewood Data Services Inc. — 60% → Ledgerline Payroll (our vendor)"
    )
    size = chains.locator("li a").first.evaluate("a => parseFloat(getComputedStyle(a).fontSize)")
    assert size >= 11, size
    inside_the_width(page, chains.locator("li").first)
    chains.scroll_into_view_if_needed()
    screenshots(page, "vendor-graph-chains")
    assert errors == []


def test_wrapped_names_fit_inside_their_boxes_on_a_wide_screen(
    chromium, live_server, analyst, screenshots
):
    from tests.web.browser.conftest import new_page

    vendor = VendorFactory(entity=EntityFactory(name="Ledgerline Payroll"))
    owners = [
        EntityFactory(name="Sablewood Data Services Inc."),
        EntityFactory(name="WWWWWWWW MMMMMMMM HOLDINGS GROUP"),
        EntityFactory(name="Northern Lighthouse Holdings Group International Plc"),
    ]
    for owner in owners:
        OwnershipFactory(owner=owner, owned=vendor.entity, share=20)
    page, errors = new_page(chromium)
    page.goto(f"{live_server.url}/vendors/{vendor.pk}/")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/vendors/{vendor.pk}/")

    drawing = page.locator("svg.ownership-graph")
    assert drawing.is_visible() and not page.locator("#graph-chains").is_visible()
    sablewood = drawing.locator(f'a[data-entity="{owners[0].pk}"]')
    assert sablewood.locator("tspan").all_text_contents() == ["Sablewood Data", "Services Inc."]
    # Every drawn line of every name stays inside its box, in text of at least 11 px.
    for node in drawing.locator("a.node").all():
        box = node.locator("rect:not(.undisclosed-ring)").bounding_box()
        name = node.locator("text.node-name")
        assert float(name.evaluate("t => getComputedStyle(t).fontSize").rstrip("px")) >= 11
        lines = node.locator("tspan").all() or [name]
        for line in lines:
            drawn = line.bounding_box()
            assert (
                box["x"] <= drawn["x"] and drawn["x"] + drawn["width"] <= box["x"] + box["width"]
            ), (
                line.text_content(),
                drawn,
                box,
            )
            assert (
                box["y"] <= drawn["y"] and drawn["y"] + drawn["height"] <= box["y"] + box["height"]
            )
    drawing.scroll_into_view_if_needed()
    screenshots(page, "graph-wrapped-names")
    assert errors == []
