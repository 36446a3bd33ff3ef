"""Property tests of the API's input validation: whatever body a client sends to a create
endpoint (or to preview), the answer is a 201/200 or a 400 naming the fields, never a 5xx, and a
refused request writes nothing."""

import datetime
import json
import math

import pytest
from django.test import TestCase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from alerts.models import Alert
from registry import services
from registry.choices import (
    DataAccess,
    EntityKind,
    EventKind,
    Interest,
    VendorCategory,
    VendorStatus,
    WatchlistCategory,
)
from registry.models import (
    Contract,
    Entity,
    Ownership,
    OwnershipEvent,
    RiskAssessment,
    Vendor,
    WatchlistEntry,
)
from tests.pipeline.scenario import build_reference_registry, log_reference_events

MODELS = (
    Entity,
    WatchlistEntry,
    Ownership,
    Vendor,
    Contract,
    OwnershipEvent,
    Alert,
    RiskAssessment,
)

#: Values no field accepts as they are, or only at its edges.
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.just("\x00"),
    st.text(min_size=1, max_size=3).map(lambda s: s * 2000),  # 2,000-6,000 characters
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.dates(min_value=datetime.date(1, 1, 1)).map(datetime.date.isoformat),
    st.just("2025-02-30"),
    st.decimals(allow_nan=False, allow_infinity=False, places=6).map(str),
)


def plausible(field: str, path: str, ids: dict[str, list[int]]) -> st.SearchStrategy:
    """Values a correct client of ``path`` might send for ``field`` (so that some requests
    succeed), with a few near misses among them."""
    entity_ids = st.sampled_from(ids["entities"])
    dates = st.dates(datetime.date(1990, 1, 1), datetime.date(2035, 12, 31)).map(
        datetime.date.isoformat
    )
    shares = st.decimals(min_value=0, max_value=100, places=2).map(str)
    return {
        "name": st.text(min_size=1, max_size=60),
        "kind": st.sampled_from(EventKind.values if "events" in path else EntityKind.values),
        "country": st.sampled_from(["US", "GB", "DE", "us", "XX", ""]),
        "lei": st.sampled_from(["", "5493001KJTIIGC8Y1R12", "5493001KJTIIGC8Y1R13"]),
        "identifiers": st.lists(
            st.fixed_dictionaries(
                {"scheme": st.sampled_from(["GB-COH", "DUNS", ""]), "id": st.text(max_size=12)}
            ),
            max_size=2,
        ),
        "entity": entity_ids,
        "subject": entity_ids,
        "counterparty": entity_ids,
        "person": entity_ids,
        "owner": entity_ids,
        "owned": entity_ids,
        "vendor": st.sampled_from(ids["vendors"]),
        "category": st.sampled_from(
            WatchlistCategory.values if "watchlist" in path else VendorCategory.values
        ),
        "reason": st.text(max_size=40),
        "interest": st.sampled_from(Interest.values),
        "share": shares,
        "share_min": shares,
        "share_max": shares,
        "start_date": dates,
        "end_date": dates,
        "effective_date": dates,
        "announced_date": dates,
        "status": st.sampled_from(VendorStatus.values),
        "tier": st.integers(0, 5),
        "data_access": st.sampled_from(DataAccess.values),
        "data_classification": st.sampled_from(DataAccess.values),
        "reference": st.text(min_size=1, max_size=20),
        "title": st.text(min_size=1, max_size=40),
        "value": st.decimals(min_value=0, max_value=10**9, places=2).map(str),
        "currency": st.sampled_from(["USD", "EUR", "usd", "XXX"]),
        "change_of_control_clause": st.booleans(),
        "coc_termination_window_days": st.integers(0, 400),
        "source_url": st.sampled_from(["https://example.com/deal", "not a url", ""]),
        "note": st.text(max_size=40),
    }[field]


ENDPOINTS = {
    "/api/v1/entities/": (Entity, ["name", "kind", "country", "lei", "identifiers"]),
    "/api/v1/watchlist/": (WatchlistEntry, ["entity", "category", "reason"]),
    "/api/v1/ownerships/": (
        Ownership,
        ["owner", "owned", "interest", "share", "share_min", "share_max", "start_date", "end_date"],
    ),
    "/api/v1/vendors/": (Vendor, ["entity", "category", "status", "tier", "data_access"]),
    "/api/v1/contracts/": (
        Contract,
        [
            "vendor",
            "reference",
            "title",
            "value",
            "currency",
            "start_date",
            "end_date",
            "data_classification",
            "change_of_control_clause",
            "coc_termination_window_days",
        ],
    ),
    "/api/v1/ownership-events/": (OwnershipEvent, []),
    "/api/v1/ownership-events/preview/": (None, []),
}
EVENT_FIELDS = [
    "kind",
    "subject",
    "counterparty",
    "person",
    "share",
    "effective_date",
    "announced_date",
    "source_url",
    "note",
]


def careful(path: str, ids: dict[str, list[int]]) -> st.SearchStrategy:
    """Bodies a careful client of ``path`` would send: valid, unless the registry's own rules
    (a stake that would exceed 100%, a duplicate reference …) say otherwise."""
    companies = ids["companies"]
    two_companies = st.permutations(companies).map(lambda picked: picked[:2])
    dates = st.dates(datetime.date(2000, 1, 1), datetime.date(2030, 12, 31)).map(
        datetime.date.isoformat
    )
    small_shares = st.decimals(min_value="0.01", max_value=30, places=2).map(str)
    name = st.text(min_size=1, max_size=60).filter(lambda text: text.strip() and "\x00" not in text)
    event = st.builds(
        lambda pair, kind, share, effective: {
            "kind": kind,
            "subject": pair[0],
            "counterparty": pair[1],
            "share": share,
            "effective_date": effective,
        },
        two_companies,
        st.sampled_from([EventKind.ACQUISITION, EventKind.STAKE_CHANGE]),
        small_shares,
        dates,
    )
    return {
        "/api/v1/entities/": st.fixed_dictionaries(
            {"name": name, "kind": st.sampled_from(EntityKind.values)},
            optional={
                "country": st.sampled_from(["US", "GB", "DE"]),
                "identifiers": st.lists(
                    st.fixed_dictionaries(
                        {
                            "scheme": st.sampled_from(["GB-COH", "DUNS"]),
                            "id": st.from_regex(r"\A[0-9]{8}\Z"),
                        }
                    ),
                    max_size=2,
                ),
            },
        ),
        "/api/v1/watchlist/": st.fixed_dictionaries(
            {
                "entity": st.sampled_from(ids["entities"]),
                "category": st.sampled_from(WatchlistCategory.values),
                "reason": name,
            }
        ),
        "/api/v1/ownerships/": st.builds(
            lambda pair, share, start: {
                "owner": pair[0],
                "owned": pair[1],
                "interest": Interest.SHAREHOLDING,
                "share": share,
                "start_date": start,
            },
            two_companies,
            small_shares,
            dates,
        ),
        "/api/v1/vendors/": st.fixed_dictionaries(
            {
                "entity": st.sampled_from(ids["free_companies"]),
                "category": st.sampled_from(VendorCategory.values),
                "status": st.sampled_from(VendorStatus.values),
                "tier": st.integers(1, 4),
                "data_access": st.sampled_from(DataAccess.values),
            }
        ),
        "/api/v1/contracts/": st.fixed_dictionaries(
            {
                "vendor": st.sampled_from(ids["vendors"]),
                "reference": st.from_regex(r"\AC-[0-9]{6}\Z"),
                "title": name,
                "value": st.decimals(min_value=0, max_value=10**9, places=2).map(str),
                "currency": st.sampled_from(["USD", "EUR", "GBP"]),
                "start_date": dates,
                "change_of_control_clause": st.just(value=False),
            }
        ),
        "/api/v1/ownership-events/": event,
        "/api/v1/ownership-events/preview/": event,
    }[path]


def bodies(path: str, fields: list[str], ids: dict[str, list[int]]) -> st.SearchStrategy:
    """Careful bodies, the same with one field broken or missing, and chaos: any subset of the
    fields, each plausible or junk, now and then an unknown field."""
    good = careful(path, ids)

    def break_one(body: dict, field: str, junk, drop: bool) -> dict:
        return {k: v for k, v in body.items() if k != field} if drop else body | {field: junk}

    one_broken = st.builds(break_one, good, st.sampled_from(fields), JUNK, st.booleans())
    chaos = st.fixed_dictionaries(
        {},
        optional={field: st.one_of(plausible(field, path, ids), JUNK) for field in fields}
        | {"unknown_field": JUNK},
    )
    return st.one_of(good, one_broken, chaos)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def as_json(body) -> str:
    """JSON as a careless client writes it: NaN and Infinity left in (json.dumps allows them)."""
    return json.dumps(body, allow_nan=True)


@pytest.fixture
def reference(db):
    """The reference scenario after its two events, and three companies that are not vendors."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        log_reference_events(build_reference_registry())
    free = [services.entity_create(name=name).pk for name in ("Labelbox", "Appen", "Surge AI")]
    companies = Entity.objects.exclude(kind=EntityKind.PERSON)
    return {
        "entities": list(Entity.objects.values_list("pk", flat=True)) + [0, 10**9],
        "companies": list(companies.values_list("pk", flat=True)),
        "free_companies": free,
        "vendors": list(Vendor.objects.values_list("pk", flat=True)) + [10**9],
    }


@pytest.fixture
def api(superuser):
    client = APIClient()
    client.force_authenticate(superuser)
    return client


def _has_nan(body) -> bool:
    return any(isinstance(value, float) and not math.isfinite(value) for value in body.values())


@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_random_bodies_get_a_clear_answer_and_refusals_write_nothing(path, reference, api):
    model, fields = ENDPOINTS[path]
    fields = fields or EVENT_FIELDS
    success = 200 if model is None else 201
    answers: dict[int, int] = {}

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=bodies(path, fields, reference))
    def check(body):
        before = counts()
        response = api.post(path, as_json(body), content_type="application/json")
        answers[response.status_code] = answers.get(response.status_code, 0) + 1

        assert response.status_code in {success, 400}, (body, response.content[:500])
        after = counts()
        if response.status_code == 400:
            errors = response.json()
            assert isinstance(errors, dict) and errors, errors
            # The contract's shape: every field maps to a list of messages.
            assert all(
                isinstance(messages, list) and all(isinstance(m, str) for m in messages)
                for messages in errors.values()
            ), errors
            if _has_nan(body):
                assert set(errors) == {"non_field_errors"}
                assert errors["non_field_errors"][0].startswith("JSON parse error")
            else:
                assert set(errors) <= set(fields) | {"non_field_errors"}, errors
            assert after == before
        elif model is None:
            assert after == before  # a preview writes nothing
        else:
            # (Not "+1" for every model: a new edge replaces the edges it overrides.)
            assert model.objects.filter(pk=response.json()["id"]).exists()

    check()
    # The strategies reach both sides of validation.
    assert answers.get(400, 0) > 0
    assert answers.get(success, 0) > 0, answers


@pytest.mark.parametrize("path", list(ENDPOINTS))
@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"{", "application/json"),
        (b'{"name": "Scale AI"', "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"[]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"null", "application/json"),
        (b"name=Scale+AI", "text/plain"),
    ],
)
def test_malformed_bodies_are_refused_with_a_message(path, raw, content_type, reference, api):
    before = counts()

    response = api.generic("POST", path, raw, content_type=content_type)

    assert response.status_code in {400, 415}, response.content[:300]
    body = response.json()
    assert isinstance(body, dict) and body
    assert counts() == before
