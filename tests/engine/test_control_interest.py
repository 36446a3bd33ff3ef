"""The ``control`` interest in the registry: an edge with no share (docs/risk-rules.md,
"Vocabulary"), refused with a share by the model and by the database."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from registry import services
from registry.choices import Interest
from registry.models import Ownership
from tests.factories import EntityFactory

START = datetime.date(2024, 1, 1)


@pytest.fixture
def parent_and_child(db):
    return EntityFactory(name="Parent Group"), EntityFactory(name="Child Ltd")


def test_a_control_edge_without_a_share_is_accepted(parent_and_child):
    parent, child = parent_and_child

    edge = services.ownership_set(
        owner=parent, owned=child, interest=Interest.CONTROL, start_date=START
    )

    assert (edge.interest, edge.share, edge.share_min, edge.share_max) == (
        "control",
        None,
        None,
        None,
    )
    assert edge.get_interest_display() == "Control"


@pytest.mark.parametrize(
    "share",
    [
        {"share": Decimal("60")},
        {"share_min": Decimal("50")},
        {"share_max": Decimal("75")},
    ],
    ids=["exact", "minimum", "maximum"],
)
def test_a_control_edge_with_a_share_is_refused_on_the_share(parent_and_child, share):
    parent, child = parent_and_child

    with pytest.raises(ValidationError) as refused:
        services.ownership_set(
            owner=parent, owned=child, interest=Interest.CONTROL, start_date=START, **share
        )

    assert refused.value.message_dict["share"] == [
        "A control edge carries no share: it records control without a known share. "
        "Record a known share as a shareholding or as voting rights."
    ]
    assert not Ownership.objects.exists()


def test_the_database_refuses_a_control_edge_with_a_share(parent_and_child):
    parent, child = parent_and_child

    with pytest.raises(IntegrityError), transaction.atomic():
        Ownership.objects.create(
            owner=parent, owned=child, interest=Interest.CONTROL, share=60, start_date=START
        )
