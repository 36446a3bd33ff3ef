"""Serializers of the REST API v1 (docs/api.md).

They check the shape of the input only; the views hand the validated data to the services,
which apply the business rules and raise the errors a form or the admin would show.
"""

from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import IdField, RegistryModelSerializer
from registry.choices import EventStatus, RiskLevel
from registry.models import (
    Contract,
    Entity,
    Ownership,
    OwnershipEvent,
    RiskFactor,
    RiskPolicy,
    Vendor,
    WatchlistEntry,
)
from registry.risk import engine
from registry.validators import validate_plausible_date

PERCENT = {"min_value": 0, "max_value": 100}


class EntityIdentifierSerializer(serializers.Serializer):
    """An identifier of an entity in another scheme, e.g. ``{"scheme": "DUNS", "id": "1"}``."""

    scheme = serializers.CharField(max_length=32, help_text="Scheme code, e.g. GB-COH or DUNS.")
    id = serializers.CharField(source="value", max_length=64, help_text="The identifier.")


class SourceSerializer(serializers.Serializer):
    """Who wrote a record: a user (``id`` null), an ownership event, or an import run (with
    the record or statement id it came from in that import)."""

    kind = serializers.ChoiceField(choices=["user", "event", "import"])
    id = serializers.IntegerField(allow_null=True, help_text="The event's or import run's id.")
    record = serializers.CharField(
        allow_null=True, help_text="For an import: the record or statement id in its file."
    )


def source_of(record: Entity | Ownership) -> dict[str, Any]:
    """``{kind, id, record}``: the import run, else the event, else a user wrote it."""
    if record.import_run_id is not None:
        return {"kind": "import", "id": record.import_run_id, "record": record.import_record}
    event_id = getattr(record, "source_event_id", None)
    if event_id is not None:
        return {"kind": "event", "id": event_id, "record": None}
    return {"kind": "user", "id": None, "record": None}


class EntitySerializer(RegistryModelSerializer):
    identifiers = EntityIdentifierSerializer(
        many=True, required=False, help_text="The whole set; on update it replaces the old one."
    )
    source = serializers.SerializerMethodField()

    class Meta:
        model = Entity
        fields = ["id", "name", "kind", "country", "lei", "identifiers", "source"]

    @extend_schema_field(SourceSerializer)
    def get_source(self, entity: Entity) -> dict[str, Any]:
        return source_of(entity)

    def validate_identifiers(self, value: list[dict]) -> list[dict]:
        # A partial update validates nested items partially too; an identifier is still whole.
        if any("scheme" not in item or "value" not in item for item in value):
            raise serializers.ValidationError("Each identifier needs a scheme and an id.")
        return value


class EntityWarningSerializer(serializers.Serializer):
    """Something worth a second look about what was just written, e.g. a possible duplicate."""

    field = serializers.CharField(help_text="The field it is about: `name` or `identifiers`.")
    message = serializers.CharField()
    entity = serializers.IntegerField(help_text="The entity it may duplicate.")


class EntityCreatedSerializer(EntitySerializer):
    """The created entity; ``warnings`` only when it may duplicate entities already there."""

    warnings = EntityWarningSerializer(
        many=True,
        required=False,
        help_text="Present only when the new entity has the same name and country as others, "
        "or an identifier in common with them: one item per possible duplicate. The entity is "
        "created all the same.",
    )

    class Meta(EntitySerializer.Meta):
        fields = [*EntitySerializer.Meta.fields, "warnings"]


def duplicate_warnings(entity: Entity, duplicates: list[Entity]) -> list[dict[str, Any]]:
    """One warning per possible duplicate of ``entity``: at ``name`` for the same name and
    country, else at ``identifiers`` naming the identifiers they share."""
    own = {(i.scheme.upper(), i.value) for i in entity.identifiers.all()}
    warnings = []
    for twin in duplicates:
        if twin.name.casefold() == entity.name.casefold() and twin.country == entity.country:
            field, why = "name", "has the same name and country"
        else:
            shared = sorted(
                str(i) for i in twin.identifiers.all() if (i.scheme.upper(), i.value) in own
            )
            field, why = "identifiers", f"is also identified as {', '.join(shared)}"
        warnings.append(
            {
                "field": field,
                "message": f"Possible duplicate: {twin.label} {why}.",
                "entity": twin.pk,
            }
        )
    return warnings


class WatchlistEntrySerializer(RegistryModelSerializer):
    class Meta:
        model = WatchlistEntry
        fields = ["id", "entity", "category", "reason"]


class OwnershipSerializer(RegistryModelSerializer):
    source = serializers.SerializerMethodField()

    class Meta:
        model = Ownership
        fields = [
            "id",
            "owner",
            "owned",
            "interest",
            "share",
            "share_min",
            "share_max",
            "start_date",
            "end_date",
            "source",
        ]
        extra_kwargs = {"share": PERCENT, "share_min": PERCENT, "share_max": PERCENT}

    @extend_schema_field(SourceSerializer)
    def get_source(self, ownership: Ownership) -> dict[str, Any]:
        return source_of(ownership)


class VendorSerializer(RegistryModelSerializer):
    name = serializers.CharField(source="entity.name", read_only=True)

    class Meta:
        model = Vendor
        fields = [
            "id",
            "entity",
            "name",
            "category",
            "status",
            "tier",
            "data_access",
            "risk_level",
            "risk_score",
        ]


class ContractSerializer(RegistryModelSerializer):
    class Meta:
        model = Contract
        fields = [
            "id",
            "vendor",
            "reference",
            "title",
            "value",
            "currency",
            "start_date",
            "end_date",
            "data_classification",
            "change_of_control_clause",
            "coc_termination_window_days",
        ]


class OwnershipEventSerializer(RegistryModelSerializer):
    # Any entity is accepted here so that the service can say why a non-person is refused.
    person = IdField(
        queryset=Entity.objects.all(),
        allow_null=True,
        required=False,
        help_text="The person who moves or is appointed (an entity of kind person).",
    )
    affected_vendors = IdField(
        many=True, read_only=True, help_text="Ids of the vendors the event's recheck covered."
    )

    class Meta:
        model = OwnershipEvent
        fields = [
            "id",
            "kind",
            "subject",
            "counterparty",
            "person",
            "share",
            "effective_date",
            "announced_date",
            "source_url",
            "note",
            "status",
            "affected_vendors",
            "processed_at",
        ]
        read_only_fields = ["status", "processed_at"]
        extra_kwargs = {"share": PERCENT}


class OwnershipEventProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=EventStatus.choices)
    vendors_done = serializers.IntegerField(help_text="Vendors rechecked so far.")
    vendors_total = serializers.IntegerField(
        allow_null=True, help_text="Vendors the recheck covers; null until they are known."
    )
    chunks_done = serializers.IntegerField(help_text="Chunks committed (a large recheck).")
    chunks_total = serializers.IntegerField(help_text="Chunks planned; 0 for a small recheck.")


class PreviewedVendorSerializer(serializers.Serializer):
    vendor = serializers.IntegerField(source="vendor.pk", help_text="Vendor id.")
    current_level = serializers.ChoiceField(choices=RiskLevel.choices)
    projected_level = serializers.ChoiceField(choices=RiskLevel.choices)
    reasons = serializers.ListField(
        child=serializers.CharField(),
        help_text="Why the vendor is affected, then its projected risk factors, in words.",
    )


class PreviewedEdgeChangeSerializer(serializers.Serializer):
    owner = serializers.IntegerField()
    owned = serializers.IntegerField()
    interest = serializers.CharField()
    from_share = serializers.CharField(
        allow_null=True, help_text="What the owner held just before (null: nothing)."
    )
    to_share = serializers.CharField(help_text="What it holds from the change on (0% ended).")
    start_date = serializers.DateField(allow_null=True, help_text="Null when an edge ends.")
    end_date = serializers.DateField(allow_null=True)
    dilution = serializers.BooleanField(
        help_text="Another holder scaled down pro rata to make room for the new stake."
    )


class PreviewedAlertSerializer(serializers.Serializer):
    kind = serializers.CharField()
    vendor = serializers.IntegerField()
    party = serializers.IntegerField(
        allow_null=True, help_text="For ``new_influence``: the watchlisted party; else null."
    )
    contract = serializers.IntegerField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)


class OwnershipEventPreviewSerializer(serializers.Serializer):
    """What logging the event would do: affected vendors with their projected level, the
    edge changes and the alerts it would raise; nothing is written."""

    affected_vendors = PreviewedVendorSerializer(many=True)
    edge_changes = PreviewedEdgeChangeSerializer(many=True)
    alerts = PreviewedAlertSerializer(many=True)


class RiskFactorSerializer(RegistryModelSerializer):
    effective_share = serializers.DecimalField(
        max_digits=9,
        decimal_places=4,
        coerce_to_string=False,
        allow_null=True,
        help_text="The party's look-through share in percent; null for a key-person interlock.",
    )
    effective_share_min = serializers.DecimalField(
        max_digits=9,
        decimal_places=4,
        coerce_to_string=False,
        allow_null=True,
        help_text="Its lower bound when a published range lies on the chain (else the same).",
    )
    path = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Entity ids from the party to the vendor's entity along the strongest chain.",
    )

    class Meta:
        model = RiskFactor
        fields = [
            "code",
            "severity",
            "summary",
            "party",
            "effective_share",
            "effective_share_min",
            "path",
        ]


class VendorRiskSerializer(serializers.Serializer):
    """A vendor's latest risk assessment (``low``, score 0 and no factors before the first)."""

    vendor = serializers.IntegerField(help_text="Vendor id.")
    level = serializers.ChoiceField(choices=RiskLevel.choices)
    score = serializers.IntegerField(min_value=0, max_value=100)
    assessed_at = serializers.DateTimeField(allow_null=True)
    factors = RiskFactorSerializer(many=True)


class RiskAsOfSerializer(serializers.Serializer):
    """The query of ``GET vendors/{id}/risk/?as_of=``."""

    as_of = serializers.DateField(validators=[validate_plausible_date])


def risk_as_of_data(vendor: Vendor, assessment: engine.Assessment) -> dict[str, Any]:
    """The ``risk/`` answer for an assessment computed on the fly (not stored)."""
    return {
        "vendor": vendor.pk,
        "level": assessment.level,
        "score": assessment.score,
        "assessed_at": timezone.now(),
        "factors": [
            RiskFactor(
                code=factor.code,
                severity=factor.severity,
                summary=factor.summary,
                party_id=factor.party,
                effective_share=(
                    None if factor.effective_share is None else Decimal(str(factor.effective_share))
                ),
                path=list(factor.path),
            )
            for factor in assessment.factors
        ],
    }


class RecheckAcceptedSerializer(serializers.Serializer):
    vendor = serializers.IntegerField(help_text="Vendor id.")
    recheck_request = serializers.IntegerField(help_text="Id of the queued recheck request.")


class PolicyRecheckSerializer(serializers.Serializer):
    """The background recheck of every vendor that the version's edit started."""

    batches = serializers.IntegerField(help_text="Recheck tasks, one per batch of vendors.")
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    finished = serializers.BooleanField()


class RiskPolicySerializer(RegistryModelSerializer):
    """The risk policy in force. Saving it stores a new version and rechecks every vendor."""

    updated_at = serializers.DateTimeField(source="created_at", read_only=True)
    recheck = serializers.SerializerMethodField()

    class Meta:
        model = RiskPolicy
        fields = [
            "version",
            "critical_share",
            "high_share",
            "medium_share",
            "escalate_restricted",
            "interlock_severity",
            "undisclosed_severity",
            "note",
            "updated_at",
            "recheck",
        ]
        read_only_fields = ["version"]
        extra_kwargs = {"note": {"write_only": True}}

    @extend_schema_field(PolicyRecheckSerializer)
    def get_recheck(self, policy: RiskPolicy) -> dict:
        return PolicyRecheckSerializer(self.context["recheck_progress"](policy)).data
