"""The admin as a working tool: every page renders in a number of queries that does not grow with
the rows, every write goes through the services (their refusals show at the field, nothing is
half-written), the roles hold, and the bulk actions say what they did and what they refused."""

import datetime
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import models
from django.test import Client
from django.urls import reverse

from alerts.choices import AlertKind, AlertStatus, DeliveryStatus, ReminderKind
from alerts.models import (
    Alert,
    EmailNotification,
    NotificationPreference,
    Reminder,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from core.history import DeleteRefused
from core.people import user_delete
from registry import services
from registry.choices import EventKind, EventStatus, Interest, RecheckReason, RiskLevel
from registry.models import (
    Contract,
    CurrencyRate,
    Entity,
    EntityIdentifier,
    Ownership,
    OwnershipEvent,
    RecheckChunk,
    RecheckRequest,
    RiskAssessment,
    RiskFactor,
    RiskPolicy,
    ScheduledRecheckDay,
    Vendor,
    WatchlistEntry,
)
from tests.factories import (
    ContractFactory,
    CurrencyRateFactory,
    EntityFactory,
    OwnershipFactory,
    VendorFactory,
    WatchlistEntryFactory,
)

SCALE_LEI = "5493001KJTIIGC8Y1R12"
DEAL_DAY = datetime.date(2025, 6, 13)
_serial = itertools.count(1)


def url(model: type[models.Model], page: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def login(client: Client, user, *, staff: bool = True) -> Client:
    if staff and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    client.force_login(user)
    return client


def _user():
    return get_user_model().objects.create_user(username=f"user{next(_serial)}", password="x")


def _event(subject: Entity, counterparty: Entity | None = None, **fields) -> OwnershipEvent:
    fields.setdefault("kind", EventKind.ACQUISITION)
    fields.setdefault("share", Decimal("20"))
    return OwnershipEvent.objects.create(
        subject=subject,
        counterparty=counterparty or EntityFactory(),
        effective_date=DEAL_DAY,
        **fields,
    )


def _assessment(vendor: Vendor, factors: int = 1, event: OwnershipEvent | None = None):
    assessment = RiskAssessment.objects.create(
        vendor=vendor,
        level=RiskLevel.HIGH,
        score=60,
        as_of=DEAL_DAY,
        policy=RiskPolicy.objects.get(version=1),
        policy_version=1,
        event=event,
    )
    for _ in range(factors):
        party, middle = EntityFactory(), EntityFactory()
        RiskFactor.objects.create(
            assessment=assessment,
            code=RiskFactor.Code.COMPETITOR_OWNERSHIP,
            severity=RiskLevel.HIGH,
            summary=f"{party.name} holds 30% through {middle.name}.",
            party=party,
            effective_share=Decimal("30"),
            path=[party.pk, middle.pk, vendor.entity_id],
        )
    return assessment


def _alert(vendor: Vendor | None = None, **fields) -> Alert:
    vendor = vendor or VendorFactory()
    fields.setdefault("kind", AlertKind.CHANGE_OF_CONTROL)
    fields.setdefault("severity", RiskLevel.HIGH)
    return Alert.objects.create(
        dedup_key=f"test:{next(_serial)}",
        title=f"Change of control at {vendor.entity.name}",
        vendor=vendor,
        **fields,
    )


def _endpoint() -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name=f"Receiver {next(_serial)}",
        url="https://hooks.example.com/vendor-registry",
        secret="s3cret-value-abcd",
    )


# --- Builders: ``n`` rows of the model, and the object whose page is opened, with ``n`` related
# rows on that page (so a query per row would show in the count).


def build_entities(n: int) -> Entity:
    hub = EntityFactory()
    for _ in range(n):
        EntityIdentifier.objects.create(entity=hub, scheme="DUNS", value=f"{next(_serial):09d}")
        owner = EntityFactory()
        WatchlistEntryFactory(entity=owner)
        OwnershipFactory(owner=owner, owned=hub, share=Decimal("1"))
        held = VendorFactory().entity
        OwnershipFactory(owner=hub, owned=held, share=Decimal("50"), source_event=_event(held, hub))
    return hub


def build_identifiers(n: int) -> EntityIdentifier:
    identifiers = [
        EntityIdentifier.objects.create(
            entity=EntityFactory(), scheme="GB-COH", value=f"{next(_serial):08d}"
        )
        for _ in range(n)
    ]
    return identifiers[0]


def build_ownerships(n: int) -> Ownership:
    edges = []
    for i in range(n):
        owned = EntityFactory()
        event = _event(owned) if i % 2 else None
        edges.append(OwnershipFactory(owned=owned, source_event=event))
    return edges[0]


def build_watchlist(n: int) -> WatchlistEntry:
    return [WatchlistEntryFactory() for _ in range(n)][0]


def build_vendors(n: int) -> Vendor:
    vendors = [VendorFactory(business_owner=_user()) for _ in range(n)]
    for _ in range(n):
        ContractFactory(vendor=vendors[0], owner=_user())
    _assessment(vendors[0], factors=n)
    return vendors[0]


def build_contracts(n: int) -> Contract:
    return [ContractFactory(owner=_user()) for _ in range(n)][0]


def build_events(n: int) -> OwnershipEvent:
    events = [
        _event(
            EntityFactory(),
            logged_by=_user(),
            status=EventStatus.FAILED,
            last_error="Timed out",
        )
        for _ in range(n)
    ]
    first = events[0]
    first.dilution = [
        {"owner": i, "owner_name": f"Holder {i}", "from": "10%", "to": "5%"} for i in range(n)
    ]
    first.save(update_fields=["dilution"])
    for _ in range(n):
        vendor = VendorFactory()
        first.affected_vendors.add(vendor)
        OwnershipFactory(owner=EntityFactory(), owned=vendor.entity, source_event=first)
        _alert(vendor, event=first)
    return first


def build_scheduled_days(n: int) -> ScheduledRecheckDay:
    first = datetime.date(2025, 1, 1)
    days = [
        ScheduledRecheckDay.objects.create(
            day=first + datetime.timedelta(days=next(_serial)), vendors=i
        )
        for i in range(n)
    ]
    return days[0]


def build_rechecks(n: int) -> RecheckRequest:
    requests = [
        RecheckRequest.objects.create(
            reason=RecheckReason.OWNERSHIP_CHANGED,
            entity_ids=[EntityFactory().pk for _ in range(n)],
            event=_event(EntityFactory()),
            requested_by=_user(),
        )
        for _ in range(n)
    ]
    return requests[0]


def build_chunks(n: int) -> RecheckChunk:
    event = _event(EntityFactory())
    chunks = [
        RecheckChunk.objects.create(
            event=event,
            index=k,
            as_of=datetime.date(2025, 1, 1),
            vendor_ids=[VendorFactory().pk],
        )
        for k in range(n)
    ]
    return chunks[0]


def build_policies(n: int) -> RiskPolicy:
    latest = RiskPolicy.objects.order_by("-version").first()
    for _ in range(n):
        latest = RiskPolicy.objects.create(version=latest.version + 1, created_by=_user())
    return latest


def build_assessments(n: int) -> RiskAssessment:
    assessments = [
        _assessment(VendorFactory(), factors=n if i == 0 else 1, event=_event(EntityFactory()))
        for i in range(n)
    ]
    return assessments[0]


def build_factors(n: int) -> RiskFactor:
    return [_assessment(VendorFactory()).factors.get() for _ in range(n)][0]


def build_alerts(n: int) -> Alert:
    alerts = [
        _alert(
            contract=ContractFactory(),
            event=_event(EntityFactory()),
            assignee=_user(),
            due_date=datetime.date(2020, 1, 1),
        )
        for _ in range(n)
    ]
    return alerts[0]


def build_endpoints(n: int) -> WebhookEndpoint:
    return [_endpoint() for _ in range(n)][0]


def build_deliveries(n: int) -> WebhookDelivery:
    deliveries = [
        WebhookDelivery.objects.create(
            endpoint=_endpoint(), alert=_alert(), payload={"n": i}, status=DeliveryStatus.FAILED
        )
        for i in range(n)
    ]
    for i in range(n):
        WebhookAttempt.objects.create(
            delivery=deliveries[0], status_code=500, duration_ms=120 + i, error="Server error"
        )
    return deliveries[0]


def build_rates(n: int) -> CurrencyRate:
    rates = [
        CurrencyRateFactory(
            valid_from=datetime.date(2020, 1, 1) + datetime.timedelta(next(_serial))
        )
        for _ in range(n)
    ]
    for i in range(n):
        services.currency_rate_update(entry=rates[0], rate=Decimal("1.10") + Decimal(i + 1) / 100)
    return rates[0]


def build_notifications(n: int) -> EmailNotification:
    alert = _alert()
    return [
        EmailNotification.objects.create(
            alert=alert, recipient=f"owner{i}@example.com", subject=f"Alert {i}", body="Review."
        )
        for i in range(n)
    ][0]


def build_reminders(n: int) -> Reminder:
    alert = _alert()
    user = get_user_model().objects.create_user(
        username=f"reminded{Reminder.objects.count()}", email="reminded@example.com"
    )
    first = datetime.date(2025, 7, 1) + datetime.timedelta(days=Reminder.objects.count())
    reminders = [
        Reminder.objects.create(
            kind=ReminderKind.COC_DEADLINE,
            day=first + datetime.timedelta(days=i),
            recipient=user,
            alert=alert,
            contract=alert.contract,
            deadline=datetime.date(2025, 7, 13),
        )
        for i in range(n)
    ]
    EmailNotification.objects.create(
        reminder=reminders[0], alert=alert, recipient=user.email, subject="Due soon", body="."
    )
    return reminders[0]


def build_preferences(n: int) -> NotificationPreference:
    start = NotificationPreference.objects.count()
    return [
        NotificationPreference.objects.create(
            user=get_user_model().objects.create_user(username=f"pref{start + i}"),
            daily_digest=bool(i % 2),
        )
        for i in range(n)
    ][0]


@dataclass(frozen=True)
class Pages:
    """The query ceiling of each page of one model's admin (``None``: the page does not exist)."""

    build: Callable[[int], models.Model]
    changelist: int
    change: int
    add: int | None = None
    history: int | None = None


PAGES: dict[type[models.Model], Pages] = {
    Entity: Pages(build_entities, changelist=6, add=2, change=8, history=6),
    EntityIdentifier: Pages(build_identifiers, changelist=6, change=4, history=5),
    Ownership: Pages(build_ownerships, changelist=4, add=2, change=5, history=9),
    WatchlistEntry: Pages(build_watchlist, changelist=5, add=2, change=5, history=7),
    Vendor: Pages(build_vendors, changelist=6, add=2, change=9, history=7),
    Contract: Pages(build_contracts, changelist=6, add=2, change=6, history=5),
    OwnershipEvent: Pages(build_events, changelist=7, add=2, change=9),
    RecheckRequest: Pages(build_rechecks, changelist=7, change=7),
    RecheckChunk: Pages(build_chunks, changelist=7, change=5),
    ScheduledRecheckDay: Pages(build_scheduled_days, changelist=7, change=3),
    RiskPolicy: Pages(build_policies, changelist=5, add=3, change=5),
    RiskAssessment: Pages(build_assessments, changelist=7, change=6),
    RiskFactor: Pages(build_factors, changelist=4, change=8),
    Alert: Pages(build_alerts, changelist=7, change=4, history=5),
    WebhookEndpoint: Pages(build_endpoints, changelist=5, add=2, change=3, history=5),
    WebhookDelivery: Pages(build_deliveries, changelist=8, change=6),
    EmailNotification: Pages(build_notifications, changelist=7, change=4),
    Reminder: Pages(build_reminders, changelist=8, change=6),
    NotificationPreference: Pages(build_preferences, changelist=6, add=3, change=4),
    CurrencyRate: Pages(build_rates, changelist=8, add=2, change=4, history=8),
}


def test_every_registry_and_alerts_model_has_an_admin_and_a_query_budget():
    registered = {
        model for model in admin.site._registry if model._meta.app_label in ("registry", "alerts")
    }
    own = {
        model
        for app in ("registry", "alerts")
        for model in apps.get_app_config(app).get_models()
        if not model.__name__.startswith("Historical")
    }
    assert registered == set(PAGES)
    assert own - set(PAGES) == {WebhookAttempt}  # shown inline on its delivery


def _page_urls(model: type[models.Model], pages: Pages, obj: models.Model) -> dict[str, str]:
    urls = {"changelist": url(model, "changelist"), "change": url(model, "change", obj.pk)}
    if pages.add is not None:
        urls["add"] = url(model, "add")
    if pages.history is not None:
        urls["history"] = url(model, "history", obj.pk)
    return urls


@pytest.mark.parametrize("model", PAGES, ids=lambda model: model.__name__)
def test_every_admin_page_renders_in_queries_that_do_not_grow_with_rows(
    model, client, superuser, django_assert_max_num_queries
):
    pages = PAGES[model]
    login(client, superuser)
    counts = {}
    for rows in (3, 30):
        obj = pages.build(rows)
        for page, page_url in _page_urls(model, pages, obj).items():
            client.get(page_url)  # warm the per-process caches (content types, session)
            ceiling = getattr(pages, page)
            with django_assert_max_num_queries(ceiling, info=f"{page} of {model.__name__}") as q:
                response = client.get(page_url)
            assert response.status_code == 200, (page, response.status_code)
            counts[rows, page] = len(q)
    for page in _page_urls(model, pages, obj):
        assert counts[3, page] == counts[30, page], page


# --- Writes go through the services -------------------------------------------------------------


def _management_form(prefix: str, total: int = 0, initial: int = 0) -> dict[str, int]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def _form_errors(response) -> dict[str, list[str]]:
    return response.context["adminform"].form.errors


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_an_ownership_above_100_percent_is_refused_at_the_share_field_and_nothing_is_saved(
    client, superuser
):
    target = EntityFactory(name="Target Co")
    OwnershipFactory(owner=EntityFactory(name="Holder A"), owned=target, share=Decimal("60"))
    newcomer = EntityFactory(name="Newcomer")
    login(client, superuser)

    response = client.post(
        url(Ownership, "add"),
        {
            "owner": newcomer.pk,
            "owned": target.pk,
            "interest": Interest.SHAREHOLDING,
            "share": "50",
            "start_date": "2024-01-01",
        },
    )

    assert response.status_code == 200
    (error,) = _form_errors(response)["share"]
    assert "110% on 2024-01-01, above 100%" in error
    assert "Current holders: Holder A 60%" in error
    assert Ownership.objects.count() == 1
    assert RecheckRequest.objects.count() == 0


def test_changing_an_edges_share_from_a_date_ends_it_the_day_before_and_starts_a_new_one(
    client, superuser
):
    edge = OwnershipFactory(share=Decimal("10"), start_date=datetime.date(2020, 1, 1))
    login(client, superuser)

    response = client.post(
        url(Ownership, "change", edge.pk),
        {"share": "20", "start_date": "2024-01-01", "end_date": ""},
    )

    assert response.status_code == 302
    edges = Ownership.objects.filter(owner=edge.owner, owned=edge.owned).order_by("start_date")
    assert [(e.share, e.start_date, e.end_date) for e in edges] == [
        (Decimal("10"), datetime.date(2020, 1, 1), datetime.date(2023, 12, 31)),
        (Decimal("20"), datetime.date(2024, 1, 1), None),
    ]
    assert edges[0].history.first().history_user == superuser
    assert RecheckRequest.objects.get().reason == RecheckReason.OWNERSHIP_CHANGED


def test_setting_only_an_end_date_ends_the_edge_in_place(client, superuser):
    edge = OwnershipFactory(share=Decimal("10"), start_date=datetime.date(2020, 1, 1))
    login(client, superuser)

    response = client.post(
        url(Ownership, "change", edge.pk),
        {"share": "10", "start_date": "2020-01-01", "end_date": "2024-06-30"},
    )

    assert response.status_code == 302
    edge.refresh_from_db()
    assert edge.end_date == datetime.date(2024, 6, 30)
    assert Ownership.objects.count() == 1


def test_deleting_an_edge_removes_a_direct_one_but_never_one_an_event_wrote(client, superuser):
    direct = OwnershipFactory()
    owned = EntityFactory()
    from_event = OwnershipFactory(owned=owned, source_event=_event(owned))
    login(client, superuser)

    assert client.post(url(Ownership, "delete", direct.pk), {"post": "yes"}).status_code == 302
    assert client.post(url(Ownership, "delete", from_event.pk), {"post": "yes"}).status_code == 403

    assert list(Ownership.objects.all()) == [from_event]
    assert direct.history.filter(history_type="-").get().history_user == superuser


def test_adding_an_event_logs_it_and_writes_its_edges_with_the_dilution(client, superuser):
    scale = EntityFactory(name="Scale AI")
    meta = EntityFactory(name="Meta Platforms")
    founder = EntityFactory(name="Founders Fund")
    OwnershipFactory(owner=founder, owned=scale, share=Decimal("80"))
    login(client, superuser)

    response = client.post(
        url(OwnershipEvent, "add"),
        {
            "kind": EventKind.ACQUISITION,
            "subject": scale.pk,
            "counterparty": meta.pk,
            "share": "49",
            "effective_date": "2025-06-13",
            "note": "Meta buys 49% of Scale AI.",
        },
    )

    assert response.status_code == 302
    event = OwnershipEvent.objects.get()
    assert (event.kind, event.share, event.logged_by) == (
        EventKind.ACQUISITION,
        Decimal("49"),
        superuser,
    )
    assert [(e.owner.name, e.share, e.start_date) for e in event.ownerships.order_by("id")] == [
        ("Founders Fund", Decimal("51"), DEAL_DAY),
        ("Meta Platforms", Decimal("49"), DEAL_DAY),
    ]
    page = client.get(url(OwnershipEvent, "change", event.pk)).content.decode()
    assert "Founders Fund: 80% → 51%" in page
    assert 'name="_save"' not in page


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        # Refused by the service: nothing to divest.
        ({"kind": EventKind.DIVESTITURE}, "counterparty", "holds no shares in Scale AI"),
        # Refused by the model's own validation.
        ({"kind": EventKind.ACQUISITION, "share": "150"}, "share", "100"),
    ],
    ids=["service-refusal", "model-refusal"],
)
def test_an_event_that_is_refused_shows_the_error_at_its_field_and_writes_nothing(
    client, superuser, body, field, message
):
    scale = EntityFactory(name="Scale AI")
    meta = EntityFactory(name="Meta Platforms")
    login(client, superuser)

    response = client.post(
        url(OwnershipEvent, "add"),
        {"subject": scale.pk, "counterparty": meta.pk, "effective_date": "2025-06-13", **body},
    )

    assert response.status_code == 200
    assert any(message in error for error in _form_errors(response)[field])
    assert OwnershipEvent.objects.count() == 0
    assert Ownership.objects.count() == 0


def test_a_logged_event_cannot_be_changed(client, superuser):
    event = _event(EntityFactory())
    login(client, superuser)

    response = client.post(url(OwnershipEvent, "change", event.pk), {"share": "90"})

    assert response.status_code == 403
    event.refresh_from_db()
    assert event.share == Decimal("20")


def test_resending_sends_the_failed_events_and_names_the_others(
    client, superuser, monkeypatch, django_capture_on_commit_callbacks
):
    from registry import tasks

    failed = _event(EntityFactory(name="Failed Co"), status=EventStatus.FAILED)
    processed = _event(EntityFactory(name="Done Co"), status=EventStatus.PROCESSED)
    sent = []
    monkeypatch.setattr(tasks.process_event, "delay", sent.append)
    login(client, superuser)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(OwnershipEvent, "changelist"),
            {"action": "resend_for_processing", "_selected_action": [failed.pk, processed.pk]},
            follow=True,
        )

    assert sent == [failed.pk]
    assert _messages(response) == [
        "Re-sent 1 failed event(s) for processing.",
        f"Not re-sent, only failed events are: {processed} (processed).",
    ]


def test_an_entity_added_with_identifiers_is_saved_through_the_services(client, superuser):
    login(client, superuser)

    response = client.post(
        url(Entity, "add"),
        {
            "name": "  Scale AI ",
            "kind": "company",
            "country": "US",
            "lei": SCALE_LEI,
            **_management_form("identifiers", total=1),
            "identifiers-0-scheme": "GB-COH",
            "identifiers-0-value": "12345678",
        },
    )

    assert response.status_code == 302
    entity = Entity.objects.get()
    assert (entity.name, entity.lei) == ("Scale AI", SCALE_LEI)
    assert [str(i) for i in entity.identifiers.all()] == ["GB-COH:12345678"]
    assert entity.history.get().history_user == superuser
    assert entity.identifiers.get().history.get().history_user == superuser


def test_an_entitys_identifiers_are_replaced_as_edited(client, superuser):
    entity = EntityFactory(name="Remotasks")
    kept = EntityIdentifier.objects.create(entity=entity, scheme="DUNS", value="111111111")
    dropped = EntityIdentifier.objects.create(entity=entity, scheme="GB-COH", value="00000001")
    login(client, superuser)

    response = client.post(
        url(Entity, "change", entity.pk),
        {
            "name": "Remotasks",
            "kind": "company",
            "country": "US",
            "lei": "",
            **_management_form("identifiers", total=3, initial=2),
            "identifiers-0-id": dropped.pk,
            "identifiers-0-entity": entity.pk,
            "identifiers-0-scheme": "GB-COH",
            "identifiers-0-value": "00000001",
            "identifiers-0-DELETE": "on",
            "identifiers-1-id": kept.pk,
            "identifiers-1-entity": entity.pk,
            "identifiers-1-scheme": "DUNS",
            "identifiers-1-value": "111111111",
            "identifiers-2-entity": entity.pk,
            "identifiers-2-scheme": "LEI-ALT",
            "identifiers-2-value": "X1",
            **_management_form("holdings"),
            **_management_form("owners"),
        },
    )

    assert response.status_code == 302
    assert sorted(str(i) for i in entity.identifiers.all()) == ["DUNS:111111111", "LEI-ALT:X1"]


def test_admin_search_finds_entities_by_name_lei_and_identifier(client, superuser):
    EntityFactory(name="Scale AI", lei=SCALE_LEI)
    meta = EntityFactory(name="Meta Platforms")
    remotasks = EntityFactory(name="Remotasks")
    EntityIdentifier.objects.create(entity=remotasks, scheme="GB-COH", value="12345678")
    login(client, superuser)

    def found(term: str) -> list[str]:
        response = client.get(url(Entity, "changelist"), {"q": term})
        return sorted(entity.name for entity in response.context["cl"].result_list)

    assert found("scale") == ["Scale AI"]
    assert found(SCALE_LEI.lower()) == ["Scale AI"]
    assert found("12345678") == ["Remotasks"]
    assert found("gb-coh:12345678") == ["Remotasks"]
    assert found("nothing like it") == []
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "registry", "model_name": "vendor", "field_name": "entity", "term": "meta"},
    )
    assert [row["text"] for row in autocomplete.json()["results"]] == [
        f"Meta Platforms (US · #{meta.pk})"
    ]


def test_removing_a_watchlist_entry_goes_through_the_service_and_rechecks(client, analyst):
    entry = WatchlistEntryFactory()
    login(client, analyst)

    response = client.post(url(WatchlistEntry, "delete", entry.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not WatchlistEntry.objects.exists()
    recheck = RecheckRequest.objects.get()
    assert (recheck.reason, recheck.entity_ids, recheck.requested_by) == (
        RecheckReason.WATCHLIST_CHANGED,
        [entry.entity_id],
        analyst,
    )


def test_history_is_shown_and_cannot_be_reverted(client, superuser):
    entity = EntityFactory(name="Old name")
    login(client, superuser)
    client.post(
        url(Entity, "change", entity.pk),
        {
            "name": "New name",
            "kind": "company",
            "country": "US",
            "lei": "",
            **_management_form("identifiers"),
            **_management_form("holdings"),
            **_management_form("owners"),
        },
    )
    old = entity.history.order_by("history_id").first()

    history = client.get(url(Entity, "history", entity.pk)).content.decode()
    revert_url = reverse("admin:registry_entity_simple_history", args=[entity.pk, old.history_id])
    revert = client.post(revert_url, {"name": "Old name", "kind": "company", "country": "US"})

    assert "New name" in history and superuser.username in history
    assert client.get(revert_url).status_code == 200
    assert revert.status_code == 403
    entity.refresh_from_db()
    assert entity.name == "New name"


# --- Roles ---------------------------------------------------------------------------------------


def test_a_viewer_can_view_every_registry_page_but_not_add_or_change(client, viewer):
    vendor = VendorFactory()
    login(client, viewer)

    for model, obj in ((Vendor, vendor), (Entity, vendor.entity)):
        assert client.get(url(model, "changelist")).status_code == 200
        page = client.get(url(model, "change", obj.pk))
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        assert client.get(url(model, "add")).status_code == 403
        assert client.post(url(model, "change", obj.pk), {}).status_code == 403
    assert "recheck_risk_now" not in client.get(url(Vendor, "changelist")).content.decode()


def test_the_recheck_action_asks_for_a_recheck_of_each_selected_vendor(client, buyer):
    vendors = [VendorFactory(), VendorFactory()]
    login(client, buyer)

    response = client.post(
        url(Vendor, "changelist"),
        {"action": "recheck_risk_now", "_selected_action": [v.pk for v in vendors]},
        follow=True,
    )

    rechecks = RecheckRequest.objects.order_by("id")
    assert [(r.reason, r.entity_ids, r.requested_by) for r in rechecks] == sorted(
        [(RecheckReason.MANUAL, [v.entity_id], buyer) for v in vendors],
        key=lambda row: row[1],
    )
    assert _messages(response)[0].startswith("Asked for a risk recheck of 2 vendor(s)")


# --- Risk policy ---------------------------------------------------------------------------------


POLICY_V2 = {
    "critical_share": "60",
    "high_share": "30",
    "medium_share": "10",
    "escalate_restricted": "on",
    "interlock_severity": RiskLevel.HIGH,
    "undisclosed_severity": RiskLevel.LOW,
    "note": "Raise the thresholds after the board review.",
}


def test_the_policy_admin_saves_version_2_and_leaves_version_1_as_it_was(client, analyst):
    login(client, analyst)

    prefilled = client.get(url(RiskPolicy, "add"), {"from": 1}).context["adminform"].form
    added = client.post(url(RiskPolicy, "add"), POLICY_V2)
    edited = client.post(url(RiskPolicy, "change", 1), POLICY_V2)

    assert prefilled.initial["critical_share"] == Decimal("50")
    assert added.status_code == 302
    assert edited.status_code == 403
    versions = {
        p.version: (p.critical_share, p.high_share, p.medium_share, p.created_by)
        for p in RiskPolicy.objects.all()
    }
    assert versions == {
        1: (Decimal("50"), Decimal("25"), Decimal("10"), None),
        2: (Decimal("60"), Decimal("30"), Decimal("10"), analyst),
    }


def test_policy_thresholds_out_of_order_are_refused_at_the_field(client, analyst):
    login(client, analyst)

    response = client.post(url(RiskPolicy, "add"), {**POLICY_V2, "medium_share": "40"})

    assert response.status_code == 200
    assert "medium ≤ high ≤ critical" in _form_errors(response)["high_share"][0]
    assert RiskPolicy.objects.count() == 1


# --- Alerts --------------------------------------------------------------------------------------


def _run_action(client: Client, action: str, alerts: list[Alert], note: str = ""):
    return client.post(
        url(Alert, "changelist"),
        {"action": action, "_selected_action": [a.pk for a in alerts], "note": note},
        follow=True,
    )


def test_bulk_acknowledge_changes_the_open_alerts_and_names_the_refused(client, buyer):
    first, second = _alert(), _alert()
    resolved = _alert(status=AlertStatus.RESOLVED)
    login(client, buyer)

    response = _run_action(client, "acknowledge_selected", [first, second, resolved])

    statuses = {a.pk: (a.status, a.handled_by) for a in Alert.objects.all()}
    assert statuses == {
        first.pk: (AlertStatus.ACKNOWLEDGED, buyer),
        second.pk: (AlertStatus.ACKNOWLEDGED, buyer),
        resolved.pk: (AlertStatus.RESOLVED, None),
    }
    assert _messages(response) == [
        "2 alert(s) acknowledged.",
        f"1 alert(s) not acknowledged: “{resolved}” "
        "(An alert that is resolved cannot be acknowledged.)",
    ]


@pytest.mark.parametrize(("action", "asks"), [("resolve", "resolve"), ("dismiss", "dismiss")])
def test_bulk_resolve_or_dismiss_without_a_note_asks_for_one_then_does_it(
    client, analyst, action, asks
):
    first, second = _alert(), _alert()
    login(client, analyst)

    asked = _run_action(client, f"{action}_selected", [first, second], note="  ")
    blank_again = client.post(
        url(Alert, "changelist"),
        {
            "action": f"{action}_selected",
            "_selected_action": [first.pk, second.pk],
            "note_asked": "1",
            "note": "",
        },
    )
    unchanged = sorted(Alert.objects.values_list("status", flat=True))
    done = client.post(
        url(Alert, "changelist"),
        {
            "action": f"{action}_selected",
            "_selected_action": [first.pk, second.pk],
            "note_asked": "1",
            "note": "Reviewed with legal.",
        },
        follow=True,
    )

    page = asked.content.decode()
    assert f"A note is needed to {asks} these alerts" in page
    assert 'name="note"' in page and page.count('name="_selected_action"') == 2
    assert "A note is required" in blank_again.content.decode()
    assert unchanged == [AlertStatus.OPEN, AlertStatus.OPEN]
    expected = AlertStatus.RESOLVED if action == "resolve" else AlertStatus.DISMISSED
    assert set(Alert.objects.values_list("status", "resolution_note")) == {
        (expected, "Reviewed with legal.")
    }
    assert _messages(done) == [f"2 alert(s) {expected}."]


def test_bulk_resolve_records_the_note(client, analyst):
    alert = _alert(status=AlertStatus.ACKNOWLEDGED)
    login(client, analyst)

    _run_action(client, "resolve_selected", [alert], note="Contract renegotiated.")

    alert.refresh_from_db()
    assert (alert.status, alert.resolution_note, alert.handled_by) == (
        AlertStatus.RESOLVED,
        "Contract renegotiated.",
        analyst,
    )


def test_dismissing_is_offered_to_risk_analysts_only(client, buyer):
    alert = _alert()
    login(client, buyer)

    page = client.get(url(Alert, "changelist")).content.decode()
    _run_action(client, "dismiss_selected", [alert], note="Not a concern.")

    assert "acknowledge_selected" in page and "dismiss_selected" not in page
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_an_analyst_assigns_an_alert_from_its_page(client, analyst, buyer):
    alert = _alert()
    login(client, analyst)

    response = client.post(url(Alert, "change", alert.pk), {"assignee": buyer.pk})

    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.assignee == buyer
    assert alert.history.first().history_user == analyst


# --- Webhooks ------------------------------------------------------------------------------------

SECRET = "a-shared-secret-of-the-receiver-9f3c"


def test_a_webhook_endpoint_secret_is_written_never_read_back(client, superuser):
    login(client, superuser)

    added = client.post(
        url(WebhookEndpoint, "add"),
        {
            "name": "Ticketing",
            "url": "http://127.0.0.1:8081/hooks",
            "secret": SECRET,
            "alert_kinds": [AlertKind.CHANGE_OF_CONTROL, AlertKind.RISK_INCREASED],
            "min_severity": RiskLevel.HIGH,
            "is_active": "on",
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    listing = client.get(url(WebhookEndpoint, "changelist")).content.decode()
    page = client.get(url(WebhookEndpoint, "change", endpoint.pk)).content.decode()
    renamed = client.post(
        url(WebhookEndpoint, "change", endpoint.pk),
        {
            "name": "Ticketing (prod)",
            "url": "http://127.0.0.1:8081/hooks",
            "secret": "",
            "alert_kinds": [AlertKind.CHANGE_OF_CONTROL],
            "min_severity": RiskLevel.HIGH,
            "is_active": "on",
        },
    )

    assert (added.status_code, renamed.status_code) == (302, 302)
    assert "••••9f3c" in listing
    assert SECRET not in listing and SECRET not in page
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.secret, endpoint.alert_kinds) == (
        "Ticketing (prod)",
        SECRET,
        [AlertKind.CHANGE_OF_CONTROL],
    )


def _endpoint(secret: str = SECRET) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name="Ticketing", url="http://127.0.0.1:8081/hooks", secret=secret
    )


def test_the_rotate_action_shows_the_new_secret_once_and_keeps_the_old_for_the_overlap(
    client, superuser
):
    endpoint = _endpoint()
    login(client, superuser)

    response = client.post(
        url(WebhookEndpoint, "changelist"),
        {"action": "rotate_secret", "_selected_action": [endpoint.pk], "overlap_hours": "48"},
        follow=True,
    )

    endpoint.refresh_from_db()
    assert endpoint.previous_secret == SECRET
    assert endpoint.secret != SECRET
    overlap = endpoint.previous_secret_expires_at - endpoint.history.first().history_date
    assert datetime.timedelta(hours=47, minutes=59) < overlap <= datetime.timedelta(hours=48)
    assert endpoint.history.first().history_user == superuser
    (message,) = _messages(response)
    assert endpoint.secret in message and "48 hour(s)" in message
    # Shown in the message of that one answer, never on a page afterwards.
    page = client.get(url(WebhookEndpoint, "change", endpoint.pk)).content.decode()
    assert endpoint.secret not in page and SECRET not in page


def test_the_rotate_action_refuses_an_overlap_out_of_range_and_changes_nothing(client, superuser):
    endpoint = _endpoint()
    login(client, superuser)

    response = client.post(
        url(WebhookEndpoint, "changelist"),
        {"action": "rotate_secret", "_selected_action": [endpoint.pk], "overlap_hours": "500"},
        follow=True,
    )

    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.previous_secret) == (SECRET, "")
    (message,) = _messages(response)
    assert message.startswith("No secret rotated. Overlap (hours):")
    assert "168" in message


def test_a_webhook_url_on_a_link_local_address_is_refused_at_the_url_field(client, superuser):
    login(client, superuser)

    response = client.post(
        url(WebhookEndpoint, "add"),
        {
            "name": "Metadata",
            "url": "http://169.254.169.254/latest/meta-data",
            "secret": SECRET,
            "min_severity": RiskLevel.LOW,
        },
    )

    assert response.status_code == 200
    assert "link-local" in _form_errors(response)["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_the_assignee_choices_are_people_who_may_act_named_in_full(
    client, analyst, buyer, viewer, nobody
):
    buyer.first_name, buyer.last_name = "Bea", "Buyer"
    buyer.save()
    alert = _alert()
    login(client, analyst)

    form = client.get(url(Alert, "change", alert.pk)).context["adminform"].form
    refused = client.post(url(Alert, "change", alert.pk), {"assignee": viewer.pk})

    choices = [label for value, label in form.fields["assignee"].choices if value]
    assert choices == ["analyst", "Bea Buyer (buyer)"]
    assert refused.status_code == 200
    assert "Select a valid choice" in _form_errors(refused)["assignee"][0]
    alert.refresh_from_db()
    assert alert.assignee is None


def _scale_ai_added(client, **extra):
    return client.post(
        url(Entity, "add"),
        {
            "name": "scale ai",
            "kind": "company",
            "country": "US",
            "lei": "",
            **_management_form("identifiers", total=0),
            **extra,
        },
    )


def test_admin_add_of_a_second_scale_ai_names_the_first_until_confirmed(client, superuser):
    first = EntityFactory(name="Scale AI", country="US", lei=SCALE_LEI)
    login(client, superuser)

    blank = client.get(url(Entity, "add")).content.decode()
    refused = _scale_ai_added(client)
    created = _scale_ai_added(client, confirm_duplicate="on")

    assert '<input type="hidden" name="confirm_duplicate"' in blank
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["confirm_duplicate"] == [
        f"Possibly the same as Scale AI (US · LEI {SCALE_LEI} · #{first.pk}): the same name "
        "and country, or an identifier in common."
    ]
    assert '<input type="checkbox" name="confirm_duplicate"' in refused.content.decode()
    assert created.status_code == 302
    assert Entity.objects.filter(name__iexact="scale ai").count() == 2


def test_admin_add_in_another_country_is_saved_at_once(client, superuser):
    EntityFactory(name="Scale AI", country="GB")
    login(client, superuser)

    assert _scale_ai_added(client).status_code == 302
    assert Entity.objects.count() == 2


def test_admin_rename_to_a_look_alike_asks_to_confirm(client, superuser):
    first = EntityFactory(name="Scale AI", country="US")
    other = EntityFactory(name="Scale Labs", country="US")
    login(client, superuser)
    body = {
        "name": "Scale AI",
        "kind": "company",
        "country": "US",
        "lei": "",
        **_management_form("identifiers", total=0),
        **_management_form("holdings", total=0),
        **_management_form("owners", total=0),
    }

    refused = client.post(url(Entity, "change", other.pk), body)
    saved = client.post(url(Entity, "change", other.pk), {**body, "confirm_duplicate": "on"})

    assert f"#{first.pk}" in refused.context["adminform"].form.errors["confirm_duplicate"][0]
    assert saved.status_code == 302
    other.refresh_from_db()
    assert other.name == "Scale AI"


def test_admin_autocomplete_and_chosen_entity_tell_look_alikes_apart(client, superuser):
    first = EntityFactory(name="Scale AI", country="US")
    EntityIdentifier.objects.create(entity=first, scheme="DUNS", value="081234567")
    second = EntityFactory(name="Scale AI", country="US", lei=SCALE_LEI)
    vendor = VendorFactory(entity=second)
    login(client, superuser)

    answer = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "registry", "model_name": "vendor", "field_name": "entity", "term": "scale"},
    ).json()
    page = client.get(url(Vendor, "change", vendor.pk)).content.decode()

    assert [row["text"] for row in answer["results"]] == [
        f"Scale AI (US · DUNS:081234567 · #{first.pk})",
        f"Scale AI (US · LEI {SCALE_LEI} · #{second.pk})",
    ]
    assert f"Scale AI (US · LEI {SCALE_LEI} · #{second.pk})</option>" in page


# --- Users who wrote history are deactivated, not deleted --------------------------------------


def test_a_user_who_logged_an_event_cannot_be_deleted_and_keeps_their_name_on_it(
    client, superuser, buyer
):
    meta = services.entity_create(name="Meta Platforms", actor=buyer)
    scale = EntityFactory(name="Scale AI")
    event = services.ownership_event_log(
        kind=EventKind.ACQUISITION,
        subject=scale,
        counterparty=meta,
        share=Decimal(49),
        effective_date=datetime.date(2025, 6, 13),
        actor=buyer,
    )
    login(client, superuser)
    url = reverse("admin:auth_user_delete", args=[buyer.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    with pytest.raises(DeleteRefused, match="Deactivate the account instead"):
        user_delete(user=buyer)

    event.refresh_from_db()
    assert event.logged_by == buyer
    assert meta.history.get().history_user == buyer
    assert get_user_model().objects.filter(pk=buyer.pk).exists()


def test_a_user_with_no_history_can_be_deleted_from_the_admin(client, superuser, nobody):
    login(client, superuser)

    response = client.post(reverse("admin:auth_user_delete", args=[nobody.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=nobody.pk).exists()
