"""What the services refuse in one answer (every field at once), seats without a share,
announced dates, and shares with four decimals — through the services, the API and the web."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from core.tokens import api_token_issue
from registry import services
from registry.models import Entity, EntityIdentifier, Ownership, OwnershipEvent
from tests.factories import EntityFactory, PersonFactory
from tests.web.test_forms import token_for

pytestmark = pytest.mark.django_db

WRONG_CHECK_DIGIT_LEI = "5493001KJTIIGC8Y1R13"
SEAT_MESSAGE = (
    "A {seat} seat carries no share: leave it empty, and record any stake the holder also has "
    "as a separate shareholding."
)


@pytest.fixture
def buyer_client(buyer) -> Client:
    client = Client()
    client.force_login(buyer)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    _token, key = api_token_issue(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# --- Every problem of an entity in one answer ----------------------------------------------------


def test_entity_create_names_country_lei_and_a_taken_identifier_together(db):
    taken = EntityFactory(name="Northwind Data Ltd")
    EntityIdentifier.objects.create(entity=taken, scheme="DUNS", value="123456789")

    with pytest.raises(ValidationError) as raised:
        services.entity_create(
            name="Southwind",
            country="XX",
            lei=WRONG_CHECK_DIGIT_LEI,
            identifiers=[("DUNS", "123456789"), ("GB-COH", "1:2")],
        )

    errors = raised.value.message_dict
    assert set(errors) == {"country", "lei", "identifiers"}
    assert errors["identifiers"] == ["DUNS:123456789 already identifies Northwind Data Ltd."]
    assert "is not an ISO 3166-1 alpha-2 country code" in errors["country"][0]
    assert "is not a valid LEI" in errors["lei"][0]
    assert not Entity.objects.filter(name="Southwind").exists()


def test_entity_update_names_a_bad_country_and_a_taken_identifier_together(db):
    taken = EntityFactory(name="Holder Ltd")
    EntityIdentifier.objects.create(entity=taken, scheme="DUNS", value="1")
    entity = EntityFactory(name="Other Ltd", country="GB")

    with pytest.raises(ValidationError) as raised:
        services.entity_update(entity=entity, country="XX", identifiers=[("duns", "1")])

    assert set(raised.value.message_dict) == {"country", "identifiers"}
    entity.refresh_from_db()
    assert (entity.country, entity.identifiers.count()) == ("GB", 0)


def test_entity_form_reports_identifier_country_and_lei_in_one_round(buyer_client):
    response = buyer_client.post(
        "/entities/new/",
        {
            "name": "Bad Ltd",
            "kind": "company",
            "country": "XX",
            "lei": WRONG_CHECK_DIGIT_LEI,
            "identifiers": "no-colon\nDUNS:1\nalso bad",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    for field in ("country", "lei", "identifiers"):
        assert f'id="id_{field}_error"' in html, field
    assert "Line 1 (“no-colon”) is not in the form SCHEME:ID." in html
    assert "Line 3 (“also bad”) is not in the form SCHEME:ID." in html
    assert "is not an ISO 3166-1 alpha-2 country code" in html
    assert "is not a valid LEI" in html
    assert not Entity.objects.filter(name="Bad Ltd").exists()


# --- Seats carry no share ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interest", "seat"),
    [("board_member", "board member"), ("senior_managing_official", "senior managing official")],
)
@pytest.mark.parametrize(
    "shares",
    [{"share": Decimal("40")}, {"share_min": Decimal("10"), "share_max": Decimal("20")}],
    ids=["exact", "range"],
)
def test_a_seat_with_a_share_is_refused_at_each_share_field(db, interest, seat, shares):
    company, person = EntityFactory(), PersonFactory()

    with pytest.raises(ValidationError) as raised:
        services.ownership_set(
            owner=person,
            owned=company,
            interest=interest,
            start_date=datetime.date(2024, 1, 1),
            **shares,
        )

    assert raised.value.message_dict == {name: [SEAT_MESSAGE.format(seat=seat)] for name in shares}
    assert not Ownership.objects.exists()


def test_a_seat_without_a_share_is_kept(db):
    company, person = EntityFactory(), PersonFactory()

    edge = services.ownership_set(
        owner=person, owned=company, interest="board_member", start_date=datetime.date(2024, 1, 1)
    )

    assert (edge.interest, edge.share, edge.share_min, edge.share_max) == (
        "board_member",
        None,
        None,
        None,
    )


def test_the_api_and_the_web_refuse_a_board_seat_with_40_percent(buyer, buyer_client):
    company, person = EntityFactory(name="Ledgerline"), PersonFactory(name="Pat Seat")
    body = {
        "owner": person.pk,
        "owned": company.pk,
        "interest": "board_member",
        "share": "40",
        "start_date": "2024-01-01",
    }

    api = _api(buyer).post("/api/v1/ownerships/", body, format="json")
    web = buyer_client.post("/ownerships/new/", body)

    assert api.status_code == 400
    assert api.json() == {"share": [SEAT_MESSAGE.format(seat="board member")]}
    assert web.status_code == 200
    assert 'id="id_share_error"' in web.content.decode()
    assert "board member seat carries no share" in web.content.decode()
    assert not Ownership.objects.exists()


@pytest.mark.parametrize("kind", ["fund", "government"])
def test_a_board_seat_held_by_a_fund_or_government_is_saved_only_once_confirmed(buyer_client, kind):
    company = EntityFactory(name="Ledgerline")
    holder = EntityFactory(name="Harbour Capital", kind=kind)
    body = {
        "owner": holder.pk,
        "owned": company.pk,
        "interest": "board_member",
        "start_date": "2024-01-01",
    }

    first = buyer_client.post("/ownerships/new/", body)

    html = first.content.decode()
    assert first.status_code == 200
    assert 'id="id_confirm_seat_error"' in html
    assert f"Harbour Capital is a {kind}: board seats and management roles" in html
    assert 'type="checkbox" name="confirm_seat"' in html
    assert not Ownership.objects.exists()

    token = token_for(buyer_client, "/ownerships/new/")
    second = buyer_client.post("/ownerships/new/", {**body, "confirm_seat": "on", "token": token})

    assert second.status_code == 302
    seat = Ownership.objects.get()
    assert (seat.owner_id, seat.interest, seat.share) == (holder.pk, "board_member", None)


def test_a_board_seat_held_by_a_person_needs_no_confirmation(buyer_client):
    company, person = EntityFactory(name="Ledgerline"), PersonFactory(name="Pat Seat")
    response = buyer_client.post(
        "/ownerships/new/",
        {
            "owner": person.pk,
            "owned": company.pk,
            "interest": "board_member",
            "start_date": "2024-01-01",
            "token": token_for(buyer_client, "/ownerships/new/"),
        },
    )
    assert response.status_code == 302
    assert Ownership.objects.get().owner_id == person.pk


def test_the_admin_refuses_a_board_seat_with_a_share(client, superuser):
    company, person = EntityFactory(), PersonFactory()
    client.force_login(superuser)

    response = client.post(
        "/admin/registry/ownership/add/",
        {
            "owner": person.pk,
            "owned": company.pk,
            "interest": "board_member",
            "share": "40",
            "start_date": "2024-01-01",
        },
    )

    assert response.status_code == 200
    assert "board member seat carries no share" in response.content.decode()
    assert not Ownership.objects.exists()


# --- An announced date is not after the effective date ------------------------------------------

LATE = (
    "The announced date (2025-06-20) cannot be after the effective date (2025-06-13): an event "
    "is announced on or before the day it takes effect."
)


def test_an_event_announced_after_it_took_effect_is_refused_at_announced_date(db):
    buyer_entity, target = EntityFactory(), EntityFactory()

    with pytest.raises(ValidationError) as raised:
        services.ownership_event_log(
            kind="acquisition",
            subject=target,
            counterparty=buyer_entity,
            share=Decimal("30"),
            effective_date=datetime.date(2025, 6, 13),
            announced_date=datetime.date(2025, 6, 20),
        )

    assert raised.value.message_dict == {"announced_date": [LATE]}
    assert not OwnershipEvent.objects.exists()


def test_announced_on_the_effective_date_is_accepted(db):
    event = services.ownership_event_log(
        kind="acquisition",
        subject=EntityFactory(),
        counterparty=EntityFactory(),
        share=Decimal("30"),
        effective_date=datetime.date(2025, 6, 13),
        announced_date=datetime.date(2025, 6, 13),
    )
    assert event.announced_date == event.effective_date


def test_the_api_preview_and_log_and_the_web_form_refuse_a_late_announcement(buyer, buyer_client):
    target, acquirer = EntityFactory(), EntityFactory()
    body = {
        "kind": "acquisition",
        "subject": target.pk,
        "counterparty": acquirer.pk,
        "share": "30",
        "effective_date": "2025-06-13",
        "announced_date": "2025-06-20",
    }
    client = _api(buyer)

    logged = client.post("/api/v1/ownership-events/", body, format="json")
    previewed = client.post("/api/v1/ownership-events/preview/", body, format="json")
    web = buyer_client.post("/events/new/", {**body, "share": "abc"})

    assert (logged.status_code, previewed.status_code) == (400, 400)
    assert logged.json() == {"announced_date": [LATE]}
    assert previewed.json() == {"announced_date": [LATE]}
    html = web.content.decode()
    # Reported with the form's own error (a share that is not a number) in one round.
    assert 'id="id_announced_date_error"' in html and 'id="id_share_error"' in html
    assert not OwnershipEvent.objects.exists()


# --- Shares with four decimals -------------------------------------------------------------------


def test_a_share_of_33_3333_is_kept_exactly_by_the_api_and_the_web(buyer, buyer_client):
    owner, owned, other = EntityFactory(), EntityFactory(), EntityFactory()

    api = _api(buyer).post(
        "/api/v1/ownerships/",
        {
            "owner": owner.pk,
            "owned": owned.pk,
            "interest": "shareholding",
            "share": "33.3333",
            "start_date": "2024-01-01",
        },
        format="json",
    )
    form_html = buyer_client.get("/ownerships/new/").content.decode()
    token = re.search(r'name="token" value="([^"]+)"', form_html).group(1)
    web = buyer_client.post(
        "/ownerships/new/",
        {
            "token": token,
            "owner": other.pk,
            "owned": owned.pk,
            "interest": "shareholding",
            "share": "33.3333",
            "start_date": "2024-01-01",
        },
    )

    assert api.status_code == 201, api.content
    assert Decimal(api.json()["share"]) == Decimal("33.3333")
    assert web.status_code == 302, web.content.decode()[:2000]
    assert sorted(Ownership.objects.values_list("share", flat=True)) == [
        Decimal("33.3333"),
        Decimal("33.3333"),
    ]
    assert 'step="0.0001"' in form_html


def test_a_fifth_decimal_is_refused_at_the_share(buyer):
    response = _api(buyer).post(
        "/api/v1/ownerships/",
        {
            "owner": EntityFactory().pk,
            "owned": EntityFactory().pk,
            "interest": "shareholding",
            "share": "33.33333",
            "start_date": "2024-01-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["share"]
