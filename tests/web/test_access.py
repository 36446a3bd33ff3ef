"""Who may open and post to each page: sign-in first, then the role's permissions."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from alerts.choices import AlertStatus
from alerts.models import Alert
from registry.models import OwnershipEvent
from registry.roles import VIEWER

pytestmark = pytest.mark.django_db


def _read_urls(ref) -> list[str]:
    alert = Alert.objects.order_by("pk").first()
    event = OwnershipEvent.objects.order_by("pk").first()
    return [
        "/",
        "/vendors/",
        "/vendors/export.csv",
        f"/vendors/{ref.scale_vendor.pk}/",
        f"/contracts/{ref.scale_contract.pk}/",
        "/entities/",
        f"/entities/{ref.meta.pk}/",
        "/entities/search/?q=Scale",
        "/events/",
        f"/events/{event.pk}/",
        f"/events/{event.pk}/status/",
        "/alerts/",
        f"/alerts/{alert.pk}/",
        "/alerts/preferences/",
        "/imports/",
        "/accounts/password_change/",
    ]


def _write_forms(ref) -> list[tuple[str, dict]]:
    """Every form's address with a body that a permitted user would get saved."""
    alert = Alert.objects.filter(status=AlertStatus.OPEN).order_by("pk").first()
    edge = ref.remotasks.owners.get()
    return [
        ("/entities/new/", {"name": "Viewer Co", "kind": "company", "token": "x"}),
        (f"/entities/{ref.meta.pk}/edit/", {"name": "Renamed", "kind": "company"}),
        (
            "/vendors/new/",
            {
                "entity": ref.meta.pk,
                "status": "active",
                "tier": 1,
                "data_access": "none",
                "token": "x",
            },
        ),
        (
            f"/vendors/{ref.scale_vendor.pk}/edit/",
            {"status": "suspended", "tier": 4, "data_access": "none"},
        ),
        (f"/vendors/{ref.scale_vendor.pk}/recheck/", {}),
        (
            f"/vendors/{ref.scale_vendor.pk}/contracts/new/",
            {
                "reference": "V-1",
                "title": "t",
                "value": "1",
                "currency": "USD",
                "start_date": "2025-01-01",
                "data_classification": "internal",
                "token": "x",
            },
        ),
        (
            f"/contracts/{ref.scale_contract.pk}/edit/",
            {
                "reference": "V-2",
                "title": "t",
                "value": "1",
                "currency": "USD",
                "start_date": "2025-01-01",
                "data_classification": "internal",
            },
        ),
        (
            "/ownerships/new/",
            {
                "owner": ref.meta.pk,
                "owned": ref.remotasks.pk,
                "interest": "board_member",
                "start_date": "2025-01-01",
                "token": "x",
            },
        ),
        (f"/ownerships/{edge.pk}/edit/", {"share": "50", "start_date": "2025-01-01"}),
        (
            "/events/new/",
            {
                "action": "confirm",
                "kind": "acquisition",
                "subject": ref.scale.pk,
                "counterparty": ref.meta.pk,
                "share": "10",
                "effective_date": "2025-07-01",
                "token": "x",
            },
        ),
        (f"/alerts/{alert.pk}/acknowledge/", {}),
        (f"/alerts/{alert.pk}/resolve/", {"note": "done"}),
        (f"/alerts/{alert.pk}/dismiss/", {"note": "no"}),
        (f"/alerts/{alert.pk}/assign/", {"assignee": ""}),
    ]


def _row_counts() -> dict[str, int]:
    counts = {}
    for app in ("registry", "alerts"):
        for model in apps.get_app_config(app).get_models():
            counts[model._meta.label] = model.objects.count()
    return counts


def _history_count() -> int:
    return sum(
        model.history.count()
        for model in apps.get_app_config("registry").get_models()
        if hasattr(model, "history") and not model.__name__.startswith("Historical")
    )


def test_every_page_sends_an_anonymous_visitor_to_sign_in(client, reference_after):
    urls = _read_urls(reference_after) + [url for url, _ in _write_forms(reference_after)]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url


@pytest.mark.parametrize("role_client", ["viewer_client", "buyer_client", "analyst_client"])
def test_every_role_can_read_every_page(request, role_client, reference_after):
    browser = request.getfixturevalue(role_client)
    for url in _read_urls(reference_after):
        assert browser.get(url).status_code == 200, url


def test_viewer_posting_to_every_form_is_refused_and_nothing_is_saved(
    viewer_client, reference_after
):
    before, history_before = _row_counts(), _history_count()
    alert_states = list(Alert.objects.values_list("pk", "status", "assignee_id"))
    for url, body in _write_forms(reference_after):
        assert viewer_client.post(url, body).status_code == 403, url
    assert _row_counts() == before
    assert _history_count() == history_before
    assert list(Alert.objects.values_list("pk", "status", "assignee_id")) == alert_states


def test_viewer_opening_a_form_is_refused(viewer_client, reference_after):
    for url, _ in _write_forms(reference_after):
        assert viewer_client.get(url).status_code in (403, 405), url


def test_viewer_sees_no_edit_buttons(viewer_client, reference_after):
    ref = reference_after
    pages = [
        "/",
        "/vendors/",
        f"/vendors/{ref.scale_vendor.pk}/",
        f"/entities/{ref.scale.pk}/",
        f"/contracts/{ref.scale_contract.pk}/",
        "/alerts/",
        f"/alerts/{Alert.objects.first().pk}/",
        "/events/",
        "/imports/",
    ]
    forbidden = [
        "/edit/",
        "/new/",
        "Log an",
        ">Acknowledge<",
        "Resolve…",
        ">Resolve<",
        "Recheck risk",
        ">Dismiss<",
        ">Assign<",
        "Import a file",
    ]
    for url in pages:
        html = viewer_client.get(url).content.decode()
        assert [word for word in forbidden if word in html] == [], url


def test_buyer_sees_the_edit_buttons_the_role_allows(buyer_client, reference_after):
    html = buyer_client.get(f"/vendors/{reference_after.scale_vendor.pk}/").content.decode()
    assert "Edit vendor" in html
    assert "Recheck risk" in html
    assert "New contract" in html


def test_a_user_in_no_role_is_refused_writes(nobody, client, reference_after):
    client.force_login(nobody)
    assert client.post("/entities/new/", {"name": "X", "kind": "company"}).status_code == 403


def test_viewer_group_holds_no_write_permission_used_by_the_pages(db):
    codenames = set(Group.objects.get(name=VIEWER).permissions.values_list("codename", flat=True))
    assert {c for c in codenames if not c.startswith("view_")} == set()
