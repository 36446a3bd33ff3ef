"""Many vendors or contracts at once (a spreadsheet of them).

Each row is validated as the one-row services validate it — the model's field validators and
its ``clean()`` — while what those would ask the database one row at a time (is this LEI or
identifier taken, is this reference in use, which vendor is this) is read for all rows in a few
queries a batch. A check writes nothing and says, per row, what it would do (create, update,
leave unchanged) or every field that is wrong. An apply checks again and, only when no row is
wrong, writes in batches with ``bulk_create``/``bulk_update`` (with the audit history), in one
transaction, and asks for one recheck of every vendor it added or changed.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Lower

from registry.choices import EntityKind, RecheckReason
from registry.models import Contract, Entity, EntityIdentifier, Vendor
from registry.services.common import bulk_create_recorded, bulk_update_recorded
from registry.services.dispatch import recheck_request
from registry.services.vendors import VENDOR_RISK_INPUTS
from registry.validators import validate_lei

#: Values per ``IN (…)`` of the look-ups.
LOOKUP_BATCH = 2000

ENTITY_FIELDS = ("name", "kind", "country", "lei")
VENDOR_FIELDS = ("category", "status", "tier", "data_access", "business_owner")
CONTRACT_FIELDS = (
    "title",
    "value",
    "currency",
    "start_date",
    "end_date",
    "data_classification",
    "change_of_control_clause",
    "coc_termination_window_days",
    "owner",
)
CONTRACT_REQUIRED = ("vendor", "reference", "title", "value", "start_date")

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"


@dataclass
class RowOutcome:
    """What one row does (``create``, ``update``, ``unchanged``) or why it cannot (``error``,
    with every wrong field's messages); ``target`` names the registry record it matched or
    makes, ``changes`` the fields an update changes."""

    action: str = CREATE
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    target: str = ""
    changes: list[str] = field(default_factory=list)
    # What an apply writes.
    entity: Entity | None = None
    entity_new: bool = False
    entity_changes: list[str] = field(default_factory=list)
    entity_lei: str = ""
    identifiers_new: list[tuple[str, str]] = field(default_factory=list)
    record: models.Model | None = None

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def warn(self, name: str, message: str) -> None:
        self.warnings.setdefault(name, []).append(message)

    def errors_from(self, exc: ValidationError) -> None:
        for name, messages in exc.message_dict.items():
            for message in messages:
                self.error(name, message)

    def settle(self, *, exists: bool) -> None:
        if self.errors:
            self.action = ERROR
        elif not exists:
            self.action = CREATE
        else:
            self.action = (
                UPDATE if self.changes or self.entity_changes or self.identifiers_new else UNCHANGED
            )


class RowsInvalid(Exception):
    """An apply found rows that are wrong: nothing was written. ``outcomes`` has every row."""

    def __init__(self, outcomes: list[RowOutcome]):
        self.outcomes = outcomes
        wrong = sum(1 for outcome in outcomes if outcome.action == ERROR)
        super().__init__(f"{wrong} row{'s' if wrong != 1 else ''} cannot be applied.")


def _batches(values: Iterable, size: int = LOOKUP_BATCH) -> Iterable[list]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _row_label(numbers: Sequence[int] | None, index: int) -> int:
    return numbers[index] if numbers is not None else index + 1


def _identifiers_normal(raw: Iterable[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str]]:
    """Identifiers as the registry keeps them (scheme upper case), each once, and the
    problems of those it cannot keep."""
    wanted: list[tuple[str, str]] = []
    problems: list[str] = []
    for scheme, value in raw:
        scheme, value = scheme.strip().upper(), value.strip()
        if not scheme or not value:
            problems.append("Each identifier needs a scheme and an id (SCHEME:ID).")
        elif ":" in scheme:
            problems.append(f"“{scheme}”: a scheme code cannot contain “:”.")
        elif len(scheme) > 32 or len(value) > 64:
            problems.append(f"{scheme}:{value} is too long (scheme 32, id 64 characters at most).")
        elif (scheme, value) not in wanted:
            wanted.append((scheme, value))
    return wanted, problems


def _entities_by_lei(leis: set[str]) -> dict[str, Entity]:
    found: dict[str, Entity] = {}
    for batch in _batches(sorted(leis)):
        for entity in Entity.objects.filter(lei__in=batch):
            found[entity.lei] = entity
    return found


def _entities_by_identifier(keys: set[tuple[str, str]]) -> dict[tuple[str, str], Entity]:
    found: dict[tuple[str, str], Entity] = {}
    values = {value for _, value in keys}
    for batch in _batches(sorted(values)):
        for identifier in EntityIdentifier.objects.filter(value__in=batch).select_related("entity"):
            key = (identifier.scheme, identifier.value)
            if key in keys:
                found[key] = identifier.entity
    return found


def _entity_twins(names: set[str]) -> dict[tuple[str, str], Entity]:
    """Registry entities by (lower-case name, country), for the look-alike warning."""
    found: dict[tuple[str, str], Entity] = {}
    for batch in _batches(sorted(names)):
        query = Entity.objects.annotate(lower_name=Lower("name")).filter(lower_name__in=batch)
        for entity in query.order_by("pk"):
            found.setdefault((entity.lower_name, entity.country), entity)
    return found


def _vendors_of(entity_ids: set[int]) -> dict[int, Vendor]:
    found: dict[int, Vendor] = {}
    for batch in _batches(sorted(entity_ids)):
        for vendor in Vendor.objects.filter(entity_id__in=batch):
            found[vendor.entity_id] = vendor
    return found


def _changed_fields(record: models.Model, values: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in values.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed.append(name)
    return changed


#: Values whose verdict a field's validators give once per check, however many rows repeat
#: them (a country, a currency, a tier, a choice). Decimals are left out: two equal decimals
#: can have different numbers of digits, which a validator counts.
_REPEATABLE = (str, int, bool)


class FieldCheck:
    """The model's own field validation (``Field.clean``, as ``Model.clean_fields`` runs it)
    on the fields a row gives; a field the registry looks up, such as a foreign key, is checked
    by the caller from what it read in bulk. A value seen before in the same check gets the
    verdict it got then."""

    def __init__(self) -> None:
        self.verdicts: dict[tuple, tuple[bool, Any]] = {}

    def __call__(
        self,
        outcome: RowOutcome,
        record: models.Model,
        *,
        given: Iterable[str],
        skip: Iterable[str] = (),
    ) -> None:
        wanted = set(given) - set(skip)
        # In the model's order, as clean_fields reports them.
        for model_field in record._meta.concrete_fields:
            name = model_field.name
            if name not in wanted:
                continue
            raw = getattr(record, model_field.attname)
            if model_field.blank and raw in model_field.empty_values:
                continue
            key = (type(record), name, type(raw), raw) if type(raw) in _REPEATABLE else None
            verdict = self.verdicts.get(key) if key is not None else None
            if verdict is None:
                try:
                    verdict = (True, model_field.clean(raw, record))
                except ValidationError as exc:
                    verdict = (False, exc.messages)
                if key is not None:
                    self.verdicts[key] = verdict
            valid, value = verdict
            if valid:
                setattr(record, model_field.attname, value)
            else:
                for message in value:
                    outcome.error(name, message)


def vendor_rows_check(
    *, rows: Sequence[dict[str, Any]], row_numbers: Sequence[int] | None = None
) -> list[RowOutcome]:
    """What each vendor row would do, writing nothing.

    A row has any of the entity's ``name``, ``kind``, ``country``, ``lei`` and ``identifiers``
    (``[(scheme, id)]``) and of the vendor's ``category``, ``status``, ``tier``,
    ``data_access`` and ``business_owner`` (a user). Its entity is the registry's entity with
    that LEI, else with one of those identifiers; else a new entity is created (it needs a
    name). An entity that is a vendor already is updated with the fields the row gives; a
    matched entity gains the row's LEI (when it has none) and identifiers it lacks, and keeps
    its name, kind and country. Two rows of the same entity are refused."""
    leis: set[str] = set()
    keys: set[tuple[str, str]] = set()
    names: set[str] = set()
    prepared = []
    for row in rows:
        row = dict(row)
        if row.get("lei"):
            row["lei"] = str(row["lei"]).strip().upper()
            leis.add(row["lei"])
        if row.get("country"):
            row["country"] = str(row["country"]).strip().upper()
        if isinstance(row.get("name"), str):
            row["name"] = row["name"].strip()
            names.add(row["name"].lower())
        identifiers, problems = _identifiers_normal(row.get("identifiers") or ())
        row["identifiers"] = identifiers
        keys.update(identifiers)
        prepared.append((row, problems))
    by_lei = _entities_by_lei(leis)
    by_identifier = _entities_by_identifier(keys)
    twins = _entity_twins(names)
    matched_ids = {e.pk for e in by_lei.values()} | {e.pk for e in by_identifier.values()}
    vendors = _vendors_of(matched_ids)

    fields_check = FieldCheck()
    seen_lei: dict[str, int] = {}
    seen_identifier: dict[tuple[str, str], int] = {}
    seen_entity: dict[int, int] = {}
    outcomes = []
    for index, (row, identifier_problems) in enumerate(prepared):
        number = _row_label(row_numbers, index)
        outcome = RowOutcome()
        for problem in identifier_problems:
            outcome.error("identifiers", problem)
        lei = row.get("lei") or ""
        identifiers = row["identifiers"]

        # Which registry entity the row is about: by LEI, else by an identifier.
        candidates: dict[int, tuple[Entity, str]] = {}
        if lei and lei in by_lei:
            candidates[by_lei[lei].pk] = (by_lei[lei], f"LEI {lei}")
        for key in identifiers:
            if key in by_identifier:
                entity = by_identifier[key]
                candidates.setdefault(entity.pk, (entity, f"{key[0]}:{key[1]}"))
        entity = None
        if len(candidates) > 1:
            named = "; ".join(
                f"{how} identifies {e.name} (#{e.pk})" for e, how in candidates.values()
            )
            outcome.error("identifiers", f"The row names two registry entities: {named}.")
        elif candidates:
            entity, how = next(iter(candidates.values()))
            outcome.target = f"{entity.name} (#{entity.pk}), by {how}"
        if entity is not None and lei and entity.lei and entity.lei != lei:
            outcome.error("lei", f"{entity.name} (#{entity.pk}) has LEI {entity.lei}, not {lei}.")

        # The same party twice in the file.
        if lei:
            if lei in seen_lei:
                outcome.error("lei", f"LEI {lei} is also on row {seen_lei[lei]}.")
            else:
                seen_lei[lei] = number
        for key in identifiers:
            if key in seen_identifier:
                outcome.error(
                    "identifiers", f"{key[0]}:{key[1]} is also on row {seen_identifier[key]}."
                )
            else:
                seen_identifier[key] = number
        if entity is not None:
            if entity.pk in seen_entity and not outcome.errors:
                outcome.error(
                    "identifiers",
                    f"{entity.name} is also the vendor of row {seen_entity[entity.pk]}.",
                )
            seen_entity.setdefault(entity.pk, number)

        if entity is None and len(candidates) <= 1:
            entity = Entity(
                name=row.get("name") or "",
                kind=row.get("kind") or EntityKind.COMPANY,
                country=row.get("country") or "",
                lei=lei,
            )
            if not entity.name:
                outcome.error("name", "A new vendor's entity needs a name.")
            fields_check(outcome, entity, given=[f for f in ENTITY_FIELDS if row.get(f)])
            outcome.entity, outcome.entity_new = entity, True
            outcome.identifiers_new = list(identifiers)
            outcome.target = "a new entity"
            twin = twins.get((entity.name.lower(), entity.country))
            if twin is not None:
                outcome.warn(
                    "name",
                    f"Possibly the same as {twin.name} (#{twin.pk}): the same name and country; "
                    "a new entity is created all the same (give its LEI or an identifier to "
                    "match it instead).",
                )
        elif entity is not None:
            outcome.entity = entity
            held = {key for key, holder in by_identifier.items() if holder.pk == entity.pk}
            outcome.identifiers_new = [key for key in identifiers if key not in held]
            if lei and not entity.lei:
                errors_before = len(outcome.errors.get("lei", []))
                fields_check(outcome, Entity(lei=lei), given=["lei"])
                if len(outcome.errors.get("lei", [])) == errors_before:
                    outcome.entity_changes = ["lei"]
                    outcome.entity_lei = lei

        # The vendor's own fields.
        values = {name: row[name] for name in VENDOR_FIELDS if name in row}
        existing = vendors.get(entity.pk) if entity is not None and entity.pk else None
        vendor = copy(existing) if existing is not None else Vendor(**values)
        if existing is not None:
            outcome.changes = _changed_fields(vendor, values)
            if outcome.target:
                outcome.target = f"vendor {outcome.target}"
        fields_check(outcome, vendor, given=values, skip=["business_owner"])
        outcome.record = vendor
        outcome.settle(exists=existing is not None)
        outcomes.append(outcome)
    return outcomes


@transaction.atomic
def vendor_rows_apply(
    *,
    rows: Sequence[dict[str, Any]],
    actor: AbstractBaseUser | None = None,
    row_numbers: Sequence[int] | None = None,
    reason: str | None = None,
) -> list[RowOutcome]:
    """Check the rows (:func:`vendor_rows_check`) and, when none is wrong, write them: new
    entities and identifiers, LEIs added to matched entities, new vendors and changed ones,
    each with its audit history by ``actor`` (``reason`` noted on it), then one recheck of the
    vendors created or whose risk inputs changed. Raises :class:`RowsInvalid` (and writes
    nothing) when a row is wrong."""
    outcomes = vendor_rows_check(rows=rows, row_numbers=row_numbers)
    if any(outcome.action == ERROR for outcome in outcomes):
        raise RowsInvalid(outcomes)
    history = {"actor": actor, "reason": reason}
    bulk_create_recorded([o.entity for o in outcomes if o.entity_new], **history)
    leis_added = []
    for outcome in outcomes:
        if outcome.entity_changes:
            outcome.entity.lei = outcome.entity_lei
            leis_added.append(outcome.entity)
    bulk_update_recorded(leis_added, ["lei"], **history)
    bulk_create_recorded(
        [
            EntityIdentifier(entity=o.entity, scheme=scheme, value=value)
            for o in outcomes
            for scheme, value in o.identifiers_new
        ],
        **history,
    )
    created, changed, recheck = [], defaultdict(list), []
    for outcome in outcomes:
        vendor = outcome.record
        if outcome.action == CREATE:
            vendor.entity = outcome.entity
            created.append(vendor)
            recheck.append(outcome.entity.pk)
        elif outcome.changes:
            changed[tuple(sorted(outcome.changes))].append(vendor)
            if VENDOR_RISK_INPUTS.intersection(outcome.changes):
                recheck.append(vendor.entity_id)
    bulk_create_recorded(created, **history)
    for fields, vendors in changed.items():
        bulk_update_recorded(vendors, fields, **history)
    if recheck:
        recheck_request(
            reason=RecheckReason.VENDOR_ADDED if created else RecheckReason.MANUAL,
            entity_ids=recheck,
            actor=actor,
        )
    return outcomes


def _vendor_key(text: str) -> tuple[str, str]:
    """How a contract row names its vendor: ``("id", "12")`` for ``#12``, ``("lei", …)``,
    ``("identifier", "SCHEME:ID")`` or ``("name", lower-case name)``."""
    text = text.strip()
    if text.startswith("#") and text[1:].isdigit():
        return "id", text[1:]
    upper = text.upper()
    if len(upper) == 20 and upper.isalnum():
        try:
            validate_lei(upper)
        except ValidationError:
            pass
        else:
            return "lei", upper
    scheme, colon, value = text.partition(":")
    if colon and scheme.strip() and value.strip() and " " not in scheme.strip():
        return "identifier", f"{scheme.strip().upper()}:{value.strip()}"
    return "name", text.lower()


def _vendors_named(keys: set[tuple[str, str]]) -> dict[tuple[str, str], list[Vendor]]:
    """The vendors each key names, read in a few queries a batch."""
    found: dict[tuple[str, str], list[Vendor]] = defaultdict(list)
    by_kind: dict[str, set[str]] = defaultdict(set)
    for kind, value in keys:
        by_kind[kind].add(value)
    vendors = Vendor.objects.select_related("entity")
    for batch in _batches(sorted(by_kind["id"])):
        for vendor in vendors.filter(pk__in=[int(v) for v in batch]):
            found["id", str(vendor.pk)].append(vendor)
    for batch in _batches(sorted(by_kind["lei"])):
        for vendor in vendors.filter(entity__lei__in=batch):
            found["lei", vendor.entity.lei].append(vendor)
    pairs = {tuple(v.split(":", 1)) for v in by_kind["identifier"]}
    for batch in _batches(sorted({value for _, value in pairs})):
        identifiers = EntityIdentifier.objects.filter(value__in=batch, entity__vendor__isnull=False)
        holders = {(i.scheme, i.value): i.entity_id for i in identifiers}
        wanted = {key: pk for key, pk in holders.items() if key in pairs}
        for vendor in vendors.filter(entity_id__in=set(wanted.values())):
            for key, pk in wanted.items():
                if pk == vendor.entity_id:
                    found["identifier", f"{key[0]}:{key[1]}"].append(vendor)
    for batch in _batches(sorted(by_kind["name"])):
        query = vendors.annotate(lower_name=Lower("entity__name")).filter(lower_name__in=batch)
        for vendor in query.order_by("pk"):
            found["name", vendor.lower_name].append(vendor)
    return found


def _contracts_by_reference(references: set[str]) -> dict[str, Contract]:
    found: dict[str, Contract] = {}
    for batch in _batches(sorted(references)):
        for contract in Contract.objects.filter(reference__in=batch).select_related(
            "vendor__entity"
        ):
            found[contract.reference] = contract
    return found


REQUIRED_MESSAGES = {
    "vendor": "Which vendor: its LEI, an identifier (SCHEME:ID), #id or its exact name.",
    "reference": "A contract needs its reference.",
    "title": "A contract needs a title.",
    "value": "A contract needs its value (0 or more).",
    "start_date": "A contract needs its start date.",
}


def contract_rows_check(
    *, rows: Sequence[dict[str, Any]], row_numbers: Sequence[int] | None = None
) -> list[RowOutcome]:
    """What each contract row would do, writing nothing.

    A row has ``vendor`` (a vendor's LEI, ``SCHEME:ID`` identifier, ``#id`` or exact name),
    ``reference``, ``title``, ``value`` and ``start_date``, and any of ``currency``,
    ``end_date``, ``data_classification``, ``change_of_control_clause``,
    ``coc_termination_window_days`` and ``owner`` (a user). A reference the registry holds
    updates that contract (of the same vendor) with the fields the row gives; a reference twice
    in the file is refused."""
    keys = {
        _vendor_key(row["vendor"])
        for row in rows
        if isinstance(row.get("vendor"), str) and row["vendor"].strip()
    }
    named = _vendors_named(keys)
    references = {row["reference"].strip() for row in rows if isinstance(row.get("reference"), str)}
    existing_by_reference = _contracts_by_reference(references - {""})
    seen_reference: dict[str, int] = {}
    fields_check = FieldCheck()
    outcomes = []
    for index, row in enumerate(rows):
        number = _row_label(row_numbers, index)
        outcome = RowOutcome()
        present = {name for name in CONTRACT_REQUIRED if row.get(name) not in (None, "")}
        for name in CONTRACT_REQUIRED:
            if name not in present:
                outcome.error(name, REQUIRED_MESSAGES[name])
        vendor = None
        if "vendor" in present:
            matches = named.get(_vendor_key(row["vendor"]), [])
            if not matches:
                outcome.error(
                    "vendor",
                    f"No vendor is “{row['vendor'].strip()}”: give a registered vendor's LEI, "
                    "an identifier (SCHEME:ID), #id or its exact name.",
                )
            elif len(matches) > 1:
                outcome.error(
                    "vendor",
                    f"{len(matches)} vendors are named “{row['vendor'].strip()}” "
                    f"({', '.join(f'#{v.pk}' for v in matches)}): give its LEI or an identifier.",
                )
            else:
                vendor = matches[0]
        reference = row["reference"].strip() if "reference" in present else ""
        if reference:
            if reference in seen_reference:
                outcome.error(
                    "reference", f"{reference} is also on row {seen_reference[reference]}."
                )
            else:
                seen_reference[reference] = number
        values = {name: row[name] for name in CONTRACT_FIELDS if name in row}
        if isinstance(values.get("title"), str):
            values["title"] = values["title"].strip()
        existing = existing_by_reference.get(reference)
        if existing is not None:
            contract = copy(existing)
            outcome.target = f"{existing.reference} of {existing.vendor.entity.name}"
            if vendor is not None and vendor.pk != existing.vendor_id:
                outcome.error(
                    "vendor",
                    f"{reference} is a contract with {existing.vendor.entity.name} "
                    f"(#{existing.vendor_id}); it cannot move to {vendor.entity.name} here.",
                )
            outcome.changes = _changed_fields(contract, values)
        else:
            contract = Contract(reference=reference, **values)
            if vendor is not None:
                contract.vendor = vendor
                outcome.target = f"a contract with {vendor.entity.name}"
        given = set(values) | ({"reference"} if existing is None and reference else set())
        fields_check(outcome, contract, given=given - set(outcome.errors), skip=["owner"])
        try:
            contract.clean()
        except ValidationError as exc:
            outcome.errors_from(exc)
        outcome.record = contract
        outcome.settle(exists=existing is not None)
        outcomes.append(outcome)
    return outcomes


@transaction.atomic
def contract_rows_apply(
    *,
    rows: Sequence[dict[str, Any]],
    actor: AbstractBaseUser | None = None,
    row_numbers: Sequence[int] | None = None,
    reason: str | None = None,
) -> list[RowOutcome]:
    """Check the rows (:func:`contract_rows_check`) and, when none is wrong, write the new
    contracts and the changed ones in batches, with their audit history by ``actor``. Raises
    :class:`RowsInvalid` (and writes nothing) when a row is wrong. Contracts are no input of
    the risk rules, so nothing is rechecked (as with ``contract_create``)."""
    outcomes = contract_rows_check(rows=rows, row_numbers=row_numbers)
    if any(outcome.action == ERROR for outcome in outcomes):
        raise RowsInvalid(outcomes)
    history = {"actor": actor, "reason": reason}
    bulk_create_recorded([o.record for o in outcomes if o.action == CREATE], **history)
    changed = defaultdict(list)
    for outcome in outcomes:
        if outcome.action == UPDATE:
            changed[tuple(sorted(outcome.changes))].append(outcome.record)
    for fields, contracts in changed.items():
        bulk_update_recorded(contracts, fields, **history)
    return outcomes
