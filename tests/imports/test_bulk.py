"""The rows an import writes in bulk (imports.bulk): copied in on PostgreSQL, bulk-created
elsewhere, and the same rows either way — compared here with what ``bulk_create`` writes."""

import datetime
from decimal import Decimal

import pytest
from django.db.models.functions import Lower

from imports import bulk
from imports.models import ImportedRecord, ImportRun
from registry.choices import EntityKind, EventKind, Interest
from registry.models import Entity, Ownership, OwnershipEvent
from registry.services.common import history_recorded
from tests.factories import EntityFactory

pytestmark = pytest.mark.django_db

#: Columns the database or the clock fills, which two writes never share.
_OWN = {"id", "created_at", "updated_at"}


def _stored(model, pks) -> list[dict]:
    rows = {row["id"]: row for row in model.objects.filter(pk__in=pks).values()}
    return [{k: v for k, v in rows[pk].items() if k not in _OWN} for pk in pks]


def _run() -> ImportRun:
    return ImportRun.objects.create(source_name="GLEIF", format="gleif-lei")


def test_entity_rows_are_written_as_bulk_create_writes_them_with_their_history():
    run = _run()
    values = [
        ("Orchard Holdings plc", EntityKind.COMPANY, "GB", "213800D1EI4B9WTWWD28"),
        ("Lantern Fund SICAV", EntityKind.FUND, "LU", "529900T8BM49AURSDO55"),
        ("Ministry of Transport", EntityKind.GOVERNMENT, "", ""),
    ]
    rows = [
        {
            "name": name,
            "kind": kind,
            "country": country,
            "lei": lei,
            "import_run_id": run.pk,
            "import_record": lei or name,
        }
        for name, kind, country, lei in values
    ]
    ids = bulk.rows_insert(Entity, rows, recorded=True)
    copied = _stored(Entity, ids)
    Entity.objects.filter(pk__in=ids).delete()
    made = Entity.objects.bulk_create([Entity(**row) for row in rows])
    assert copied == _stored(Entity, [entity.pk for entity in made])
    assert [row["name"] for row in copied] == [name for name, *_ in values]
    assert copied[1]["owners_undisclosed"] is False
    assert Entity.history.filter(id__in=ids, history_type="+").count() == 3
    assert Entity.history.get(id=ids[0], history_type="+").lei == "213800D1EI4B9WTWWD28"


def test_copied_history_is_what_history_recorded_writes():
    """Meaningful where rows are copied in (PostgreSQL, as in CI); elsewhere both history
    rows come from ``history_recorded``."""
    run = _run()
    rows = [
        {
            "name": name,
            "kind": EntityKind.COMPANY,
            "country": "GB",
            "lei": "",
            "import_run_id": run.pk,
            "import_record": f"r{index}",
        }
        for index, name in enumerate(["Orchard Holdings plc", "Kestrel Ltd"])
    ]
    ids = bulk.rows_insert(Entity, rows, recorded=True)
    history_recorded(Entity, ids, "+")
    written = [
        {k: v for k, v in row.items() if k not in {"history_id", "history_date"}}
        for row in Entity.history.filter(id__in=ids).order_by("id", "history_id").values()
    ]
    assert len(written) == 4
    assert written[0] == written[1] and written[2] == written[3]
    assert written[0]["name"] == "Orchard Holdings plc" and written[2]["import_record"] == "r1"
    assert written[0]["history_type"] == "+" and written[0]["history_user_id"] is None


def test_any_of_finds_what_in_finds():
    made = EntityFactory.create_batch(3)
    wanted = [made[0].pk, made[2].pk, 10**9]
    assert sorted(Entity.objects.filter(pk__any_of=wanted).values_list("pk", flat=True)) == [
        made[0].pk,
        made[2].pk,
    ]
    names = [made[1].name.lower()]
    lowered = Entity.objects.annotate(lowered=Lower("name")).filter(lowered__any_of=names)
    assert list(lowered.values_list("pk", flat=True)) == [made[1].pk]
    assert list(Entity.objects.filter(pk__any_of=[])) == []
    # ``None`` never matches, as with ``__in``, so ``exclude()`` keeps the other rows.
    kept = Entity.objects.exclude(pk__any_of=[made[0].pk, None]).values_list("pk", flat=True)
    assert sorted(kept) == sorted([made[1].pk, made[2].pk])
    run = _run()
    made[0].import_run = run
    made[0].save()
    assert list(Entity.objects.filter(import_run_id__any_of=[run.pk])) == [made[0]]
    assert list(Entity.objects.filter(import_run__any_of=[run.pk])) == [made[0]]


def test_rows_without_keys_take_their_defaults_and_json_as_written():
    run = _run()
    entity = EntityFactory(name="Orchard Holdings plc")
    assert (
        bulk.rows_insert(
            ImportedRecord,
            [
                {"run_id": run.pk, "record": "A:DIRECT", "entity_id": entity.pk},
                {
                    "run_id": run.pk,
                    "record": "B:DIRECT",
                    "entity_id": entity.pk,
                    "interests": ["owners_undisclosed"],
                },
            ],
        )
        == []
    )
    stored = dict(
        ImportedRecord.objects.filter(run=run).values_list("record", "interests").order_by("pk")
    )
    assert stored == {"A:DIRECT": [], "B:DIRECT": ["owners_undisclosed"]}
    assert ImportedRecord.objects.get(record="A:DIRECT").owner_id is None


def test_instances_get_their_keys_and_the_keys_of_what_was_saved_after_them():
    run = _run()
    parent, child = EntityFactory(name="Orchard Holdings plc"), EntityFactory(name="Pip Ltd")
    event = OwnershipEvent(
        kind=EventKind.ACQUISITION,
        subject=child,
        counterparty=parent,
        share=Decimal("60.0000"),
        effective_date=datetime.date(2024, 1, 1),
        note="Imported from GLEIF, record X.",
        import_run=run,
    )
    edges = [
        Ownership(
            owner=parent,
            owned=child,
            interest=Interest.SHAREHOLDING,
            share=Decimal("60.0000"),
            start_date=datetime.date(2024, 1, 1),
            source_event=event,
        ),
        Ownership(
            owner=parent,
            owned=child,
            interest=Interest.CONTROL,
            start_date=datetime.date(2024, 1, 1),
            end_date=datetime.date(2024, 12, 31),
            import_run=run,
            import_record="X",
        ),
    ]
    bulk.instances_insert([event])
    bulk.instances_insert(edges, recorded=True)
    assert event.pk is not None and event.created_at is not None
    assert not event._state.adding
    assert edges[0].source_event_id == event.pk
    stored = OwnershipEvent.objects.get(pk=event.pk)
    assert (stored.kind, stored.share, stored.status, stored.attempts) == (
        EventKind.ACQUISITION,
        Decimal("60.0000"),
        "pending",
        0,
    )
    rows = {
        edge.interest: edge
        for edge in Ownership.objects.filter(pk__in=[e.pk for e in edges]).order_by("pk")
    }
    assert rows[Interest.SHAREHOLDING].source_event_id == event.pk
    assert rows[Interest.SHAREHOLDING].share == Decimal("60.0000")
    assert rows[Interest.CONTROL].end_date == datetime.date(2024, 12, 31)
    assert rows[Interest.CONTROL].import_record == "X"
    assert Ownership.history.filter(id__in=[e.pk for e in edges], history_type="+").count() == 2


def test_an_edge_is_validated_once_a_run_for_its_values_and_its_record_every_time():
    from django.core.exceptions import ValidationError

    from imports.services import _Applier

    run = _run()
    applier = _Applier(run)
    parent, child = EntityFactory(name="Orchard Holdings plc"), EntityFactory(name="Pip Ltd")

    def edge(share: str, record: str = "X") -> Ownership:
        return Ownership(
            owner=parent,
            owned=child,
            interest=Interest.SHAREHOLDING,
            share=Decimal(share),
            start_date=datetime.date(2024, 1, 1),
            import_run=run,
            import_record=record,
        )

    exclude = ("owner", "owned", "source_event", "import_run")
    applier._clean_fields(edge("60"), exclude, varying=("import_record",))
    applier._clean_fields(edge("60", "Y"), exclude, varying=("import_record",))
    assert len(applier._valid_terms) == 1
    with pytest.raises(ValidationError) as refused:
        applier._clean_fields(edge("60", "R" * 256), exclude, varying=("import_record",))
    assert set(refused.value.message_dict) == {"import_record"}
    with pytest.raises(ValidationError) as refused:
        applier._clean_fields(edge("150"), exclude, varying=("import_record",))
    assert set(refused.value.message_dict) == {"share"}
    assert len(applier._valid_terms) == 1


def test_a_sieve_holds_every_key_added_and_few_others():
    sieve = bulk.Sieve(f"5493{n:016d}" for n in range(0, 20000, 2))
    assert all(f"5493{n:016d}" in sieve for n in range(0, 20000, 2))
    # 10,000 keys in 2**27 bits: a false "maybe" about once in 13,000.
    others = sum(f"5493{n:016d}" in sieve for n in range(1, 20000, 2))
    assert others <= 10
    sieve.add(("acme ltd", "GB"))
    assert ("acme ltd", "GB") in sieve
