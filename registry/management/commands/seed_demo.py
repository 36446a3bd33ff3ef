"""Load the demo data set (``registry/demo.py``) through the services.

Every row is looked up by its natural key first (username; entity LEI, else name and kind; the
watchlist's entity and category; an edge's owner, owned, interest and start date; a vendor's
entity; a contract's reference; an event's kind, subject, counterparty and effective date) and
skipped if it is there, so a second run writes nothing. Each part (users, entities, the
watchlist, edges, vendors, contracts, exchange rates) is written in one transaction and each
event in its own; the pipeline rechecks the vendors after each commit (in-process without
``REDIS_URL``), and a run that stops half-way is completed by running it again.
"""

import logging
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from registry.demo import (
    ContractSpec,
    DemoPlan,
    EntitySpec,
    EventSpec,
    OwnershipSpec,
    RateSpec,
    UserSpec,
    VendorSpec,
    WatchlistSpec,
    demo_plan,
)
from registry.models import (
    Contract,
    CurrencyRate,
    Entity,
    Ownership,
    OwnershipEvent,
    Vendor,
    WatchlistEntry,
)
from registry.roles import PROCUREMENT, RISK_ANALYST
from registry.services import (
    contract_create,
    currency_rate_create,
    entity_create,
    ownership_event_log,
    ownership_set,
    vendor_create,
    watchlist_entry_create,
)

#: Loggers whose per-task INFO lines would break up the progress bar (shown again at -v 2).
CHATTY_LOGGERS = ("celery", "registry", "alerts")

PARTS = (
    "users",
    "entities",
    "watchlist",
    "ownerships",
    "vendors",
    "contracts",
    "events",
    "rates",
)


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(texts)}" for field, texts in error.message_dict.items()
        )
    return " ".join(error.messages)


class DemoLoader:
    """Writes a :class:`DemoPlan`, skipping rows that exist, and counts what it did."""

    def __init__(self, plan: DemoPlan, progress: tqdm) -> None:
        self.plan = plan
        self.progress = progress
        self.users: dict[str, AbstractBaseUser] = {}
        self.entities: dict[str, Entity] = {}
        self.vendors: dict[str, Vendor] = {}
        self.created: Counter[str] = Counter()
        self.present: Counter[str] = Counter()

    def load(self) -> None:
        steps = (
            ("users", self.plan.users, self.user),
            ("entities", self.plan.entities, self.entity),
            ("watchlist", self.plan.watchlist, self.watchlist_entry),
            ("ownerships", self.plan.ownerships, self.ownership),
            ("vendors", self.plan.vendors, self.vendor),
            ("contracts", self.plan.contracts, self.contract),
            ("events", self.plan.events, self.event),
            ("rates", self.plan.rates, self.rate),
        )
        for part, specs, write in steps:
            self.progress.set_description(f"Seeding {part}")
            # One transaction per part (fewer commits, and a refused row leaves its part
            # unwritten); events are logged one by one, each processed before the next.
            with transaction.atomic() if part != "events" else nullcontext():
                for spec in specs:
                    self._write(part, spec, write)

    def _write(self, part: str, spec: object, write: Callable[[Any], bool]) -> None:
        try:
            created = write(spec)
        except ValidationError as exc:
            raise CommandError(f"Could not load {spec}: {_messages(exc)}") from exc
        (self.created if created else self.present)[part] += 1
        self.progress.update()

    def _actor(self, role: str) -> AbstractBaseUser:
        spec = next(user for user in self.plan.users if user.role == role)
        return self.users[spec.username]

    def user(self, spec: UserSpec) -> bool:
        user = get_user_model().objects.filter(username=spec.username).first()
        created = user is None
        if created:
            group = Group.objects.filter(name=spec.role).first()
            if group is None:
                raise CommandError(f"The role group {spec.role!r} is missing: run migrate first.")
            with transaction.atomic():
                user = get_user_model().objects.create_user(
                    username=spec.username,
                    password=spec.password,
                    email=spec.email,
                    first_name=spec.first_name,
                    last_name=spec.last_name,
                    is_staff=spec.staff,
                )
                user.groups.add(group)
        self.users[spec.username] = user
        return created

    def entity(self, spec: EntitySpec) -> bool:
        entity = Entity.objects.filter(lei=spec.lei).first() if spec.lei else None
        if entity is None:
            entity = Entity.objects.filter(name=spec.name, kind=spec.kind).order_by("id").first()
        created = entity is None
        if created:
            entity = entity_create(
                name=spec.name,
                kind=spec.kind,
                country=spec.country,
                lei=spec.lei,
                identifiers=spec.identifiers,
            )
        self.entities[spec.key] = entity
        return created

    def watchlist_entry(self, spec: WatchlistSpec) -> bool:
        entity = self.entities[spec.entity]
        if WatchlistEntry.objects.filter(entity=entity, category=spec.category).exists():
            return False
        watchlist_entry_create(
            entity=entity,
            category=spec.category,
            reason=spec.reason,
            actor=self._actor(RISK_ANALYST),
        )
        return True

    def ownership(self, spec: OwnershipSpec) -> bool:
        owner, owned = self.entities[spec.owner], self.entities[spec.owned]
        if Ownership.objects.filter(
            owner=owner, owned=owned, interest=spec.interest, start_date=spec.start_date
        ).exists():
            return False
        ownership_set(
            owner=owner,
            owned=owned,
            interest=spec.interest,
            share=spec.share,
            share_min=spec.share_min,
            share_max=spec.share_max,
            start_date=spec.start_date,
            actor=self._actor(RISK_ANALYST),
        )
        return True

    def vendor(self, spec: VendorSpec) -> bool:
        entity = self.entities[spec.entity]
        vendor = Vendor.objects.filter(entity=entity).first()
        created = vendor is None
        if created:
            vendor = vendor_create(
                entity=entity,
                category=spec.category,
                tier=spec.tier,
                data_access=spec.data_access,
                status=spec.status,
                business_owner=self.users[spec.business_owner],
                actor=self._actor(PROCUREMENT),
            )
        self.vendors[spec.entity] = vendor
        return created

    def contract(self, spec: ContractSpec) -> bool:
        if Contract.objects.filter(reference=spec.reference).exists():
            return False
        contract_create(
            vendor=self.vendors[spec.vendor],
            reference=spec.reference,
            title=spec.title,
            value=spec.value,
            currency=spec.currency,
            start_date=spec.start_date,
            end_date=spec.end_date,
            data_classification=spec.data_classification,
            change_of_control_clause=spec.change_of_control_clause,
            coc_termination_window_days=spec.coc_termination_window_days,
            owner=self.users[spec.owner],
            actor=self._actor(PROCUREMENT),
        )
        return True

    def rate(self, spec: RateSpec) -> bool:
        # The demo's rates are to US dollars: with another reporting currency they would
        # convert to the wrong one, so none is written and the dashboard says what it lacks.
        if (
            settings.REPORTING_CURRENCY != "USD"
            or CurrencyRate.objects.filter(
                currency=spec.currency, quote_currency="USD", valid_from=spec.valid_from
            ).exists()
        ):
            return False
        currency_rate_create(
            currency=spec.currency,
            rate=spec.rate,
            valid_from=spec.valid_from,
            source=spec.source,
            actor=self._actor(RISK_ANALYST),
        )
        return True

    def event(self, spec: EventSpec) -> bool:
        subject = self.entities[spec.subject]
        counterparty = self.entities[spec.counterparty] if spec.counterparty else None
        if OwnershipEvent.objects.filter(
            kind=spec.kind,
            subject=subject,
            counterparty=counterparty,
            effective_date=spec.effective_date,
        ).exists():
            return False
        ownership_event_log(
            kind=spec.kind,
            subject=subject,
            counterparty=counterparty,
            person=self.entities[spec.person] if spec.person else None,
            share=spec.share,
            effective_date=spec.effective_date,
            announced_date=spec.announced_date,
            note=spec.note,
            actor=self._actor(RISK_ANALYST),
        )
        return True


@contextmanager
def _quiet(logger_names: tuple[str, ...]) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in logger_names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Command(BaseCommand):
    help = (
        "Load the demo data: the reference scenario (Meta Platforms, Scale AI, Remotasks) "
        "and about fifty more vendors, owners and contracts. Running it again changes nothing."
    )

    def handle(self, *args, **options) -> None:
        plan = demo_plan()
        chatty = CHATTY_LOGGERS if options["verbosity"] < 2 else ()
        with (
            _quiet(chatty),
            tqdm(
                total=plan.size,
                unit="row",
                file=sys.stderr,
                disable=options["verbosity"] == 0,
                leave=False,
            ) as progress,
        ):
            loader = DemoLoader(plan, progress)
            loader.load()
        logins = ", ".join(f"{u.username} / {u.password} ({u.role})" for u in plan.users)
        self.stdout.write(f"Demo users: {logins}")
        counts = ", ".join(f"{part} {loader.created[part]}" for part in PARTS)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data: {loader.created.total()} rows created ({counts}), "
                f"{loader.present.total()} already present."
            )
        )
