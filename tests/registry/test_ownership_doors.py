"""One edit of an ownership edge gives the same rows, ids, history and rechecks whichever door
it came in by — the API, the admin or the web form — because all three call
``ownership_update``."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.tokens import api_token_issue
from registry.choices import RecheckReason
from registry.models import Ownership, RecheckRequest
from tests.factories import EntityFactory, OwnershipFactory

D = datetime.date


def _api(edge, user, body):
    client = APIClient()
    _token, key = api_token_issue(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.patch(f"/api/v1/ownerships/{edge.pk}/", body, format="json")
    assert response.status_code == 200, response.content


def _admin(edge, user, body):
    client = Client()
    client.force_login(user)
    fields = {"share": edge.share, "share_min": "", "share_max": "", "end_date": ""}
    fields["start_date"] = edge.start_date.isoformat()
    response = client.post(
        reverse("admin:registry_ownership_change", args=[edge.pk]), {**fields, **body}
    )
    assert response.status_code == 302, response.content


def _web(edge, user, body):
    client = Client()
    client.force_login(user)
    fields = {"share": edge.share, "start_date": edge.start_date.isoformat()}
    response = client.post(f"/ownerships/{edge.pk}/edit/", {**fields, **body})
    assert response.status_code == 302, response.content


DOORS = {"api": _api, "admin": _admin, "web": _web}


def _outcome(edge: Ownership):
    rows = [
        (row.pk == edge.pk, row.share, row.start_date, row.end_date)
        for row in Ownership.objects.filter(owner=edge.owner, owned=edge.owned).order_by(
            "start_date"
        )
    ]
    history = [
        (record.history_type, record.share, record.end_date, record.history_user.username)
        for record in Ownership.history.filter(id=edge.pk).order_by("history_id")[1:]
    ]
    rechecks = [
        (request.reason, request.entity_ids == [edge.owned_id])
        for request in RecheckRequest.objects.order_by("pk")
    ]
    return rows, history, rechecks


@pytest.fixture
def edge(db):
    return OwnershipFactory(
        owner=EntityFactory(name="Holder"),
        owned=EntityFactory(name="Target"),
        share=Decimal("30"),
        start_date=D(2020, 1, 1),
    )


@pytest.mark.parametrize("door", DOORS)
def test_ending_an_edge_keeps_its_row_and_id(door, edge, superuser):
    DOORS[door](edge, superuser, {"end_date": "2025-12-31"})

    rows, history, rechecks = _outcome(edge)
    assert rows == [(True, Decimal("30.0000"), D(2020, 1, 1), D(2025, 12, 31))]
    assert history == [("~", Decimal("30.0000"), D(2025, 12, 31), "root")]
    assert rechecks == [(RecheckReason.OWNERSHIP_CHANGED, True)]


@pytest.mark.parametrize("door", DOORS)
def test_a_new_share_from_a_later_date_ends_the_edge_and_starts_another(door, edge, superuser):
    DOORS[door](edge, superuser, {"share": "45", "start_date": "2024-06-01"})

    rows, history, rechecks = _outcome(edge)
    assert rows == [
        (True, Decimal("30.0000"), D(2020, 1, 1), D(2024, 5, 31)),
        (False, Decimal("45.0000"), D(2024, 6, 1), None),
    ]
    assert history == [("~", Decimal("30.0000"), D(2024, 5, 31), "root")]
    assert rechecks == [(RecheckReason.OWNERSHIP_CHANGED, True)]


@pytest.mark.parametrize("door", DOORS)
def test_an_unchanged_edit_writes_nothing(door, edge, superuser):
    DOORS[door](edge, superuser, {})

    rows, history, rechecks = _outcome(edge)
    assert rows == [(True, Decimal("30.0000"), D(2020, 1, 1), None)]
    assert history == [] and rechecks == []


@pytest.mark.parametrize("door", DOORS)
def test_clearing_the_end_date_reopens_the_same_row(door, superuser, db):
    edge = OwnershipFactory(share=Decimal("30"), start_date=D(2020, 1, 1), end_date=D(2022, 12, 31))

    DOORS[door](edge, superuser, {"end_date": ""} if door != "api" else {"end_date": None})

    rows, history, rechecks = _outcome(edge)
    assert rows == [(True, Decimal("30.0000"), D(2020, 1, 1), None)]
    assert history == [("~", Decimal("30.0000"), None, "root")]
    assert rechecks == [(RecheckReason.OWNERSHIP_CHANGED, True)]


def test_clearing_the_end_date_is_refused_when_a_later_edge_follows(superuser, db):
    edge = OwnershipFactory(share=Decimal("30"), start_date=D(2020, 1, 1), end_date=D(2022, 12, 31))
    OwnershipFactory(
        owner=edge.owner, owned=edge.owned, share=Decimal("10"), start_date=D(2023, 1, 1)
    )
    client = Client()
    client.force_login(superuser)

    response = client.post(
        reverse("admin:registry_ownership_change", args=[edge.pk]),
        {"share": "30", "start_date": "2020-01-01", "end_date": ""},
    )

    (error,) = response.context["adminform"].form.errors["end_date"]
    assert "changes on 2023-01-01; end this edge on 2022-12-31 at the latest" in error
    edge.refresh_from_db()
    assert edge.end_date == D(2022, 12, 31)


def _refused_by_api(edge, user, body):
    client = APIClient()
    _token, key = api_token_issue(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.patch(f"/api/v1/ownerships/{edge.pk}/", body, format="json")
    assert response.status_code == 400, response.content
    return response.json()["end_date"][0]


def _refused_by_web(edge, user, body):
    client = Client()
    client.force_login(user)
    response = client.post(f"/ownerships/{edge.pk}/edit/", body)
    assert response.status_code == 200, response.content
    return response.context["form"].errors["end_date"][0]


@pytest.mark.parametrize("door", ["api", "web"])
def test_clearing_the_end_date_is_refused_by_the_api_and_the_web_form_alike(door, superuser, db):
    edge = OwnershipFactory(share=Decimal("30"), start_date=D(2020, 1, 1), end_date=D(2022, 12, 31))
    OwnershipFactory(
        owner=edge.owner, owned=edge.owned, share=Decimal("10"), start_date=D(2023, 1, 1)
    )

    if door == "api":
        error = _refused_by_api(edge, superuser, {"end_date": None})
    else:
        error = _refused_by_web(
            edge, superuser, {"share": "30", "start_date": "2020-01-01", "end_date": ""}
        )

    assert "changes on 2023-01-01; end this edge on 2022-12-31 at the latest" in error
    edge.refresh_from_db()
    assert edge.end_date == D(2022, 12, 31)
    assert not RecheckRequest.objects.exists()
