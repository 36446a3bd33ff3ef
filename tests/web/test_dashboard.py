"""The dashboard: open alerts by severity, vendors by level, deadlines, renewals, and contract
value under each watchlisted party's influence."""

import datetime
import re

import pytest
from django.test import override_settings
from django.utils import timezone

from alerts.models import Alert
from tests.factories import ContractFactory, CurrencyRateFactory, VendorFactory
from tests.web.helpers import alerts_for, assessed_vendor, competitor

pytestmark = pytest.mark.django_db


def exposure_rows(html: str) -> list[tuple[str, str, list[str]]]:
    """(party, vendor count, the lines of the value cell: the reporting-currency total, then
    "incl. …" for converted currencies and "+ … no rate" for those left out)."""
    table = html.split('id="exposure-heading"')[1].split("</table>")[0]
    rows = []
    for row in table.split("<tbody>")[1].split("</tr>")[:-1]:
        party = re.search(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', row).group(1)
        vendors = re.search(r'data-label="Vendors" class="num"><a [^>]*>(\d+)</a>', row).group(1)
        cell = re.search(r'class="num exposure-value">(.*?)</td>', row, re.S).group(1)
        lines = [
            " ".join(re.sub(r"<[^>]+>", " ", part).split())
            for part in re.split(r"<br>", cell)
            if "no current contracts" not in part
        ]
        rows.append((party, vendors, [line for line in lines if line]))
    return rows


def test_reference_scenario_puts_meta_platforms_contracts_under_its_influence(
    viewer_client, reference_after
):
    html = viewer_client.get("/").content.decode()
    assert exposure_rows(html) == [("Meta Platforms", "2", ["USD 12,000,000"])]
    assert f'href="/vendors/?influenced_by={reference_after.meta.pk}"' in html


def test_exposure_link_lists_the_vendors_behind_the_figure(viewer_client, reference_after):
    html = viewer_client.get(f"/vendors/?influenced_by={reference_after.meta.pk}").content.decode()
    names = re.findall(r'<td[^>]*><a href="/vendors/\d+/">([^<]+)</a></td>', html)
    assert sorted(names) == ["Remotasks", "Scale AI"]
    assert "under the influence of" in html and "Meta Platforms" in html


def test_exposure_without_a_rate_keeps_the_other_currency_apart_and_says_so(viewer_client):
    big, small = competitor("Big Rival Holdings"), competitor("Small Rival")
    assessed_vendor(party=big, value="1000000.00")
    assessed_vendor(party=big, value="2500000.00")
    eur = assessed_vendor(party=big, value="1.00")
    eur.contracts.update(currency="EUR", value="750000.00")
    assessed_vendor(party=small, value="5000.00")
    html = viewer_client.get("/").content.decode()
    # EUR has no rate: it is never added to the USD figure, and the page says why.
    assert exposure_rows(html) == [
        ("Big Rival Holdings", "3", ["USD 3,500,000", "+ EUR 750,000 no rate"]),
        ("Small Rival", "1", ["USD 5,000"]),
    ]
    note = re.search(r'id="exposure-missing-rates" role="note">(.+?)</p>', html).group(1)
    today = timezone.localdate().isoformat()
    assert re.sub(r"<[^>]+>", "", note) == (
        f"No rate to USD on {today} for EUR: those contract values are shown apart and left "
        "out of every total and of the ranking. A risk analyst can add the rate."
    )


def test_exposure_converts_at_the_rate_in_force_and_names_it(viewer_client):
    euro_party, dollar_party = competitor("Euro Rival"), competitor("Dollar Rival")
    euro = assessed_vendor(party=euro_party, value="1.00")
    euro.contracts.update(currency="EUR", value="900000000.00")
    assessed_vendor(party=dollar_party, value="2000000.00")
    assessed_vendor(party=dollar_party, value="1000000.00")
    assessed_vendor(party=euro_party, value="500000.00")
    today = timezone.localdate()
    CurrencyRateFactory(currency="EUR", rate="1.20", valid_from=today - datetime.timedelta(400))
    CurrencyRateFactory(
        currency="EUR", rate="1.08", valid_from=today - datetime.timedelta(10), source="ECB"
    )
    # A rate that starts tomorrow is not in force yet.
    CurrencyRateFactory(currency="EUR", rate="9.99", valid_from=today + datetime.timedelta(1))

    html = viewer_client.get("/").content.decode()

    # 900,000,000 × 1.08 + 500,000 = 972,500,000: first, above the 3,000,000 of USD contracts.
    assert exposure_rows(html) == [
        ("Euro Rival", "2", ["USD 972,500,000", "incl. EUR 900,000,000"]),
        ("Dollar Rival", "2", ["USD 3,000,000"]),
    ]
    note = re.search(r'id="exposure-ranking">([^<]+)<', html).group(1)
    since = (today - datetime.timedelta(10)).isoformat()
    assert note == (
        "Ranked by contract value in USD, the reporting currency, converted at the rates in "
        f"force on {today.isoformat()}: 1 EUR = 1.08 USD (from {since}, ECB)."
    )
    assert 'id="exposure-missing-rates"' not in html


def test_rates_to_another_reporting_currency_are_not_used(viewer_client):
    party = competitor("Rival")
    assessed_vendor(party=party, value="1000.00")
    # Entered while the reporting currency was USD: it converts EUR to USD, not USD to EUR.
    rate = CurrencyRateFactory(currency="EUR", rate="1.08")
    assert rate.quote_currency == "USD"
    with override_settings(REPORTING_CURRENCY="EUR"):
        html = viewer_client.get("/").content.decode()
    assert exposure_rows(html) == [("Rival", "1", ["EUR 0", "+ USD 1,000 no rate"])]
    assert "No rate to EUR on" in html


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
    bars = re.findall(r'risk_level=(\w+)&amp;current=true">\w+</a>.*?bar-count">(\d+)<', html, re.S)
    assert bars == [("critical", "1"), ("high", "2"), ("medium", "0"), ("low", "1")]


def test_deadlines_list_the_next_90_days_and_the_overdue_apart_with_its_count(viewer_client):
    today = timezone.localdate()
    vendor = VendorFactory()
    soon = ContractFactory(
        vendor=vendor, reference="END-SOON", end_date=today + datetime.timedelta(days=30)
    )
    ContractFactory(
        vendor=vendor, reference="END-LATER", end_date=today + datetime.timedelta(days=200)
    )
    for key, due in (
        ("two years late", -730),
        ("late", -3),
        ("today", 0),
        ("soon", 10),
        ("edge", 90),
        ("far", 120),
    ):
        Alert.objects.create(
            kind="change_of_control",
            severity="high",
            title=f"CoC {key}",
            vendor=vendor,
            contract=soon,
            due_date=today + datetime.timedelta(days=due),
            dedup_key=f"coc:{key}",
        )
    Alert.objects.create(
        kind="change_of_control",
        severity="high",
        title="CoC done",
        vendor=vendor,
        status="resolved",
        due_date=today + datetime.timedelta(days=5),
        dedup_key="coc:done",
    )
    html = viewer_client.get("/").content.decode()
    section = html.split('id="coc-heading"')[1].split("</section>")[0]
    upcoming = section.split('id="coc-upcoming"')[1].split("</table>")[0]
    overdue = section.split('id="coc-overdue"')[1].split("</table>")[0]

    def dates(table: str) -> list[str]:
        return re.findall(r'class="due-(?:soon|overdue)">([\d-]+)</a>', table)

    def day(offset: int) -> str:
        return (today + datetime.timedelta(days=offset)).isoformat()

    assert dates(upcoming) == [day(0), day(10), day(90)]
    assert f"3 due from today to {day(90)}" in upcoming
    assert dates(overdue) == [day(-730), day(-3)]
    assert "2 past their due date" in section
    assert day(120) not in section and day(5) not in section
    renewals = html.split('id="renewal-heading"')[1].split("</section>")[0]
    assert "END-SOON" in renewals and "END-LATER" not in renewals


def test_deadlines_with_only_overdue_items_say_nothing_is_upcoming(viewer_client):
    today = timezone.localdate()
    Alert.objects.create(
        kind="change_of_control",
        severity="high",
        title="CoC old",
        vendor=VendorFactory(),
        due_date=today - datetime.timedelta(days=400),
        dedup_key="coc:old",
    )
    section = viewer_client.get("/").content.decode().split('id="coc-heading"')[1]
    section = section.split("</section>")[0]
    assert "No termination window closes in the next 90 days." in section
    assert "1 past their due date" in section


def test_vendor_level_totals_match_the_list_and_say_what_they_exclude(viewer_client):
    for level in ("critical", "high", "high", "low"):
        VendorFactory(risk_level=level)
    VendorFactory(risk_level="high", status="offboarded")

    html = viewer_client.get("/").content.decode()
    card = html.split('id="levels-heading"')[1].split("</section>")[0]
    bars = [int(n) for n in re.findall(r'bar-count">(\d+)<', card)]
    listed = viewer_client.get("/vendors/?current=true").content.decode()
    high = viewer_client.get("/vendors/?risk_level=high&current=true").content.decode()
    everything = viewer_client.get("/vendors/").content.decode()

    assert sum(bars) == 4
    assert '?current=true">4 vendors →' in card
    assert "Excludes 1 offboarded vendor (" in card
    assert "<strong>4</strong> vendors, offboarded ones left out" in listed
    assert "<strong>2</strong> vendors, offboarded ones left out" in high
    assert "<strong>5</strong> vendors" in everything


def test_exposure_is_ranked_by_value_with_the_vendor_count_beside_it(viewer_client):
    many, rich = competitor("Many Small Holdings"), competitor("Meta Platforms")
    for _ in range(3):
        assessed_vendor(party=many, value="1000000.00")
    assessed_vendor(party=rich, value="201000000.00")

    html = viewer_client.get("/").content.decode()

    assert exposure_rows(html) == [
        ("Meta Platforms", "1", ["USD 201,000,000"]),
        ("Many Small Holdings", "3", ["USD 3,000,000"]),
    ]
    assert "Ranked by contract value in USD, the reporting currency." in html


@pytest.mark.parametrize("vendor_count", [5, 40])
def test_dashboard_query_count_does_not_grow_with_the_registry(
    viewer_client, django_assert_num_queries, vendor_count
):
    party = competitor("Rival")
    vendors = [assessed_vendor(party=party) for _ in range(vendor_count)]
    alerts_for(vendors)
    with django_assert_num_queries(15):
        assert viewer_client.get("/").status_code == 200
