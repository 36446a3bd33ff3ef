"""The other doors: the import_ownership and export_bods commands, the export endpoint, and
the admin upload page."""

import datetime
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from imports.models import ImportRun
from registry import services
from registry.choices import Interest
from registry.models import Entity, EntityIdentifier, Ownership
from tests.api.conftest import token_client
from tests.imports.conftest import DATA, committed, run_file

pytestmark = pytest.mark.django_db

REQUIRED_04 = {
    "statementId",
    "declarationSubject",
    "statementDate",
    "recordId",
    "recordType",
    "recordDetails",
    "publicationDetails",
}
D = datetime.date


def streamed(response) -> list[dict]:
    """The statements of a streamed export."""
    assert response["Content-Type"] == "application/json"
    return json.loads(b"".join(response.streaming_content))


def test_the_command_imports_a_file_and_prints_the_report():
    out, err = StringIO(), StringIO()

    with committed():
        call_command(
            "import_ownership",
            str(DATA / "v04-bods-package-fi-soe.json"),
            "--source-name",
            "YTJ",
            stdout=out,
            stderr=err,
        )

    report = out.getvalue()
    run = ImportRun.objects.get()
    assert (run.status, run.source_name, run.dry_run) == ("done", "YTJ", False)
    assert "entities new: 4" in report
    assert "edges new: 4" in report
    assert "indirect skipped: 1" in report
    assert Entity.objects.count() == 4


def test_the_command_dry_run_writes_nothing():
    with committed():
        call_command(
            "import_ownership", str(DATA / "v04-bods-package.json"), "--dry-run", stdout=StringIO()
        )

    assert ImportRun.objects.get().counts["entities_new"] == 2
    assert Entity.objects.count() == 0


def test_the_command_exits_with_status_1_and_the_error_on_bad_input(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"statementID": "x", "statementType": "entityStatement"}]')
    err = StringIO()

    with pytest.raises(CommandError) as failure, committed():
        call_command("import_ownership", str(bad), stdout=StringIO(), stderr=err)

    assert failure.value.returncode == 1
    assert "nothing was changed" in str(failure.value)
    assert "element 0 (line 1) (x), name: an entity needs a name." in err.getvalue()
    assert ImportRun.objects.get().status == "failed"


def test_the_command_refuses_a_missing_file():
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_ownership", "/nonexistent/file.json")


@pytest.fixture
def graph():
    """A small graph with what an export must carry: LEI, identifiers, an exact share, a
    range, a history (an ended edge and its successor) and a board seat."""
    meta = services.entity_create(name="Meta Platforms", country="US", lei="BQ4BKCS1HXDV9HN80Z93")
    scale = services.entity_create(
        name="Scale AI", country="US", identifiers=[("DUNS", "081234567")]
    )
    remotasks = services.entity_create(name="Remotasks", country="PH")
    ceo = services.entity_create(name="Alexandr Wang", kind="person", country="US")
    fund = services.entity_create(name="Accel Fund", kind="fund", country="US")
    services.ownership_set(
        owner=scale, owned=remotasks, share=Decimal(100), start_date=D(2020, 1, 1)
    )
    services.ownership_set(
        owner=fund,
        owned=scale,
        share=Decimal(30),
        start_date=D(2018, 1, 1),
        end_date=D(2025, 6, 12),
    )
    services.ownership_set(owner=fund, owned=scale, share=Decimal(15), start_date=D(2025, 6, 13))
    services.ownership_set(
        owner=meta,
        owned=scale,
        share_min=Decimal(25),
        share_max=Decimal(50),
        start_date=D(2025, 6, 13),
    )
    services.ownership_set(
        owner=ceo, owned=scale, interest=Interest.BOARD_MEMBER, start_date=D(2016, 6, 1)
    )
    services.ownership_set(
        owner=meta, owned=scale, interest=Interest.CONTROL, start_date=D(2025, 6, 13)
    )
    return {"meta": meta, "scale": scale, "remotasks": remotasks, "ceo": ceo, "fund": fund}


def snapshot() -> tuple[set, set]:
    entities = {
        (
            e.name,
            e.kind,
            e.country,
            e.lei,
            tuple(sorted((i.scheme, i.value) for i in e.identifiers.all())),
        )
        for e in Entity.objects.prefetch_related("identifiers")
    }
    edges = {
        (
            o.owner.name,
            o.owned.name,
            o.interest,
            o.share,
            o.share_min,
            o.share_max,
            o.start_date,
            o.end_date,
        )
        for o in Ownership.objects.select_related("owner", "owned")
    }
    return entities, edges


def test_an_export_imported_into_an_empty_registry_gives_back_the_same_graph(
    graph, superuser, tmp_path
):
    response = token_client(superuser).get("/api/v1/export/bods/")
    statements = streamed(response)
    before = snapshot()
    path = tmp_path / "export.json"
    path.write_text(json.dumps(statements))
    Ownership.objects.all().delete()
    EntityIdentifier.objects.all().delete()
    Entity.objects.all().delete()

    run = run_file(path, source_name="Round trip")

    assert response.status_code == 200
    assert len(statements) == 11  # 5 parties, 6 edges
    assert all(set(s) >= REQUIRED_04 for s in statements)
    assert {s["publicationDetails"]["bodsVersion"] for s in statements} == {"0.4"}
    assert run.status == "done", run.errors
    assert run.counts["entities_new"] == 5
    assert run.counts["edges_new"] == 6
    assert snapshot() == before


def test_the_export_of_an_entity_holds_it_and_everything_above_it(graph, superuser):
    response = token_client(superuser).get(f"/api/v1/export/bods/?entity={graph['scale'].pk}")

    statements = streamed(response)
    records = {s["recordId"] for s in statements if s["recordType"] != "relationship"}
    assert records == {f"entity-{graph[name].pk}" for name in ("scale", "meta", "ceo", "fund")}
    relationships = [s for s in statements if s["recordType"] == "relationship"]
    assert len(relationships) == 5  # Remotasks is below Scale AI: its edge stays out


def test_the_export_answers_400_and_404_for_a_bad_entity(superuser, viewer):
    client = token_client(superuser)

    assert client.get("/api/v1/export/bods/?entity=abc").status_code == 400
    assert client.get("/api/v1/export/bods/?entity=999999").status_code == 404
    assert token_client(viewer).get("/api/v1/export/bods/").status_code == 200
    assert token_client(None).get("/api/v1/export/bods/").status_code == 401


def test_the_export_command_writes_the_same_statements(graph, tmp_path):
    out = tmp_path / "out.json"

    call_command("export_bods", str(out), "--entity", str(graph["remotasks"].pk), stdout=StringIO())

    statements = json.loads(out.read_text())
    assert len(statements) == 11  # Remotasks and the 4 parties above it, and their 6 edges
    assert all(set(s) >= REQUIRED_04 for s in statements)


def test_the_admin_upload_page_imports_the_file_and_shows_the_run(client, analyst):
    analyst.is_staff = True
    analyst.save(update_fields=["is_staff"])
    client.force_login(analyst)
    upload = SimpleUploadedFile(
        "psc.json", (DATA / "v04-bods-package.json").read_bytes(), "application/json"
    )

    with committed():
        response = client.post(
            "/admin/imports/importrun/add/",
            {"upload": upload, "source_name": "PSC", "format": "", "dry_run": ""},
        )

    run = ImportRun.objects.get()
    assert response.status_code == 302, response.content
    assert (run.status, run.source_name, run.created_by) == ("done", "PSC", analyst)
    page = client.get(f"/admin/imports/importrun/{run.pk}/change/")
    assert page.status_code == 200
    assert b"edges_new" in page.content
    assert client.get("/admin/imports/importrun/").status_code == 200


def _bods_validation(path) -> tuple[list[dict], list[dict]]:
    """The standard's own validator on a file: its schema errors and the findings of its
    additional checks for 0.4 (offline: not the two that download the list of identifier
    schemes; the legacy one is meant for files before 0.4 but claims 0.4 too)."""
    from libcovebods.config import LibCoveBODSConfig
    from libcovebods.data_reader import DataReader
    from libcovebods.jsonschemavalidate import JSONSchemaValidator
    from libcovebods.run_tasks import TASK_CLASSES, process_additional_checks
    from libcovebods.schema import SchemaBODS
    from libcovebods.tasks.checks.legacy_checks import LegacyChecks
    from libcovebods.tasks.checks.record_based_checks import (
        CheckStatementEntityIdentifiersHaveKnownScheme,
    )

    config = LibCoveBODSConfig()
    reader = DataReader(str(path))
    schema = SchemaBODS(reader, config)
    assert (schema.schema_version, schema.schema_error) == ("0.4", None)
    errors = [error.json() for error in JSONSchemaValidator(schema).validate(reader)]
    online = {LegacyChecks, CheckStatementEntityIdentifiersHaveKnownScheme}
    offline = [task for task in TASK_CLASSES if task not in online]
    checks = process_additional_checks(reader, config, schema, task_classes=offline)
    return errors, checks["additional_checks"]


def test_the_export_validates_with_the_standards_own_validator(graph, superuser, tmp_path):
    statements = streamed(token_client(superuser).get("/api/v1/export/bods/"))
    path = tmp_path / "export.json"
    path.write_text(json.dumps(statements))

    errors, findings = _bods_validation(path)

    assert [(e["path"], e["message"]) for e in errors] == [], errors
    assert findings == []
    assert len(statements) == 11


def test_the_validator_used_above_does_find_errors(graph, superuser, tmp_path):
    """The check above can fail: a statement without its recordId and with a share of 150
    is refused by the same validator."""
    statements = streamed(token_client(superuser).get("/api/v1/export/bods/"))
    del statements[0]["recordId"]
    relationship = next(s for s in statements if s["recordType"] == "relationship")
    relationship["recordDetails"]["interests"][0]["share"] = {"exact": 150}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(statements))

    errors, _ = _bods_validation(path)

    messages = {(tuple(e["path"]), e["validator"]) for e in errors}
    assert ((0,), "required") in messages
    assert any(v == "maximum" for _, v in messages), messages


def test_the_command_counts_the_records_it_has_read_and_their_rate(tmp_path):
    # 2,500 entity statements: the progress bar hears the count at 1,000 and at 2,000.
    path = tmp_path / "entities.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(
                {"statementID": f"e{i}", "statementType": "entityStatement", "name": f"E{i}"}
            )
            for i in range(2500)
        )
    )
    out, err = StringIO(), StringIO()

    with committed():
        call_command("import_ownership", str(path), "--format", "bods", stdout=out, stderr=err)

    assert "entities new: 2500" in out.getvalue()
    assert "2,000 records" in err.getvalue()
    assert "records/s" in err.getvalue()
