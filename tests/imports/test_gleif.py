"""GLEIF Level 1 and Level 2 imports: LEI records, relationship records and reporting
exceptions, as XML and as the golden-copy CSV, plain or zipped, full and delta (DESIGN,
"Open ownership data")."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from imports.models import ImportRun, LeiRegistration
from imports.services import import_format_detect, import_run_create, import_run_execute
from registry import services
from registry.models import Entity, Ownership, OwnershipEvent
from tests.imports import gleif as g
from tests.imports.conftest import committed

pytestmark = pytest.mark.django_db

PARENT = g.make_lei("5493PARENT")
CHILD = g.make_lei("5493CHILD")
GRAND = g.make_lei("5493GRAND")
FUND = g.make_lei("5493FUND")
MANAGER = g.make_lei("5493MANAGER")

TODAY = datetime.date.today()


def run_gleif(path: Path, *, source_name: str = "GLEIF", dry_run: bool = False) -> ImportRun:
    """Import ``path`` as the command does, the format detected from the content."""
    with path.open("rb") as stream:
        file_format = import_format_detect(stream)
    with committed():
        run = import_run_create(
            source_name=source_name,
            file_name=path.name,
            format=file_format,
            dry_run=dry_run,
            enqueue=False,
        )
        import_run_execute(run=run, path=path)
    return ImportRun.objects.get(pk=run.pk)


@pytest.fixture
def write(tmp_path):
    def write(content: str | bytes, name: str) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


def group() -> list[g.Lei]:
    return [
        g.Lei(GRAND, "Grand Holdings plc", country="GB"),
        g.Lei(PARENT, "Parent Holdings Inc."),
        g.Lei(CHILD, "Child Operations LLC", country="DE"),
        g.Lei(FUND, "Example Sub-Fund", country="LU", category="FUND"),
        g.Lei(MANAGER, "Example Fund Manager S.A.", country="LU"),
    ]


def test_lei_records_create_entities_with_name_country_kind_and_statuses(write):
    run = run_gleif(write(g.lei_xml(group()), "lei.xml"))

    assert run.status == "done", run.errors
    assert run.format == "gleif-lei"
    assert run.counts["entities_new"] == 5
    child = Entity.objects.get(lei=CHILD)
    assert (child.name, child.country, child.kind) == ("Child Operations LLC", "DE", "company")
    assert Entity.objects.get(lei=FUND).kind == "fund"
    registration = LeiRegistration.objects.get(entity=child)
    assert (registration.entity_status, registration.registration_status) == ("ACTIVE", "ISSUED")
    assert registration.last_update == datetime.date(2024, 3, 1)
