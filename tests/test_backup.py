"""A backup restored into an empty database is the same registry: the same counts, the same
risk of a vendor, the same audit history, the same media files (PostgreSQL, pg_dump and
pg_restore; skipped on a bare machine, failed in CI when missing)."""

import json
import shutil
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.backups import MANIFEST, Target, registry_census
from tests.conftest import require_service
from tests.pipeline.scenario import build_reference_registry, log_reference_events

pytestmark = pytest.mark.django_db(transaction=True)


def _postgres_with_client_programs() -> None:
    require_service(
        connection.vendor == "postgresql"
        and shutil.which("pg_dump") is not None
        and shutil.which("pg_restore") is not None,
        "PostgreSQL (DATABASE_URL) with pg_dump and pg_restore",
    )


@pytest.fixture
def empty_database():
    """A new, empty database on the test server, dropped afterwards."""
    _postgres_with_client_programs()
    source = Target.from_settings()
    name = f"{source.name}_restored_{uuid.uuid4().hex[:6]}"
    with source.connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield source.with_name(name)
    with source.connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rows(target: Target, sql: str, *params) -> list[tuple]:
    with target.connect() as conn:
        return conn.execute(sql, params).fetchall()


VENDOR_RISK = """SELECT v.risk_level, v.risk_score FROM registry_vendor v
    JOIN registry_entity e ON e.id = v.entity_id WHERE e.name = %s"""
VENDOR_HISTORY = """SELECT h.history_type, h.tier, h.data_access, u.username
    FROM registry_historicalvendor h JOIN registry_entity e ON e.id = h.entity_id
    LEFT JOIN auth_user u ON u.id = h.history_user_id
    WHERE e.name = %s ORDER BY h.history_id"""
ALERTS = "SELECT kind, severity, dedup_key FROM alerts_alert ORDER BY dedup_key"


def test_a_backup_restored_into_an_empty_database_is_the_same_registry(
    empty_database, tmp_path, settings, django_user_model
):
    analyst = django_user_model.objects.create_user(username="ana")
    ref = build_reference_registry()
    ref.scale_vendor._history_user = analyst
    ref.scale_vendor.tier = 2
    ref.scale_vendor.save()
    log_reference_events(ref)
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "imports").mkdir(parents=True)
    (tmp_path / "media" / "imports" / "gleif-delta.csv").write_text("LEI,Name\n")
    source = Target.from_settings()

    call_command("backup_registry", str(tmp_path / "backup"))
    manifest = json.loads((tmp_path / "backup" / MANIFEST).read_text())
    settings.MEDIA_ROOT = tmp_path / "media-restored"
    call_command("restore_registry", str(tmp_path / "backup"), "--database", empty_database.name)

    census = registry_census(empty_database)
    assert census == registry_census(source) == manifest["census"]
    assert (census["entities"], census["vendors"], census["ownership events"]) == (4, 2, 2)
    assert census["alerts"] >= 3 and census["audit records"] >= 10
    for vendor, level in (("Scale AI", "critical"), ("Remotasks", "high")):
        risk = _rows(empty_database, VENDOR_RISK, vendor)
        assert risk == _rows(source, VENDOR_RISK, vendor)
        assert risk[0][0] == level
    history = _rows(empty_database, VENDOR_HISTORY, "Scale AI")
    assert history == _rows(source, VENDOR_HISTORY, "Scale AI")
    assert history[:2] == [("+", 1, "restricted", None), ("~", 2, "restricted", "ana")]
    assert _rows(empty_database, ALERTS) == _rows(source, ALERTS)
    restored_file = tmp_path / "media-restored" / "imports" / "gleif-delta.csv"
    assert restored_file.read_text() == "LEI,Name\n"
    assert manifest["media_files"] == 1


def test_a_restore_into_a_database_that_is_not_empty_is_refused(tmp_path, settings):
    _postgres_with_client_programs()
    build_reference_registry()
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("backup_registry", str(tmp_path / "backup"))
    with pytest.raises(CommandError) as refused:
        call_command("restore_registry", str(tmp_path / "backup"))
    assert f"The database {Target.from_settings().name} is not empty (" in str(refused.value)
    with pytest.raises(CommandError) as again:
        call_command("backup_registry", str(tmp_path / "backup"))
    assert "holds a backup already" in str(again.value)


def test_a_directory_without_a_backup_is_named(tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command("restore_registry", str(tmp_path))
    assert str(refused.value) == f"{tmp_path} holds no backup (manifest.json is missing)."
