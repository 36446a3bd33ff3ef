"""A risk analyst, in a real browser, dry-runs a register's file on the Imports page, applies
it, and follows the report to the vendor whose risk it raised."""

import json

import pytest
from django.contrib.auth.models import Group

from imports.models import ImportRun
from registry import services
from registry.models import Ownership
from registry.roles import RISK_ANALYST
from tests.imports import bods
from tests.pipeline.scenario import build_reference_registry
from tests.web.browser.conftest import new_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "browser-test-password"
META_LEI = "BQ4BKCS1HXDV9HN80Z93"


@pytest.fixture
def analyst_user(role_groups, django_user_model):
    user = django_user_model.objects.create_user(username="ria", password=PASSWORD)
    user.groups.add(Group.objects.get(name=RISK_ANALYST))
    return user


def test_dry_run_then_apply_a_file_and_follow_it_to_the_vendor(
    chromium, live_server, analyst_user, screenshots, tmp_path
):
    from playwright.sync_api import expect

    ref = build_reference_registry()
    services.entity_update(entity=ref.meta, lei=META_LEI)
    services.entity_update(entity=ref.scale, identifiers=[("DUNS", "081234567")])
    statements = [
        bods.entity("meta", "Meta Platforms, Inc.", identifiers=[("XI-LEI", META_LEI)]),
        bods.entity("scale", "Scale AI, Inc.", identifiers=[("duns", "081234567")]),
        bods.stake("meta-scale", "scale", "meta", share=49, start="2025-06-13"),
    ]
    file = tmp_path / "psc-2025-06.json"
    file.write_text(json.dumps(statements))
    page, console_errors = new_page(chromium)

    page.goto(f"{live_server.url}/imports/")
    page.get_by_label("Username").fill("ria")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/imports/")
    expect(page.get_by_role("link", name="Imports", exact=True)).to_have_attribute(
        "aria-current", "page"
    )

    page.get_by_label("File (required)").set_input_files(str(file))
    page.get_by_label("Source name").fill("UK PSC register")
    page.get_by_label("Dry run").check()
    screenshots(page, "upload-form")
    page.get_by_role("button", name="Start the import").click()

    expect(page.get_by_text("Dry run done")).to_be_visible()
    affected = page.locator("#run-affected tbody tr")
    expect(affected).to_have_count(2)
    expect(affected.nth(0)).to_contain_text("Scale AI")
    expect(affected.nth(0)).to_contain_text("Critical")
    expect(affected.nth(1)).to_contain_text("Remotasks")
    expect(affected.nth(1)).to_contain_text("High")
    expect(page.locator("#run-events")).to_contain_text("Acquisition of Scale AI")
    screenshots(page, "dry-run-report")
    assert not Ownership.objects.filter(owner=ref.meta, owned=ref.scale).exists()

    page.get_by_role("button", name="All imports").click()
    page.get_by_label("File (required)").set_input_files(str(file))
    page.get_by_label("Source name").fill("UK PSC register")
    page.get_by_role("button", name="Start the import").click()

    expect(page.get_by_text("2 vendors rechecked, 5 alerts raised")).to_be_visible()
    expect(page.locator("#run-alerts")).to_contain_text("termination window ends 2025-07-13")
    screenshots(page, "applied-report")
    applied = ImportRun.objects.get(dry_run=False)

    page.locator("#run-affected").get_by_role("link", name="Scale AI").click()
    expect(page.get_by_role("heading", name="Scale AI")).to_be_visible()
    page.get_by_text("The graph as a table").click()
    # Between two parties already in the registry, the stake came in as an event of the run.
    table = page.locator("details", has_text="The graph as a table")
    row = table.locator("tbody tr", has_text="Meta Platforms")
    expect(row).to_contain_text("Event #")
    source = row.get_by_role("link", name=f"import #{applied.pk} (UK PSC register)")
    expect(source).to_be_visible()
    screenshots(page, "vendor-graph-source")
    source.click()
    page.wait_for_url(f"{live_server.url}/imports/{applied.pk}/")

    page.get_by_role("link", name="Imports", exact=True).click()
    expect(page.locator("#import-table tbody tr")).to_have_count(2)
    screenshots(page, "import-list")
    assert console_errors == []
