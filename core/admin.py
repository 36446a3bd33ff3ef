"""The admin base every app's admin builds on: forms that save through a service, audited and
read-only admins, and the display helpers (badges, links) the changelists share."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from simple_history.admin import SimpleHistoryAdmin

from core.models import ApiToken, SignInIdentity
from core.people import user_delete, user_history_references
from core.tokens import api_token_issue

admin.site.site_header = "Vendor Registry"
admin.site.site_title = "Vendor Registry admin"
admin.site.index_title = "Registry, risk and alerts"

EMPTY = "—"


# --- Display helpers ------------------------------------------------------------------------------


def badge(group: str, value: str, label: str) -> str:
    """A coloured badge (styles in ``core/admin.css``): ``group`` is level, event, alert …"""
    return format_html('<span class="vr-badge vr-{}-{}">{}</span>', group, value, label)


def admin_link(obj: models.Model | None, label: object = None) -> str:
    """A link to ``obj``'s admin page, or a dash when there is none."""
    if obj is None:
        return EMPTY
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj if label is None else label)


def source_link(record: models.Model) -> str:
    """Who wrote an entity or an edge: the import run (linked, with the record id it came
    from), else the ownership event (linked, with the import run that logged it, if one
    did), else a person by hand. Reads ``import_run`` and ``source_event__import_run``:
    select them with the rows."""
    run = getattr(record, "import_run", None)
    if run is not None:
        label = f"Import #{run.pk} ({run.source_name})"
        if getattr(record, "import_record", ""):
            label += f", record {record.import_record}"
        return admin_link(run, label)
    event = getattr(record, "source_event", None)
    if event is None:
        return "By hand"
    if event.import_run is None:
        return admin_link(event, f"Event #{event.pk}")
    return format_html(
        "{} of {}",
        admin_link(event, f"Event #{event.pk}"),
        admin_link(
            event.import_run, f"import #{event.import_run.pk} ({event.import_run.source_name})"
        ),
    )


def changelist_link(model: type[models.Model], label: str, **filters: object) -> str:
    """A link to ``model``'s changelist filtered by ``filters`` (admin lookup parameters)."""
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(filters), label)


# --- Forms that save through a service ----------------------------------------------------------


class ServiceForm(forms.ModelForm):
    """A model form whose save is a service call, made as the last step of validation.

    The model's own validation (fields, ``clean()``, constraints) runs first; only a form that
    passes it calls ``save_through_service()``, inside a savepoint. A ``ValidationError`` the
    service raises rolls the savepoint back and becomes a form error at the field it names (or
    at the top of the form for a field that is not on it). An admin using such a form has no
    editable inlines: once the form is valid, the admin always goes on to save, so nothing
    written while validating is ever left behind by a page that shows errors.
    """

    #: The user the service acts for; set on each request's form class by ``ServiceFormMixin``.
    actor: AbstractBaseUser | None = None

    def save_through_service(self) -> models.Model:
        """Call the service with this form's values and return the object it saved."""
        raise NotImplementedError

    def is_adding(self) -> bool:
        return self.instance._state.adding

    def values(self) -> dict[str, Any]:
        """The cleaned values of every field on the form."""
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}

    def changes(self) -> dict[str, Any]:
        """The cleaned values of the fields the user changed."""
        return {name: self.cleaned_data[name] for name in self.changed_data}

    def stored(self) -> models.Model:
        """The row as stored: the form's own instance already carries the submitted values."""
        return type(self.instance)._default_manager.get(pk=self.instance.pk)

    def _post_clean(self) -> None:
        super()._post_clean()
        if self._errors:
            return
        try:
            with transaction.atomic():
                self.instance = self.save_through_service()
        except ValidationError as exc:
            self._add_service_errors(exc)

    def _add_service_errors(self, exc: ValidationError) -> None:
        errors = (
            exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
        )
        for field, field_errors in errors.items():
            if field in self.fields:
                self.add_error(field, field_errors)
                continue
            messages_ = [message for error in field_errors for message in error.messages]
            if field != NON_FIELD_ERRORS:
                label = self._field_label(field)
                messages_ = [f"{label}: {message}" for message in messages_]
            self.add_error(None, messages_)

    def _field_label(self, name: str) -> str:
        try:
            return str(self._meta.model._meta.get_field(name).verbose_name).capitalize()
        except FieldDoesNotExist:
            return name.replace("_", " ").capitalize()


class RegistryAdmin(admin.ModelAdmin):
    """Base of every admin of the apps: the badge styles, and foreign keys to a model whose
    admin defines ``choice_label(obj)`` (and ``choice_queryset(queryset)``, what that label
    reads) shown by that label, in the autocomplete's answers and its chosen value alike."""

    class Media:
        css = {"all": ["core/admin.css"]}

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        target = self.admin_site._registry.get(db_field.related_model)
        label = getattr(target, "choice_label", None)
        if label is not None:
            kwargs.setdefault("form_class", _labelled_choice_field(label))
            if "queryset" not in kwargs:
                kwargs["queryset"] = target.choice_queryset(
                    db_field.related_model._default_manager.using(kwargs.get("using"))
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _labelled_choice_field(label) -> type[forms.ModelChoiceField]:
    return type(
        "LabelledChoiceField",
        (forms.ModelChoiceField,),
        {"label_from_instance": lambda self, obj: label(obj)},
    )


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    """The admin's autocomplete, its answers labelled by the target admin's ``choice_label``
    when it has one (else by ``str``)."""

    def get_queryset(self):
        queryset = super().get_queryset()
        narrow = getattr(self.model_admin, "choice_queryset", None)
        return narrow(queryset) if narrow is not None else queryset

    def serialize_result(self, obj, to_field_name: str) -> dict[str, str]:
        result = super().serialize_result(obj, to_field_name)
        label = getattr(self.model_admin, "choice_label", None)
        if label is not None:
            result["text"] = label(obj)
        return result


def _autocomplete_view(request: HttpRequest) -> HttpResponse:
    return LabelledAutocompleteJsonView.as_view(admin_site=admin.site)(request)


admin.site.autocomplete_view = _autocomplete_view


class AuditedAdmin(SimpleHistoryAdmin, RegistryAdmin):
    """An admin whose model keeps an audit history (django-simple-history), shown read-only.

    Reverting from the history page would write around the services, so it is switched off and
    a POST to a historical version is refused.
    """

    def revert_disabled(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return True

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict | None = None,
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ServiceFormMixin:
    """For admins whose ``form`` is a ``ServiceForm``: the form is told who acts, and saving is
    already done by the time the admin would save."""

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # modelform_factory made a new class for this request, so this does not leak.
        form.actor = request.user
        return form

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        """Nothing left to do: the form saved through its service when it was validated."""

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        # Only read-only inlines sit beside a service form: there is nothing to save.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class ReadOnlyMixin:
    """Rows written only by the system (the pipeline, the engine): view, never edit."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    """A read-only list of related rows, each linking to its own page."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.fields


# --- API tokens -------------------------------------------------------------------------------


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    """API tokens: issued here (the key is shown once, on the page that follows), renamed,
    given an expiry, or deleted to revoke them. Only the key's digest is stored."""

    list_display = ("prefix", "user", "name", "created_at", "expires_at", "last_used_at")
    list_select_related = ("user",)
    list_filter = (("expires_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "name", "user__username")
    autocomplete_fields = ("user",)
    readonly_fields = ("prefix", "created_at", "last_used_at")

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None):
        if obj is None:
            return ("user", "name", "expires_at")
        return ("user", "name", "expires_at", "prefix", "created_at", "last_used_at")

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None):
        return self.readonly_fields if obj is None else ("user", *self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: ApiToken, form, change: bool) -> None:
        if change:
            obj._history_user = request.user
            obj.save()
            return
        _token, key = api_token_issue(
            user=obj.user,
            name=obj.name,
            expires_at=obj.expires_at,
            actor=request.user,
            token=obj,
        )
        request._issued_api_token_key = key

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue=None):
        key = getattr(request, "_issued_api_token_key", None)
        if key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": "API token issued",
            "opts": self.opts,
            "token": obj,
            "key": key,
        }
        return TemplateResponse(request, "admin/core/apitoken/issued.html", context)


# --- Users -------------------------------------------------------------------------------------

User = get_user_model()
admin.site.unregister(User)


class SignInIdentityInline(ReadOnlyInline):
    """The provider accounts the user signs in with (core.sso)."""

    model = SignInIdentity
    fields = ("issuer", "subject", "created_at", "last_signed_in_at")
    verbose_name_plural = "single sign-on identities"


@admin.register(User)
class RegistryUserAdmin(UserAdmin):
    """Django's user admin, except that a user whom the history names (audit records, logged
    events, handled alerts …) cannot be deleted, only deactivated: the name would be lost."""

    inlines = [SignInIdentityInline]

    def get_actions(self, request: HttpRequest) -> dict:
        # One at a time, from the user's page, where a refusal can be shown.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and user_history_references(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj) -> None:
        user_delete(user=obj)


# --- Single sign-on ----------------------------------------------------------------------------


@admin.register(SignInIdentity)
class SignInIdentityAdmin(ReadOnlyMixin, RegistryAdmin):
    """The provider accounts users signed in with (core.sso): written by sign-ins only.
    Deleting one lets that provider account's next sign-in start afresh."""

    list_display = ("user", "issuer", "subject", "created_at", "last_signed_in_at")
    list_select_related = ("user",)
    search_fields = ("subject", "user__username", "user__email")
    list_filter = ("issuer",)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser
