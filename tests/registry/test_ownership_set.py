"""``ownership_set`` and ``ownership_end`` (docs/risk-rules.md, vocabulary): history is kept by
ending edges, an edge starting on another's start day replaces it, a backdated one ends before
the next, and an entity's active shareholdings never total more than 100% on any date."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from registry import services
from registry.choices import Interest, RecheckReason
from registry.models import Entity, Ownership, RecheckRequest
from tests.factories import EntityFactory, OwnershipFactory, PersonFactory

D = datetime.date


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_app_config("registry").get_models()
    }


def _shares_on(owned: Entity, day: datetime.date) -> dict[str, Decimal | tuple]:
    """Who holds what of ``owned`` as of ``day``: exact shares, or (min, max) for a range."""
    return {
        edge.owner.name: edge.share if edge.share is not None else (edge.share_min, edge.share_max)
        for edge in Ownership.objects.shareholdings().active_on(day).filter(owned=owned)
    }


@pytest.fixture
def target(db) -> Entity:
    return EntityFactory(name="Target Co")


@pytest.fixture
def alpha(db) -> Entity:
    return EntityFactory(name="Alpha Capital")


@pytest.fixture
def bravo(db) -> Entity:
    return EntityFactory(name="Bravo Partners")


@pytest.fixture
def charlie(db) -> Entity:
    return EntityFactory(name="Charlie Fund")


# --- History --------------------------------------------------------------------------------


def test_new_stake_ends_the_previous_edge_the_day_before_and_keeps_both(alpha, target):
    old = services.ownership_set(
        owner=alpha, owned=target, share=Decimal("40"), start_date=D(2020, 1, 1)
    )
    new = services.ownership_set(
        owner=alpha, owned=target, share=Decimal("60"), start_date=D(2024, 3, 1)
    )
    old.refresh_from_db()
    assert (old.share, old.start_date, old.end_date) == (
        Decimal("40"),
        D(2020, 1, 1),
        D(2024, 2, 29),
    )
    assert (new.share, new.start_date, new.end_date) == (Decimal("60"), D(2024, 3, 1), None)
    assert Ownership.objects.filter(owner=alpha, owned=target).count() == 2


def test_as_of_reads_give_the_old_share_before_and_the_new_share_after(alpha, target):
    services.ownership_set(owner=alpha, owned=target, share=Decimal("40"), start_date=D(2020, 1, 1))
    services.ownership_set(owner=alpha, owned=target, share=Decimal("60"), start_date=D(2024, 3, 1))
    assert _shares_on(target, D(2019, 12, 31)) == {}
    assert _shares_on(target, D(2020, 1, 1)) == {"Alpha Capital": Decimal("40")}
    assert _shares_on(target, D(2024, 2, 29)) == {"Alpha Capital": Decimal("40")}
    assert _shares_on(target, D(2024, 3, 1)) == {"Alpha Capital": Decimal("60")}
    assert _shares_on(target, D(2030, 1, 1)) == {"Alpha Capital": Decimal("60")}


def test_edge_already_ended_before_the_new_start_is_left_alone(alpha, target):
    past = OwnershipFactory(
        owner=alpha,
        owned=target,
        share=Decimal("30"),
        start_date=D(2015, 1, 1),
        end_date=D(2018, 6, 30),
    )
    services.ownership_set(owner=alpha, owned=target, share=Decimal("20"), start_date=D(2024, 1, 1))
    past.refresh_from_db()
    assert (past.share, past.end_date) == (Decimal("30"), D(2018, 6, 30))
    assert Ownership.objects.filter(owner=alpha, owned=target).count() == 2


def test_other_interests_of_the_same_owner_are_not_ended(alpha, target):
    seat = OwnershipFactory(
        owner=alpha,
        owned=target,
        interest=Interest.VOTING_RIGHTS,
        share=Decimal("50"),
        start_date=D(2020, 1, 1),
    )
    services.ownership_set(owner=alpha, owned=target, share=Decimal("20"), start_date=D(2024, 1, 1))
    seat.refresh_from_db()
    assert seat.end_date is None


def test_new_edge_starting_on_the_same_day_replaces_it(alpha, target):
    old = services.ownership_set(
        owner=alpha, owned=target, share=Decimal("40"), start_date=D(2024, 1, 1)
    )
    old_pk = old.pk
    new = services.ownership_set(
        owner=alpha, owned=target, share=Decimal("45"), start_date=D(2024, 1, 1)
    )
    assert list(Ownership.objects.filter(owner=alpha, owned=target)) == [new]
    assert (new.share, new.start_date) == (Decimal("45"), D(2024, 1, 1))
    # The replaced values stay in the audit history.
    deleted = Ownership.history.get(id=old_pk, history_type="-")
    assert (deleted.share, deleted.start_date) == (Decimal("40"), D(2024, 1, 1))


def test_backdated_edge_is_inserted_before_later_edges_and_deletes_none(alpha, target):
    # DESIGN's timeline rule: M 30% from 2024 and M 10% from 2027; M 60% from 2023 ends on
    # 2023-12-31 and both later edges stay.
    services.ownership_set(owner=alpha, owned=target, share=Decimal("30"), start_date=D(2024, 1, 1))
    services.ownership_set(owner=alpha, owned=target, share=Decimal("10"), start_date=D(2027, 1, 1))
    new = services.ownership_set(
        owner=alpha, owned=target, share=Decimal("60"), start_date=D(2023, 1, 1)
    )
    timeline = list(
        Ownership.objects.filter(owner=alpha, owned=target)
        .order_by("start_date")
        .values_list("share", "start_date", "end_date")
    )
    assert timeline == [
        (Decimal("60"), D(2023, 1, 1), D(2023, 12, 31)),
        (Decimal("30"), D(2024, 1, 1), D(2026, 12, 31)),
        (Decimal("10"), D(2027, 1, 1), None),
    ]
    assert new.end_date == D(2023, 12, 31)


def test_backdated_edge_keeps_its_own_earlier_end_date(alpha, target):
    services.ownership_set(owner=alpha, owned=target, share=Decimal("30"), start_date=D(2024, 1, 1))
    new = services.ownership_set(
        owner=alpha,
        owned=target,
        share=Decimal("20"),
        start_date=D(2022, 1, 1),
        end_date=D(2022, 6, 30),
    )
    assert (new.start_date, new.end_date) == (D(2022, 1, 1), D(2022, 6, 30))
    assert Ownership.objects.filter(owner=alpha, owned=target).count() == 2


def test_edits_record_the_actor_in_the_audit_history(alpha, target, buyer):
    old = services.ownership_set(
        owner=alpha, owned=target, share=Decimal("40"), start_date=D(2020, 1, 1), actor=buyer
    )
    new = services.ownership_set(
        owner=alpha, owned=target, share=Decimal("50"), start_date=D(2024, 1, 1), actor=buyer
    )
    assert new.history.first().history_user == buyer
    ended = old.history.first()
    assert (ended.history_type, ended.end_date, ended.history_user) == (
        "~",
        D(2023, 12, 31),
        buyer,
    )


def test_direct_edit_asks_for_a_recheck_of_the_owned_entity(alpha, target, buyer):
    services.ownership_set(
        owner=alpha, owned=target, share=Decimal("40"), start_date=D(2020, 1, 1), actor=buyer
    )
    request = RecheckRequest.objects.get()
    assert (request.reason, request.entity_ids, request.requested_by) == (
        RecheckReason.OWNERSHIP_CHANGED,
        [target.pk],
        buyer,
    )


def test_a_persons_new_seat_rechecks_their_other_seats_too(target):
    person = PersonFactory(name="Pat Example")
    services.ownership_set(
        owner=person, owned=target, interest=Interest.BOARD_MEMBER, start_date=D(2020, 1, 1)
    )
    assert RecheckRequest.objects.get().entity_ids == sorted([target.pk, person.pk])


# --- The 100% rule --------------------------------------------------------------------------


@pytest.fixture
def fully_held(alpha, bravo, target) -> Entity:
    """Alpha 60% and Bravo 40% of Target since 2020."""
    OwnershipFactory(owner=alpha, owned=target, share=Decimal("60"), start_date=D(2020, 1, 1))
    OwnershipFactory(owner=bravo, owned=target, share=Decimal("40"), start_date=D(2020, 1, 1))
    return target


def _refused_on_share(**kwargs) -> str:
    before = _row_counts()
    with pytest.raises(ValidationError) as refused:
        services.ownership_set(**kwargs)
    assert _row_counts() == before
    (message,) = refused.value.message_dict["share"]
    return message


def test_stake_above_100_percent_is_refused_naming_the_current_holders(fully_held, charlie):
    message = _refused_on_share(
        owner=charlie, owned=fully_held, share=Decimal("10"), start_date=D(2024, 1, 1)
    )
    assert message == (
        "This would bring the shareholdings in Target Co to 110% on 2024-01-01, above 100%. "
        "Current holders: Alpha Capital 60%, Bravo Partners 40%."
    )


def test_raising_a_holders_own_stake_above_100_percent_is_refused(fully_held, alpha):
    message = _refused_on_share(
        owner=alpha, owned=fully_held, share=Decimal("70"), start_date=D(2024, 1, 1)
    )
    assert "to 110% on 2024-01-01" in message
    assert "Current holders: Alpha Capital 60%, Bravo Partners 40%." in message
    assert _shares_on(fully_held, D(2024, 1, 1)) == {
        "Alpha Capital": Decimal("60"),
        "Bravo Partners": Decimal("40"),
    }


def test_exactly_100_percent_is_allowed(alpha, bravo, target):
    services.ownership_set(owner=alpha, owned=target, share=Decimal("60"), start_date=D(2020, 1, 1))
    services.ownership_set(owner=bravo, owned=target, share=Decimal("40"), start_date=D(2020, 1, 1))
    assert sum(_shares_on(target, D(2020, 1, 1)).values()) == Decimal("100")


def test_lowering_one_holder_makes_room_for_another(fully_held, alpha, charlie):
    services.ownership_set(
        owner=alpha, owned=fully_held, share=Decimal("50"), start_date=D(2024, 1, 1)
    )
    services.ownership_set(
        owner=charlie, owned=fully_held, share=Decimal("10"), start_date=D(2024, 1, 1)
    )
    assert _shares_on(fully_held, D(2024, 1, 1)) == {
        "Alpha Capital": Decimal("50"),
        "Bravo Partners": Decimal("40"),
        "Charlie Fund": Decimal("10"),
    }
    assert _shares_on(fully_held, D(2023, 12, 31)) == {
        "Alpha Capital": Decimal("60"),
        "Bravo Partners": Decimal("40"),
    }


def test_a_range_counts_by_its_lower_bound(alpha, bravo, target):
    services.ownership_set(owner=alpha, owned=target, share=Decimal("60"), start_date=D(2020, 1, 1))
    services.ownership_set(
        owner=bravo,
        owned=target,
        share_min=Decimal("40"),
        share_max=Decimal("50"),
        start_date=D(2020, 1, 1),
    )
    assert _shares_on(target, D(2020, 1, 1)) == {
        "Alpha Capital": Decimal("60"),
        "Bravo Partners": (Decimal("40"), Decimal("50")),
    }


def test_a_range_whose_lower_bound_overflows_is_refused(alpha, bravo, charlie, target):
    OwnershipFactory(owner=alpha, owned=target, share=Decimal("60"), start_date=D(2020, 1, 1))
    OwnershipFactory(
        owner=bravo,
        owned=target,
        share=None,
        share_min=Decimal("25"),
        share_max=Decimal("50"),
        start_date=D(2020, 1, 1),
    )
    message = _refused_on_share(
        owner=charlie,
        owned=target,
        share_min=Decimal("16"),
        share_max=Decimal("20"),
        start_date=D(2020, 1, 1),
    )
    assert "to 101% on 2020-01-01" in message
    assert "Current holders: Alpha Capital 60%, Bravo Partners 25–50%." in message


def test_holders_that_no_longer_overlap_do_not_count(alpha, bravo, target):
    OwnershipFactory(
        owner=alpha,
        owned=target,
        share=Decimal("100"),
        start_date=D(2015, 1, 1),
        end_date=D(2023, 12, 31),
    )
    services.ownership_set(
        owner=bravo, owned=target, share=Decimal("100"), start_date=D(2024, 1, 1)
    )
    assert _shares_on(target, D(2023, 12, 31)) == {"Alpha Capital": Decimal("100")}
    assert _shares_on(target, D(2024, 1, 1)) == {"Bravo Partners": Decimal("100")}


def test_overflow_on_a_later_date_is_refused_naming_that_date(alpha, bravo, target):
    OwnershipFactory(owner=alpha, owned=target, share=Decimal("70"), start_date=D(2026, 1, 1))
    message = _refused_on_share(
        owner=bravo, owned=target, share=Decimal("40"), start_date=D(2024, 1, 1)
    )
    assert "to 110% on 2026-01-01" in message
    assert "Current holders: Alpha Capital 70%." in message


def test_interests_other_than_shareholding_are_not_held_to_100_percent(fully_held, charlie):
    person = PersonFactory(name="Pat Example")
    seat = services.ownership_set(
        owner=person, owned=fully_held, interest=Interest.BOARD_MEMBER, start_date=D(2024, 1, 1)
    )
    votes = services.ownership_set(
        owner=charlie,
        owned=fully_held,
        interest=Interest.VOTING_RIGHTS,
        share=Decimal("30"),
        start_date=D(2024, 1, 1),
    )
    assert (seat.interest, votes.share) == (Interest.BOARD_MEMBER, Decimal("30"))
    assert Ownership.objects.filter(owned=fully_held).count() == 4


# --- Ending edges ---------------------------------------------------------------------------


def test_ownership_end_ends_an_edge_on_its_last_valid_day(alpha, target, buyer):
    edge = OwnershipFactory(
        owner=alpha, owned=target, share=Decimal("40"), start_date=D(2020, 1, 1)
    )
    result = services.ownership_end(ownership=edge, end_date=D(2024, 6, 30), actor=buyer)
    edge.refresh_from_db()
    assert result == edge
    assert edge.end_date == D(2024, 6, 30)
    assert _shares_on(target, D(2024, 6, 30)) == {"Alpha Capital": Decimal("40")}
    assert _shares_on(target, D(2024, 7, 1)) == {}
    assert edge.history.first().history_user == buyer
    assert RecheckRequest.objects.get().entity_ids == [target.pk]


def test_ownership_end_removes_an_edge_that_never_took_effect(alpha, target):
    edge = OwnershipFactory(
        owner=alpha, owned=target, share=Decimal("40"), start_date=D(2025, 1, 1)
    )
    edge_pk = edge.pk
    assert services.ownership_end(ownership=edge, end_date=D(2024, 12, 31)) is None
    assert not Ownership.objects.filter(pk=edge_pk).exists()
    deleted = Ownership.history.get(id=edge_pk, history_type="-")
    assert (deleted.share, deleted.start_date) == (Decimal("40"), D(2025, 1, 1))


def test_ownership_end_refuses_to_extend_an_edge_above_100_percent(alpha, bravo, target):
    ended = OwnershipFactory(
        owner=alpha,
        owned=target,
        share=Decimal("60"),
        start_date=D(2020, 1, 1),
        end_date=D(2023, 12, 31),
    )
    OwnershipFactory(owner=bravo, owned=target, share=Decimal("50"), start_date=D(2024, 1, 1))
    before = _row_counts()
    with pytest.raises(ValidationError) as refused:
        services.ownership_end(ownership=ended, end_date=D(2025, 12, 31))
    assert "to 110% on 2024-01-01" in refused.value.message_dict["end_date"][0]
    assert _row_counts() == before
    ended.refresh_from_db()
    assert ended.end_date == D(2023, 12, 31)


def test_ownership_end_refuses_to_overlap_the_next_edge_of_the_same_holder(alpha, target):
    first = services.ownership_set(
        owner=alpha, owned=target, share=Decimal("40"), start_date=D(2020, 1, 1)
    )
    services.ownership_set(owner=alpha, owned=target, share=Decimal("60"), start_date=D(2024, 1, 1))
    first.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.ownership_end(ownership=first, end_date=D(2024, 6, 30))
    assert refused.value.message_dict["end_date"] == [
        "Alpha Capital's shareholding in Target Co changes on 2024-01-01; "
        "end this edge on 2023-12-31 at the latest."
    ]
    first.refresh_from_db()
    assert first.end_date == D(2023, 12, 31)
