"""Entities (companies, funds, governments, people) and their identifiers."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from core.audit import AUDITED
from core.validators import validate_single_line
from registry.choices import EntityKind
from registry.validators import validate_country, validate_lei


class Entity(models.Model):
    """A legal entity or natural person that can own or be owned."""

    name = models.CharField(max_length=255, validators=[validate_single_line])
    kind = models.CharField(max_length=16, choices=EntityKind.choices, default=EntityKind.COMPANY)
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[validate_country],
        help_text="ISO 3166-1 alpha-2 code, e.g. US.",
    )
    lei = models.CharField(
        "LEI",
        max_length=20,
        blank=True,
        validators=[validate_lei],
        help_text="Legal Entity Identifier (ISO 17442), 20 characters.",
    )
    owners_undisclosed = models.BooleanField(
        default=False,
        editable=False,
        help_text="Published data says its owners are undisclosed (an unspecified or anonymous "
        "owner in an import).",
    )
    import_run = models.ForeignKey(
        "imports.ImportRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entities",
        editable=False,
        help_text="The import run that created this entity, if any.",
    )
    import_record = models.CharField(
        max_length=255,
        blank=True,
        editable=False,
        help_text="Its record or statement id in that import.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A history row is found by the entity's id; an index on its name or run would only slow
    # down the millions of rows an import writes.
    history = HistoricalRecords(bases=AUDITED, no_db_index=["name", "import_run"])

    class Meta:
        verbose_name_plural = "entities"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["lei"], condition=~Q(lei=""), name="entity_lei_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=EntityKind.values), name="entity_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(country="") | Q(country__regex=r"^[A-Z]{2}$"),
                name="entity_country_alpha2",
            ),
            models.CheckConstraint(
                condition=Q(lei="") | Q(lei__regex=r"^[0-9A-Z]{18}[0-9]{2}$"),
                name="entity_lei_format",
            ),
        ]
        # Possible duplicates are found by name in any case (imports look up thousands a
        # query): an index on the lowered name keeps that from reading the whole table.
        # The lists' order (name, then id) is served by one index on both.
        indexes = [
            models.Index(Lower("name"), name="entity_name_lower"),
            models.Index(fields=["name", "id"], name="entity_name_order"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_person(self) -> bool:
        return self.kind == EntityKind.PERSON

    @property
    def label(self) -> str:
        """What tells look-alikes apart in a picker: “Scale AI (US · LEI … · #12)”, with the
        first identifier (``GB-COH:00445790``) when there is no LEI.

        The first identifier comes from the ``first_identifier`` annotation of
        ``registry.selectors.entities_labelled`` when the entity was read through it, else from
        its (prefetched) identifiers."""
        parts = [self.country] if self.country else []
        if self.lei:
            parts.append(f"LEI {self.lei}")
        else:
            first = getattr(self, "first_identifier", None)
            if first is None and not hasattr(self, "first_identifier") and self.pk is not None:
                identifier = next(iter(self.identifiers.all()), None)
                first = str(identifier) if identifier is not None else None
            if first:
                parts.append(first)
        parts.append(f"#{self.pk}")
        return f"{self.name} ({' · '.join(parts)})"

    def clean(self) -> None:
        # The LEI constraint is conditional, so Django would report a clash as a non-field
        # error; name the field and the entity that already holds it instead.
        if self.lei:
            holder = Entity.objects.filter(lei=self.lei).exclude(pk=self.pk).first()
            if holder is not None:
                raise ValidationError(
                    {"lei": [f"LEI {self.lei} already identifies {holder.name}."]}
                )


class EntityIdentifier(models.Model):
    """An identifier of an entity in another scheme (``GB-COH:123``, DUNS …)."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(
        max_length=32,
        validators=[validate_single_line],
        help_text="Scheme code, e.g. GB-COH or DUNS.",
    )
    value = models.CharField("identifier", max_length=64, validators=[validate_single_line])
    history = HistoricalRecords(bases=AUDITED)

    class Meta:
        ordering = ["scheme", "value"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "value"], name="identifier_unique_in_scheme"),
            models.CheckConstraint(condition=~Q(scheme=""), name="identifier_scheme_not_empty"),
            models.CheckConstraint(condition=~Q(value=""), name="identifier_value_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.value}"

    def clean(self) -> None:
        clash = (
            EntityIdentifier.objects.filter(scheme=self.scheme, value=self.value)
            .exclude(pk=self.pk)
            .select_related("entity")
            .first()
        )
        if clash is not None:
            raise ValidationError({"value": [f"{self} already identifies {clash.entity.name}."]})
