"""Whatever a form or a filter is sent, the answer is a page with a message, never a 500."""

import pytest

from alerts.models import Alert

pytestmark = pytest.mark.django_db

NASTY = [
    "",
    "x" * 5000,
    "-1",
    "0",
    "1e309",
    "NaN",
    "Infinity",
    "nul\x00char",
    "99999999999999999999999999",
    "<script>alert(1)</script>",
    "2025-02-30",
    "١٢",
    "../../etc/passwd",
]


def forms_of(ref) -> list[tuple[str, dict]]:
    alert = Alert.objects.order_by("pk").first()
    edge = ref.remotasks.owners.get()
    return [
        ("/entities/new/", {"name": "N", "kind": "company"}),
        (f"/entities/{ref.meta.pk}/edit/", {"name": "N", "kind": "company"}),
        (
            "/vendors/new/",
            {"entity": ref.meta.pk, "status": "active", "tier": "1", "data_access": "none"},
        ),
        (
            f"/vendors/{ref.scale_vendor.pk}/edit/",
            {"status": "active", "tier": "1", "data_access": "none"},
        ),
        (
            f"/vendors/{ref.scale_vendor.pk}/contracts/new/",
            {
                "reference": "R",
                "title": "T",
                "value": "1",
                "currency": "USD",
                "start_date": "2025-01-01",
            },
        ),
        (
            "/ownerships/new/",
            {
                "owner": ref.meta.pk,
                "owned": ref.remotasks.pk,
                "share": "1",
                "start_date": "2025-01-01",
            },
        ),
        (f"/ownerships/{edge.pk}/edit/", {"share": "1", "start_date": "2025-01-01"}),
        (
            "/events/new/",
            {
                "kind": "acquisition",
                "subject": ref.scale.pk,
                "counterparty": ref.meta.pk,
                "share": "1",
                "effective_date": "2025-07-01",
                "action": "preview",
            },
        ),
        (f"/alerts/{alert.pk}/resolve/", {"note": "n"}),
        (f"/alerts/{alert.pk}/assign/", {"assignee": ""}),
    ]


EXTRA_FIELDS = [
    "token",
    "action",
    "_find",
    "subject_q",
    "entity_q",
    "owner_q",
    "next",
    "country",
    "lei",
    "identifiers",
    "share_min",
    "share_max",
    "end_date",
    "announced_date",
    "source_url",
    "person",
    "interest",
    "category",
    "business_owner",
    "coc_termination_window_days",
    "change_of_control_clause",
    "data_classification",
]


#: The values most likely to break what a field was not made for.
SHARP = ["x" * 5000, "nul\x00char", "99999999999999999999999999", "-1"]


def test_no_form_answers_500_to_any_value_in_any_field(analyst_client, reference_after):
    for url, body in forms_of(reference_after):
        for field in body:
            for value in NASTY:
                response = analyst_client.post(url, {**body, field: value})
                assert response.status_code < 500, (url, field, value)
        for field in EXTRA_FIELDS:
            for value in SHARP:
                response = analyst_client.post(url, {**body, field: value})
                assert response.status_code < 500, (url, field, value)


@pytest.mark.parametrize(
    "url",
    ["/vendors/", "/vendors/export.csv", "/entities/", "/events/", "/alerts/", "/entities/search/"],
)
def test_no_list_answers_500_to_any_filter_value(viewer_client, reference_after, url):
    params = [
        "search",
        "q",
        "risk_level",
        "tier",
        "status",
        "category",
        "data_access",
        "entity",
        "influenced_by",
        "sort",
        "page",
        "size",
        "kind",
        "lei",
        "identifier",
        "country",
        "severity",
        "assignee",
        "vendor",
        "event",
        "contract",
        "mine",
        "subject",
        "field",
    ]
    for param in params:
        for value in NASTY:
            response = viewer_client.get(url, {param: value})
            assert response.status_code < 500, (url, param, value)
