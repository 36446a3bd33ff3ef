"""Helpers of the import tests: run a file of the test data through the import service."""

from pathlib import Path

import pytest
from django.test import TestCase

from imports.models import ImportRun
from imports.services import import_run_create, import_run_execute

DATA = Path(__file__).parent / "data"


def run_file(
    path: Path | str,
    *,
    source_name: str = "Test register",
    dry_run: bool = False,
    format: str = "bods",
):
    """Import ``path`` (a name in tests/imports/data, or a path) as the command does, with
    the work sent after commit (the run's recheck) done before it returns."""
    path = Path(path)
    if not path.is_absolute():
        path = DATA / path
    with committed():
        run = import_run_create(
            source_name=source_name,
            file_name=path.name,
            format=format,
            dry_run=dry_run,
            enqueue=False,
        )
        import_run_execute(run=run, path=path)
    return ImportRun.objects.get(pk=run.pk)


def committed():
    """Run what is sent on commit (tasks run in-process) when the block ends, as a real
    commit would; the test's own transaction never commits."""
    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.fixture
def write_json(tmp_path):
    """Write statements (or raw text) to a file and return its path."""
    import json

    def write(content, name: str = "statements.json") -> Path:
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        return path

    return write
