"""``POST/GET /api/v1/imports/``: who may import, the answer's shape, and no 500 for any
upload."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports.models import ImportRun
from imports.services import import_run_create
from registry.models import Entity, Ownership
from tests.api.conftest import token_client
from tests.imports.conftest import DATA, committed

pytestmark = pytest.mark.django_db

RUN_FIELDS = {
    "id",
    "source_name",
    "format",
    "status",
    "dry_run",
    "counts",
    "errors",
    "warnings",
    "affected_vendors",
    "started_at",
    "finished_at",
}
COUNT_FIELDS = {
    "entities_new",
    "entities_matched",
    "edges_new",
    "edges_changed",
    "edges_ended",
    "edges_unchanged",
    "indirect_skipped",
    "events",
}


def upload(client, content: bytes, name: str = "statements.json", **fields):
    body = {"file": SimpleUploadedFile(name, content, "application/json"), **fields}
    with committed():
        response = client.post("/api/v1/imports/", body, format="multipart")
    body = response.json()
    if response.status_code == 202:
        assert body["status"] == "queued"
        # The answer was made before the in-process task ran: read the run as it is now.
        body = client.get(f"/api/v1/imports/{body['id']}/").json()
    return response.status_code, body


def fixture_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_an_analyst_uploads_a_file_and_gets_202_with_the_finished_run(analyst):
    status, body = upload(
        token_client(analyst), fixture_bytes("v04-bods-package-fi-soe.json"), source_name="YTJ"
    )

    assert status == 202, body
    assert set(body) == RUN_FIELDS
    assert set(body["counts"]) == COUNT_FIELDS
    assert body["status"] == "done"
    assert body["source_name"] == "YTJ"
    assert body["format"] == "bods"
    assert body["dry_run"] is False
    assert body["counts"]["entities_new"] == 4
    assert body["counts"]["edges_new"] == 4
    assert body["counts"]["indirect_skipped"] == 1
    assert body["errors"] == []
    run = ImportRun.objects.get(pk=body["id"])
    assert run.created_by == analyst
    assert run.file_name == "statements.json"
    assert len(run.sha256) == 64
    assert Entity.objects.count() == 4


def test_list_and_detail_carry_exactly_the_contract_fields(analyst):
    client = token_client(analyst)
    _, created = upload(client, fixture_bytes("v04-bods-package.json"), source_name="PSC")

    listing = client.get("/api/v1/imports/").json()
    detail = client.get(f"/api/v1/imports/{created['id']}/").json()

    assert set(listing) == {"count", "next", "previous", "results"}
    assert listing["count"] == 1
    assert set(listing["results"][0]) == RUN_FIELDS
    assert detail == listing["results"][0] == created


@pytest.mark.parametrize("role", ["viewer", "buyer"])
def test_other_roles_read_runs_but_may_not_start_one(role, request, analyst):
    _, run = upload(
        token_client(analyst), fixture_bytes("v04-bods-package.json"), source_name="PSC"
    )
    client = token_client(request.getfixturevalue(role))

    status, refused = upload(client, fixture_bytes("v04-bods-package-fi-soe.json"))
    listing = client.get("/api/v1/imports/")
    detail = client.get(f"/api/v1/imports/{run['id']}/")

    assert status == 403, refused
    assert ImportRun.objects.count() == 1
    # Only the analyst's file was imported: two entities, not the refused file's four more.
    assert Entity.objects.count() == 2
    assert listing.status_code == 200
    assert listing.json()["count"] == 1
    assert [r["id"] for r in listing.json()["results"]] == [run["id"]]
    assert detail.status_code == 200
    assert detail.json() == run


def test_a_superuser_may_import(superuser):
    status, body = upload(token_client(superuser), fixture_bytes("v04-bods-package.json"))

    assert status == 202
    # Without a source name the file's name stands for it.
    assert body["source_name"] == "statements"


def test_anonymous_gets_401():
    assert token_client(None).get("/api/v1/imports/").status_code == 401


def test_a_dry_run_upload_reports_and_writes_nothing(analyst):
    status, body = upload(
        token_client(analyst), fixture_bytes("v04-bods-package.json"), dry_run="true"
    )

    assert status == 202
    assert body["dry_run"] is True
    assert body["counts"]["entities_new"] == 2
    assert body["counts"]["edges_new"] == 1
    assert Entity.objects.count() == Ownership.objects.count() == 0


def test_a_bad_file_is_a_failed_run_naming_the_line_never_a_500(analyst):
    good = {"statementID": "a", "statementType": "entityStatement", "name": "A Ltd"}
    status, body = upload(token_client(analyst), json.dumps(good).encode() + b'\n{"name": \n')

    assert status == 202
    assert body["status"] == "failed"
    assert body["errors"] == [
        {
            "record": "line 2",
            "field": "(file)",
            "message": "invalid JSON at line 3, column 1: Expecting value.",
        }
    ]
    assert "invalid JSON" in body["errors"][0]["message"]
    assert Entity.objects.count() == 0


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b"[" * 100_000,
        b"[1, 2, 3]",
        json.dumps([{"statementType": "entityStatement"}]).encode(),
        b"not json at all",
        '[{"statementID": "\u00e9"}]'.encode("latin-1"),
    ],
)
def test_no_upload_is_ever_a_500(analyst, content):
    status, body = upload(token_client(analyst), content)

    assert status in (202, 400), body
    if status == 202:
        assert body["status"] == "failed"
        assert body["errors"]


def test_missing_file_and_unknown_format_are_400_at_the_field(analyst):
    client = token_client(analyst)

    missing = client.post("/api/v1/imports/", {"source_name": "X"}, format="multipart")
    status, wrong = upload(client, b"[]", format="gleif-xml")

    assert missing.status_code == 400
    assert set(missing.json()) == {"file"}
    assert status == 400
    assert set(wrong) == {"format"}


def test_the_run_list_reads_in_queries_that_do_not_grow_with_runs(
    analyst, django_assert_max_num_queries
):
    client = token_client(analyst)
    client.get("/api/v1/imports/")  # the token's user and permissions are cached after this
    import_run_create(source_name="S", enqueue=False)
    with django_assert_max_num_queries(6) as one:
        client.get("/api/v1/imports/")
    for _ in range(5):
        import_run_create(source_name="S", enqueue=False)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get("/api/v1/imports/")

    assert response.json()["count"] == 6


def test_an_ftm_upload_without_a_format_is_detected_and_imported(analyst):
    lines = [
        {"id": "a", "schema": "Company", "properties": {"name": ["Owner Co"]}, "datasets": []},
        {"id": "b", "schema": "Company", "properties": {"name": ["Owned Co"]}, "datasets": []},
        {
            "id": "o",
            "schema": "Ownership",
            "properties": {"owner": ["a"], "asset": ["b"], "percentage": ["25-50"]},
        },
    ]
    content = "\n".join(json.dumps(line) for line in lines).encode()

    status, body = upload(token_client(analyst), content, "entities.ftm.json", source_name="OS")

    assert status == 202, body
    assert (body["format"], body["status"]) == ("ftm", "done")
    assert (body["counts"]["entities_new"], body["counts"]["edges_new"]) == (2, 1)
    edge = Ownership.objects.get()
    assert (edge.share_min, edge.share_max) == (25, 50)


@pytest.mark.parametrize(
    "size",
    [
        120_000,  # within the body's allowance beside the file: stopped as it arrives
        1_000_000,  # the declared length is too large: refused before the body is read
    ],
)
def test_a_file_over_the_limit_is_413_at_file_and_no_run(analyst, settings, size):
    settings.IMPORT_UPLOAD_MAX_BYTES = 100_000
    content = b"[" + b" " * (size - 2) + b"]"

    status, body = upload(token_client(analyst), content, format="bods")

    assert status == 413
    assert body == {"file": ["The file is larger than 100000 bytes, the most an upload may be."]}
    assert ImportRun.objects.count() == 0


def test_a_file_just_under_the_limit_is_taken(analyst, settings):
    settings.IMPORT_UPLOAD_MAX_BYTES = 100_000
    statements = json.dumps([{"statementID": "a", "statementType": "entityStatement", "name": "A"}])
    content = statements.encode().ljust(100_000)

    status, body = upload(token_client(analyst), content, format="bods")

    assert status == 202, body
    assert body["status"] == "done", body["errors"]
