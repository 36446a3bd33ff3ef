"""The vendor page: details, contracts, the drawn ownership graph, risk explained, history."""

import datetime
import math
import re
from decimal import Decimal

import pytest

from registry.models import RiskAssessment, RiskFactor, RiskPolicy
from registry.services import entity_update
from registry.web.graph import COL_W, MAX_PER_ROW, PADDING
from tests.factories import EntityFactory, OwnershipFactory, VendorFactory, WatchlistEntryFactory

pytestmark = pytest.mark.django_db


def svg_of(html: str) -> str:
    return re.search(r"<svg[^>]*class=\"ownership-graph\".*?</svg>", html, re.S).group(0)


def nodes(svg: str) -> dict[str, str]:
    """Entity name (its drawn lines joined by spaces) → the tag drawn under it."""
    return {
        " ".join(re.sub(r"<[^>]+>", " ", name).split()): tag
        for name, tag in re.findall(
            r'class="node-name"[^>]*>(.*?)</text><text[^>]*class="node-tag"[^>]*>([^<]+)<', svg
        )
    }


def edge_labels(svg: str) -> list[str]:
    return re.findall(r'<g class="edge-label[^"]*">.*?<text[^>]*>([^<]+)</text>', svg)


def test_remotasks_graph_draws_meta_platforms_above_scale_ai(viewer_client, reference_after):
    html = viewer_client.get(f"/vendors/{reference_after.remotasks_vendor.pk}/").content.decode()
    svg = svg_of(html)
    assert nodes(svg) == {
        "Remotasks": "OUR VENDOR",
        "Scale AI": "OUR VENDOR",
        "Meta Platforms": "COMPETITOR",
        "Scale AI CEO": "Person",
    }
    assert sorted(edge_labels(svg)) == ["100%", "49%", "board", "officer"]
    assert "On the watchlist: Meta Platforms." in svg


def test_graph_puts_the_vendor_at_the_bottom_and_owners_above(viewer_client, reference_after):
    svg = svg_of(
        viewer_client.get(f"/vendors/{reference_after.remotasks_vendor.pk}/").content.decode()
    )
    y = {
        entity: float(top)
        for entity, top in re.findall(
            r'data-entity="(\d+)"><title>.*?</title><rect x="[^"]+" y="([^"]+)"', svg
        )
    }
    ref = reference_after
    assert y[str(ref.meta.pk)] < y[str(ref.scale.pk)] < y[str(ref.remotasks.pk)]


def test_risk_is_explained_with_each_factor_and_its_chain(viewer_client, reference_after):
    html = viewer_client.get(f"/vendors/{reference_after.scale_vendor.pk}/").content.decode()
    risk = html.split('id="risk-heading"')[1].split("</section>")[0]
    assert "Competitor ownership" in risk and "Key-person interlock" in risk
    assert "look-through share <strong>49.00%</strong>" in risk
    chains = [
        re.sub(r"<[^>]+>", "", chain).strip()
        for chain in re.findall(r'<p class="chain">Chain: (.*?)</p>', risk, re.S)
    ]
    assert chains == [
        "Meta Platforms → Scale AI",
        "Meta Platforms → Scale AI CEO → Scale AI",
    ]


def test_page_shows_contracts_alerts_history_and_audit(viewer_client, reference_after):
    html = viewer_client.get(f"/vendors/{reference_after.scale_vendor.pk}/").content.decode()
    assert "SCALE-2024-001" in html and "Yes, 30-day window" in html
    alerts = html.split('id="valerts-heading"')[1].split("</section>")[0]
    # Change of control, the rise to critical, and Meta's new share and interlock.
    assert alerts.count("<tr>") == 4
    assert "2025-07-13" in alerts
    history = html.split('id="history-heading"')[1].split("</section>")[0]
    vendor = reference_after.scale_vendor
    vendor.refresh_from_db()
    count = vendor.assessments.count()
    label = f"Risk score of the last {count} assessments, from 0 to {vendor.risk_score}"
    assert f'aria-label="{label}"' in history
    audit = html.split('id="audit-heading"')[1].split("</section>")[0]
    assert "Contract SCALE-2024-001</strong> created" in audit
    assert "<strong>Vendor</strong> created" in audit


def test_graph_with_30_owners_wraps_into_rows_and_names_every_owner(viewer_client):
    vendor = VendorFactory(entity=EntityFactory(name="Widely Held Inc"))
    rival = EntityFactory(name="Rival Corp")
    WatchlistEntryFactory(entity=rival, category="competitor")
    owners = [rival] + [EntityFactory(name=f"Investor {n:02d}") for n in range(29)]
    for owner in owners:
        OwnershipFactory(owner=owner, owned=vendor.entity, share=Decimal("3"))
    html = viewer_client.get(f"/vendors/{vendor.pk}/").content.decode()
    svg = svg_of(html)
    drawn = nodes(svg)
    assert len(drawn) == 31
    assert drawn["Rival Corp"] == "COMPETITOR"
    width = float(re.search(r'width="([\d.]+)"', svg).group(1))
    assert width <= MAX_PER_ROW * COL_W + 2 * PADDING
    rows = {y for y in re.findall(r'<rect x="[^"]+" y="([^"]+)" width="196.0"', svg)}
    assert len(rows) == 1 + math.ceil(30 / MAX_PER_ROW)
    assert edge_labels(svg).count("3%") == 30


@pytest.mark.parametrize("owner_count", [5, 30])
def test_vendor_page_query_count_does_not_grow_with_owners(
    viewer_client, django_assert_num_queries, owner_count
):
    vendor = VendorFactory()
    for _ in range(owner_count):
        OwnershipFactory(owned=vendor.entity, share=Decimal("2"))
    # The audit list reads the identifier history (one query); a Viewer's badge counts nothing;
    # the graph asks which of its entities are our vendors (one query).
    with django_assert_num_queries(19):
        assert viewer_client.get(f"/vendors/{vendor.pk}/").status_code == 200


def test_vendor_without_owners_says_so(viewer_client):
    vendor = VendorFactory(entity=EntityFactory(name="Lonely Ltd"))
    html = viewer_client.get(f"/vendors/{vendor.pk}/").content.decode()
    assert "No owner of Lonely Ltd is recorded." in html
    assert "Not assessed yet." in html


def test_unknown_vendor_is_not_found(viewer_client):
    assert viewer_client.get("/vendors/999999/").status_code == 404


def test_recheck_stores_a_new_assessment(
    buyer_client, reference, django_capture_on_commit_callbacks
):
    before = reference.scale_vendor.assessments.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = buyer_client.post(f"/vendors/{reference.scale_vendor.pk}/recheck/")
    assert response.status_code == 302
    assert reference.scale_vendor.assessments.count() == before + 1


def test_audit_history_names_who_changed_what(buyer, buyer_client):
    vendor = VendorFactory(tier=3)
    buyer_client.post(
        f"/vendors/{vendor.pk}/edit/",
        {"status": "suspended", "tier": "1", "data_access": vendor.data_access, "category": ""},
    )
    html = buyer_client.get(f"/vendors/{vendor.pk}/").content.decode()
    audit = html.split('id="audit-heading"')[1].split("</section>")[0]
    assert "<strong>Vendor</strong> changed by buyer" in audit
    changes = re.findall(r"<li>([^<]+)</li>", audit)
    assert "tier: 3 → 1" in changes and "status: active → suspended" in changes


def test_scale_ai_page_explains_its_level_breaks_down_its_score_and_what_changed(
    viewer_client, reference_after
):
    html = viewer_client.get(f"/vendors/{reference_after.scale_vendor.pk}/").content.decode()

    explanation = re.search(r'id="level-explanation"><strong>([^<]+)<', html).group(1)
    assert explanation == (
        "Raised to critical: restricted data access and high competitor ownership and "
        "key-person interlock factors."
    )
    breakdown = html.split('id="score-breakdown"')[1].split("</details>")[0]
    assert "How the score 89 is made" in breakdown
    assert re.findall(
        r"<tr><th scope=\"row\">([^<]+)</th>.*?<td class=\"num\">([\d.]+)</td></tr>", breakdown
    ) == [
        ("Critical band floor", "75"),
        ("Competitor ownership (high)", "8.45"),
        ("Key-person interlock (high)", "6.00"),
    ]
    assert "75 + 14 (14.45 rounded) = <strong>89</strong>" in breakdown
    assert 'id="assessment-changes"' in html


def _assessed(vendor, level: str, score: int, factors: list[dict]):
    policy = RiskPolicy.objects.latest()
    assessment = RiskAssessment.objects.create(
        vendor=vendor,
        level=level,
        score=score,
        as_of=datetime.date(2025, 6, 13),
        policy=policy,
        policy_version=policy.version,
    )
    for item in factors:
        RiskFactor.objects.create(assessment=assessment, summary="s", path=[], **item)
    return assessment


def test_the_vendor_page_shows_factors_added_removed_and_shares_moved(viewer_client):
    vendor = VendorFactory(entity=EntityFactory(name="Ledgerline Payroll"))
    meta, state = EntityFactory(name="Meta Platforms"), EntityFactory(name="Crown Holdings")
    _assessed(
        vendor,
        "high",
        59,
        [
            {
                "code": "competitor_ownership",
                "severity": "high",
                "party": meta,
                "effective_share": Decimal("30"),
            },
            {
                "code": "state_ownership",
                "severity": "medium",
                "party": state,
                "effective_share": Decimal("20"),
            },
        ],
    )
    _assessed(
        vendor,
        "high",
        65,
        [
            {
                "code": "competitor_ownership",
                "severity": "high",
                "party": meta,
                "effective_share": Decimal("49"),
            },
            {"code": "key_person_interlock", "severity": "high", "party": meta},
        ],
    )

    html = viewer_client.get(f"/vendors/{vendor.pk}/").content.decode()

    changes = html.split('id="assessment-changes"')[1].split("</div>")[0]
    assert "High 59 → High 65" in changes
    assert re.findall(r'<li class="change-(\w+)">(.*?)</li>', changes) == [
        ("added", "<strong>Added</strong>: Key-person interlock by Meta Platforms (high)"),
        ("moved", "<strong>Moved</strong>: Competitor ownership by Meta Platforms 30.00% → 49.00%"),
        (
            "removed",
            "<strong>Removed</strong>: State ownership by Crown Holdings (was medium, 20.00%)",
        ),
    ]
    assert re.search(r'id="level-explanation"><strong>([^<]+)<', html).group(1) == (
        "High: its highest factors (competitor ownership and key-person interlock) are high."
    )


def test_a_first_assessment_shows_no_changes_section(viewer_client):
    vendor = VendorFactory()
    _assessed(vendor, "low", 0, [])
    html = viewer_client.get(f"/vendors/{vendor.pk}/").content.decode()
    assert 'id="assessment-changes"' not in html
    assert "Low: no risk factor was found." in html


def test_audit_history_shows_the_entity_identifier_changes(buyer, buyer_client):
    vendor = VendorFactory(entity=EntityFactory(name="Acme"))
    entity_update(entity=vendor.entity, identifiers=[("GB-COH", "00445790")], actor=buyer)
    entity_update(entity=vendor.entity, identifiers=[("DUNS", "150483782")], actor=buyer)

    html = buyer_client.get(f"/vendors/{vendor.pk}/").content.decode()
    audit = html.split('id="audit-heading"')[1].split("</section>")[0]
    lines = [
        " ".join(re.sub(r"<[^>]+>", " ", line).split())
        for line in re.findall(r"<strong>Entity identifier.*?(?=</li>|<ul|$)", audit, re.S)
    ]
    assert [line.split(" by ")[0] for line in lines] == [
        "Entity identifier DUNS:150483782 created",
        "Entity identifier GB-COH:00445790 deleted",
        "Entity identifier GB-COH:00445790 created",
    ]
    assert all(" by buyer" in line for line in lines)
