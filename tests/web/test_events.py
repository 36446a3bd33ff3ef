"""Logging an ownership event: form, preview with current → projected levels, one save per
preview, and the processing status shown until the event is processed."""

import re

import pytest

from registry.choices import EventStatus
from registry.models import OwnershipEvent
from tests.factories import EntityFactory
from tests.pipeline.scenario import DEAL_DATE

pytestmark = pytest.mark.django_db


def acquisition(ref, **changes) -> dict:
    body = {
        "kind": "acquisition",
        "subject": ref.scale.pk,
        "counterparty": ref.meta.pk,
        "share": "49",
        "effective_date": DEAL_DATE.isoformat(),
        "source_url": "https://example.com/meta-scale",
    }
    body.update(changes)
    return body


def preview(client, body):
    return client.post("/events/new/", {**body, "action": "preview"})


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


def impact_rows(response) -> list[tuple[str, str, str]]:
    table = response.content.decode().split('<table id="impact">')[1].split("</table>")[0]
    rows = []
    for row in table.split("<tr>")[2:]:
        name = re.search(r">([^<]+)</a>", row).group(1)
        levels = re.findall(r'class="badge level-(\w+)"', row)
        rows.append((name, *levels))
    return rows


def test_form_offers_every_event_kind_and_the_searchable_pickers(buyer_client):
    html = buyer_client.get("/events/new/").content.decode()
    for kind in ("acquisition", "stake_change", "divestiture", "executive_move"):
        assert f'value="{kind}"' in html
    assert html.count('hx-get="/entities/search/"') == 3
    assert 'name="subject_q"' in html and 'name="person_q"' in html


def test_preview_shows_each_affected_vendor_from_current_to_projected_level(
    buyer_client, reference
):
    response = preview(buyer_client, acquisition(reference))
    assert response.status_code == 200
    assert impact_rows(response) == [
        ("Remotasks", "low", "high"),
        ("Scale AI", "low", "critical"),
    ]
    assert "2 would become riskier" in response.content.decode()
    assert OwnershipEvent.objects.count() == 0


def test_confirm_logs_the_event_and_opens_its_page(buyer, buyer_client, reference):
    token = token_of(preview(buyer_client, acquisition(reference)))
    response = buyer_client.post(
        "/events/new/", {**acquisition(reference), "action": "confirm", "token": token}
    )
    event = OwnershipEvent.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/events/{event.pk}/"
    assert (event.kind, event.subject, event.counterparty, float(event.share)) == (
        "acquisition",
        reference.scale,
        reference.meta,
        49.0,
    )
    assert (event.effective_date, event.logged_by) == (DEAL_DATE, buyer)


def test_double_submit_of_the_confirmation_saves_once(buyer_client, reference):
    token = token_of(preview(buyer_client, acquisition(reference)))
    body = {**acquisition(reference), "action": "confirm", "token": token}
    first = buyer_client.post("/events/new/", body)
    second = buyer_client.post("/events/new/", body)
    assert OwnershipEvent.objects.count() == 1
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert reference.scale.owners.filter(owner=reference.meta).count() == 1


def test_confirm_without_a_preview_token_saves_nothing_and_previews_again(buyer_client, reference):
    for token in ("", "forged-token"):
        response = buyer_client.post(
            "/events/new/", {**acquisition(reference), "action": "confirm", "token": token}
        )
        assert response.status_code == 200
        assert "This confirmation had expired, so nothing was saved." in response.content.decode()
        assert impact_rows(response) == [
            ("Remotasks", "low", "high"),
            ("Scale AI", "low", "critical"),
        ]
    assert OwnershipEvent.objects.count() == 0


def test_back_to_the_form_keeps_what_was_typed(buyer_client, reference):
    response = buyer_client.post("/events/new/", {**acquisition(reference), "action": "edit"})
    html = response.content.decode()
    assert f'<option value="{reference.scale.pk}" selected>Scale AI' in html
    assert 'value="49"' in html
    assert "errorlist" not in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"share": "150"}, "share", "Ensure this value is less than or equal to 100."),
        ({"share": "-1"}, "share", "Ensure this value is greater than or equal to 0."),
        ({"counterparty": "SUBJECT"}, "counterparty", "The counterparty cannot be the subject"),
        ({"subject": "999999"}, "subject", "Choose an existing entity"),
        ({"subject": "not-a-number"}, "subject", "Choose an existing entity"),
        ({"kind": "merger"}, "kind", "Select a valid choice. merger is not one of the"),
        ({"share": ""}, "share", "acquisition needs the new share in percent."),
        ({"effective_date": "1850-01-01"}, "effective_date", "Dates before 1900"),
        ({"person": "COUNTERPARTY"}, "person", "Choose an existing entity of kind “person”."),
    ],
)
def test_bad_input_is_refused_at_its_field_and_nothing_is_saved(
    buyer_client, reference, changes, field, message
):
    ids = {"SUBJECT": str(reference.scale.pk), "COUNTERPARTY": str(reference.meta.pk)}
    body = acquisition(reference, **{k: ids.get(v, v) for k, v in changes.items()})
    for action in ("preview", "confirm"):
        response = buyer_client.post("/events/new/", {**body, "action": action, "token": "t"})
        assert response.status_code == 200
        html = response.content.decode()
        errors = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
        assert errors is not None, (field, action)
        assert message in errors.group(1)
    assert OwnershipEvent.objects.count() == 0


def test_divestiture_of_a_stake_nobody_holds_is_refused_at_the_counterparty(
    buyer_client, reference
):
    response = preview(buyer_client, acquisition(reference, kind="divestiture", share=""))
    html = response.content.decode()
    assert "Meta Platforms holds no shares in Scale AI on 2025-06-13" in html
    assert 'id="id_counterparty_error"' in html


def test_picker_search_without_javascript_offers_the_matches(buyer_client, reference):
    response = buyer_client.post(
        "/events/new/",
        {"kind": "acquisition", "subject_q": "Scale", "_find": "subject", "share": "49"},
    )
    html = response.content.decode()
    assert f'<option value="{reference.scale.pk}" selected>Scale AI' in html
    assert "errorlist" not in html
    assert OwnershipEvent.objects.count() == 0


def test_pending_event_page_polls_its_status_every_second(buyer_client, reference):
    token = token_of(preview(buyer_client, acquisition(reference)))
    response = buyer_client.post(
        "/events/new/", {**acquisition(reference), "action": "confirm", "token": token}
    )
    event = OwnershipEvent.objects.get()
    assert event.status == EventStatus.PENDING
    html = buyer_client.get(response["Location"]).content.decode()
    assert f'hx-get="/events/{event.pk}/status/"' in html
    assert 'hx-trigger="every 1s"' in html
    assert f'<a href="/events/{event.pk}/">Refresh</a>' in html


def test_processed_event_stops_polling_and_lists_vendors_and_alerts(buyer_client, reference_after):
    event = OwnershipEvent.objects.get(kind="acquisition")
    fragment = buyer_client.get(f"/events/{event.pk}/status/").content.decode()
    assert "hx-trigger" not in fragment
    assert "Processed" in fragment
    assert "2 vendors rechecked, 5 alerts raised" in fragment
    assert "Change of control at Scale AI" in fragment
    assert "due 2025-07-13" in fragment


def test_event_list_filters_by_status(viewer_client, reference_after):
    html = viewer_client.get("/events/?status=processed").content.decode()
    assert "<strong>2</strong> events" in html
    html = viewer_client.get("/events/?status=pending").content.decode()
    assert "<strong>0</strong> events" in html
    assert viewer_client.get("/events/?status=bogus").status_code == 200


@pytest.mark.parametrize("count", [5, 40])
def test_event_list_query_count_is_constant(viewer_client, django_assert_num_queries, count):
    entities = EntityFactory.create_batch(2)
    OwnershipEvent.objects.bulk_create(
        OwnershipEvent(
            kind="acquisition",
            subject=entities[0],
            counterparty=entities[1],
            share=10,
            effective_date=DEAL_DATE,
        )
        for _ in range(count)
    )
    with django_assert_num_queries(6):
        response = viewer_client.get("/events/?size=50")
    assert len(re.findall(r'<td[^>]*><a href="/events/\d+/">', response.content.decode())) == count
