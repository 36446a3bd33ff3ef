"""Rule 6 and the loader with control: an event or watchlist change around an entity reaches
what it controls through ``control`` edges and voting rights, and the graph loaded above a
vendor includes owners reached only through them."""

import datetime
from decimal import Decimal

import pytest

from registry.choices import Interest
from registry.risk.engine import assess_vendor
from registry.risk.loader import affected_entities, entities_below, load_subgraph
from tests.factories import EntityFactory, OwnershipFactory, WatchlistEntryFactory

TODAY = datetime.date(2025, 6, 13)


def edge(owner, owned, interest, share=None, start_date=TODAY, **extra):
    return OwnershipFactory(
        owner=owner, owned=owned, interest=interest, share=share, start_date=start_date, **extra
    )


@pytest.fixture
def entities(db):
    return {name: EntityFactory(name=name) for name in ("Rival", "Parent", "Vendor", "Other")}


def test_entities_below_follow_control_edges_and_voting_rights(entities):
    rival, parent, vendor, other = (
        entities[name] for name in ("Rival", "Parent", "Vendor", "Other")
    )
    edge(rival, parent, Interest.CONTROL)
    edge(parent, vendor, Interest.VOTING_RIGHTS, Decimal("40"))
    edge(vendor, other, Interest.VOTING_RIGHTS, Decimal("0"))

    below = entities_below([rival.pk], as_of=TODAY)

    assert below == {rival.pk, parent.pk, vendor.pk}
    assert affected_entities(subject_ids=[rival.pk], as_of=TODAY) == below


def test_voting_rights_with_only_a_range_are_followed(entities):
    rival, vendor = entities["Rival"], entities["Vendor"]
    edge(rival, vendor, Interest.VOTING_RIGHTS, share_min=Decimal("10"))

    assert entities_below([rival.pk], as_of=TODAY) == {rival.pk, vendor.pk}


def test_other_influence_and_ended_control_are_not_followed(entities):
    rival, parent, vendor = entities["Rival"], entities["Parent"], entities["Vendor"]
    edge(rival, parent, Interest.OTHER_INFLUENCE)
    edge(
        rival,
        vendor,
        Interest.CONTROL,
        start_date=datetime.date(2020, 1, 1),
        end_date=TODAY - datetime.timedelta(days=1),
    )

    assert entities_below([rival.pk], as_of=TODAY) == {rival.pk}


def test_the_graph_above_a_vendor_reaches_a_competitor_that_only_controls_it(entities):
    rival, parent, vendor, other = (
        entities[name] for name in ("Rival", "Parent", "Vendor", "Other")
    )
    WatchlistEntryFactory(entity=rival, category="competitor")
    edge(rival, parent, Interest.CONTROL)
    edge(parent, vendor, Interest.SHAREHOLDING, Decimal("60"))
    edge(other, vendor, Interest.SHAREHOLDING, Decimal("40"))

    graph = load_subgraph([vendor.pk], as_of=TODAY).graph()
    assessment = assess_vendor(graph, vendor.pk, data_access="internal")

    assert [factor.code for factor in assessment.factors] == [
        "competitor_control",
        "competitor_ownership",
    ]
    assert assessment.factors[0].path == (rival.pk, parent.pk, vendor.pk)
    assert "Rival (competitor) controls Vendor" in assessment.factors[0].summary


def test_the_loader_reads_undisclosed_owners_with_the_names_in_the_same_queries(
    entities, django_assert_num_queries
):
    rival, parent, vendor = entities["Rival"], entities["Parent"], entities["Vendor"]
    edge(rival, parent, Interest.CONTROL)
    edge(parent, vendor, Interest.SHAREHOLDING, Decimal("60"))
    for flagged in (rival, parent):
        flagged.owners_undisclosed = True
        flagged.save(update_fields=["owners_undisclosed"])

    # One statement for the walk up (the vendor, the parent, the rival) and the names, which
    # also reads the flag: as many as without any undisclosed owner.
    with django_assert_num_queries(1):
        subgraph = load_subgraph([vendor.pk], as_of=TODAY, watchlist={})

    assert subgraph.undisclosed == {rival.pk, parent.pk}
    factors = assess_vendor(subgraph.graph(), vendor.pk, data_access="none").factors
    assert [(f.party, f.effective_share, f.path) for f in factors] == [
        (rival.pk, 0.0, (rival.pk, parent.pk, vendor.pk)),
        (parent.pk, 60.0, (parent.pk, vendor.pk)),
    ]
