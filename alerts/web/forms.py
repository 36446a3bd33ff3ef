"""Forms of the alert pages: the note of a resolve or dismiss, and the assignee."""

from django import forms

from core.selectors import active_users
from core.web.forms import UserChoiceField


class AlertNoteForm(forms.Form):
    note = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What was done, or why it is not a concern.",
    )


class AlertAssignForm(forms.Form):
    assignee = UserChoiceField(queryset=active_users(), required=False, empty_label="Nobody")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = active_users()
