"""The registry's bulk services: many vendor or contract rows checked like the one-row
services check one, written all or nothing."""

import datetime
from decimal import Decimal

import pytest

from registry.models import Contract, Entity, RecheckRequest, Vendor
from registry.services.bulk import (
    RowsInvalid,
    contract_rows_apply,
    contract_rows_check,
    vendor_rows_apply,
)
from tests.factories import EntityFactory, VendorFactory
from tests.imports.sheets import lei

pytestmark = pytest.mark.django_db


def test_vendor_rows_apply_refuses_every_row_when_one_is_wrong(buyer):
    rows = [
        {"name": "Alpha", "country": "US", "lei": lei(1), "tier": 1},
        {
            "name": "Beta",
            "country": "us",
            "identifiers": [("duns", "42")],
            "data_access": "internal",
        },
        {"name": "", "tier": 9},
    ]

    with pytest.raises(RowsInvalid) as refused:
        vendor_rows_apply(rows=rows, actor=buyer)

    outcomes = refused.value.outcomes
    assert [o.action for o in outcomes] == ["create", "create", "error"]
    assert outcomes[2].errors == {
        "name": ["A new vendor's entity needs a name."],
        "tier": ["Ensure this value is less than or equal to 4."],
    }
    assert str(refused.value) == "1 row cannot be applied."
    assert Entity.objects.count() == 0 and RecheckRequest.objects.count() == 0


def test_vendor_rows_apply_writes_and_rechecks_once(buyer):
    rows = [
        {"name": "Alpha", "country": "US", "lei": lei(1), "tier": 1},
        {
            "name": "Beta",
            "country": "us",
            "identifiers": [("duns", "42")],
            "data_access": "internal",
        },
    ]

    outcomes = vendor_rows_apply(rows=rows, actor=buyer)

    beta = Vendor.objects.get(entity__name="Beta")
    assert (beta.entity.country, beta.data_access, beta.tier) == ("US", "internal", 3)
    assert str(beta.entity.identifiers.get()) == "DUNS:42"
    assert [o.record.pk for o in outcomes] == list(
        Vendor.objects.order_by("pk").values_list("pk", flat=True)
    )
    (recheck,) = RecheckRequest.objects.all()
    assert sorted(recheck.entity_ids) == sorted(Entity.objects.values_list("pk", flat=True))


def test_contract_rows_check_validates_like_contract_create(buyer):
    VendorFactory(entity=EntityFactory(name="Scale AI"))
    rows = [
        {
            "vendor": "Scale AI",
            "reference": "MSA-1",
            "title": "Labelling",
            "value": Decimal("-5"),
            "start_date": datetime.date(1850, 1, 1),
            "change_of_control_clause": True,
        }
    ]

    (outcome,) = contract_rows_check(rows=rows)

    assert outcome.errors == {
        "value": ["Ensure this value is greater than or equal to 0."],
        "start_date": ["Dates before 1900 are not accepted."],
        "coc_termination_window_days": [
            "A contract with a change-of-control clause needs its termination window in days."
        ],
    }
    assert Contract.objects.count() == 0


def test_contract_rows_apply_names_the_vendor_by_lei_identifier_id_or_name(buyer):
    by_lei = VendorFactory(entity=EntityFactory(name="Alpha", lei=lei(1)))
    by_name = VendorFactory(entity=EntityFactory(name="Beta"))
    by_id = VendorFactory(entity=EntityFactory(name="Gamma"))
    base = {"title": "T", "value": Decimal("1"), "start_date": datetime.date(2025, 1, 1)}
    rows = [
        {**base, "vendor": lei(1).lower(), "reference": "A"},
        {**base, "vendor": "  BETA ", "reference": "B"},
        {**base, "vendor": f"#{by_id.pk}", "reference": "C"},
    ]

    contract_rows_apply(rows=rows, actor=buyer)

    assert dict(Contract.objects.values_list("reference", "vendor_id")) == {
        "A": by_lei.pk,
        "B": by_name.pk,
        "C": by_id.pk,
    }
