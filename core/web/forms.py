"""Form helpers of every app's pages: service errors on the form, and picking a user."""

from django import forms
from django.core.exceptions import ValidationError

from core.people import person_label


def service_errors_add(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ``ValidationError`` next to the fields it names; errors about fields
    the form does not show go to the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class UserChoiceField(forms.ModelChoiceField):
    """A user, shown by full name and username."""

    def label_from_instance(self, obj) -> str:
        return person_label(obj)
