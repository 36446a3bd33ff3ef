"""``Idempotency-Key`` on API POSTs: a retry of the same request gets the first answer back."""

import datetime

import pytest
from django.utils import timezone

from alerts.models import Alert
from core.idempotency import idempotency_keys_purge
from core.models import IdempotencyKey
from registry.models import Entity, OwnershipEvent
from tests.pipeline.scenario import build_reference_registry

pytestmark = pytest.mark.django_db

ACQUISITION = "/api/v1/ownership-events/"


@pytest.fixture
def reference(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return build_reference_registry()


def acquisition_body(ref, share=49) -> dict:
    return {
        "kind": "acquisition",
        "subject": ref.scale.pk,
        "counterparty": ref.meta.pk,
        "share": share,
        "effective_date": "2025-06-13",
        "source_url": "https://example.com/meta-scale",
    }


def post(client, body, key=None, capture=None):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    with capture(execute=True):
        return client.post(ACQUISITION, body, format="json", **headers)


def coc_alerts():
    return Alert.objects.filter(kind="change_of_control")


def test_same_event_posted_twice_with_one_key_logs_one_event_and_one_coc_alert(
    buyer_client, reference, django_capture_on_commit_callbacks
):
    body = acquisition_body(reference)
    first = post(buyer_client, body, "meta-scale-1", django_capture_on_commit_callbacks)
    again = post(buyer_client, body, "meta-scale-1", django_capture_on_commit_callbacks)

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert OwnershipEvent.objects.count() == 1
    # One change-of-control alert for the one Scale contract, due 30 days after the deal.
    assert list(coc_alerts().values_list("contract", "due_date")) == [
        (reference.scale_contract.pk, datetime.date(2025, 7, 13))
    ]


def test_same_body_without_a_key_logs_two_events(
    buyer_client, reference, django_capture_on_commit_callbacks
):
    body = acquisition_body(reference)
    first = post(buyer_client, body, capture=django_capture_on_commit_callbacks)
    second = post(buyer_client, body, capture=django_capture_on_commit_callbacks)

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert OwnershipEvent.objects.count() == 2
    assert coc_alerts().count() == 2
    assert IdempotencyKey.objects.count() == 0


def test_same_key_with_another_body_is_refused_with_422_naming_the_header(
    buyer_client, reference, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    post(buyer_client, acquisition_body(reference), "meta-scale-1", capture)
    other = post(buyer_client, acquisition_body(reference, share=51), "meta-scale-1", capture)

    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"]
    assert OwnershipEvent.objects.count() == 1


def test_a_key_is_the_users_own(
    buyer_client, analyst_client, reference, django_capture_on_commit_callbacks
):
    body = acquisition_body(reference)
    post(buyer_client, body, "shared-key", django_capture_on_commit_callbacks)
    theirs = post(analyst_client, body, "shared-key", django_capture_on_commit_callbacks)

    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert OwnershipEvent.objects.count() == 2


def test_a_request_still_in_progress_with_the_key_answers_409(buyer_client):
    first = buyer_client.post(
        "/api/v1/entities/", {"name": "Acme"}, format="json", HTTP_IDEMPOTENCY_KEY="busy"
    )
    # As the claim looks while its request is still running: no answer stored yet.
    IdempotencyKey.objects.filter(key="busy").update(status_code=None, response_body=None)
    second = buyer_client.post(
        "/api/v1/entities/", {"name": "Acme"}, format="json", HTTP_IDEMPOTENCY_KEY="busy"
    )
    assert first.status_code == 201
    assert second.status_code == 409
    assert "Idempotency-Key" in second.json()["detail"]
    assert Entity.objects.filter(name="Acme").count() == 1


def test_an_error_answer_is_replayed_too(buyer_client):
    first = buyer_client.post(
        "/api/v1/entities/", {"name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    again = buyer_client.post(
        "/api/v1/entities/", {"name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert first.status_code == 400
    assert (again.status_code, again.json()) == (400, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_key_older_than_24_hours_is_forgotten(buyer, buyer_client):
    first = buyer_client.post(
        "/api/v1/entities/", {"name": "Acme"}, format="json", HTTP_IDEMPOTENCY_KEY="old"
    )
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - datetime.timedelta(hours=24, minutes=1)
    )
    second = buyer_client.post(
        "/api/v1/entities/", {"name": "Acme"}, format="json", HTTP_IDEMPOTENCY_KEY="old"
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert "Idempotent-Replayed" not in second.headers


def test_purge_deletes_only_keys_past_24_hours(buyer):
    now = timezone.now()
    for key, age in (("fresh", 23), ("stale", 25), ("older", 48)):
        row = IdempotencyKey.objects.create(user=buyer, key=key, request_hash="0" * 64)
        IdempotencyKey.objects.filter(pk=row.pk).update(
            created_at=now - datetime.timedelta(hours=age)
        )
    assert idempotency_keys_purge(now=now) == 2
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]


@pytest.mark.parametrize(
    ("key", "message"),
    [("   ", "may not be blank"), ("x" * 256, "no more than 255 characters")],
)
def test_a_blank_or_overlong_key_is_a_400_naming_the_header(buyer_client, key, message):
    response = buyer_client.post(
        "/api/v1/entities/", {"name": "Acme"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 400
    assert message in response.json()["Idempotency-Key"][0]


def test_the_schema_documents_the_header_on_every_post(anon_client):
    schema = anon_client.get("/api/schema/?format=json").json()
    posts = [
        (path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method == "post" and path.startswith("/api/v1/") and path != "/api/v1/auth/token/"
    ]
    assert len(posts) >= 10
    for path, operation in posts:
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert headers == ["Idempotency-Key"], path
        assert {"409", "422"} <= set(operation["responses"]), path


def test_a_request_that_fails_with_a_server_error_releases_its_key(buyer_client, monkeypatch):
    from registry import services

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "entity_create", broken)
    with pytest.raises(RuntimeError):
        buyer_client.post(
            "/api/v1/entities/", {"name": "Acme"}, format="json", HTTP_IDEMPOTENCY_KEY="retry-me"
        )
    assert IdempotencyKey.objects.count() == 0

    monkeypatch.undo()
    retry = buyer_client.post(
        "/api/v1/entities/", {"name": "Acme"}, format="json", HTTP_IDEMPOTENCY_KEY="retry-me"
    )
    assert retry.status_code == 201
    assert Entity.objects.filter(name="Acme").count() == 1
