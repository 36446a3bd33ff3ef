"""Forms of the alert pages: the note of a resolve or dismiss, the assignee, and one's e-mail
preferences."""

from django import forms

from alerts.selectors import alert_assignable_users
from core.web.forms import UserChoiceField


class AlertNoteForm(forms.Form):
    """The note a resolve or dismiss needs: a blank one is refused by the service, at
    ``note``, with any other reason the action cannot be done."""

    note = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "required": True}),
        help_text="What was done, or why it is not a concern.",
    )


class AlertAssignForm(forms.Form):
    """Only people who may act on an alert are offered (never a Viewer)."""

    assignee = UserChoiceField(
        queryset=alert_assignable_users(), required=False, empty_label="Nobody"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = alert_assignable_users()


class NotificationPreferenceForm(forms.Form):
    daily_digest = forms.BooleanField(
        required=False,
        label="Send me the daily digest",
        help_text="Once a day, an e-mail of what is new, due and overdue among the alerts "
        "assigned to you and the contracts you manage. Deadline reminders and the e-mails of "
        "alerts given to you are sent either way.",
    )
