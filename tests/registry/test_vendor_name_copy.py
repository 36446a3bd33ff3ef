"""The vendor's copy of its entity's name, which the database keeps (migration 0019), and the
name order of the vendor lists that pages through it."""

import pytest

from registry.models import Entity, Vendor
from registry.services import entity_update, vendor_update
from tests.factories import EntityFactory, VendorFactory

pytestmark = pytest.mark.django_db


def _copy(vendor: Vendor) -> str:
    return Vendor.objects.values_list("entity_name", flat=True).get(pk=vendor.pk)


def test_a_new_vendor_carries_its_entitys_name():
    vendor = VendorFactory(entity__name="Orchard Data Ltd")

    assert _copy(vendor) == "Orchard Data Ltd"


def test_vendors_inserted_in_bulk_carry_their_entities_names():
    entities = EntityFactory.create_batch(3)
    Vendor.objects.bulk_create([Vendor(entity=entity) for entity in entities])

    assert sorted(Vendor.objects.values_list("entity_name", flat=True)) == sorted(
        entity.name for entity in entities
    )


def test_renaming_the_entity_renames_the_copy_by_the_service_and_by_a_bulk_update():
    vendor = VendorFactory(entity__name="Orchard Data Ltd")

    entity_update(entity=vendor.entity, name="Orchard Holdings Ltd")
    assert _copy(vendor) == "Orchard Holdings Ltd"

    Entity.objects.filter(pk=vendor.entity_id).update(name="Pear Analytics plc")
    assert _copy(vendor) == "Pear Analytics plc"


def test_moving_the_vendor_to_another_entity_takes_that_entitys_name():
    vendor = VendorFactory(entity__name="Orchard Data Ltd")
    other = EntityFactory(name="Quince Labs GmbH")

    vendor_update(vendor=vendor, entity=other)

    assert _copy(vendor) == "Quince Labs GmbH"


def test_saving_a_vendor_read_before_a_rename_keeps_the_new_name():
    vendor = VendorFactory(entity__name="Orchard Data Ltd")
    stale = Vendor.objects.get(pk=vendor.pk)
    Entity.objects.filter(pk=vendor.entity_id).update(name="Orchard Holdings Ltd")

    stale.tier = 1
    stale.save()

    assert _copy(vendor) == "Orchard Holdings Ltd"


def test_the_copy_cannot_be_set_apart_from_the_entity():
    vendor = VendorFactory(entity__name="Orchard Data Ltd")

    Vendor.objects.filter(pk=vendor.pk).update(entity_name="Something else")

    assert _copy(vendor) == "Orchard Data Ltd"


def test_vendors_are_listed_in_their_entities_name_order_after_a_rename():
    names = ["Birch Ltd", "Alder plc", "Cedar SA"]
    vendors = [VendorFactory(entity__name=name) for name in names]
    entity_update(entity=vendors[2].entity, name="Aaron & Co")

    assert [vendor.entity.name for vendor in Vendor.objects.select_related("entity")] == [
        "Aaron & Co",
        "Alder plc",
        "Birch Ltd",
    ]
