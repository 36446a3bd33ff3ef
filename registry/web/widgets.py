"""A searchable entity picker that scales to any number of entities.

It renders a search box and a ``<select>`` holding only the chosen entity and the matches of the
last search (at most 20). With JavaScript, htmx refreshes the options as the user types; without
it, the "Search" button submits the form, which comes back with the matches to choose from.
"""

from django import forms
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from registry.models import Entity
from registry.selectors import entity_by_id, entity_search

QUERY_SUFFIX = "_q"
FIND_BUTTON = "_find"


class EntityPickerWidget(forms.Widget):
    template_name = "web/widgets/entity_picker.html"

    def __init__(self, *, kind: str | None = None, attrs: dict | None = None):
        super().__init__(attrs)
        self.kind = kind
        self.query = ""

    def _render(self, template_name, context, renderer=None) -> SafeString:
        # The template lives with the project's templates, which the form renderer
        # (app templates only) does not search.
        return mark_safe(render_to_string(template_name, context))

    def value_from_datadict(self, data, files, name):
        return data.get(name)

    def get_context(self, name: str, value, attrs) -> dict:
        context = super().get_context(name, value, attrs)
        selected = None
        if value not in (None, ""):
            pk = value.pk if isinstance(value, Entity) else value
            if str(pk).isdigit():
                selected = entity_by_id(int(pk))
        matches = entity_search(query=self.query, kind=self.kind) if self.query else []
        options = [selected] if selected else []
        options += [entity for entity in matches if selected is None or entity.pk != selected.pk]
        context["widget"].update(
            {
                "query": self.query,
                "query_name": f"{name}{QUERY_SUFFIX}",
                "find_button": FIND_BUTTON,
                "selected": selected,
                "options": options,
                "searched": bool(self.query),
                "picker_url": reverse("web:entity-picker"),
                "kind": self.kind or "",
            }
        )
        return context


class EntityChoiceField(forms.ModelChoiceField):
    """Any entity by id (one query to check it exists), chosen with :class:`EntityPickerWidget`."""

    def __init__(self, *, kind: str | None = None, **kwargs):
        queryset = Entity.objects.all()
        if kind:
            queryset = queryset.filter(kind=kind)
        kwargs.setdefault(
            "error_messages",
            {"invalid_choice": "Choose an existing entity: that one does not exist."},
        )
        super().__init__(queryset=queryset, widget=EntityPickerWidget(kind=kind), **kwargs)
        if kind:
            self.error_messages["invalid_choice"] = f"Choose an existing entity of kind “{kind}”."

    def label_from_instance(self, obj: Entity) -> str:
        return obj.label


def picker_queries_bind(form: forms.BaseForm) -> None:
    """Give each picker of a bound form the search its user typed (``<field>_q``)."""
    data = form.data if form.is_bound else form.initial
    for name, bound_field in form.fields.items():
        if isinstance(bound_field.widget, EntityPickerWidget):
            bound_field.widget.query = str(data.get(f"{name}{QUERY_SUFFIX}", "")).strip()[:100]
