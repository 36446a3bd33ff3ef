"""The standard's own examples (0.2, 0.3, 0.4) come in with the entities, shares and dates
they publish (DESIGN, "Mapping")."""

import datetime
from decimal import Decimal

import pytest

from registry.choices import EntityKind, Interest
from registry.models import Entity, Ownership
from tests.imports.conftest import DATA, run_file

pytestmark = pytest.mark.django_db


def edges() -> set[tuple]:
    """Every edge as (owner, owned, interest, share, min, max, start, end)."""
    return {
        (
            edge.owner.name,
            edge.owned.name,
            edge.interest,
            edge.share,
            edge.share_min,
            edge.share_max,
            edge.start_date,
            edge.end_date,
        )
        for edge in Ownership.objects.select_related("owner", "owned")
    }


D = datetime.date


@pytest.mark.parametrize("version", ["v02", "v03"])
def test_single_direct_owner_holds_100_percent_from_the_interest_start(version):
    run = run_file(f"{version}-1-single-direct.json")

    assert run.status == "done", run.errors
    assert run.counts["entities_new"] == 2
    assert run.counts["edges_new"] == 1
    chrinon = Entity.objects.get(name="CHRINON LTD")
    assert chrinon.kind == EntityKind.COMPANY
    assert [(i.scheme, i.value) for i in chrinon.identifiers.all()] == [("GB-COH", "07444723")]
    taggart = Entity.objects.get(name="Christopher Taggart")
    assert (taggart.kind, taggart.country) == (EntityKind.PERSON, "GB")
    assert edges() == {
        (
            "Christopher Taggart",
            "CHRINON LTD",
            Interest.SHAREHOLDING,
            Decimal("100"),
            None,
            None,
            D(2016, 4, 6),
            None,
        )
    }


@pytest.mark.parametrize("version", ["v02", "v03"])
def test_an_update_replacing_the_first_statement_halves_the_stake_from_its_date(version):
    first = run_file(f"{version}-1-single-direct.json")
    update = run_file(f"{version}-2-single-update.json")

    assert first.status == update.status == "done", update.errors
    assert update.counts["entities_new"] == 0
    assert update.counts["entities_matched"] == 2
    assert update.counts["edges_changed"] == 1
    assert update.counts["events"] == 1  # both parties were in the registry already
    assert Entity.objects.count() == 2
    assert edges() == {
        (
            "Christopher Taggart",
            "CHRINON LTD",
            Interest.SHAREHOLDING,
            Decimal("100"),
            None,
            None,
            D(2016, 4, 6),
            D(2018, 1, 4),
        ),
        (
            "Christopher Taggart",
            "CHRINON LTD",
            Interest.SHAREHOLDING,
            Decimal("50"),
            None,
            None,
            D(2018, 1, 5),
            None,
        ),
    }
    # The other half went to an owner who has not given their details.
    assert Entity.objects.get(name="CHRINON LTD").owners_undisclosed is True
    assert any("not disclosed" in w["message"] for w in update.warnings)


@pytest.mark.parametrize("version", ["v02", "v03", "v04"])
def test_joint_ownership_is_an_arrangement_held_half_and_half(version):
    name = {"v04": "v04-joint-ownership.json"}.get(version, f"{version}-3-joint-ownership.json")
    run = run_file(name)

    assert run.status == "done", run.errors
    assert run.counts["entities_new"] == 4
    assert run.counts["edges_new"] == 3
    assert Entity.objects.get(name="Joint shareholding").kind == EntityKind.OTHER
    shares = {(owner, owned): share for owner, owned, _, share, *_ in edges()}
    assert shares[("Joint shareholding", "CHRINON LTD")] == Decimal("100")
    assert sorted(
        share for (owner, owned), share in shares.items() if owned == "Joint shareholding"
    ) == [Decimal("50"), Decimal("50")]
    assert {start for *_, start, _end in edges()} == {D(2018, 1, 1)}


@pytest.mark.parametrize(
    "name", ["v04-indirect-ownership.json", "v02-indirect-ownership__os-03-dr-03.json"]
)
def test_an_indirect_interest_is_counted_never_an_edge(name):
    run = run_file(name)

    assert run.status == "done", run.errors
    assert run.counts["indirect_skipped"] == 1
    assert run.counts["entities_new"] == 3
    assert run.counts["edges_new"] == 2
    assert not Ownership.objects.filter(owner__name="Person 1", owned__name="Company A").exists()


def test_mixed_direct_and_indirect_keeps_the_direct_half_only():
    run = run_file("v04-mixed-direct-and-indirect-ownership.json")

    assert run.counts["indirect_skipped"] == 1
    held = Ownership.objects.get(
        owner__name="Person 1", owned__name="Company A", interest=Interest.SHAREHOLDING
    )
    assert (held.share, held.start_date) == (Decimal("50"), D(2019, 5, 1))
    via = Ownership.objects.get(owner__name="Company B", owned__name="Company A")
    assert (via.share, via.start_date) == (Decimal("50"), D(2017, 11, 1))


@pytest.mark.parametrize(
    "name",
    [
        "v02-4a-simple-pep-declaration.json",
        "v03-4a-simple-pep-declaration.json",
        "v04-simple-pep-declaration.json",
    ],
)
def test_a_pep_declaration_brings_the_range_as_bounds_and_warns_of_the_pep(name):
    run = run_file(name)

    assert run.status == "done", run.errors
    assert run.counts["entities_new"] == 2
    held = {edge.interest: edge for edge in Ownership.objects.filter(owner__name="Michael Hubbard")}
    assert set(held) == {Interest.SHAREHOLDING, Interest.VOTING_RIGHTS}
    for edge in held.values():
        assert (edge.share, edge.share_min, edge.share_max) == (None, Decimal(25), Decimal(50))
        assert edge.start_date == D(2016, 7, 7)
    assert [w["message"] for w in run.warnings] == ["Michael Hubbard is declared a PEP."]


def test_a_state_owned_enterprise_is_owned_by_government_bodies():
    run = run_file("v04-bods-package-fi-soe.json")

    assert run.status == "done", run.errors
    assert run.counts["entities_new"] == 4
    assert run.counts["edges_new"] == 4
    assert run.counts["indirect_skipped"] == 1
    kinds = dict(Entity.objects.values_list("name", "kind"))
    assert kinds["Valtiovarainministerio"] == EntityKind.GOVERNMENT  # stateBody
    assert kinds["Suomen tasavalta"] == EntityKind.GOVERNMENT  # state
    assert kinds["Gasgrid Finland Oy"] == EntityKind.COMPANY
    gasgrid = {
        edge.owner.name: edge.share
        for edge in Ownership.objects.filter(owned__name="Gasgrid Finland Oy")
    }
    assert gasgrid == {
        "Suomen Kaasuverkko Oy": Decimal("76.5"),
        "Valtiovarainministerio": Decimal("23.5"),
    }
    assert Entity.objects.get(name="Gasgrid Finland Oy").country == "FI"


@pytest.mark.parametrize("name", ["v02-missing-data__os-01-dr-02-dc-05.json"])
def test_an_anonymous_owner_is_recorded_as_undisclosed_on_the_subject(name):
    run = run_file(name)

    assert run.status == "done", run.errors
    assert run.counts["entities_new"] == 1  # the anonymous person is no entity
    assert Ownership.objects.count() == 0
    assert Entity.objects.get(name="Listed Company OS-17").owners_undisclosed is True


@pytest.mark.parametrize(
    "name",
    [
        "v02-missing-data__os-17-dr-02-dc-06.json",
        "v04-listed-company-exempt-from-disclosure.json",
    ],
)
def test_an_owner_exempt_from_disclosure_is_recorded_but_is_not_opacity(name):
    run = run_file(name)

    assert run.status == "done", run.errors
    listed = Entity.objects.get(name="Listed Company OS-17")
    assert listed.owners_undisclosed is False
    assert [w["field"] for w in run.warnings] == ["interestedParty"]
    assert "none needs to be" in run.warnings[0]["message"]


def test_every_entity_and_edge_keeps_the_run_and_its_record_id():
    run = run_file("v04-bods-package.json")

    edge = Ownership.objects.get()
    assert edge.import_run == run
    assert edge.import_record  # the relationship's recordId
    assert set(Entity.objects.values_list("import_run", flat=True)) == {run.pk}
    assert all(Entity.objects.values_list("import_record", flat=True))


def test_a_company_history_hands_stakes_over_on_the_day_one_ends_and_the_next_starts():
    """Fermcat (0.4): two founders at 50%, one leaves on 2021-04-03 and hands over to a
    relative, who leaves on 2022-01-21 when the other founder takes 100%."""
    run = run_file("v04-fermcat.json")

    assert run.status == "done", run.errors
    assert run.counts["entities_new"] == 4
    assert run.counts["edges_ended"] == 3
    assert edges() == {
        (
            "Riyadh Byrne-Amin",
            "Fermcat Ltd",
            "shareholding",
            Decimal(50),
            None,
            None,
            D(2019, 9, 11),
            D(2021, 4, 2),
        ),
        (
            "Riyadh Byrne-Amin",
            "Fermcat Ltd",
            "board_member",
            None,
            None,
            None,
            D(2019, 9, 11),
            D(2021, 4, 2),
        ),
        (
            "Declan Byrne-Amin",
            "Fermcat Ltd",
            "shareholding",
            Decimal(50),
            None,
            None,
            D(2021, 4, 3),
            D(2022, 1, 20),
        ),
        (
            "Patrick O'Donohue",
            "Fermcat Ltd",
            "shareholding",
            Decimal(50),
            None,
            None,
            D(2019, 9, 11),
            D(2022, 1, 20),
        ),
        (
            "Patrick O'Donohue",
            "Fermcat Ltd",
            "shareholding",
            Decimal(100),
            None,
            None,
            D(2022, 1, 21),
            None,
        ),
        (
            "Patrick O'Donohue",
            "Fermcat Ltd",
            "board_member",
            None,
            None,
            None,
            D(2019, 9, 11),
            None,
        ),
    }

    again = run_file("v04-fermcat.json")

    assert again.counts["edges_new"] == again.counts["edges_changed"] == 0
    assert again.counts["edges_ended"] == 0
    assert Ownership.objects.count() == 6


def test_a_founder_sells_to_a_trust_in_steps_and_the_shares_never_exceed_100_percent():
    """Tecido (0.4): the founder's 100% goes to 40%, 30% and then nothing while a trust
    takes 60%, 70% and 80%; on each date the shrinking stake is applied first."""
    run = run_file("v04-tecido.json")

    assert run.status == "done", run.errors
    assert run.counts["entities_new"] == 3
    shares = sorted(
        (edge.owner.name, edge.share, edge.start_date, edge.end_date)
        for edge in Ownership.objects.filter(interest="shareholding").select_related("owner")
    )
    assert shares == [
        ("Maria Esteves", Decimal(30), D(2022, 9, 21), D(2023, 2, 28)),
        ("Maria Esteves", Decimal(40), D(2021, 9, 24), D(2022, 9, 20)),
        ("Maria Esteves", Decimal(100), D(2002, 3, 9), D(2021, 9, 23)),
        ("Shear Trust", Decimal(60), D(2021, 9, 24), D(2022, 9, 20)),
        ("Shear Trust", Decimal(70), D(2022, 9, 21), D(2023, 2, 28)),
        ("Shear Trust", Decimal(80), D(2023, 3, 1), None),
    ]
    assert run_file("v04-tecido.json").counts["edges_unchanged"] == 15


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("v0*.json")))
def test_every_published_example_imports_and_a_second_import_changes_nothing(name):
    first = run_file(name)
    second = run_file(name)

    assert first.status == "done", first.errors
    assert first.counts["entities_new"] > 0
    assert second.status == "done", second.errors
    assert second.counts["entities_new"] == second.counts["edges_new"] == 0
    assert second.counts["edges_changed"] == second.counts["edges_ended"] == 0
    assert second.counts["events"] == 0
    assert second.counts["entities_matched"] == first.counts["entities_new"]
