"""Schemathesis over the whole OpenAPI schema, in-process against the WSGI app, as a superuser.

Every operation of ``/api/schema/`` is fuzzed: schemathesis' coverage phase (boundary values,
wrong types, missing and unexpected fields, unexpected methods), then random requests. No
response may be a 5xx, and every documented response must match its schema.

Random ids almost never name a row, so half of the random requests have their ids (in the
path, in foreign-key fields of the body and in filters) swapped for ids of real rows: creates,
updates and the actions then succeed often enough for their responses to be checked too.
The run is bounded (derandomized, a few random examples per operation) and takes well under
three minutes.
"""

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import TestCase
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from alerts.models import Alert
from config.wsgi import application
from core.tokens import api_token_issue
from registry import services
from registry.models import Contract, Entity, Ownership, OwnershipEvent, Vendor, WatchlistEntry
from tests.pipeline.scenario import build_reference_registry, log_reference_events

# The schema is public and built without the database, so it is loaded once, at collection.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

#: Ids of real rows by resource (the path segment after /api/v1/), filled by the fixture.
KNOWN_IDS: dict[str, list[int]] = {}
#: Which resource a foreign-key field or filter names.
REFERENCES = {
    "entity": "entities",
    "subject": "entities",
    "counterparty": "entities",
    "person": "entities",
    "owner": "entities",
    "owned": "entities",
    "vendor": "vendors",
    "contract": "contracts",
    "event": "ownership-events",
    "assignee": "users",
}


def _resource(context) -> str:
    return context.operation.path.removeprefix("/api/v1/").split("/", 1)[0]


def _with_real_ids(values, resource_of) -> st.SearchStrategy:
    """``values`` as generated, or (as often) with the id-valued keys set to real ids."""
    if not isinstance(values, dict):
        return st.just(values)
    pools = {key: KNOWN_IDS.get(resource_of(key), []) for key in values}
    swaps = {key: st.sampled_from(ids) for key, ids in pools.items() if ids}
    if not swaps:
        return st.just(values)
    return st.one_of(st.just(values), st.fixed_dictionaries(swaps).map(lambda real: values | real))


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    return _with_real_ids(path_parameters, lambda key: _resource(context) if key == "id" else None)


@schema.hook
def flatmap_body(context, body):
    return _with_real_ids(body, REFERENCES.get)


@schema.hook
def flatmap_query(context, query):
    return _with_real_ids(query, REFERENCES.get)


@pytest.fixture(scope="module")
def wsgi_keeps_the_test_connection():
    """Requests go straight to the WSGI app, not through Django's test client, so stop the
    end of each request from closing the connection that holds the test's transaction (as the
    test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def token(django_db_setup, django_db_blocker, wsgi_keeps_the_test_connection):
    """A superuser's token, and a registry holding the reference scenario after its two events
    (assessments, factors, alerts) plus entities that are not vendors yet.

    Built once for the module inside a transaction that is rolled back at the end; each test's
    own transaction nests in it, so what one operation writes is gone for the next."""
    with django_db_blocker.unblock(), transaction.atomic():
        with TestCase.captureOnCommitCallbacks(execute=True):
            log_reference_events(build_reference_registry())
        for name in ("Labelbox", "Appen", "Surge AI"):
            services.entity_create(name=name, country="US")
        user = get_user_model().objects.create_superuser(
            username="fuzzer", password="pw-for-tests-only", email="fuzzer@example.com"
        )
        KNOWN_IDS.update(
            {
                resource: list(model.objects.order_by("pk").values_list("pk", flat=True))
                for resource, model in {
                    "entities": Entity,
                    "watchlist": WatchlistEntry,
                    "ownerships": Ownership,
                    "vendors": Vendor,
                    "contracts": Contract,
                    "ownership-events": OwnershipEvent,
                    "alerts": Alert,
                    "users": get_user_model(),
                }.items()
            }
        )
        yield api_token_issue(user=user)[1]
        KNOWN_IDS.clear()
        transaction.set_rollback(True)


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_breaks_the_api_or_its_schema(case, token, db):
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
