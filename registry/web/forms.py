"""Forms of the registry's pages. They check the input's shape; the services decide what is
allowed, and their ``ValidationError`` comes back at the field it names
(:func:`core.web.forms.service_errors_add`)."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from core.selectors import active_users
from core.web.forms import UserChoiceField
from registry.choices import (
    KEY_PERSON_INTERESTS,
    DataAccess,
    EntityKind,
    EventKind,
    Interest,
    VendorCategory,
    VendorStatus,
)
from registry.models import Contract
from registry.models.events import announced_after_effective
from registry.models.ownership import seat_share_problems
from registry.selectors import entity_possible_duplicates
from registry.validators import validate_country, validate_lei
from registry.web.widgets import EntityChoiceField, picker_queries_bind

PERCENT = {
    "max_digits": 7,
    "decimal_places": 4,
    "min_value": Decimal("0"),
    "max_value": Decimal("100"),
}
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PickerForm(forms.Form):
    """A form whose entity pickers remember the search their user typed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        picker_queries_bind(self)


def duplicates_message(duplicates) -> str:
    """“Possibly the same as Scale AI (US · #3) and …”, naming each entity by its label."""
    labels = [entity.label for entity in duplicates]
    named = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
    return f"Possibly the same as {named}: the same name and country, or an identifier in common."


class EntityForm(forms.Form):
    """An entity's fields. Entities that may be the same one (see
    ``entity_possible_duplicates``) are listed in ``duplicates`` and the form refuses until
    “Create anyway” (or, editing, “Save anyway”) is ticked (:meth:`duplicates_refuse`);
    editing, only a changed name, country or identifiers is checked, and the entity itself is
    left out."""

    name = forms.CharField(max_length=255)
    kind = forms.ChoiceField(choices=EntityKind.choices, initial=EntityKind.COMPANY)
    country = forms.CharField(
        max_length=2,
        required=False,
        help_text="ISO 3166-1 alpha-2 code, e.g. US.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 4}),
    )
    lei = forms.CharField(
        label="LEI",
        max_length=20,
        required=False,
        help_text="Legal Entity Identifier (ISO 17442), 20 characters.",
    )
    identifiers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Other identifiers, one per line as SCHEME:ID (e.g. GB-COH:00445790).",
    )
    # Hidden until there are possible duplicates to confirm.
    confirm_duplicate = forms.BooleanField(
        required=False, label="Create anyway", widget=forms.HiddenInput
    )

    def __init__(self, *args, entity=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.entity = entity
        self.duplicates: list = []
        if entity is not None:
            self.fields["confirm_duplicate"].label = "Save anyway"

    # Each field is checked here with the model's own validators, so one submission reports
    # every field's problem at once (the service checks them again, for the other doors).

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if country:
            validate_country(country)
        return country

    def clean_lei(self) -> str:
        lei = self.cleaned_data["lei"].strip().upper()
        if lei:
            validate_lei(lei)
        return lei

    def clean_identifiers(self) -> list[tuple[str, str]]:
        pairs, problems = [], []
        for number, line in enumerate(self.cleaned_data["identifiers"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            scheme, colon, value = line.partition(":")
            if not (colon and scheme.strip() and value.strip()):
                problems.append(f"Line {number} (“{line}”) is not in the form SCHEME:ID.")
                continue
            pairs.append((scheme.strip(), value.strip()))
        if problems:
            raise ValidationError(problems)
        return pairs

    def clean(self) -> dict:
        data = super().clean()
        if self.entity is not None and not {"name", "country", "identifiers"} & set(
            self.changed_data
        ):
            return data
        # Whatever is valid is compared, so this comes in the same round as other errors.
        name = data.get("name", "") if "country" in data else ""
        self.duplicates = entity_possible_duplicates(
            name,
            data.get("country", ""),
            data.get("identifiers", []),
            exclude_pk=self.entity.pk if self.entity is not None else None,
        )
        if self.duplicates:
            self.fields["confirm_duplicate"].widget = forms.CheckboxInput()
        return data

    def duplicates_refuse(self) -> None:
        """Refuse a valid form whose possible duplicates are not confirmed. Called by the
        view when it saves (after a double submit's token check: the second submit of a
        create form must find the first's entity saved, not a duplicate of it)."""
        if self.duplicates and not self.cleaned_data.get("confirm_duplicate"):
            raise ValidationError({"confirm_duplicate": [duplicates_message(self.duplicates)]})

    @staticmethod
    def initial_for(entity) -> dict:
        return {
            "name": entity.name,
            "kind": entity.kind,
            "country": entity.country,
            "lei": entity.lei,
            "identifiers": "\n".join(f"{i.scheme}:{i.value}" for i in entity.identifiers.all()),
        }


class VendorForm(PickerForm):
    entity = EntityChoiceField(help_text="The company we buy from.")
    category = forms.ChoiceField(choices=[("", "—")] + VendorCategory.choices, required=False)
    status = forms.ChoiceField(choices=VendorStatus.choices, initial=VendorStatus.ACTIVE)
    tier = forms.TypedChoiceField(
        choices=[(1, "1 — most critical"), (2, "2"), (3, "3"), (4, "4 — least critical")],
        coerce=int,
        initial=3,
    )
    data_access = forms.ChoiceField(
        choices=DataAccess.choices,
        initial=DataAccess.NONE,
        help_text="The most sensitive data the vendor can access.",
    )
    business_owner = UserChoiceField(queryset=active_users(), required=False)

    FIELDS = ("category", "status", "tier", "data_access", "business_owner")

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_owner"].queryset = active_users()
        if editing:
            del self.fields["entity"]


class ContractForm(forms.Form):
    reference = forms.CharField(max_length=64)
    title = forms.CharField(max_length=255)
    value = forms.DecimalField(max_digits=16, decimal_places=2, min_value=Decimal("0"))
    currency = forms.CharField(
        max_length=3, initial="USD", help_text="ISO 4217 code, e.g. USD.", widget=forms.TextInput()
    )
    start_date = forms.DateField(widget=DATE)
    end_date = forms.DateField(required=False, widget=DATE)
    data_classification = forms.ChoiceField(choices=DataAccess.choices, initial="internal")
    change_of_control_clause = forms.BooleanField(
        label="Change-of-control clause",
        required=False,
        help_text="The contract can be ended when the vendor changes hands.",
    )
    coc_termination_window_days = forms.IntegerField(
        label="CoC termination window (days)",
        required=False,
        min_value=0,
        max_value=3650,
        help_text="Days after a change of control in which we may terminate.",
    )
    owner = UserChoiceField(
        queryset=active_users(),
        required=False,
        help_text="Who manages this contract; alerts on it are assigned to them.",
    )

    FIELDS = (
        "reference",
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = active_users()

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date cannot be before the start date.")
        return data

    @staticmethod
    def initial_for(contract: Contract) -> dict:
        return {name: getattr(contract, name) for name in ContractForm.FIELDS}


class OwnershipForm(PickerForm):
    owner = EntityChoiceField(help_text="Who holds the interest.")
    owned = EntityChoiceField(label="Owned entity", help_text="The entity held.")
    interest = forms.ChoiceField(choices=Interest.choices, initial=Interest.SHAREHOLDING)
    share = forms.DecimalField(
        label="Share (%)", required=False, help_text="Exact share in percent (0–100).", **PERCENT
    )
    share_min = forms.DecimalField(
        label="Share from (%)", required=False, help_text="Lower bound of a range.", **PERCENT
    )
    share_max = forms.DecimalField(
        label="Share to (%)", required=False, help_text="Upper bound of a range.", **PERCENT
    )
    start_date = forms.DateField(widget=DATE)
    end_date = forms.DateField(
        required=False, widget=DATE, help_text="The last day it held; empty if it still does."
    )

    # Hidden until a fund or a government is given a board seat or a management role.
    confirm_seat = forms.BooleanField(required=False, label="Save anyway", widget=forms.HiddenInput)

    FIELDS = ("share", "share_min", "share_max", "start_date", "end_date")
    #: Holders that sit on boards or run companies only through the people they send.
    UNSEATED_KINDS = (EntityKind.FUND, EntityKind.GOVERNMENT)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            for name in ("owner", "owned", "interest", "confirm_seat"):
                del self.fields[name]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date cannot be before the start date.")
        owner, owned = data.get("owner"), data.get("owned")
        if owner and owned and owner.pk == owned.pk:
            self.add_error("owned", "An entity cannot own itself.")
        # Checked here as well as by the service, so it comes with the form's other errors.
        interest = data.get("interest")
        shares = {name: data.get(name) for name in ("share", "share_min", "share_max")}
        for name, message in seat_share_problems(interest, **shares).items():
            if name not in self.errors:
                self.add_error(name, message)
        if (
            owner
            and interest in KEY_PERSON_INTERESTS
            and owner.kind in self.UNSEATED_KINDS
            and not data.get("confirm_seat")
        ):
            self.fields["confirm_seat"].widget = forms.CheckboxInput()
            self.add_error(
                "confirm_seat",
                f"{owner.name} is a {owner.get_kind_display().lower()}: board seats and "
                "management roles are held by people, usually the person it sends. Record "
                "that person instead, or tick “Save anyway” to keep it as it is.",
            )
        data.pop("confirm_seat", None)
        return data


class OwnershipEventForm(PickerForm):
    kind = forms.ChoiceField(choices=EventKind.choices, initial=EventKind.ACQUISITION)
    subject = EntityChoiceField(
        help_text="The entity the event is about (e.g. the company acquired)."
    )
    counterparty = EntityChoiceField(
        required=False, help_text="The other party (e.g. the acquirer)."
    )
    person = EntityChoiceField(
        kind=EntityKind.PERSON,
        required=False,
        help_text="The person who moves or is appointed.",
    )
    share = forms.DecimalField(
        label="Share (%)",
        required=False,
        help_text="Share in percent (0–100) the counterparty holds after the event.",
        **PERCENT,
    )
    effective_date = forms.DateField(widget=DATE)
    announced_date = forms.DateField(required=False, widget=DATE)
    source_url = forms.URLField(label="Source URL", required=False, max_length=500)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    FIELDS = (
        "kind",
        "subject",
        "counterparty",
        "person",
        "share",
        "effective_date",
        "announced_date",
        "source_url",
        "note",
    )

    def clean(self) -> dict:
        data = super().clean()
        subject, counterparty = data.get("subject"), data.get("counterparty")
        if subject and counterparty and subject.pk == counterparty.pk:
            self.add_error("counterparty", "The counterparty cannot be the subject itself.")
        late = announced_after_effective(data.get("announced_date"), data.get("effective_date"))
        if late:
            self.add_error("announced_date", late)
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {name: data.get(name) for name in self.FIELDS}
        kwargs["source_url"] = kwargs["source_url"] or ""
        kwargs["note"] = kwargs["note"] or ""
        return kwargs
