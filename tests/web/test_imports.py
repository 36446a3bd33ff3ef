"""The import pages: every role sees the runs and their reports; Risk analysts and
superusers upload a file there, through the same service as the API."""

import json
import re
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from imports.models import ImportRun
from imports.services import import_run_create
from registry import services
from registry.models import Entity, Ownership, OwnershipEvent
from tests.imports import bods
from tests.imports.conftest import committed, run_file
from tests.pipeline.scenario import build_reference_registry

pytestmark = pytest.mark.django_db

META_LEI = "BQ4BKCS1HXDV9HN80Z93"


@pytest.fixture
def ref():
    """The reference registry before its events, with Meta's LEI and Scale AI's DUNS number
    on record so that a file's parties match them."""
    with committed():
        ref = build_reference_registry()
        services.entity_update(entity=ref.meta, lei=META_LEI)
        services.entity_update(entity=ref.scale, identifiers=[("DUNS", "081234567")])
    return ref


def meta_buys_49_percent_of_scale() -> bytes:
    return json.dumps(
        [
            bods.entity("meta", "Meta Platforms, Inc.", identifiers=[("XI-LEI", META_LEI)]),
            bods.entity("scale", "Scale AI, Inc.", identifiers=[("duns", "081234567")]),
            bods.stake("meta-scale", "scale", "meta", share=49, start="2025-06-13"),
        ]
    ).encode()


def token_of(client) -> str:
    html = client.get("/imports/").content.decode()
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def post_upload(client, content: bytes, *, token: str = "", **fields):
    body = {
        "file": SimpleUploadedFile("psc.json", content, "application/json"),
        "token": token,
        **fields,
    }
    with committed():
        return client.post("/imports/", body)


def rows_of(html: str, table_id: str) -> list[list[str]]:
    table = html.split(f'<table id="{table_id}">')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    return [
        [
            " ".join(re.sub(r"<[^>]+>", "", cell).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in body.split("<tr>")[1:]
    ]


def test_an_analyst_sees_the_upload_form_and_the_link_in_the_navigation(analyst_client):
    html = analyst_client.get("/imports/").content.decode()

    assert '<a href="/imports/" aria-current="page">Imports</a>' in html
    assert 'enctype="multipart/form-data"' in html
    assert 'name="file"' in html and 'name="source_name"' in html
    assert 'name="dry_run"' in html
    assert '<option value="" selected>Detect from the content</option>' in html
    assert "No file has been imported yet." in html


def test_an_analyst_uploads_a_file_and_lands_on_the_finished_run(analyst, analyst_client, ref):
    response = post_upload(
        analyst_client,
        meta_buys_49_percent_of_scale(),
        token=token_of(analyst_client),
        source_name="UK PSC",
    )

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{run.pk}/"
    assert (run.status, run.source_name, run.format, run.dry_run) == (
        "done",
        "UK PSC",
        "bods",
        False,
    )
    assert run.created_by == analyst
    assert run.file_name == "psc.json"
    edge = Ownership.objects.get(owner=ref.meta, owned=ref.scale)
    assert edge.share == 49
    assert OwnershipEvent.objects.get().import_run == run

    listing = analyst_client.get("/imports/").content.decode()
    [row] = rows_of(listing, "import-table")
    assert row == [
        f"#{run.pk}",
        "UK PSC",
        "bods",
        "psc.json",
        "Done",
        "0 / 2",
        "1 / 0 / 0",
        "1",
        "analyst",
        run.started_at.strftime("%Y-%m-%d %H:%M"),
        run.finished_at.strftime("%Y-%m-%d %H:%M"),
    ]


def test_the_report_shows_the_affected_vendors_linked_with_levels_before_and_after(
    viewer_client, ref
):
    run = run_file_bytes(meta_buys_49_percent_of_scale())

    html = viewer_client.get(f"/imports/{run.pk}/").content.decode()

    assert rows_of(html, "run-affected") == [
        ["Scale AI", "Low", "→", "Critical ▲ rises"],
        ["Remotasks", "Low", "→", "High ▲ rises"],
    ]
    assert f'<a href="/vendors/{ref.scale_vendor.pk}/">Scale AI</a>' in html
    assert f'<a href="/vendors/{ref.remotasks_vendor.pk}/">Remotasks</a>' in html
    counts = dict(
        (label, int(n))
        for label, n in re.findall(r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td>', html)
    )
    assert counts == {
        "Entities new": 0,
        "Entities matched": 2,
        "Edges new": 1,
        "Edges changed": 0,
        "Edges ended": 0,
        "Edges unchanged": 0,
        "Indirect skipped": 0,
        "Events": 1,
    }
    event = OwnershipEvent.objects.get()
    assert f'<a href="/events/{event.pk}/">Acquisition of Scale AI</a>' in html
    # Two risk rises named by the run and the Scale contract's change-of-control review.
    alerts = html.split('<ul id="run-alerts">')[1].split("</ul>")[0]
    titles = re.findall(r'<a href="/alerts/\d+/">([^<]+)</a>', alerts)
    # Critical first; each vendor's rise names the run; the Scale contract gets its review.
    assert titles[0] == (
        f"Scale AI: risk rose from low to critical after import run #{run.pk} (Test register)"
    )
    assert sorted(titles[1:]) == [
        "Change of control at Scale AI: review SCALE-2024-001 (Scale AI) — termination "
        "window ends 2025-07-13",
        "Remotasks: Meta Platforms now has a look-through share in it",
        f"Remotasks: risk rose from low to high after import run #{run.pk} (Test register)",
        "Scale AI: Meta Platforms now has a look-through share in it",
    ]
    assert "2 vendors rechecked, 5 alerts raised" in html


def test_a_dry_run_from_the_page_reports_the_projection_and_writes_nothing(analyst_client, ref):
    before = (Entity.objects.count(), Ownership.objects.count())

    response = post_upload(
        analyst_client,
        meta_buys_49_percent_of_scale(),
        token=token_of(analyst_client),
        dry_run="on",
    )

    run = ImportRun.objects.get()
    assert run.dry_run is True and run.status == "done"
    # Without a source name, the file's name stands for it, as in the API.
    assert run.source_name == "psc"
    assert (Entity.objects.count(), Ownership.objects.count()) == before
    assert OwnershipEvent.objects.count() == 0
    html = analyst_client.get(response["Location"]).content.decode()
    assert "Dry run done" in html
    assert '<th scope="col">Projected</th>' in html
    assert rows_of(html, "run-affected")[0] == ["Scale AI", "Low", "→", "Critical ▲ rises"]
    assert "A dry run raises no alert." in html
    assert "Events it would log" in html


def test_a_failed_run_shows_each_error_with_its_record_and_field(viewer_client):
    statements = [
        bods.entity("a", "A Ltd"),
        bods.entity("b", "B Ltd"),
        bods.stake("ab", "a", "b", share=150),
    ]
    run = run_file_bytes(json.dumps(statements).encode())

    html = viewer_client.get(f"/imports/{run.pk}/").content.decode()

    assert run.status == "failed"
    assert "nothing was changed. 1 error below." in html
    [[record, field, message]] = rows_of(html, "run-errors")
    assert record == "element 2 (line 1) (ab-2025-06-20-new)"
    assert field == "recordDetails.interests[0].share.exact"
    assert message == "150 is not a share: a share runs from 0 to 100 percent."
    assert "Affected vendors" not in html
    assert Entity.objects.count() == 0


def test_a_queued_run_polls_until_its_report_is_there(viewer_client):
    run = import_run_create(source_name="S", enqueue=False)

    html = viewer_client.get(f"/imports/{run.pk}/").content.decode()

    assert "Queued…" in html
    assert f'hx-get="/imports/{run.pk}/" hx-trigger="every 2s"' in html


@pytest.mark.parametrize("role", ["viewer", "buyer"])
def test_viewers_and_procurement_see_the_runs_but_no_upload_and_a_post_is_403(role, request, ref):
    run = run_file_bytes(meta_buys_49_percent_of_scale())
    client = request.getfixturevalue(f"{role}_client")

    html = client.get("/imports/").content.decode()
    refused = post_upload(client, meta_buys_49_percent_of_scale())

    assert f'href="/imports/{run.pk}/"' in html
    assert "Import a file" not in html
    assert 'name="file"' not in html and '<form method="post" enctype' not in html
    assert client.get(f"/imports/{run.pk}/").status_code == 200
    assert refused.status_code == 403
    assert ImportRun.objects.count() == 1


def test_anonymous_is_sent_to_sign_in_and_starts_nothing(client):
    run = import_run_create(source_name="S", enqueue=False)

    pages = [client.get("/imports/"), client.get(f"/imports/{run.pk}/")]
    posted = post_upload(client, b"[]")

    for response in [*pages, posted]:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/imports/")
    assert ImportRun.objects.count() == 1


def test_a_superuser_may_upload(superuser, client):
    client.force_login(superuser)

    response = post_upload(
        client, json.dumps([bods.entity("a", "A Ltd")]).encode(), token=token_of(client)
    )

    assert response.status_code == 302
    assert ImportRun.objects.get().counts["entities_new"] == 1


def test_bad_uploads_are_shown_at_their_field_and_start_nothing(analyst_client):
    token = token_of(analyst_client)
    no_file = analyst_client.post("/imports/", {"source_name": "X", "token": token})
    not_json = post_upload(analyst_client, b"PK\x03\x04 not a json file", token=token)
    wrong_format = post_upload(analyst_client, b"[]", token=token, format="gleif-xml")

    assert no_file.status_code == not_json.status_code == wrong_format.status_code == 200
    assert re.search(r'id="id_file_error"><li>This field is required', no_file.content.decode())
    assert "The file&#x27;s format is not recognised" in not_json.content.decode()
    assert re.search(
        r'id="id_format_error"><li>Select a valid choice', wrong_format.content.decode()
    )
    assert ImportRun.objects.count() == 0


def test_a_double_submit_starts_one_run(analyst_client):
    token = token_of(analyst_client)
    content = json.dumps([bods.entity("a", "A Ltd")]).encode()

    first = post_upload(analyst_client, content, token=token)
    second = post_upload(analyst_client, content, token=token)

    assert first["Location"] == second["Location"]
    assert ImportRun.objects.count() == 1


def test_the_run_list_reads_in_queries_that_do_not_grow_with_runs(
    analyst, viewer_client, django_assert_num_queries
):
    for _ in range(2):
        import_run_create(source_name="S", enqueue=False, actor=analyst)
    viewer_client.get("/imports/")  # the session and the user are read once before
    with CaptureQueriesContext(connection) as two:
        viewer_client.get("/imports/")
    for _ in range(8):
        import_run_create(source_name="S", enqueue=False, actor=analyst)
    with django_assert_num_queries(len(two.captured_queries)):
        html = viewer_client.get("/imports/").content.decode()

    assert len(rows_of(html, "import-table")) == 10
    assert html.count("<td>analyst</td>") == 10


def run_file_bytes(content: bytes, **kwargs) -> ImportRun:
    """Import ``content`` as the command does, the run's recheck done before it returns."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "statements.json"
        path.write_bytes(content)
        return run_file(path, **kwargs)


def test_the_walk_through_of_the_imports_guide(analyst_client, ref):
    """docs/imports.md, "A walk-through", step by step through the page."""
    parties = [
        bods.entity("meta", "Meta Platforms, Inc.", identifiers=[("XI-LEI", META_LEI)]),
        bods.entity("scale", "Scale AI, Inc.", identifiers=[("duns", "081234567")]),
    ]
    stake = bods.stake("meta-scale", "scale", "meta", share=49, start="2025-06-13")

    def upload(statements, **fields) -> ImportRun:
        token = token_of(analyst_client)
        content = json.dumps(statements).encode()
        response = post_upload(
            analyst_client, content, token=token, source_name="UK PSC register", **fields
        )
        return ImportRun.objects.get(pk=int(response["Location"].strip("/").split("/")[-1]))

    first = upload(parties)
    dry = upload([*parties, stake], dry_run="on")
    applied = upload([*parties, stake])
    again = upload([*parties, stake])

    assert (first.counts["entities_matched"], first.counts["entities_new"]) == (2, 0)
    assert first.counts["edges_new"] == 0
    assert (dry.counts["edges_new"], dry.counts["events"]) == (1, 1)
    assert [(e["kind"], e["share"], e["effective_date"]) for e in dry.events] == [
        ("acquisition", "49", "2025-06-13")
    ]
    levels = [
        (r["vendor_name"], r["current_level"], r["projected_level"]) for r in dry.affected_vendors
    ]
    assert levels == [("Scale AI", "low", "critical"), ("Remotasks", "low", "high")]
    assert applied.counts == dry.counts
    assert [
        (r["vendor_name"], r["current_level"], r["projected_level"])
        for r in applied.affected_vendors
    ] == levels
    html = analyst_client.get(f"/imports/{applied.pk}/").content.decode()
    assert "termination window ends 2025-07-13" in html
    assert (again.counts["edges_unchanged"], again.counts["events"]) == (1, 0)
    assert "0 alerts raised" in analyst_client.get(f"/imports/{again.pk}/").content.decode()
