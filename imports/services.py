"""Import runs: read a file of published ownership data, match its parties to the registry
and bring the graph in line with it — all or nothing — then recheck the affected vendors once
(DESIGN, "Open ownership data: imports and exports").

The run goes parse → validate (every statement, with its position and field) → apply in one
transaction through the registry's services: new parties and their edges, and ``control``,
``voting_rights`` and ``other_influence`` edges are written directly with the run as their
source; a new, changed or ended stake or seat between two parties that were both in the
registry before the run is logged as an ownership event of the run. A dry run applies the
same way inside a transaction it rolls back, so its report is what the run would do.
"""

import contextlib
import datetime
import hashlib
import json
import logging
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from decimal import Decimal
from itertools import count, groupby, islice
from pathlib import Path
from typing import BinaryIO, NamedTuple

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from core.leases import leased, leased_now
from imports.affected import VendorsAbove, run_affected_vendors
from imports.bulk import Sieve, instances_insert, rows_insert
from imports.choices import ImportFormat, ImportStatus
from imports.formats import bods, ftm, gleif
from imports.formats.reader import HashingReader, ReadError, json_values
from imports.models import ImportedRecord, ImportRun, LeiRegistration, empty_counts
from registry.choices import (
    CONTROL_EVENT_KINDS,
    EntityKind,
    EventKind,
    EventStatus,
    Interest,
    RiskLevel,
)
from registry.models import (
    Contract,
    Entity,
    EntityIdentifier,
    Ownership,
    OwnershipEvent,
    Vendor,
    WatchlistEntry,
)
from registry.risk import effects
from registry.risk.effects import Stake
from registry.risk.loader import affected_entities
from registry.services import (
    entity_update,
    ownership_end,
    ownership_event_log,
    ownership_set,
    watchlist_entry_create,
    watchlist_entry_delete,
    watchlist_entry_update,
)
from registry.services.common import bulk_create_recorded, history_recorded
from registry.services.events import _dilution_record
from registry.services.pipeline import _raise_change_of_control, event_affected_vendor_ids
from registry.services.risk import vendor_risk_as_of, vendors_recheck

logger = logging.getLogger(__name__)

#: The kinds of work a worker leases (core.leases): running a run, and its recheck.
IMPORT_RUN_LEASE = "import_run"
IMPORT_RECHECK_LEASE = "import_recheck"

ONE_DAY = datetime.timedelta(days=1)
#: Rows per INSERT of the bulk writes.
BULK_BATCH = 1000
#: A refused file reports at most this many of its bad statements.
MAX_ERRORS = 50
#: LEI records are matched and written this many at a time.
LEI_BATCH = 5000
#: A GLEIF file is read and applied this many records at a time.
GLEIF_BATCH = 5000
#: How many sets of valid edge and event values a run remembers (``_Applier._clean_fields``).
VALID_TERMS_KEPT = 100_000
#: Interests no event kind describes: written directly, and in bulk when the pair has none.
DIRECT_INTERESTS = (Interest.CONTROL, Interest.OTHER_INFLUENCE)


class ImportFailed(Exception):
    """The file cannot be imported; ``errors`` say where and why (``[{record, field,
    message}]``)."""

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__("; ".join(f"{e['record']}, {e['field']}: {e['message']}" for e in errors))
        self.errors = errors


class _DryRun(Exception):
    """Raised to roll a dry run's changes back once its report is made."""


# --- Doors ---------------------------------------------------------------------------------------


#: FollowTheMoney's first entity names its schema and properties; a BODS statement names
#: neither (its keys are statementId/statementID, recordDetails, interests …).
_FTM_KEYS = (b'"schema"', b'"properties"')


def import_format_detect(stream: BinaryIO) -> str:
    """The format of a file from its first bytes: FollowTheMoney when the first JSON object
    has ``schema`` and ``properties``, else BODS for any other JSON; GLEIF's XML by its root
    element, its CSV by its header; a zip by the file it holds."""
    head = stream.read(8192)
    stream.seek(0)
    if head.startswith(gleif.ZIP_MAGIC):
        head = gleif.zip_head(stream)
        stream.seek(0)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    first_line = text.split(b"\n", 1)[0]
    if text[:1] == b"{" and all(key in first_line for key in _FTM_KEYS):
        return ImportFormat.FTM
    if text[:1] in (b"[", b"{"):
        return ImportFormat.BODS
    detected = gleif.detect(head)
    if detected is not None:
        return detected
    raise ValidationError(
        {
            "format": [
                f"The file's format is not recognised: give it ({', '.join(ImportFormat.values)})."
            ]
        }
    )


@transaction.atomic
def import_run_create(
    *,
    source_name: str,
    file: File | None = None,
    file_name: str = "",
    format: str = "",
    dry_run: bool = False,
    enqueue: bool = True,
    actor: AbstractBaseUser | None = None,
) -> ImportRun:
    """Record a queued run. With ``file`` (an upload), the file is stored with the run and
    the run is processed by a task after commit; without, the caller runs it itself
    (``import_run_execute`` with the path, as the management command does)."""
    source_name = (source_name or "").strip()
    errors: dict[str, list[str]] = {}
    if not source_name:
        errors["source_name"] = ["Name the source of the data (e.g. “UK PSC register”)."]
    elif len(source_name) > 100:
        errors["source_name"] = ["A source name has at most 100 characters."]
    if format and format not in ImportFormat.values:
        errors["format"] = [
            f"“{format}” is not a format this registry reads ({', '.join(ImportFormat.values)})."
        ]
    if errors:
        raise ValidationError(errors)
    if not format and file is not None:
        format = import_format_detect(file)
    run = ImportRun(
        source_name=source_name,
        format=format or ImportFormat.BODS,
        file_name=Path(file_name or getattr(file, "name", "") or "").name[:255],
        dry_run=dry_run,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if file is not None:
        run.file.save(run.file_name or "upload.json", file, save=False)
    run.save()
    if enqueue and file is not None:
        transaction.on_commit(lambda: _send("run_import", run.pk))
    return run


def import_file_scheduled(*, path: str | Path, source_name: str, format: str) -> ImportRun | None:
    """Import a file an operator keeps at ``path`` (a scheduled import): ``None`` when it is
    the file the last finished run of the source read (same SHA-256), else the finished (or
    failed) run. A missing file is a failed run that says so."""
    path = Path(path)
    last = (
        ImportRun.objects.filter(source_name=source_name, status=ImportStatus.DONE, dry_run=False)
        .order_by("-finished_at", "-id")
        .first()
    )
    if last is not None and path.is_file() and _sha256_of(path) == last.sha256:
        logger.info("%s: unchanged since import run %s; not read again", path, last.pk)
        return None
    run = import_run_create(
        source_name=source_name, file_name=path.name, format=format, enqueue=False
    )
    if not path.is_file():
        run.started_at = timezone.now()
        _finish(
            run,
            status=ImportStatus.FAILED,
            errors=[_error("", "file", f"{path}: no such file (the download is the operator's).")],
        )
        return run
    return import_run_execute(run=run, path=path)


def _sha256_of(path: Path) -> str:
    with open(path, "rb") as stream:
        reader = HashingReader(stream)
        reader.drain()
    return reader.sha256.hexdigest()


def _send(task_name: str, run_id: int) -> None:
    from imports import tasks

    try:
        getattr(tasks, task_name).delay(run_id)
    except Exception:  # broker unreachable: the run stays queued and can be started again
        logger.warning("Could not send %s(%s).", task_name, run_id, exc_info=True)


def import_run_execute(
    *,
    run: ImportRun,
    path: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    on_records: Callable[[int], None] | None = None,
) -> ImportRun:
    """Run a queued import: read the run's file (or ``path``), validate every statement,
    apply the change set in one transaction (a dry run rolls it back) and record the report
    on the run. Never raises for bad input: the run is ``failed`` with its errors.
    ``progress`` hears the bytes read, ``on_records`` the records read so far. The run is
    leased while it runs (core.leases): one whose worker died is queued again."""
    with leased(IMPORT_RUN_LEASE, run.pk) as token:
        if token is None:
            run.refresh_from_db()
            return run
        return _import_run_execute(run, path, progress, on_records)


def _import_run_execute(
    run: ImportRun,
    path: str | Path | None,
    progress: Callable[[int], None] | None,
    on_records: Callable[[int], None] | None,
) -> ImportRun:
    claimed = ImportRun.objects.filter(pk=run.pk, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    run.refresh_from_db()
    if not claimed:
        return run
    try:
        if run.format in gleif.FORMATS:
            with _open(run, path) as stream:
                reader = HashingReader(stream, progress, on_records)
                _apply(run, work=lambda applier: _stream_gleif(applier, reader))
            return run
        with _open(run, path) as stream:
            reader = HashingReader(stream, progress, on_records)
            try:
                if run.format == ImportFormat.FTM:
                    statements, warnings = _read_ftm(reader)
                else:
                    statements, warnings = _read(reader)
            finally:
                reader.drain()
                run.sha256 = reader.sha256.hexdigest()
        _apply(run, statements, warnings=warnings)
    except ImportFailed as failure:
        _finish(run, status=ImportStatus.FAILED, errors=failure.errors)
    except Exception as exc:
        logger.exception("Import run %s stopped on an unexpected error", run.pk)
        message = f"The import stopped on an unexpected error: {exc.__class__.__name__}."
        _finish(run, status=ImportStatus.FAILED, errors=[_error("", "", message)])
    return run


def _open(run: ImportRun, path: str | Path | None):
    if path is not None:
        return open(path, "rb")
    if not run.file:
        raise ImportFailed([_error("", "file", "The run has no file to read.")])
    return run.file.open("rb")


def _finish(run: ImportRun, *, status: str, errors: list | None = None) -> None:
    run.status = status
    run.finished_at = timezone.now()
    if errors is not None:
        run.errors = errors
        run.counts = empty_counts()
        run.warnings, run.events, run.affected_vendors = [], [], []
    run.save()


def _error(record: str, field: str, message: str) -> dict[str, str]:
    return {"record": record, "field": field, "message": message}


# --- Parse and validate --------------------------------------------------------------------------


def _read(
    reader: HashingReader,
) -> tuple[list[bods.Party | bods.Relationship], list[dict[str, str]]]:
    """Every statement of the file, read and validated, and the warnings reading gave;
    ``ImportFailed`` with the errors."""
    statements: list[bods.Party | bods.Relationship] = []
    errors: list[dict[str, str]] = []
    warnings: list[dict[str, str]] = []
    #: Each statement id seen: where, and a digest of what it said.
    seen: dict[str, tuple[str, bytes]] = {}
    repeated = 0
    try:
        for value in json_values(reader):
            try:
                repeat = _repeat(value.data, value.where, seen)
                if repeat is _SAME:
                    repeated += 1
                    continue
                if repeat is not None:
                    warnings.append(repeat)
                statement = bods.read_statement(value.data, value.where)
            except bods.RecordError as exc:
                errors.append(exc.as_dict())
                if len(errors) >= MAX_ERRORS:
                    break
                continue
            if statement is not None:
                statements.append(statement)
    except ReadError as exc:
        errors.append(_error(exc.where, "(file)", exc.message))
    if errors:
        raise ImportFailed(errors)
    if not statements:
        raise ImportFailed([_error("line 1", "(file)", "The file holds no statements.")])
    if repeated:
        message = f"{repeated} statement(s) repeat an earlier statement word for word: read once."
        warnings.insert(0, _error("(file)", "statementId", message))
    return statements, warnings


#: A statement that repeats an earlier one word for word.
_SAME = _error("", "", "")
_PARTY_TYPES = {"entityStatement", "personStatement", "entity", "person"}


def _repeat(data: object, where: str, seen: dict[str, tuple[str, bytes]]) -> dict | None:
    """Whether the statement's id was used before: ``_SAME`` for a word-for-word repeat
    (read once), a warning for an ownership statement that says something else under the
    same id (both are read: each is its own interest, as published examples have it), and
    :class:`bods.RecordError` for a party (which of the two would its references name?)."""
    if not isinstance(data, dict):
        return None
    field = "statementId" if "statementId" in data else "statementID"
    statement_id = data.get(field)
    if not isinstance(statement_id, str) or not statement_id:
        return None
    digest = hashlib.blake2b(
        json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode(),
        digest_size=16,
    ).digest()
    earlier = seen.get(statement_id)
    if earlier is None:
        seen[statement_id] = (where, digest)
        return None
    if earlier[1] == digest:
        return _SAME
    record = f"{where} ({statement_id})"
    message = f"the statement id “{statement_id}” is used by {earlier[0]} for a different statement"
    if data.get("statementType") in _PARTY_TYPES or data.get("recordType") in _PARTY_TYPES:
        raise bods.RecordError(
            record, field, f"{message}: a statement id names one entity or person."
        )
    return _error(record, field, f"{message}; both are read.")


def _read_ftm(
    reader: HashingReader,
) -> tuple[list[bods.Party | bods.Relationship], list[dict[str, str]]]:
    """Every FollowTheMoney entity the registry maps, and a warning per skipped schema."""
    try:
        reading = ftm.read_entities(json_values(reader), max_errors=MAX_ERRORS)
    except ReadError as exc:
        raise ImportFailed([_error(exc.where, "(file)", exc.message)]) from None
    if reading.errors:
        raise ImportFailed(reading.errors)
    if not reading.statements:
        message = "The file holds no entity the registry maps (companies, organisations, "
        message += "public bodies, people, ownerships, directorships, control)."
        raise ImportFailed([_error("line 1", "(file)", message)])
    return reading.statements, reading.skipped_warnings()


def _stream_gleif(applier: "_Applier", reader: HashingReader) -> None:
    """Read a GLEIF file and apply it as it is read, ``GLEIF_BATCH`` records at a time, in
    the run's transaction: memory holds one batch, never the file. A bad record stops the
    applying (the transaction is then rolled back, so nothing is half-applied) but not the
    reading, so the run reports every bad record up to ``MAX_ERRORS``."""
    run = applier.run
    errors: list[dict[str, str]] = []
    batch: list = []
    records = 0
    try:
        try:
            for item in gleif.read_file(reader, run.format):
                reader.count_record()
                if isinstance(item, bods.RecordError):
                    errors.append(item.as_dict())
                    if len(errors) >= MAX_ERRORS:
                        break
                    continue
                records += 1
                if errors:
                    continue
                batch.append(item)
                if len(batch) >= GLEIF_BATCH:
                    try:
                        applier.apply_batch(batch)
                    except ImportFailed as failure:
                        errors.extend(failure.errors)
                    batch = []
        except ReadError as exc:
            errors.append(_error(exc.where, "(file)", exc.message))
    finally:
        reader.drain()
        run.sha256 = reader.sha256.hexdigest()
    if errors:
        raise ImportFailed(errors[:MAX_ERRORS])
    if not records:
        raise ImportFailed([_error("line 1", "(file)", "The file holds no records.")])
    if batch:
        applier.apply_batch(batch)
    applier.finish()


# --- Apply ---------------------------------------------------------------------------------------


def _apply(
    run: ImportRun,
    statements: list[bods.Party | bods.Relationship] | None = None,
    *,
    warnings: Iterable[dict[str, str]] = (),
    work: Callable[["_Applier"], None] | None = None,
) -> None:
    """Apply the statements (or let ``work`` read and apply them) in one transaction, and
    record the report on the run."""
    applier = _Applier(run)
    applier.warnings.extend(warnings)
    try:
        with transaction.atomic():
            if work is not None:
                work(applier)
            else:
                applier.apply(statements)
            run.counts = applier.counts
            run.warnings = applier.warnings
            run.events = applier.event_rows
            run.errors = []
            if run.dry_run:
                run.affected_vendors = applier.projected_levels()
                raise _DryRun
            run.recheck_entities = sorted(applier.touched)
            _finish(run, status=ImportStatus.DONE)
            transaction.on_commit(lambda: _send("recheck_import_run", run.pk))
    except _DryRun:
        # Everything the run wrote is rolled back; its report is kept on the run alone.
        _finish(run, status=ImportStatus.DONE)


def _same_terms(edge: Ownership, wanted: bods.WantedEdge) -> bool:
    return (edge.share, edge.share_min, edge.share_max) == (
        wanted.share,
        wanted.share_min,
        wanted.share_max,
    )


#: Events a run's report lists (a golden copy logs hundreds of thousands; all are counted).
REPORT_EVENTS = 1000
#: A registry this large or smaller is read into sieves by a GLEIF LEI run (``_lei_sieves``).
SIEVE_REGISTRY_MAX = 200_000
_UNREAD = object()


class _Sieves(NamedTuple):
    leis: Sieve
    names: Sieve


class _Applier:
    """One run's change set, applied statement by statement through the registry services."""

    def __init__(self, run: ImportRun):
        self.run = run
        self.today = timezone.localdate()
        self.counts = empty_counts()
        self.warnings: list[dict[str, str]] = []
        self.event_rows: list[dict] = []
        self.events: list[OwnershipEvent] = []
        self.entities: dict[str, Entity] = {}
        self.unspecified: dict[str, bods.Unspecified] = {}
        self.created: set[int] = set()
        self.matched: set[int] = set()
        self.touched: set[int] = set()
        self.ended_records: set[str] = set()
        self.handover_days: dict[tuple[int, str], datetime.date] = {}
        #: (entity, category) → (entity, reason, party) the file lists (FollowTheMoney topics).
        #: (entity, category, reason, party) the file lists (FollowTheMoney topics); new
        #: entities get their ids when written in bulk, so ``listed`` is keyed only then.
        self.listing: list[tuple[Entity, str, str, bods.Party]] = []
        self.listed: dict[tuple[int, str], tuple[Entity, str, bods.Party]] = {}
        #: The file's current shareholdings, (owner, owned) → (lower bound, record, field).
        self.holdings: dict[tuple[int, int], tuple[Decimal, str, str]] = {}
        # What the registry holds for the file's parties, read in bulk before applying.
        self.by_lei: dict[str, Entity] = {}
        self.by_identifier: dict[tuple[str, str], Entity] = {}
        self.earlier_parties: dict[str, Entity] = {}
        self.earlier_rows: dict[str, list[tuple[int, int, list[str]]]] = {}
        self.twins: dict[tuple[str, str], Entity] = {}
        # New entities (with identifiers) and edges are written in bulk: pending until then.
        self.new_entities: list[tuple[Entity, list[tuple[str, str]]]] = []
        self.duplicate_warnings: list[tuple[dict, Entity, Entity]] = []
        self.new_edges: list[Ownership] = []
        self.new_edge_keys: set[tuple[int, int, str]] = set()
        #: New subjects whose edges went through the registry services (not in bulk).
        self.slow_subjects: set[int] = set()
        #: This run's records, written at the end of a batch: parties' as instances (their
        #: entities may be written with them), relationships' as rows, also kept by record.
        self.records: list[ImportedRecord] = []
        self.record_rows: list[dict] = []
        self.run_rows: dict[str, list[tuple[int, int, list[str]]]] = {}
        #: Stored edges into the file's subjects: (owner, owned, interest) → edges, by start.
        self.stored_edges: dict[tuple[int, int, str], list[Ownership]] = {}
        self.cached_subjects: set[int] = set()
        self.pending_subjects: dict[int, list[Ownership]] = {}
        #: A GLEIF file's ultimate parents, checked once the whole file is applied.
        self.ultimate: list[gleif.GleifRelationship] = []
        #: GLEIF runs log their stake events in bulk: applied at once to the cached edges
        #: (``edges_into``, by owned entity), written to the database a batch at a time.
        self.bulk_events = run.format in gleif.FORMATS
        self.edges_into: dict[int, list[Ownership]] = {}
        self.queued_events: list[tuple[OwnershipEvent, dict]] = []
        self.event_subjects: set[int] = set()
        self.edge_inserts: list[Ownership] = []
        self.edge_updates: dict[int, Ownership] = {}
        self.edge_deletes: dict[int, Ownership] = {}
        self._unsaved_ids = count(-1, -1)
        #: Values of new edges and events found valid, by model and the fields checked.
        self._valid_terms: set[tuple] = set()
        #: A GLEIF LEI run's sieves of the LEIs and names the registry holds (``_lei_sieves``).
        self.sieves: _Sieves | None | object = _UNREAD
        self._checked_fields: dict[tuple, tuple[list[str], list[str], list[str]]] = {}

    def _clean_fields(
        self, instance, exclude: tuple[str, ...], *, varying: tuple[str, ...] = ()
    ) -> None:
        """``clean_fields`` of a new edge or event, but once a run for each set of values of
        the fields it checks (a golden copy repeats its interests, shares and dates); the
        ``varying`` fields (a record id, a note naming it) are checked every time."""
        model = type(instance)
        plan = self._checked_fields.get((model, exclude, varying))
        if plan is None:
            fields = model._meta.concrete_fields
            # JSON values are not hashable: checked every time, as the varying fields are.
            each_time = {
                f.name for f in fields if f.name in varying or isinstance(f, models.JSONField)
            }
            checked = [f.attname for f in fields if f.name not in (*exclude, *each_time)]
            plan = (checked, sorted(each_time), [f for f in fields if f.name in each_time])
            self._checked_fields[(model, exclude, varying)] = plan
        checked, each_time, each_time_fields = plan
        key = (model, exclude, tuple(getattr(instance, name) for name in checked))
        if key not in self._valid_terms:
            instance.clean_fields(exclude=[*exclude, *each_time])
            if len(self._valid_terms) >= VALID_TERMS_KEPT:
                self._valid_terms.clear()
            self._valid_terms.add(key)
        # The varying fields one by one, as ``clean_fields`` cleans each field.
        errors = {}
        for field in each_time_fields:
            raw = getattr(instance, field.attname)
            if field.blank and raw in field.empty_values:
                continue
            try:
                setattr(instance, field.attname, field.clean(raw, instance))
            except ValidationError as exc:
                errors[field.name] = exc.error_list
        if errors:
            raise ValidationError(errors)

    def warn(self, record: str, field: str, message: str) -> None:
        self.warnings.append(_error(record, field, message))

    # Parties ------------------------------------------------------------------------------------

    def apply(self, statements: list) -> None:
        self.apply_batch(statements)
        self.finish()

    def apply_batch(self, statements: list) -> None:
        """Apply statements; a GLEIF run applies its file a batch at a time this way, and
        forgets what it read of the registry after each batch."""
        parties: dict[str, bods.Party] = {}
        relationships: list[tuple[int, bods.Relationship]] = []
        exceptions: list[gleif.ReportingException] = []
        ultimate: list[gleif.GleifRelationship] = []
        for position, statement in enumerate(statements):
            if isinstance(statement, gleif.ReportingException):
                exceptions.append(statement)
            elif (
                isinstance(statement, gleif.GleifRelationship)
                and statement.relationship_type == gleif.ULTIMATE
            ):
                ultimate.append(statement)
            elif isinstance(statement, bods.Party):
                known = parties.get(statement.record)
                # A record's latest statement says what it is now.
                if known is None or (statement.statement_date or datetime.date.min) >= (
                    known.statement_date or datetime.date.min
                ):
                    parties[statement.record] = statement
            else:
                relationships.append((position, statement))
        if self.run.format == gleif.LEI:
            batch = list(parties.values())
            for start in range(0, len(batch), LEI_BATCH):
                self._lei_batch(batch[start : start + LEI_BATCH])
        elif self.run.format not in gleif.FORMATS:
            self._prefetch(parties.values(), [r for _, r in relationships])
            for party in parties.values():
                self._party(party)
            self._flush_entities()
        if self.run.format in gleif.FORMATS:
            # A GLEIF record names its parties by LEI alone, and replaces no other record:
            # finding each LEI is all the matching there is.
            self._gleif_parties([r for _, r in relationships] + ultimate + exceptions)
        if relationships and self.run.format in gleif.FORMATS:
            # Only the edges into a record's subject are read or changed through the cache.
            self._prefetch_edges([self.entities[r.subject] for _, r in relationships])
        elif relationships:
            self._prefetch_edges([*self.entities.values(), *self.earlier_parties.values()])
        relationships.sort(key=lambda item: (item[1].statement_date or datetime.date.min, item[0]))
        replacing: dict[str, list[bods.Relationship]] = {}
        for _, relationship in relationships:
            for record in relationship.replaces:
                if record != relationship.record:
                    replacing.setdefault(record, []).append(relationship)
        for _, same_day in groupby(relationships, key=lambda item: item[1].statement_date):
            # On one date, what ends or shrinks goes first, so a stake handed over that day
            # never counts twice against the 100% rule.
            same_day = sorted(same_day, key=self._handover_order)
            self.handover_days = self._handover_days([r for _, r in same_day])
            for _, relationship in same_day:
                self._relationship(relationship, replacing)
        self._flush_events()
        self._flush_edges()
        # Checked once every edge of the file is written.
        self.ultimate.extend(ultimate)
        for start in range(0, len(exceptions), BULK_BATCH):
            self._reporting_exceptions(exceptions[start : start + BULK_BATCH])
        instances_insert(self.records)
        rows_insert(ImportedRecord, self.record_rows)
        self.records, self.record_rows = [], []
        if self.bulk_events:
            self._forget()

    def finish(self) -> None:
        """What needs the whole file applied: the ultimate parents checked against the
        graph, closed loops, and the watchlist of a FollowTheMoney file."""
        for chunk in _chunks(self.ultimate, GLEIF_BATCH):
            self._gleif_parties(chunk)
            self._ultimates(chunk)
            if self.bulk_events:
                self._forget()
        self.ultimate = []
        self._warn_of_closed_loops()
        if self.run.format == ImportFormat.FTM:
            self._watchlist()

    def _forget(self) -> None:
        """Drop what a GLEIF batch read of the registry (its entities and their edges), so
        memory holds a batch, not the file; counts, warnings, events and what to recheck
        stay."""
        self.entities, self.created, self.matched, self.slow_subjects = {}, set(), set(), set()
        self.stored_edges, self.edges_into, self.cached_subjects = {}, {}, set()
        self.pending_subjects, self.new_edge_keys, self.run_rows = {}, set(), {}

    # Bulk reads and writes ----------------------------------------------------------------------

    def _prefetch(
        self, parties: Iterable[bods.Party], relationships: list[bods.Relationship]
    ) -> None:
        """Read at once what matching needs: entities by the file's LEIs and identifiers,
        the records of earlier runs of the source, and entities that share a new party's
        name and country (possible duplicates)."""
        parties = [p for p in parties if p.unspecified is None]
        known: dict[int, Entity] = {}
        leis = sorted({p.lei for p in parties if p.lei})
        for chunk in _chunks(leis):
            for entity in _by_leis(chunk):
                self.by_lei[entity.lei] = known.setdefault(entity.pk, entity)
        by_identifier: dict[tuple[str, str], int] = {}
        values = sorted({value for p in parties for _, value in p.identifiers})
        for chunk in _chunks(values):
            rows = EntityIdentifier.objects.filter(value__in=chunk).order_by("pk")
            for scheme, value, entity_id in rows.values_list("scheme", "value", "entity_id"):
                by_identifier.setdefault((scheme, value), entity_id)
        earlier_parties: dict[str, int] = {}
        records = sorted(
            {r for p in parties for r in (p.record, *p.replaces)}
            | {rel.subject for rel in relationships}
            | {rel.owner for rel in relationships if rel.owner}
        )
        for chunk in _chunks(records):
            earlier = self._earlier_records(chunk).filter(owner__isnull=True)
            for record, entity_id in earlier.order_by("-run_id", "-pk").values_list(
                "record", "entity_id"
            ):
                earlier_parties.setdefault(record, entity_id)
        # One object per entity, whichever way it is found.
        missing = sorted({*by_identifier.values(), *earlier_parties.values()} - set(known))
        for chunk in _chunks(missing):
            for entity in Entity.objects.filter(pk__in=chunk):
                known[entity.pk] = entity
        self.by_identifier = {key: known[pk] for key, pk in by_identifier.items()}
        self.earlier_parties = {record: known[pk] for record, pk in earlier_parties.items()}
        # Possible duplicates matter only for the parties that will be new.
        unmatched = [
            p
            for p in parties
            if not (p.lei and p.lei in self.by_lei)
            and not any(key in self.by_identifier for key in p.identifiers)
            and not any(r in self.earlier_parties for r in (p.record, *p.replaces))
        ]
        names = sorted({p.name.lower() for p in unmatched if p.name})
        for chunk in _chunks(names):
            rows = Entity.objects.annotate(lower_name=Lower("name")).filter(lower_name__in=chunk)
            for entity in rows.order_by("pk"):
                self.twins.setdefault((entity.lower_name, entity.country), entity)
        wanted = sorted(
            {r for rel in relationships for r in (rel.record, *rel.replaces)}
            | {rel.subject for rel in relationships}
            | {rel.owner for rel in relationships if rel.owner}
        )
        for chunk in _chunks(wanted):
            earlier = self._earlier_records(chunk).filter(owner__isnull=False)
            for row in earlier.order_by("pk"):
                self.earlier_rows.setdefault(row.record, []).append(
                    (row.owner_id, row.entity_id, row.interests)
                )

    def _flush_entities(self) -> None:
        """Write the new entities and their identifiers, with their audit history."""
        if not self.new_entities:
            return
        entities = [entity for entity, _ in self.new_entities]
        bulk_create_recorded(entities)
        identifiers = [
            EntityIdentifier(entity=entity, scheme=scheme, value=value)
            for entity, wanted in self.new_entities
            for scheme, value in wanted
        ]
        bulk_create_recorded(identifiers)
        self.created.update(entity.pk for entity in entities)
        for warning, entity, twin in self.duplicate_warnings:
            where = f" ({twin.country})" if twin.country else ""
            warning["message"] = (
                f"Possible duplicate: created {entity.name} (#{entity.pk}) beside "
                f"{twin.name}{where} (#{twin.pk}), which has the same name and country."
            )
        self.new_entities, self.duplicate_warnings = [], []

    def _prefetch_edges(self, known: list[Entity]) -> None:
        """The stored edges into the ``known`` entities that were in the registry before."""
        subjects = sorted({e.pk for e in known if e.pk is not None} - self.created)
        for chunk in _chunks(subjects):
            for edge in Ownership.objects.filter(owned_id__in=chunk).order_by("start_date", "id"):
                key = (edge.owner_id, edge.owned_id, edge.interest)
                self.stored_edges.setdefault(key, []).append(edge)
                self.edges_into.setdefault(edge.owned_id, []).append(edge)
            self.cached_subjects.update(chunk)

    def _pair(self, owner: Entity, subject: Entity, interest: str) -> list[Ownership]:
        """The stored edges of one owner, owned and interest, oldest first."""
        if subject.pk in self.cached_subjects:
            edges = self.stored_edges.get((owner.pk, subject.pk, interest), [])
            for edge in edges:
                edge.owner, edge.owned = owner, subject
            return list(edges)
        self._slow(subject)
        return list(
            Ownership.objects.filter(owner=owner, owned=subject, interest=interest)
            .select_related("owner", "owned")
            .order_by("start_date", "id")
        )

    def _slow(self, subject_id: Entity | int) -> None:
        """The subject's edges are about to be read or written through the services: what
        is pending is written first, and nothing cached of it is trusted after."""
        pk = subject_id if isinstance(subject_id, int) else subject_id.pk
        if pk in self.event_subjects:
            self._flush_events()
        if pk in self.created and pk not in self.slow_subjects:
            self._flush_edges()
            self.slow_subjects.add(pk)
        elif pk in self.pending_subjects and not all(
            edge.interest in DIRECT_INTERESTS for edge in self.pending_subjects[pk]
        ):
            self._flush_edges()
        if pk in self.cached_subjects:
            self.cached_subjects.discard(pk)

    def _fresh(self, owner: Entity, subject: Entity, interest: str) -> bool:
        """Whether an edge can be written in bulk: into an entity this run created, of a
        pair that has none yet, and that nothing but bulk writes touched."""
        return (
            subject.pk in self.created
            and subject.pk not in self.slow_subjects
            and subject.kind != EntityKind.PERSON
            and (owner.pk, subject.pk, interest) not in self.new_edge_keys
        )

    def _direct_fresh(self, owner: Entity, subject: Entity, wanted: bods.WantedEdge) -> bool:
        """Whether a ``control`` or ``other_influence`` edge (written directly, DESIGN:
        no event kind describes them) can go in bulk into an entity the registry held before
        the run: its stored edges were read in bulk and the pair has none of that interest."""
        key = (owner.pk, subject.pk, wanted.interest)
        return (
            wanted.interest in DIRECT_INTERESTS
            and subject.pk in self.cached_subjects
            and key not in self.stored_edges
            and key not in self.new_edge_keys
        )

    def _bulk_edge(
        self,
        owner: Entity,
        subject: Entity,
        wanted: bods.WantedEdge,
        relationship: bods.Relationship,
        start: datetime.date,
    ) -> bool:
        """Add the edge to the bulk write; ``False`` when it would break the 100% rule (the
        services then refuse it, naming the holders)."""
        edge = Ownership(**self._edge_terms(owner, subject, wanted, relationship, start))
        self._clean_fields(
            edge, ("owner", "owned", "source_event", "import_run"), varying=("import_record",)
        )
        edge.clean()
        if wanted.interest == Interest.SHAREHOLDING:
            stakes = [Stake.of(e) for e in (*self.pending_by_subject(subject), edge)]
            if effects.shareholding_overflow(stakes) is not None:
                return False
        self.new_edges.append(edge)
        self.new_edge_keys.add((owner.pk, subject.pk, wanted.interest))
        self.pending_subjects.setdefault(subject.pk, []).append(edge)
        return True

    def _edge_terms(
        self,
        owner: Entity,
        subject: Entity,
        wanted: bods.WantedEdge,
        relationship: bods.Relationship,
        start: datetime.date,
    ) -> dict:
        """The fields of the edge a relationship asks for, written by this run: for the bulk
        write and for ``ownership_set`` alike."""
        return {
            "owner": owner,
            "owned": subject,
            "interest": wanted.interest,
            "share": wanted.share,
            "share_min": wanted.share_min,
            "share_max": wanted.share_max,
            "start_date": start,
            "end_date": wanted.end_date,
            "import_run": self.run,
            "import_record": relationship.record,
        }

    def pending_by_subject(self, subject: Entity) -> list[Ownership]:
        return [
            e
            for e in self.pending_subjects.get(subject.pk, [])
            if e.interest == Interest.SHAREHOLDING
        ]

    def _flush_edges(self) -> None:
        if self.new_edges:
            instances_insert(self.new_edges, recorded=True)
            for edge in self.new_edges:
                if edge.owned_id in self.cached_subjects:
                    key = (edge.owner_id, edge.owned_id, edge.interest)
                    self.stored_edges.setdefault(key, []).append(edge)
                    self.edges_into.setdefault(edge.owned_id, []).append(edge)
        self.new_edges, self.pending_subjects = [], {}

    def _hold(
        self,
        owner: Entity,
        subject: Entity,
        edge: bods.WantedEdge,
        relationship: bods.Relationship,
    ) -> None:
        if edge.interest != Interest.SHAREHOLDING:
            return
        key = (owner.pk, subject.pk)
        if edge.end_date is not None and edge.end_date < self.today:
            self.holdings.pop(key, None)
            return
        low = edge.share if edge.share is not None else (edge.share_min or Decimal(0))
        self.holdings[key] = (low, relationship.label, f"{edge.field}.share")

    def _warn_of_closed_loops(self) -> None:
        """A warning for each set of entities the file has holding each other entirely (on
        the lower bounds) with no outside holder: such a loop owns itself, which the risk
        engine sets aside as a ``data_problem``. The file is odd, not unreadable."""
        held: dict[int, dict[int, Decimal]] = {}
        for (owner, owned), (low, _, _) in self.holdings.items():
            held.setdefault(owned, {})[owner] = low
        loop = {owned for owned, owners in held.items() if sum(owners.values()) >= 100}
        while True:
            # Keep the entities held entirely by members of the set; stop when none leaves.
            kept = {
                owned
                for owned in loop
                if sum(low for owner, low in held[owned].items() if owner in loop) >= 100
            }
            if kept == loop:
                break
            loop = kept
        if not loop:
            return
        names = dict(Entity.objects.filter(pk__in=loop).values_list("pk", "name"))
        inside = sorted(
            (record, field)
            for (owner, owned), (_, record, field) in self.holdings.items()
            if owner in loop and owned in loop
        )
        listed = ", ".join(sorted(names.values()))
        self.warn(
            inside[0][0],
            inside[0][1],
            f"A closed ownership loop: {listed} hold each other entirely with no outside "
            "holder. Imported as published; the risk engine reports it as a data problem.",
        )

    # GLEIF --------------------------------------------------------------------------------------

    def _gleif_parties(self, records: list) -> None:
        """Find every LEI the records name in this file or the registry; each record that
        names one in neither is reported, and nothing is applied."""
        needed = set()
        for record in records:
            if isinstance(record, gleif.ReportingException):
                needed.add(record.lei)
            else:
                needed.update((record.subject, record.owner))
        needed -= set(self.entities)
        wanted = sorted(needed)
        for chunk in _chunks(wanted):
            for entity in _by_leis(chunk):
                self.entities[entity.lei] = entity
        errors = []
        for record in records:
            if isinstance(record, gleif.ReportingException):
                sides = [("LEI", record.lei)]
            else:
                sides = [
                    ("Relationship.StartNode.NodeID", record.subject),
                    ("Relationship.EndNode.NodeID", record.owner),
                ]
            for field, lei in sides:
                if lei not in self.entities:
                    errors.append(
                        _error(
                            record.label,
                            field,
                            f"LEI {lei} is neither a record of this file nor an entity of the "
                            "registry (import its LEI record first).",
                        )
                    )
            if len(errors) >= MAX_ERRORS:
                break
        if errors:
            raise ImportFailed(errors[:MAX_ERRORS])

    def _lei_batch(self, batch: list["gleif.LeiParty"]) -> None:
        """LEI records in bulk: one query finds the batch's entities by LEI; the new ones, their
        history, the run's records and the registrations are written as rows (``imports.bulk``:
        ``COPY`` on PostgreSQL), never as model instances; a matched entity whose name or
        country changed is updated with the batch."""
        sieves = self._lei_sieves()
        leis = [p.lei for p in batch]
        if sieves is not None:
            leis = [lei for lei in leis if lei in sieves.leis]
        by_lei = {e.lei: e for e in _by_leis(leis)} if leis else {}
        fresh = [p for p in batch if p.lei not in by_lei]
        twins = self._twins(fresh, sieves)
        new_ids = rows_insert(
            Entity,
            [
                {
                    "name": p.name.strip(),
                    "kind": p.kind,
                    "country": p.country,
                    "lei": p.lei,
                    "import_run_id": self.run.pk,
                    "import_record": p.record,
                }
                for p in fresh
            ],
            recorded=True,
        )
        #: The new entities: LEI → (id, name, country).
        created = {
            p.lei: (pk, p.name.strip(), p.country) for p, pk in zip(fresh, new_ids, strict=True)
        }
        self.created.update(new_ids)
        if sieves is not None and new_ids:
            self._written_to = max(new_ids)
        if sieves is not None:
            for party in fresh:
                sieves.leis.add(party.lei)
                sieves.names.add((party.name.strip().lower(), party.country))
        # A second new party of the same name and country in this batch is the first's twin.
        first_of: dict[tuple[str, str], tuple[int, str, str]] = {}
        for party in fresh:
            entity = created[party.lei]
            key = (entity[1].lower(), party.country)
            if key in first_of and party.lei not in twins:
                twins[party.lei] = first_of[key]
            first_of.setdefault(key, entity)
        registrations = {
            r.entity_id: r for r in LeiRegistration.objects.filter(entity__in=list(by_lei.values()))
        }
        records: list[dict] = []
        new_registrations: list[dict] = []
        changed_registrations: list[LeiRegistration] = []
        renamed: list[Entity] = []
        for party in batch:
            for field, message in party.warnings:
                self.warn(party.label, field, message)
            wanted = self._registration_values(party)
            new = created.get(party.lei)
            if new is not None:
                entity_id = new[0]
                self.counts["entities_new"] += 1
                twin = twins.get(party.lei)
                if twin is not None:
                    where = f" ({twin[2]})" if twin[2] else ""
                    self.warn(
                        party.label,
                        "name",
                        f"Possible duplicate: created {new[1]} (#{entity_id}) beside "
                        f"{twin[1]}{where} (#{twin[0]}), which has the same name and country.",
                    )
                new_registrations.append(
                    {"entity_id": entity_id, "import_run_id": self.run.pk, **wanted}
                )
            else:
                entity = by_lei[party.lei]
                entity_id = entity.pk
                self._matched(entity, party)
                if self._lei_fields(entity, party):
                    renamed.append(entity)
                held = registrations.get(entity.pk)
                if held is None:
                    new_registrations.append(
                        {"entity_id": entity_id, "import_run_id": self.run.pk, **wanted}
                    )
                elif any(getattr(held, name) != value for name, value in wanted.items()):
                    for name, value in wanted.items():
                        setattr(held, name, value)
                    held.import_run = self.run
                    changed_registrations.append(held)
            records.append({"run_id": self.run.pk, "record": party.record, "entity_id": entity_id})
        if renamed:
            if sieves is not None:
                for entity in renamed:
                    sieves.names.add((entity.name.lower(), entity.country))
            _update_rows(Entity, renamed, ["name", "country"])
            history_recorded(Entity, [entity.pk for entity in renamed], "~")
        rows_insert(ImportedRecord, records)
        rows_insert(LeiRegistration, new_registrations)
        _update_rows(
            LeiRegistration,
            changed_registrations,
            ["entity_status", "registration_status", "last_update", "import_run"],
        )

    def _twins(
        self, fresh: list["gleif.LeiParty"], sieves: "_Sieves | None"
    ) -> dict[str, tuple[int, str, str]]:
        """For each new party, an entity that already has its name (in any case) and
        country, as (id, name, country): at most one query per batch (none when the sieves
        say no party's name was seen), and the parties of the run before it."""
        names = {
            p.name.strip().lower()
            for p in fresh
            if sieves is None or (p.name.strip().lower(), p.country) in sieves.names
        }
        if not names:
            return {}
        known: dict[tuple[str, str], tuple[int, str, str]] = {}
        rows = (
            Entity.objects.annotate(lowered=Lower("name"))
            .filter(lowered__any_of=sorted(names))
            .order_by("-pk")
            .values_list("lowered", "pk", "name", "country")
        )
        for lowered, pk, name, country in rows:
            known[(lowered, country)] = (pk, name, country)
        twins = {}
        for party in fresh:
            key = (party.name.strip().lower(), party.country)
            if key in known:
                twins[party.lei] = known[key]
        return twins

    def _lei_sieves(self) -> "_Sieves | None":
        """Into a registry of at most ``SIEVE_REGISTRY_MAX`` entities, the LEIs and the
        (lowered name, country) pairs it holds and this run writes, kept in memory
        (``imports.bulk.Sieve``) so that only a record the sieve may have seen is looked up;
        into a larger registry ``None``, and every record is looked up. Each call after the
        first adds the entities other sessions committed since. An LEI another session sets
        on an existing entity meanwhile is not seen: the run then fails on the unique LEI,
        writing nothing, and is run again."""
        if self.sieves is _UNREAD:
            registry = Entity.objects.order_by()
            if registry[: SIEVE_REGISTRY_MAX + 1].count() > SIEVE_REGISTRY_MAX:
                self.sieves = None
            else:
                self.sieves = _Sieves(Sieve(), Sieve())
                self._sieved_to = self._written_to = 0
                self._sieve(registry)
        elif self.sieves is not None:
            # What other sessions committed since (a golden copy runs for many minutes):
            # the rows above the highest key read, this run's own excepted.
            self._sieve(Entity.objects.filter(pk__gt=self._sieved_to).exclude(import_run=self.run))
            # The next batch reads on from this run's own latest rows, not through them all.
            self._sieved_to = max(self._sieved_to, self._written_to)
        return self.sieves

    def _sieve(self, entities) -> None:
        rows = entities.order_by().values_list("pk", "name", "country", "lei")
        for pk, name, country, lei in rows.iterator(chunk_size=5000):
            self.sieves.names.add((name.strip().lower(), country))
            if lei:
                self.sieves.leis.add(lei)
            self._sieved_to = max(self._sieved_to, pk)

    @staticmethod
    def _registration_values(party: "gleif.LeiParty") -> dict[str, object]:
        return {
            "entity_status": party.entity_status,
            "registration_status": party.registration_status,
            "last_update": party.statement_date,
        }

    def _lei_fields(self, entity: Entity, party: "gleif.LeiParty") -> bool:
        """Take GLEIF's legal name and country (validated here, written with the batch);
        whether either changed."""
        changes: dict[str, object] = {}
        name = party.name.strip()
        if name != entity.name:
            changes["name"] = name
            self.warn(party.label, "Entity.LegalName", f"{entity.name} is now {name}.")
        if party.country and party.country != entity.country:
            changes["country"] = party.country
        if not changes:
            return False
        for field, value in changes.items():
            setattr(entity, field, value)
        try:
            entity.clean_fields(
                exclude=[f.name for f in Entity._meta.fields if f.name not in changes]
            )
        except ValidationError as exc:
            raise ImportFailed(_validation_errors(party.label, "", exc)) from None
        return True

    def _ultimates(self, relationships: list["gleif.GleifRelationship"]) -> None:
        """An ultimate consolidation is never an edge: the registry's graph should lead from
        the child up to the parent, and to nothing above it; a mismatch is a warning. The
        chains of control above all the children are read level by level, in chunks."""
        checked = []
        for relationship in relationships:
            for field, message in relationship.warnings:
                self.warn(relationship.label, field, message)
            if relationship.active and not relationship.warnings:
                checked.append(relationship)
        if not checked:
            return
        controllers = self._controllers_of({self.entities[r.subject].pk for r in checked})
        field = "Relationship.RelationshipType"
        # The tops of the chains that go on above a published ultimate parent are named at
        # once, in the registry's order of names, once every child is walked.
        beyond: list[tuple[dict[str, str], Entity, Entity, set[int]]] = []
        for relationship in checked:
            child = self.entities[relationship.subject]
            parent = self.entities[relationship.owner]
            ancestors, tops = _above(child.pk, controllers)
            if parent.pk not in ancestors:
                self.warn(
                    relationship.label,
                    field,
                    f"{parent.name} is published as the ultimate parent of {child.name}, but no "
                    f"chain of control in the registry leads from {child.name} up to it.",
                )
            elif parent.pk not in tops:
                warning = _error(relationship.label, field, "")
                self.warnings.append(warning)
                beyond.append((warning, parent, child, tops))
        if not beyond:
            return
        named = (
            Entity.objects.filter(pk__in=sorted(set().union(*(t for *_, t in beyond))))
            .order_by("name", "pk")
            .values_list("pk", "name")
        )
        order = {pk: (rank, name) for rank, (pk, name) in enumerate(named)}
        for warning, parent, child, tops in beyond:
            above = ", ".join(order[pk][1] for pk in sorted(tops, key=order.__getitem__))
            warning["message"] = (
                f"{parent.name} is published as the ultimate parent of {child.name}, but "
                f"the registry's chain of control goes on above it (to {above})."
            )

    def _controllers_of(self, children: set[int]) -> dict[int, set[int]]:
        """Who controls each entity above ``children`` directly today (a ``control`` edge or
        a majority shareholding), read for a whole level of the chains at a time."""
        controls = Q(interest=Interest.CONTROL) | Q(
            Q(share__gt=50) | Q(share_min__gt=50), interest=Interest.SHAREHOLDING
        )
        controllers: dict[int, set[int]] = {}
        frontier = set(children)
        while frontier:
            for chunk in _chunks(sorted(frontier)):
                for pk in chunk:
                    controllers[pk] = set()
                edges = (
                    Ownership.objects.filter(controls, owned_id__in=chunk)
                    .active_on(self.today)
                    .values_list("owned_id", "owner_id")
                )
                for owned, owner in edges:
                    controllers[owned].add(owner)
            frontier = {o for owners in controllers.values() for o in owners} - set(controllers)
        return controllers

    def _reporting_exceptions(self, exceptions: list["gleif.ReportingException"]) -> None:
        """A direct parent withheld (``NON_PUBLIC``, ``NATURAL_PERSONS``, ``NO_LEI``) records an
        undisclosed owner; an ultimate one is recorded on the run only (docs/imports.md, GLEIF).
        A batch at a time: one UPDATE each way (with its audit history) and the records in bulk."""
        disclosed_again = [
            e.record
            for e in exceptions
            if e.category == gleif.DIRECT
            and not e.opaque
            and self.entities[e.lei].owners_undisclosed
        ]
        latest: dict[str, list[str]] = {}
        if disclosed_again:
            rows = self._earlier_records(disclosed_again).order_by("record", "-run_id")
            for record, interests in rows.values_list("record", "interests"):
                latest.setdefault(record, interests)
        flag: dict[int, Entity] = {}
        clear: dict[int, Entity] = {}
        records = []
        for exception in exceptions:
            entity = self.entities[exception.lei]
            flagged = exception.category == gleif.DIRECT and exception.opaque
            if flagged and not entity.owners_undisclosed:
                flag[entity.pk] = entity
                clear.pop(entity.pk, None)
            elif (
                exception.category == gleif.DIRECT
                and not flagged
                and entity.owners_undisclosed
                and latest.get(exception.record) == ["owners_undisclosed"]
            ):
                # An exception that said the parent was withheld and now says there is none.
                clear[entity.pk] = entity
                flag.pop(entity.pk, None)
            records.append(
                {
                    "run_id": self.run.pk,
                    "record": exception.record,
                    "entity_id": entity.pk,
                    "interests": ["owners_undisclosed"] if flagged else [],
                }
            )
        for changed, value in ((flag, True), (clear, False)):
            if not changed:
                continue
            Entity.objects.filter(pk__in=list(changed)).update(owners_undisclosed=value)
            history_recorded(Entity, list(changed), "~")
            for entity in changed.values():
                entity.owners_undisclosed = value
            self.touched.update(changed)
        rows_insert(ImportedRecord, records)

    def _handover_days(
        self, same_day: list[bods.Relationship]
    ) -> dict[tuple[int, str], datetime.date]:
        """The earliest start, on or before the statements' date, of an interest into each
        subject that statements of that date declare: an interest those statements end
        without an end date of its own ends then, so the stake is handed over, not doubled."""
        days: dict[tuple[int, str], datetime.date] = {}
        for relationship in same_day:
            if relationship.closed or relationship.statement_date is None:
                continue
            subject, _, _ = self._parties_of(relationship)
            for edge in relationship.edges:
                if edge.start_date and edge.start_date <= relationship.statement_date:
                    key = (subject.pk, edge.interest)
                    days[key] = min(days.get(key, edge.start_date), edge.start_date)
        return days

    def _handover_order(self, item: tuple[int, bods.Relationship]) -> tuple:
        position, relationship = item
        if relationship.closed or any(edge.end_date for edge in relationship.edges):
            return (0, Decimal(0), position)
        subject, owner, _ = self._parties_of(relationship)
        change = Decimal(0)
        for edge in relationship.edges:
            if owner is None or edge.interest != Interest.SHAREHOLDING:
                continue
            day = relationship.statement_date or self.today
            if subject.pk in self.created and subject.pk not in self.slow_subjects:
                pair = [e for e in self.pending_by_subject(subject) if e.owner_id == owner.pk]
            else:
                pair = self._pair(owner, subject, edge.interest)
            running = [e for e in pair if e.end_date is None or e.end_date >= day]
            held = max(running, key=lambda e: e.start_date) if running else None
            before = Decimal(0) if held is None else (held.share or held.share_min or 0)
            change += (edge.share or edge.share_min or 0) - before
        return (1, change, position)

    def _party(self, party: bods.Party) -> None:
        for field, message in party.warnings:
            self.warn(party.label, field, message)
        if party.unspecified is not None:
            self.unspecified[party.record] = party.unspecified
            for alias in party.replaces:
                self.unspecified.setdefault(alias, party.unspecified)
            return
        try:
            entity = self._match(party)
            if entity is None:
                entity = self._create(party)
            else:
                self._complete(entity, party)
        except ValidationError as exc:
            raise ImportFailed(_validation_errors(party.label, "", exc)) from None
        if party.pep:
            self.warn(party.label, "politicalExposure", f"{party.name} is declared a PEP.")
        for category, reason in getattr(party, "watchlist", ()):
            self.listing.append((entity, category, reason, party))
        self.entities[party.record] = entity
        for alias in party.replaces:
            self.entities.setdefault(alias, entity)
        self.records.append(ImportedRecord(run=self.run, record=party.record, entity=entity))

    def _earlier_records(self, records: Iterable[str]):
        """Records of earlier, finished runs of the same source."""
        return ImportedRecord.objects.filter(
            record__in=list(records),
            run__source_name=self.run.source_name,
            run__status=ImportStatus.DONE,
            run__dry_run=False,
        ).exclude(run=self.run)

    def _match(self, party: bods.Party) -> Entity | None:
        """By LEI, else by any identifier, else by its record id in an earlier run of the
        same source (or in this run); never by name."""
        if party.lei and party.lei in self.by_lei:
            return self._matched(self.by_lei[party.lei], party)
        for scheme, value in party.identifiers:
            if (scheme, value) in self.by_identifier:
                return self._matched(self.by_identifier[(scheme, value)], party)
        records = [party.record, *party.replaces]
        for record in records:
            if record in self.entities:
                return self._matched(self.entities[record], party)
        for record in records:
            if record in self.earlier_parties:
                return self._matched(self.earlier_parties[record], party)
        return None

    def _matched(self, entity: Entity, party: bods.Party) -> Entity:
        new = entity.pk is None or entity.pk in self.created
        if not new and entity.pk not in self.matched:
            self.matched.add(entity.pk)
            self.counts["entities_matched"] += 1
        if (entity.kind == EntityKind.PERSON) != (party.kind == EntityKind.PERSON):
            self.warn(
                party.label,
                "(statement)",
                f"Matched {entity.name} (#{entity.pk}), which the registry holds as a "
                f"{entity.get_kind_display().lower()}; kept as it is.",
            )
        return entity

    def _create(self, party: bods.Party) -> Entity:
        """A new entity, validated now and written with the others in bulk."""
        twin = self.twins.get((party.name.lower(), party.country))
        free = _identifiers_checked(
            (scheme, value)
            for scheme, value in party.identifiers
            if (scheme, value) not in self.by_identifier
        )
        if party.lei and party.lei in self.by_lei:
            raise ValidationError(
                {"lei": [f"LEI {party.lei} already identifies {self.by_lei[party.lei].name}."]}
            )
        entity = Entity(
            name=party.name.strip(),
            kind=party.kind,
            country=party.country,
            lei=party.lei,
            import_run=self.run,
            import_record=party.record,
        )
        entity.clean_fields(exclude=["import_run"])
        self.new_entities.append((entity, free))
        for key in free:
            self.by_identifier[key] = entity
        if party.lei:
            self.by_lei[party.lei] = entity
        self.twins.setdefault((party.name.lower(), party.country), entity)
        self.counts["entities_new"] += 1
        if twin is not None:
            warning = _error(party.label, "name", "")
            self.warnings.append(warning)
            self.duplicate_warnings.append((warning, entity, twin))
        return entity

    def _complete(self, entity: Entity, party: bods.Party) -> None:
        """Add the LEI and identifiers the file knows and the registry does not."""
        changes: dict[str, object] = {}
        if party.lei and not entity.lei and party.lei not in self.by_lei:
            changes["lei"] = party.lei
            self.by_lei[party.lei] = entity
        added = []
        for scheme, value in party.identifiers:
            holder = self.by_identifier.get((scheme, value))
            if holder is entity or (holder is not None and holder.pk == entity.pk):
                continue
            if holder is not None:
                self.warn(
                    party.label,
                    "identifiers",
                    f"{scheme}:{value} identifies another entity (#{holder.pk}): left out.",
                )
                continue
            added.append((scheme, value))
            self.by_identifier[(scheme, value)] = entity
        if changes or added:
            current = [(i.scheme, i.value) for i in entity.identifiers.all()]
            entity_update(entity=entity, identifiers=current + added if added else None, **changes)

    # Relationships ------------------------------------------------------------------------------

    def _resolve(self, record: str, relationship: bods.Relationship, field: str) -> Entity | None:
        if record in self.entities:
            return self.entities[record]
        if record in self.unspecified:
            return None
        earlier = self.earlier_parties.get(record)
        if earlier is None:
            raise ImportFailed(
                [
                    _error(
                        relationship.label,
                        field,
                        f"“{record}” is not a statement of this file nor a record of an "
                        f"earlier run of {self.run.source_name}.",
                    )
                ]
            )
        self.entities[record] = earlier
        return earlier

    def _parties_of(
        self, relationship: bods.Relationship
    ) -> tuple[Entity, Entity | None, bods.Unspecified | None]:
        prefix = "recordDetails." if relationship.replaces == [relationship.record] else ""
        subject_field = relationship.subject_field or f"{prefix}subject"
        subject = self._resolve(relationship.subject, relationship, subject_field)
        if subject is None:
            raise ImportFailed(
                [_error(relationship.label, subject_field, "The subject is not disclosed.")]
            )
        if relationship.unspecified is not None:
            return subject, None, relationship.unspecified
        owner_field = relationship.owner_field or f"{prefix}interestedParty"
        owner = self._resolve(relationship.owner, relationship, owner_field)
        if owner is None:
            return subject, None, self.unspecified[relationship.owner]
        return subject, owner, None

    def _keys(self, relationship: bods.Relationship) -> set[tuple[int, int, str]]:
        subject, owner, _ = self._parties_of(relationship)
        if owner is None:
            return set()
        return {(owner.pk, subject.pk, edge.interest) for edge in relationship.edges}

    def _relationship(
        self, relationship: bods.Relationship, replacing: dict[str, list[bods.Relationship]]
    ) -> None:
        for field, message in relationship.warnings:
            self.warn(relationship.label, field, message)
        self.counts["indirect_skipped"] += relationship.indirect
        subject, owner, unspecified = self._parties_of(relationship)
        day = relationship.statement_date or self.today
        field = "(statement)"
        try:
            self._end_replaced(relationship, replacing, day)
            if relationship.closed:
                for key in self._keys(relationship):
                    self.holdings.pop(key, None)
                return
            if unspecified is not None:
                self._undisclosed(subject, unspecified, relationship)
                return
            if owner.pk == subject.pk:
                self.warn(relationship.label, "interestedParty", "An entity cannot own itself.")
                return
            for edge in relationship.edges:
                field = edge.field
                self._edge(owner, subject, edge, relationship, day)
                self._hold(owner, subject, edge, relationship)
        except ValidationError as exc:
            raise ImportFailed(_validation_errors(relationship.label, field, exc)) from None
        interests = [edge.interest for edge in relationship.edges]
        self.record_rows.append(
            {
                "run_id": self.run.pk,
                "record": relationship.record,
                "entity_id": subject.pk,
                "owner_id": owner.pk if owner is not None else None,
                "interests": interests,
            }
        )
        if owner is not None:
            self.run_rows.setdefault(relationship.record, []).append(
                (owner.pk, subject.pk, interests)
            )

    def _end_replaced(
        self,
        relationship: bods.Relationship,
        replacing: dict[str, list[bods.Relationship]],
        day: datetime.date,
    ) -> None:
        """End what the records this statement replaces said and no statement replacing them
        says any more (a closed record: all of it), the day before this statement."""
        closing_days = {}
        if relationship.closed:
            # A closed record's interests may say when each ended; else it ends on this day.
            subject, owner, _ = self._parties_of(relationship)
            closing_days = {
                (owner.pk, subject.pk, edge.interest): edge.end_date + ONE_DAY
                for edge in relationship.edges
                if owner is not None and edge.end_date is not None
            }
        for record in relationship.replaces:
            if record == relationship.record:
                covered = set() if relationship.closed else self._keys(relationship)
            elif record in self.ended_records:
                continue
            else:
                self.ended_records.add(record)
                covered = set().union(*(self._keys(r) for r in replacing.get(record, [])))
            rows = [*self.earlier_rows.get(record, []), *self.run_rows.get(record, [])]
            for owner_id, entity_id, interests in rows:
                for interest in interests:
                    key = (owner_id, entity_id, interest)
                    if key not in covered:
                        handover = self.handover_days.get((entity_id, interest), day)
                        ends = closing_days.get(key, min(day, handover))
                        self._end_key(key, ends, relationship)

    def _end_key(
        self, key: tuple[int, int, str], day: datetime.date, relationship: bods.Relationship
    ) -> None:
        owner_id, owned_id, interest = key
        self._slow(owned_id)
        edge = (
            Ownership.objects.filter(owner_id=owner_id, owned_id=owned_id, interest=interest)
            .active_on(day)
            .filter(start_date__lt=day)
            .select_related("owner", "owned")
            .order_by("-start_date")
            .first()
        )
        if edge is not None:
            self._end(edge, day - ONE_DAY, relationship)

    def _end(self, edge: Ownership, end: datetime.date, relationship: bods.Relationship) -> None:
        cached = self.bulk_events and edge.owned_id in self.cached_subjects
        if not cached:
            self._slow(edge.owned_id)
        self.counts["edges_ended"] += 1
        if self._between_registry_parties(edge.owner, edge.owned) and (
            edge.interest == Interest.SHAREHOLDING
        ):
            self._log(
                relationship,
                kind=EventKind.DIVESTITURE,
                subject=edge.owned,
                counterparty=edge.owner,
                effective_date=end + ONE_DAY,
            )
            return
        if cached and (edge.end_date is None or end <= edge.end_date):
            # As ``ownership_end`` would (an earlier end never needs its checks), in bulk.
            self._cached_end(edge, end, event=None)
        else:
            self._slow(edge.owned_id)
            ownership_end(ownership=edge, end_date=end, import_run=self.run)
        self._touch(edge.owner, edge.owned)

    def _undisclosed(
        self, subject: Entity, unspecified: bods.Unspecified, relationship: bods.Relationship
    ) -> None:
        reason = unspecified.reason + (
            f": {unspecified.description.rstrip('.')}" if unspecified.description else ""
        )
        if not unspecified.is_opacity:
            self.warn(
                relationship.label,
                "interestedParty",
                f"{subject.name}: no owner disclosed, and none needs to be ({reason}).",
            )
            return
        self.warn(
            relationship.label,
            "interestedParty",
            f"{subject.name}: an owner is not disclosed ({reason}); recorded as undisclosed.",
        )
        if not subject.owners_undisclosed:
            entity_update(entity=subject, owners_undisclosed=True, import_run=self.run)
            self.touched.add(subject.pk)

    def _edge(
        self,
        owner: Entity,
        subject: Entity,
        wanted: bods.WantedEdge,
        relationship: bods.Relationship,
        day: datetime.date,
    ) -> None:
        start = wanted.start_date or day
        bulk = self._fresh(owner, subject, wanted.interest) or self._direct_fresh(
            owner, subject, wanted
        )
        if bulk and self._bulk_edge(owner, subject, wanted, relationship, start):
            self.counts["edges_new"] += 1
            self._touch(owner, subject)
            return
        if (owner.pk, subject.pk, wanted.interest) in self.new_edge_keys:
            # The pair's edge waits in the bulk write: the services must see it.
            self._flush_edges()
        pair = self._pair(owner, subject, wanted.interest)

        def active_on(date: datetime.date) -> Ownership | None:
            running = [edge for edge in pair if edge.is_active_on(date)]
            return running[-1] if running else None

        active = active_on(start)
        if (
            active is not None
            and not _same_terms(active, wanted)
            and active.start_date >= start
            and day > start
            and (wanted.end_date is None or wanted.end_date >= day)
        ):
            # The interest's start is when it was first held, not when its terms changed: the
            # earlier terms held until this statement, and the new ones start with it.
            start = day
            active = active_on(start)
        if active is not None and _same_terms(active, wanted):
            if wanted.end_date is not None and active.end_date is None:
                self._end(active, wanted.end_date, relationship)
            else:
                self.counts["edges_unchanged"] += 1
            return
        changed = active is not None
        self.counts["edges_changed" if changed else "edges_new"] += 1
        if self._between_registry_parties(owner, subject):
            if not (self._queues_events(subject) and wanted.interest == Interest.SHAREHOLDING):
                self._slow(subject)
            if self._as_event(owner, subject, wanted, relationship, start, changed):
                return
        self._slow(subject)
        ownership_set(**self._edge_terms(owner, subject, wanted, relationship, start))
        self._touch(owner, subject)

    def _between_registry_parties(self, owner: Entity, owned: Entity) -> bool:
        return owner.pk not in self.created and owned.pk not in self.created

    def _as_event(
        self,
        owner: Entity,
        subject: Entity,
        wanted: bods.WantedEdge,
        relationship: bods.Relationship,
        start: datetime.date,
        changed: bool,
    ) -> bool:
        """Log the change as an ownership event when an event kind describes it; ``False``
        when none does and the edge is written directly."""
        if wanted.interest == Interest.SHAREHOLDING:
            if wanted.share is None:
                self.warn(
                    relationship.label,
                    f"{wanted.field}.share",
                    "A range is written as an edge: an ownership event carries an exact share.",
                )
                return False
            self._log(
                relationship,
                kind=EventKind.STAKE_CHANGE if changed else EventKind.ACQUISITION,
                subject=subject,
                counterparty=owner,
                share=wanted.share,
                effective_date=start,
            )
        elif wanted.interest == Interest.BOARD_MEMBER and not changed:
            person = owner if owner.kind == EntityKind.PERSON else None
            self._log(
                relationship,
                kind=EventKind.BOARD_APPOINTMENT,
                subject=subject,
                person=person,
                counterparty=None if person else owner,
                effective_date=start,
            )
        elif wanted.interest == Interest.SENIOR_MANAGING_OFFICIAL and not changed:
            previous = (
                Ownership.objects.filter(
                    owner=owner,
                    interest__in=(Interest.SENIOR_MANAGING_OFFICIAL, Interest.BOARD_MEMBER),
                )
                .exclude(owned=subject)
                .select_related("owned")
                .order_by("-start_date", "-id")
                .first()
            )
            if owner.kind != EntityKind.PERSON or previous is None:
                return False
            # The person moves from the last entity they sat on to this one.
            self._log(
                relationship,
                kind=EventKind.EXECUTIVE_MOVE,
                subject=previous.owned,
                person=owner,
                counterparty=subject,
                effective_date=start,
            )
        else:
            return False
        if wanted.end_date is not None and wanted.interest == Interest.SHAREHOLDING:
            self._log(
                relationship,
                kind=EventKind.DIVESTITURE,
                subject=subject,
                counterparty=owner,
                effective_date=wanted.end_date + ONE_DAY,
            )
        return True

    def _log(
        self,
        relationship: bods.Relationship,
        *,
        kind: str,
        subject: Entity,
        effective_date: datetime.date,
        counterparty: Entity | None = None,
        person: Entity | None = None,
        share: Decimal | None = None,
    ) -> None:
        if kind in CONTROL_EVENT_KINDS and self._queues_events(subject):
            self._queue_event(
                relationship,
                kind=kind,
                subject=subject,
                counterparty=counterparty,
                share=share,
                effective_date=effective_date,
            )
            return
        self._slow(subject)
        event = ownership_event_log(
            kind=kind,
            subject=subject,
            counterparty=counterparty,
            person=person,
            share=share,
            effective_date=effective_date,
            note=f"Imported from {self.run.source_name}, record {relationship.record}.",
            import_run=self.run,
            enqueue=False,
        )
        self.events.append(event)
        self.counts["events"] += 1
        self._report_event(
            {
                "id": None if self.run.dry_run else event.pk,
                "kind": kind,
                "subject": subject.pk,
                "subject_name": subject.name,
                "counterparty": counterparty.pk if counterparty else None,
                "counterparty_name": counterparty.name if counterparty else "",
                "person": person.pk if person else None,
                "person_name": person.name if person else "",
                "share": None if share is None else f"{share.normalize():f}",
                "effective_date": effective_date.isoformat(),
                "record": relationship.record,
            }
        )

    # Events in bulk -----------------------------------------------------------------------------

    def _queues_events(self, subject: Entity) -> bool:
        """Whether a stake event on ``subject`` is applied to the cached edges and written in
        bulk: in a GLEIF run, when the subject's edges were read in bulk and are still
        trusted."""
        return self.bulk_events and subject.pk in self.cached_subjects

    def _stake(self, edge: Ownership) -> Stake:
        if edge.pk is None and not hasattr(edge, "_unsaved_id"):
            edge._unsaved_id = next(self._unsaved_ids)
        return Stake(
            id=edge.pk if edge.pk is not None else edge._unsaved_id,
            owner=edge.owner_id,
            owned=edge.owned_id,
            interest=edge.interest,
            share=edge.share,
            share_min=edge.share_min,
            share_max=edge.share_max,
            start_date=edge.start_date,
            end_date=edge.end_date,
        )

    def _queue_event(
        self,
        relationship: bods.Relationship,
        *,
        kind: str,
        subject: Entity,
        effective_date: datetime.date,
        counterparty: Entity | None,
        share: Decimal | None,
    ) -> None:
        """``ownership_event_log`` without its queries: the event is validated, its effect on
        the subject's edges (``effects.event_effects``, the rule the service applies) is
        applied to the cached edges, and the event and edges are written with the batch."""
        event = OwnershipEvent(
            kind=kind,
            subject=subject,
            counterparty=counterparty,
            share=share,
            effective_date=effective_date,
            note=f"Imported from {self.run.source_name}, record {relationship.record}.",
            import_run=self.run,
        )
        self._clean_fields(
            event, ("subject", "counterparty", "person", "import_run"), varying=("note",)
        )
        event.clean()
        edges = self.edges_into.get(subject.pk, [])
        by_id = {self._stake(edge).id: edge for edge in edges}
        outcome = effects.event_effects(
            effects.EventFacts.of(event), [self._stake(edge) for edge in edges]
        )
        for change in outcome.changes:
            if change.kind == effects.SET:
                self._cached_set(change, subject, event)
            else:
                self._cached_end(by_id[change.edge], change.end_date, event=event)
        if outcome.dilution:
            names = dict(
                Entity.objects.filter(
                    pk__in={pk for c in outcome.dilution for pk in (c.owner, c.owned)}
                ).values_list("pk", "name")
            )
            event.dilution = [_dilution_record(change, names) for change in outcome.dilution]
        row = self._event_row(relationship, event)
        self.queued_events.append((event, row))
        self.event_subjects.add(subject.pk)
        if self.run.dry_run:
            self.events.append(event)

    def _cached_set(self, change: "effects.EdgeChange", subject: Entity, event) -> None:
        """``ownership_set`` of an event's change, on the cached edges (the timeline rule)."""
        pair = [
            edge
            for edge in self.edges_into.get(subject.pk, [])
            if (edge.owner_id, edge.interest) == (change.owner, change.interest)
        ]
        plan = effects.timeline_insert(
            [self._stake(edge) for edge in pair],
            start_date=change.start_date,
            end_date=change.end_date,
        )
        by_id = {self._stake(edge).id: edge for edge in pair}
        for stake in plan.replaced:
            self._cached_delete(by_id[stake.id])
        for stake, end in plan.ended:
            edge = by_id[stake.id]
            edge.end_date = end
            if edge.pk is not None:
                self.edge_updates[edge.pk] = edge
        edge = Ownership(
            owner_id=change.owner,
            owned=subject,
            interest=change.interest,
            share=change.share,
            share_min=change.share_min,
            share_max=change.share_max,
            start_date=change.start_date,
            end_date=plan.end_date,
            source_event=event,
        )
        self._clean_fields(edge, ("owner", "owned", "source_event", "ended_by_event"))
        self.edge_inserts.append(edge)
        self.edges_into.setdefault(subject.pk, []).append(edge)
        key = (change.owner, subject.pk, change.interest)
        pair_edges = self.stored_edges.setdefault(key, [])
        pair_edges.append(edge)
        pair_edges.sort(key=lambda e: e.start_date)

    def _cached_end(self, edge: Ownership, end: datetime.date, *, event) -> None:
        """``ownership_end`` on a cached edge: removed when it would end before it started."""
        if end < edge.start_date:
            self._cached_delete(edge)
            return
        edge.end_date = end
        if event is not None:
            edge.ended_by_event = event
        if edge.pk is not None:
            self.edge_updates[edge.pk] = edge
        self.event_subjects.add(edge.owned_id)

    def _cached_delete(self, edge: Ownership) -> None:
        into = self.edges_into.get(edge.owned_id, [])
        if edge in into:
            into.remove(edge)
        pair = self.stored_edges.get((edge.owner_id, edge.owned_id, edge.interest), [])
        if edge in pair:
            pair.remove(edge)
        if edge.pk is None:
            self.edge_inserts = [e for e in self.edge_inserts if e is not edge]
        else:
            self.edge_updates.pop(edge.pk, None)
            self.edge_deletes[edge.pk] = edge
        self.event_subjects.add(edge.owned_id)

    def _flush_events(self) -> None:
        """Write the queued events and the edge changes they and the bulk ends made: the
        subjects locked as ``ownership_event_log`` locks them, the events in one insert a
        batch, then the edges (with their audit history)."""
        if not (self.queued_events or self.edge_inserts or self.edge_updates or self.edge_deletes):
            self.event_subjects = set()
            return
        for chunk in _chunks(sorted(self.event_subjects), 5000):
            list(Entity.objects.select_for_update().filter(pk__in=chunk).values_list("pk"))
        events = [event for event, _ in self.queued_events]
        instances_insert(events)
        if not self.run.dry_run:
            for event, row in self.queued_events:
                row["id"] = event.pk
        for chunk in _chunks(sorted(self.edge_deletes)):
            Ownership.objects.filter(pk__in=chunk).delete()
        if self.edge_updates:
            changed = list(self.edge_updates.values())
            _update_rows(Ownership, changed, ["end_date", "ended_by_event"])
            history_recorded(Ownership, [edge.pk for edge in changed], "~")
        if self.edge_inserts:
            instances_insert(self.edge_inserts, recorded=True)
        self.queued_events, self.edge_inserts = [], []
        self.edge_updates, self.edge_deletes, self.event_subjects = {}, {}, set()

    def _event_row(self, relationship: bods.Relationship, event: OwnershipEvent) -> dict:
        self.counts["events"] += 1
        counterparty, person, share = event.counterparty, event.person, event.share
        row = {
            "id": None if self.run.dry_run else event.pk,
            "kind": event.kind,
            "subject": event.subject.pk,
            "subject_name": event.subject.name,
            "counterparty": counterparty.pk if counterparty else None,
            "counterparty_name": counterparty.name if counterparty else "",
            "person": person.pk if person else None,
            "person_name": person.name if person else "",
            "share": None if share is None else f"{share.normalize():f}",
            "effective_date": event.effective_date.isoformat(),
            "record": relationship.record,
        }
        self._report_event(row)
        return row

    def _report_event(self, row: dict) -> None:
        """The run's report lists its first ``REPORT_EVENTS`` events; ``counts["events"]``
        counts them all, and the events themselves are stored with the run's id."""
        if len(self.event_rows) < REPORT_EVENTS:
            self.event_rows.append(row)

    # Watchlist ----------------------------------------------------------------------------------

    def _watchlist(self) -> None:
        """Bring the watchlist entries of this source in line with the file's topics: list what
        the file lists and nobody has listed yet, and take off the entries earlier runs of the
        source listed that the file no longer does. An entry a person made is never touched."""
        self.listed = {
            (entity.pk, category): (entity, reason, party)
            for entity, category, reason, party in self.listing
        }
        existing = {
            (entry.entity_id, entry.category): entry
            for entry in WatchlistEntry.objects.filter(
                entity_id__in={entity_id for entity_id, _ in self.listed}
            ).select_related("import_run")
        }
        for key, (entity, reason, party) in self.listed.items():
            category = key[1]
            entry = existing.get(key)
            label = WatchlistEntry(category=category).get_category_display().lower()
            try:
                if entry is None:
                    watchlist_entry_create(
                        entity=entity,
                        category=category,
                        reason=reason,
                        import_run=self.run,
                        import_record=party.record,
                    )
                    self.touched.add(entity.pk)
                    self.warn(party.label, "properties.topics", f"{entity.name} listed as {label}.")
                elif self._ours(entry) and entry.reason != reason:
                    watchlist_entry_update(entry=entry, reason=reason)
                    self.warn(
                        party.label,
                        "properties.topics",
                        f"{entity.name}, listed as {label}: the reason is now {reason}",
                    )
            except ValidationError as exc:
                raise ImportFailed(
                    _validation_errors(party.label, "properties.topics", exc)
                ) from None
        dropped = (
            WatchlistEntry.objects.filter(
                import_run__source_name=self.run.source_name,
                import_run__format=ImportFormat.FTM,
            )
            .exclude(import_run=self.run)
            .select_related("entity")
            .order_by("pk")
        )
        for entry in dropped:
            if (entry.entity_id, entry.category) in self.listed:
                continue
            label = entry.get_category_display().lower()
            watchlist_entry_delete(entry=entry, import_run=self.run)
            self.touched.add(entry.entity_id)
            self.warn(
                entry.import_record,
                "properties.topics",
                f"{entry.entity.name} taken off the watchlist as {label}: "
                f"{self.run.source_name} no longer lists it.",
            )

    def _ours(self, entry: WatchlistEntry) -> bool:
        """Whether an import run of this source listed the entry (not a person, not another
        source)."""
        return entry.import_run is not None and entry.import_run.source_name == (
            self.run.source_name
        )

    def _touch(self, owner: Entity, owned: Entity) -> None:
        self.touched.add(owned.pk)
        if owner.kind == EntityKind.PERSON:
            self.touched.add(owner.pk)

    # Report -------------------------------------------------------------------------------------

    def affected_vendor_ids(self) -> list[int]:
        return import_affected_vendor_ids(
            entity_ids=self.touched, events=self.events, today=self.today
        )

    def projected_levels(self) -> list[dict]:
        """Each affected vendor's stored level and the level the changes bring (rule 6)."""
        vendors = Vendor.objects.filter(pk__in=self.affected_vendor_ids()).select_related("entity")
        return [
            {
                "vendor": vendor.pk,
                "vendor_name": vendor.entity.name,
                "current_level": vendor.risk_level,
                "projected_level": vendor_risk_as_of(vendor=vendor, as_of=self.today).level,
            }
            for vendor in vendors.order_by("pk")
        ]


def _update_rows(model, rows: list, fields: list[str]) -> None:
    """Write ``fields`` of ``rows`` (stored instances): on PostgreSQL one ``UPDATE … FROM
    (VALUES …)`` a batch — ``bulk_update``'s ``CASE`` per row costs more to build than the
    update to run — elsewhere ``bulk_update``."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, fields, batch_size=BULK_BATCH)
        return
    for row in rows:
        row._prepare_related_fields_for_save(
            operation_name="update", fields=[model._meta.get_field(name) for name in fields]
        )
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    casts = ", ".join(
        f"CAST(%s AS {field.db_type(connection)})" for field in [model._meta.pk, *columns]
    )
    assigned = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns)
    names = ", ".join(quote(f.column) for f in [model._meta.pk, *columns])
    table = quote(model._meta.db_table)
    for batch in _chunks(rows, BULK_BATCH):
        params = []
        for row in batch:
            params.append(row.pk)
            params += [f.get_db_prep_save(getattr(row, f.attname), connection) for f in columns]
        values = ", ".join(f"({casts})" for _ in batch)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {assigned} FROM (VALUES {values}) AS v({names}) "
                f"WHERE {table}.{quote(model._meta.pk.column)} = v.{quote(model._meta.pk.column)}",
                params,
            )


def _by_leis(leis: list[str]):
    """The entities of ``leis``, found by the index of LEIs: it holds only entities that have
    one, and PostgreSQL uses it for a list of more than a hundred only when the query says so
    too (else each batch would read the whole table)."""
    return Entity.objects.filter(lei__any_of=leis).exclude(lei="")


def _above(entity: int, controllers: dict[int, set[int]]) -> tuple[set[int], set[int]]:
    """The entities that control ``entity`` directly or indirectly (``controllers``: who
    controls whom directly), and those of them nobody controls."""
    seen: set[int] = set()
    tops: set[int] = set()
    frontier = {entity}
    while frontier:
        tops |= {pk for pk in frontier if not controllers.get(pk) and pk != entity}
        frontier = {
            owner
            for pk in frontier
            for owner in controllers.get(pk, ())
            if owner not in seen and owner != entity
        }
        seen |= frontier
    return seen, tops


def _chunks(values: list, size: int = 2000) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _identifiers_checked(identifiers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Identifiers as the registry keeps them (schemes upper case), each once; a scheme or
    id that is empty or a scheme with “:” is refused at ``identifiers``."""
    wanted: list[tuple[str, str]] = []
    for scheme, value in identifiers:
        scheme, value = scheme.strip().upper(), value.strip()
        if not scheme or not value:
            raise ValidationError({"identifiers": ["Each identifier needs a scheme and an id."]})
        if ":" in scheme:
            raise ValidationError(
                {"identifiers": [f"“{scheme}”: a scheme code cannot contain “:”."]}
            )
        if (scheme, value) not in wanted:
            wanted.append((scheme, value))
    return wanted


def _validation_errors(record: str, field: str, exc: ValidationError) -> list[dict[str, str]]:
    if hasattr(exc, "error_dict"):
        return [
            _error(record, _field_name(field, name), message)
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return [_error(record, field, message) for message in exc.messages]


def _field_name(field: str, name: str) -> str:
    """``interests[0].share``: the statement's field, then the registry's field it fed."""
    if name == "__all__":
        return field
    return f"{field}.{name}" if field and field != "(statement)" else name


def import_affected_vendor_ids(
    *, entity_ids: Iterable[int], events: Iterable[OwnershipEvent], today: datetime.date
) -> list[int]:
    """Rule 6 for a run: the vendors around the entities whose edges or watchlist entries it
    wrote directly (a person's seats included) and those of each event it logged — one
    union."""
    entity_ids = set(entity_ids)
    people = set(
        Entity.objects.filter(pk__in=entity_ids, kind=EntityKind.PERSON).values_list(
            "pk", flat=True
        )
    )
    # A person is taken both ways, as for a watchlist change (a run may list or unlist one):
    # what they own or control, and the entities they sit on.
    around = affected_entities(
        subject_ids=sorted(entity_ids), person_ids=sorted(people), as_of=today
    )
    vendor_ids = set(Vendor.objects.filter(entity_id__in=around).values_list("pk", flat=True))
    for event in events:
        vendor_ids |= set(event_affected_vendor_ids(event, today=today))
    return sorted(vendor_ids)


def import_run_recheck(*, run_id: int) -> ImportRun | None:
    """After a run committed: recheck the union of the vendors it affects once, raise
    ``risk_increased`` alerts naming the run and each event's change-of-control reviews, and
    mark the run's events processed — one transaction, done once, under a lease. The vendors
    come from one walk of the graph for the whole run (``imports.affected``), the events are
    read as rows, never as objects, except those a change-of-control review may be due for."""
    with leased(IMPORT_RECHECK_LEASE, run_id) as token:
        return None if token is None else _import_run_recheck(run_id)


def _import_run_recheck(run_id: int) -> ImportRun | None:
    today = timezone.localdate()
    with transaction.atomic():
        run = (
            ImportRun.objects.select_for_update()
            .filter(pk=run_id, status=ImportStatus.DONE, dry_run=False, rechecked_at__isnull=True)
            # The report is not needed to recheck, and a golden copy's warnings are many.
            .defer("events", "warnings", "errors")
            .first()
        )
        if run is None:
            return None
        pending = OwnershipEvent.objects.filter(import_run=run).exclude(
            status=EventStatus.PROCESSED
        )
        facts = list(
            pending.order_by("pk").values_list(
                "pk", "subject_id", "person_id", "effective_date", "kind"
            )
        )
        event_ids = [fact[0] for fact in facts]
        for chunk in _chunks(event_ids, 20_000):
            OwnershipEvent.objects.filter(pk__any_of=chunk).update(
                status=EventStatus.PROCESSING,
                claimed_at=timezone.now(),
                attempts=F("attempts") + 1,
            )
        union, per_event = run_affected_vendors(
            entity_ids=run.recheck_entities,
            events=[fact[:4] for fact in facts],
            today=today,
        )
        union = sorted(union)
        before = {
            # No earlier assessment counts as previously low, as for the alerts.
            vendor.pk: vendor.risk_level if vendor.risk_assessed_at else RiskLevel.LOW
            for vendor in Vendor.objects.filter(pk__in=union)
        }
        results = vendors_recheck(union, as_of=today, import_run=run)
        for event in _change_of_control_events(facts, today):
            _raise_change_of_control(event)
        through = OwnershipEvent.affected_vendors.through
        for chunk in _chunks(event_ids, 20_000):
            through.objects.filter(ownershipevent_id__any_of=chunk).delete()
        rows = (
            through(ownershipevent_id=event_id, vendor_id=vendor_id)
            for event_id, vendors in per_event.items()
            for vendor_id in sorted(vendors)
        )
        while batch := list(islice(rows, 5000)):
            through.objects.bulk_create(batch)
        for chunk in _chunks(event_ids, 20_000):
            OwnershipEvent.objects.filter(pk__any_of=chunk).update(
                status=EventStatus.PROCESSED, processed_at=timezone.now(), last_error=""
            )
        run.affected_vendors = [
            {
                "vendor": result.vendor.pk,
                "vendor_name": result.vendor.entity.name,
                "current_level": before[result.vendor.pk],
                "projected_level": result.assessment.level,
            }
            for result in results
        ]
        run.rechecked_at = timezone.now()
        run.save(update_fields=["affected_vendors", "rechecked_at"])
    logger.info("Import run %s: %s vendors rechecked once", run.pk, len(union))
    return run


def _change_of_control_events(facts: list[tuple], today: datetime.date) -> Iterable:
    """The run's events a change-of-control review may be due for: of a kind that changes
    control, with a vendor that has a contract with a change-of-control clause at or below the
    subject on some day from the day before the earliest such event to today. Each is then
    decided by ``_raise_change_of_control`` as for an event logged by hand."""
    controlling = [fact for fact in facts if fact[4] in CONTROL_EVENT_KINDS]
    if not controlling:
        return
    clauses = set(
        Contract.objects.filter(change_of_control_clause=True).values_list("vendor_id", flat=True)
    )
    if not clauses:
        return
    first = min(fact[3] for fact in controlling) - ONE_DAY
    last = max(max(fact[3] for fact in controlling), today)
    above = VendorsAbove(first=first, last=last)
    wanted = [fact[0] for fact in controlling if above.vendors_of([fact[1]]) & clauses]
    for chunk in _chunks(wanted, 500):
        yield from (
            OwnershipEvent.objects.filter(pk__in=chunk)
            .select_related("subject", "import_run")
            .order_by("pk")
        )


def import_scheduled(*, locations: Iterable[str], source_name: str) -> list[int]:
    """Import each file of ``locations`` (a local path, or an http(s) URL fetched to a
    temporary file) as a run of ``source_name``, in order; the ids of the runs made. A file
    whose SHA-256 a finished run of the source already imported is skipped; a missing file, or
    a run that fails, stops the rest (later files build on earlier ones)."""
    runs: list[int] = []
    for location in locations:
        try:
            with _fetched(location) as path:
                digest = _sha256_of(path)
                if ImportRun.objects.filter(
                    source_name=source_name,
                    sha256=digest,
                    status=ImportStatus.DONE,
                    dry_run=False,
                ).exists():
                    logger.info("Scheduled import: %s has not changed; skipped.", location)
                    continue
                with path.open("rb") as stream:
                    file_format = import_format_detect(stream)
                run = import_run_create(
                    source_name=source_name,
                    file_name=path.name,
                    format=file_format,
                    enqueue=False,
                )
                import_run_execute(run=run, path=path)
        except (OSError, ValidationError) as exc:
            logger.error("Scheduled import of %s stopped: %s", location, exc)
            break
        runs.append(run.pk)
        if run.status != ImportStatus.DONE:
            logger.error("Scheduled import of %s failed (run %s): %s", location, run.pk, run.errors)
            break
    return runs


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def _fetched(location: str):
    """A local path as it is; an http(s) URL downloaded to a temporary file first (at most
    the uncompressed-size limit of an archive)."""
    if not location.lower().startswith(("http://", "https://")):
        path = Path(location)
        if not path.is_file():
            raise FileNotFoundError(f"{location}: no such file")
        yield path
        return
    limit = gleif.max_uncompressed_bytes()
    name = Path(urllib.parse.urlparse(location).path).name or "download"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        with urllib.request.urlopen(location, timeout=120) as response, path.open("wb") as out:
            size = 0
            while chunk := response.read(1024 * 1024):
                size += len(chunk)
                if size > limit:
                    raise OSError(f"{location}: larger than {limit} bytes; not imported")
                out.write(chunk)
        yield path


def import_runs_unrechecked(*, older_than: datetime.timedelta) -> list[int]:
    """Finished runs whose after-commit recheck has not happened after ``older_than`` (its
    task was lost) or whose recheck's worker died (its lease ran out): the sweeper sends it
    again."""
    return list(
        ImportRun.objects.filter(
            status=ImportStatus.DONE,
            dry_run=False,
            rechecked_at__isnull=True,
            finished_at__lt=timezone.now() - older_than,
        )
        .exclude(leased_now(IMPORT_RECHECK_LEASE))
        .order_by("finished_at")
        .values_list("pk", flat=True)
    )


#: A run whose worker died this many times is failed rather than queued again.
IMPORT_MAX_ATTEMPTS = 3


def import_runs_abandoned(*, older_than: datetime.timedelta) -> list[int]:
    """Runs to send (again): uploads still queued after ``older_than`` (their task was lost),
    and running ones whose worker died (no live lease) — queued again, since the transaction
    they were in never committed and so changed nothing. A run without its file (the caller
    ran it from a path) or whose worker died ``IMPORT_MAX_ATTEMPTS`` times is failed."""
    message = "The import stopped before it finished (its worker ended); nothing was changed."
    dead = ImportRun.objects.filter(status=ImportStatus.RUNNING).exclude(
        leased_now(IMPORT_RUN_LEASE)
    )
    dead.filter(Q(file="") | Q(attempts__gte=IMPORT_MAX_ATTEMPTS)).update(
        status=ImportStatus.FAILED,
        finished_at=timezone.now(),
        errors=[_error("", "", message)],
    )
    requeued = list(dead.values_list("pk", flat=True))
    ImportRun.objects.filter(pk__in=requeued).update(status=ImportStatus.QUEUED)
    return list(
        ImportRun.objects.filter(
            Q(pk__in=requeued)
            | Q(status=ImportStatus.QUEUED, created_at__lt=timezone.now() - older_than)
        )
        .filter(status=ImportStatus.QUEUED)
        .exclude(file="")
        .exclude(leased_now(IMPORT_RUN_LEASE))
        .order_by("created_at")
        .values_list("pk", flat=True)
    )


def import_run_report(run: ImportRun) -> str:
    """The run's report as people read it (the management command prints it)."""
    lines = [f"{run}: {run.get_status_display().lower()}"]
    if run.sha256:
        lines.append(f"  file {run.file_name} sha256 {run.sha256}")
    lines += [f"  {key.replace('_', ' ')}: {value}" for key, value in run.counts.items()]
    for event in run.events:
        who = event["counterparty_name"] or event["person_name"]
        share = f" {event['share']}%" if event["share"] else ""
        lines.append(
            f"  event: {event['kind']} of {event['subject_name']} by {who}{share} "
            f"on {event['effective_date']}"
        )
    unlisted = run.counts.get("events", 0) - len(run.events)
    if unlisted > 0:
        noun = "event" if unlisted == 1 else "events"
        lines.append(f"  … and {unlisted:,} more {noun} (the first {len(run.events):,} are listed)")
    for row in run.affected_vendors:
        lines.append(
            f"  vendor {row.get('vendor_name', row['vendor'])}: "
            f"{row['current_level']} → {row['projected_level']}"
        )
    for warning in run.warnings:
        lines.append(f"  warning: {warning['record']}, {warning['field']}: {warning['message']}")
    for error in run.errors:
        lines.append(f"  error: {error['record']}, {error['field']}: {error['message']}")
    return "\n".join(lines)
