"""The vendors a run affects, found by one walk up from the vendors (imports/affected.py),
are those rule 6 names when walking down from each changed entity (registry.risk.loader)."""

import datetime
from decimal import Decimal

import pytest

from imports.affected import run_affected_vendors
from registry.choices import Interest
from registry.models import Vendor
from registry.risk.loader import affected_entities
from tests.factories import EntityFactory, OwnershipFactory, PersonFactory, VendorFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2025, 6, 1)


def _group() -> dict:
    """Top controls Mid, which holds 60% of Leaf (a vendor); Leaf's director also sits on
    Side; Minor holds 0% of Leaf; Lone has a vendor of its own and nothing above it; Old's
    control of Lone ended in 2023."""
    top, mid, leaf, side, minor, lone, old = (EntityFactory(name=n) for n in "TMLSNXO")
    director = PersonFactory(name="Director")
    OwnershipFactory(owner=top, owned=mid, interest=Interest.CONTROL, share=None)
    OwnershipFactory(owner=mid, owned=leaf, share=Decimal("60"))
    OwnershipFactory(owner=minor, owned=leaf, share=Decimal("0"))
    OwnershipFactory(owner=director, owned=leaf, interest=Interest.BOARD_MEMBER, share=None)
    OwnershipFactory(owner=director, owned=side, interest=Interest.BOARD_MEMBER, share=None)
    OwnershipFactory(
        owner=old,
        owned=lone,
        interest=Interest.CONTROL,
        share=None,
        end_date=datetime.date(2023, 1, 1),
    )
    leaf_vendor, lone_vendor = VendorFactory(entity=leaf), VendorFactory(entity=lone)
    names = {"top": top, "mid": mid, "leaf": leaf, "side": side, "minor": minor}
    names |= {"lone": lone, "old": old, "director": director}
    return {"entities": names, "leaf": leaf_vendor.pk, "lone": lone_vendor.pk}


def _walked_down(entity_ids, people=(), as_of=TODAY) -> set[int]:
    around = affected_entities(subject_ids=entity_ids, person_ids=people, as_of=as_of)
    return set(Vendor.objects.filter(entity_id__in=around).values_list("pk", flat=True))


def test_each_changed_entity_affects_the_vendors_rule_6_names():
    group = _group()
    entities = group["entities"]
    expected = {
        "top": {group["leaf"]},
        "mid": {group["leaf"]},
        "leaf": {group["leaf"]},
        "side": {group["leaf"]},  # the leaf's director sits on it
        "minor": set(),  # a 0% holding conveys nothing
        "lone": {group["lone"]},
        "old": set(),  # its control ended before today
        "director": {group["leaf"]},
    }
    for name, vendors in expected.items():
        entity = entities[name]
        people = [entity.pk] if name == "director" else []
        union, _ = run_affected_vendors(entity_ids=[entity.pk], events=[], today=TODAY)
        assert union == vendors, name
        assert _walked_down([entity.pk], people) == vendors, name


def test_each_event_gets_the_vendors_of_its_effective_date_and_today():
    group = _group()
    entities = group["entities"]
    events = [
        (1, entities["top"].pk, None, datetime.date(2024, 1, 1)),
        # On 2022-06-01 Old still controlled Lone.
        (2, entities["old"].pk, None, datetime.date(2022, 6, 1)),
        (3, entities["minor"].pk, None, TODAY),
    ]
    union, per_event = run_affected_vendors(entity_ids=[], events=events, today=TODAY)
    assert per_event == {1: {group["leaf"]}, 2: {group["lone"]}}
    assert union == {group["leaf"], group["lone"]}
    assert _walked_down([entities["old"].pk], as_of=datetime.date(2022, 6, 1)) == {group["lone"]}


def test_a_registry_without_vendors_affects_none():
    top = EntityFactory()
    OwnershipFactory(owner=top, owned=EntityFactory(), interest=Interest.CONTROL, share=None)
    assert run_affected_vendors(entity_ids=[top.pk], events=[], today=TODAY) == (set(), {})


def test_a_run_that_wrote_no_edge_and_logged_no_event_walks_nothing(django_assert_num_queries):
    group = _group()
    with django_assert_num_queries(0):
        assert run_affected_vendors(entity_ids=[], events=[], today=TODAY) == (set(), {})
    union, _ = run_affected_vendors(
        entity_ids=[group["entities"]["top"].pk], events=[], today=TODAY
    )
    assert union == {group["leaf"]}
