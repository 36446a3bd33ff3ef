"""The dashboard: open alerts by severity, vendors by level, deadlines, renewals, and contract
value under each watchlisted party's influence."""

import datetime
import re

import pytest
from django.utils import timezone

from alerts.models import Alert
from tests.factories import ContractFactory, VendorFactory
from tests.web.helpers import alerts_for, assessed_vendor, competitor

pytestmark = pytest.mark.django_db


def exposure_rows(html: str) -> list[tuple[str, str, list[str]]]:
    table = html.split('id="exposure-heading"')[1].split("</table>")[0]
    rows = []
    for row in table.split("<tbody>")[1].split("</tr>")[:-1]:
        party = re.search(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', row).group(1)
        vendors = re.search(r'class="num"><a [^>]*>(\d+)</a>', row).group(1)
        totals = re.findall(r">([A-Z]{3} [\d,]+)</a>", row)
        rows.append((party, vendors, totals))
    return rows


def test_reference_scenario_puts_meta_platforms_contracts_under_its_influence(
    viewer_client, reference_after
):
    html = viewer_client.get("/").content.decode()
    assert exposure_rows(html) == [("Meta Platforms", "2", ["USD 12,000,000"])]
    assert f'href="/vendors/?influenced_by={reference_after.meta.pk}"' in html


def test_exposure_link_lists_the_vendors_behind_the_figure(viewer_client, reference_after):
    html = viewer_client.get(f"/vendors/?influenced_by={reference_after.meta.pk}").content.decode()
    names = re.findall(r'<td><a href="/vendors/\d+/">([^<]+)</a></td>', html)
    assert sorted(names) == ["Remotasks", "Scale AI"]
    assert "under the influence of" in html and "Meta Platforms" in html


def test_exposure_sums_each_currency_and_orders_parties_by_vendor_count(viewer_client):
    big, small = competitor("Big Rival Holdings"), competitor("Small Rival")
    assessed_vendor(party=big, value="1000000.00")
    assessed_vendor(party=big, value="2500000.00")
    eur = assessed_vendor(party=big, value="1.00")
    eur.contracts.update(currency="EUR", value="750000.00")
    assessed_vendor(party=small, value="5000.00")
    html = viewer_client.get("/").content.decode()
    assert exposure_rows(html) == [
        ("Big Rival Holdings", "3", ["USD 3,500,000", "EUR 750,000"]),
        ("Small Rival", "1", ["USD 5,000"]),
    ]


def test_ended_contracts_do_not_count_as_exposure(viewer_client):
    party = competitor("Rival")
    vendor = assessed_vendor(party=party, value="100.00")
    vendor.contracts.update(end_date=datetime.date(2020, 12, 31), start_date="2020-01-01")
    html = viewer_client.get("/").content.decode()
    assert exposure_rows(html) == [("Rival", "1", [])]
    assert "no current contracts" in html


def test_open_alerts_and_vendor_levels_are_counted(viewer_client):
    vendors = [VendorFactory(risk_level=level) for level in ("critical", "high", "high", "low")]
    alerts_for(vendors[:2], severity="critical")
    alerts_for(vendors[2:3], severity="medium")
    Alert.objects.filter(severity="medium").update(status="resolved")
    html = viewer_client.get("/").content.decode()
    kpis = re.findall(r'kpi-value">(\d+)</span>\s*<span class="kpi-label">(\w+)', html)
    assert kpis == [("2", "Critical"), ("0", "High"), ("0", "Medium"), ("0", "Low")]
    bars = re.findall(r'risk_level=(\w+)">\w+</a>.*?bar-count">(\d+)<', html, re.S)
    assert bars == [("critical", "1"), ("high", "2"), ("medium", "0"), ("low", "1")]


def test_deadlines_and_renewals_within_90_days_are_listed_overdue_marked(viewer_client):
    today = timezone.localdate()
    vendor = VendorFactory()
    soon = ContractFactory(
        vendor=vendor, reference="END-SOON", end_date=today + datetime.timedelta(days=30)
    )
    ContractFactory(
        vendor=vendor, reference="END-LATER", end_date=today + datetime.timedelta(days=200)
    )
    for key, due in (("late", -3), ("soon", 10), ("far", 120)):
        Alert.objects.create(
            kind="change_of_control",
            severity="high",
            title=f"CoC {key}",
            vendor=vendor,
            contract=soon,
            due_date=today + datetime.timedelta(days=due),
            dedup_key=f"coc:{key}",
        )
    html = viewer_client.get("/").content.decode()
    deadlines = html.split('id="coc-heading"')[1].split("</section>")[0]
    assert deadlines.count("<tr") == 3
    assert deadlines.count('class="badge overdue"') == 1
    assert (today + datetime.timedelta(days=120)).isoformat() not in deadlines
    renewals = html.split('id="renewal-heading"')[1].split("</section>")[0]
    assert "END-SOON" in renewals and "END-LATER" not in renewals


@pytest.mark.parametrize("vendor_count", [5, 40])
def test_dashboard_query_count_does_not_grow_with_the_registry(
    viewer_client, django_assert_num_queries, vendor_count
):
    party = competitor("Rival")
    vendors = [assessed_vendor(party=party) for _ in range(vendor_count)]
    alerts_for(vendors)
    with django_assert_num_queries(14):
        assert viewer_client.get("/").status_code == 200
