"""Provenance: every entity and edge an import writes names the run and the record it came
from, read-only, in the API (``source``), the admin and the vendor page's graph table."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from imports.models import ImportRun
from registry import services
from registry.models import Entity, Ownership
from tests.api.conftest import token_client
from tests.imports import bods
from tests.imports.conftest import committed, run_file
from tests.pipeline.scenario import DEAL_DATE, build_reference_registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def ref():
    """The reference registry, Scale AI with its DUNS number, every vendor assessed."""
    with committed():
        ref = build_reference_registry()
        services.entity_update(entity=ref.scale, identifiers=[("DUNS", "081234567")])
    return ref


@pytest.fixture
def imported(ref, write_json) -> ImportRun:
    """A register says a new company, Northwind Capital, holds 12% of Scale AI."""
    return run_file(
        write_json(
            [
                bods.entity("northwind", "Northwind Capital", country="GB"),
                bods.entity("scale", "Scale AI, Inc.", identifiers=[("DUNS", "081234567")]),
                bods.stake("northwind-scale", "scale", "northwind", share=12),
            ]
        ),
        source_name="UK PSC",
    )


def test_the_api_names_the_run_and_record_of_imported_entities_and_edges(analyst, ref, imported):
    client = token_client(analyst)
    northwind = Entity.objects.get(name="Northwind Capital")
    edge = Ownership.objects.get(owner=northwind)

    entity = client.get(f"/api/v1/entities/{northwind.pk}/").json()
    matched = client.get(f"/api/v1/entities/{ref.scale.pk}/").json()
    ownership = client.get(f"/api/v1/ownerships/{edge.pk}/").json()
    by_hand = client.get(f"/api/v1/ownerships/?owned={ref.remotasks.pk}").json()["results"]

    assert imported.status == "done", imported.errors
    assert entity["source"] == {"kind": "import", "id": imported.pk, "record": "northwind"}
    assert ownership["source"] == {"kind": "import", "id": imported.pk, "record": "northwind-scale"}
    assert ownership["share"] == "12.0000"
    # A matched entity keeps the provenance it had: it was typed in, not imported.
    assert matched["source"] == {"kind": "user", "id": None, "record": None}
    assert [row["source"] for row in by_hand] == [{"kind": "user", "id": None, "record": None}]


def test_an_edge_an_event_wrote_names_the_event(analyst, ref):
    with committed():
        event = services.ownership_event_log(
            kind="acquisition",
            subject=ref.scale,
            counterparty=ref.meta,
            share=49,
            effective_date=DEAL_DATE,
        )
    edge = Ownership.objects.get(owner=ref.meta, owned=ref.scale, end_date__isnull=True)

    body = token_client(analyst).get(f"/api/v1/ownerships/{edge.pk}/").json()

    assert body["source"] == {"kind": "event", "id": event.pk, "record": None}


def test_source_is_read_only_and_a_hand_edit_of_an_imported_edge_is_by_hand(analyst, ref, imported):
    client = token_client(analyst)
    forged = {"kind": "import", "id": imported.pk, "record": "forged"}
    edge = Ownership.objects.get(import_run=imported)

    created = client.post(
        "/api/v1/ownerships/",
        {
            "owner": ref.meta.pk,
            "owned": ref.remotasks.pk,
            "interest": "board_member",
            "start_date": "2025-01-01",
            "source": forged,
        },
        format="json",
    )
    edited = client.patch(
        f"/api/v1/ownerships/{edge.pk}/", {"share": "13", "source": forged}, format="json"
    )

    by_hand = {"kind": "user", "id": None, "record": None}
    assert created.status_code == 201, created.json()
    assert created.json()["source"] == by_hand
    assert Ownership.objects.get(pk=created.json()["id"]).import_run is None
    # Same start date, new share: the registry's own record replaces the published one.
    assert edited.status_code == 200, edited.json()
    assert (edited.json()["share"], edited.json()["source"]) == ("13.0000", by_hand)
    assert Ownership.objects.filter(import_record="forged").count() == 0


def test_the_admin_lists_and_shows_the_import_an_edge_and_an_entity_came_from(
    client, superuser, imported
):
    client.force_login(superuser)
    northwind = Entity.objects.get(name="Northwind Capital")
    edge = Ownership.objects.get(import_run=imported)
    run_link = f'<a href="/admin/imports/importrun/{imported.pk}/change/">'

    edges = client.get("/admin/registry/ownership/?source=import").content.decode()
    edge_page = client.get(f"/admin/registry/ownership/{edge.pk}/change/").content.decode()
    entities = client.get("/admin/registry/entity/?q=Northwind").content.decode()
    entity_page = client.get(f"/admin/registry/entity/{northwind.pk}/change/").content.decode()

    label = f"Import #{imported.pk} (UK PSC), record "
    assert f"{run_link}{label}northwind-scale</a>" in edges
    assert edges.count(run_link) == 1
    assert f"{run_link}{label}northwind-scale</a>" in edge_page
    assert f"{run_link}{label}northwind</a>" in entities
    assert f"{run_link}{label}northwind</a>" in entity_page


def test_the_vendor_graph_table_links_each_edge_to_the_run_that_wrote_it(
    client, viewer, ref, imported
):
    client.force_login(viewer)

    html = client.get(f"/vendors/{ref.scale_vendor.pk}/").content.decode()

    table = html.split("The graph as a table")[1].split("</table>")[0]
    assert '<th scope="col">Source</th>' in table
    assert (
        f'<a href="/imports/{imported.pk}/">Import #{imported.pk} (UK PSC)</a> '
        '<span class="muted">record northwind-scale</span>'
    ) in table
    # The reference registry's own edges were typed in.
    assert '<span class="muted">By hand</span>' in table


@pytest.fixture
def meta_stake_imported(ref, write_json) -> ImportRun:
    """The same register says Meta Platforms (LEI on record) holds 49% of Scale AI: a stake
    between two parties already in the registry, so the run logs it as an acquisition."""
    services.entity_update(entity=ref.meta, lei="BQ4BKCS1HXDV9HN80Z93")
    return run_file(
        write_json(
            [
                bods.entity("meta", "Meta", identifiers=[("XI-LEI", "BQ4BKCS1HXDV9HN80Z93")]),
                bods.entity("scale", "Scale AI, Inc.", identifiers=[("DUNS", "081234567")]),
                bods.stake("meta-scale", "scale", "meta", share=49),
            ]
        ),
        source_name="UK PSC",
    )


def test_an_edge_an_imported_event_wrote_names_the_event_and_its_run(
    client, superuser, analyst, ref, meta_stake_imported
):
    run = meta_stake_imported
    edge = Ownership.objects.get(owner=ref.meta, owned=ref.scale)
    event = edge.source_event
    client.force_login(superuser)

    api = token_client(analyst).get(f"/api/v1/ownerships/{edge.pk}/").json()
    vendor_page = client.get(f"/vendors/{ref.scale_vendor.pk}/").content.decode()
    admin_list = client.get("/admin/registry/ownership/?source=import").content.decode()
    by_hand_list = client.get("/admin/registry/ownership/?source=direct").content.decode()

    assert event.import_run == run
    assert api["source"] == {"kind": "event", "id": event.pk, "record": None}
    assert (
        f'<a href="/events/{event.pk}/">Event #{event.pk}</a> of '
        f'<a href="/imports/{run.pk}/">import #{run.pk} (UK PSC)</a>'
    ) in vendor_page
    assert (
        f'<a href="/admin/registry/ownershipevent/{event.pk}/change/">Event #{event.pk}</a> of '
        f'<a href="/admin/imports/importrun/{run.pk}/change/">import #{run.pk} (UK PSC)</a>'
    ) in admin_list
    assert f"/admin/registry/ownership/{edge.pk}/change/" not in by_hand_list


def test_the_vendor_page_reads_the_sources_with_the_edges(
    client, viewer, ref, meta_stake_imported, imported
):
    """Edges typed in, written by an import and written by an imported event: their runs are
    joined to the edges, never read one by one."""
    client.force_login(viewer)
    client.get(f"/vendors/{ref.remotasks_vendor.pk}/")
    with CaptureQueriesContext(connection) as queries:
        html = client.get(f"/vendors/{ref.remotasks_vendor.pk}/").content.decode()

    table = html.split("The graph as a table")[1].split("</table>")[0]
    rows = table.split("<tbody>")[1].count("<tr>")
    runs_alone = [
        q["sql"] for q in queries.captured_queries if 'FROM "imports_importrun"' in q["sql"]
    ]
    assert rows == 4, table
    assert table.count(f'href="/imports/{imported.pk}/"') == 1
    assert table.count(f'href="/imports/{meta_stake_imported.pk}/"') == 1
    assert runs_alone == []
