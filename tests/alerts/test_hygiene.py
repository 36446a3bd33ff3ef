"""Alert hygiene in the services: a note to resolve or dismiss, assignees who may act, and one
way of naming a person."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError

from alerts.models import Alert
from alerts.selectors import alert_assignable_users
from alerts.services import alert_assign, alert_dismiss, alert_resolve
from core.people import person_label
from tests.factories import EntityFactory, VendorFactory

pytestmark = pytest.mark.django_db


def _alert(title: str = "Scale AI rose to high") -> Alert:
    return Alert.objects.create(
        kind="risk_increased",
        severity="high",
        title=title,
        vendor=VendorFactory(entity=EntityFactory(name="Scale AI")),
        dedup_key=f"test:{title}",
    )


@pytest.mark.parametrize("note", ["", "   ", "\n\t"])
@pytest.mark.parametrize(
    ("service", "message"),
    [
        (alert_resolve, "A note is required: say what was done to resolve the alert."),
        (alert_dismiss, "A note is required: say why the alert is not a concern."),
    ],
)
def test_resolve_and_dismiss_refuse_a_blank_note_and_change_nothing(
    analyst, service, message, note
):
    alert = _alert()

    with pytest.raises(ValidationError) as raised:
        service(alert=alert, note=note, actor=analyst)

    assert raised.value.message_dict == {"note": [message]}
    stored = Alert.objects.get(pk=alert.pk)
    assert (stored.status, stored.handled_by, stored.handled_at) == ("open", None, None)


def test_a_note_is_stored_stripped(buyer):
    alert = alert_resolve(alert=_alert(), note="  Terminated under the clause.\n", actor=buyer)

    alert.refresh_from_db()
    assert (alert.status, alert.resolution_note) == ("resolved", "Terminated under the clause.")


def test_wrong_status_and_missing_note_are_reported_together(buyer):
    alert = alert_resolve(alert=_alert(), note="Done.", actor=buyer)

    with pytest.raises(ValidationError) as raised:
        alert_dismiss(alert=alert, note="", actor=buyer)

    assert raised.value.message_dict == {
        "status": ["An alert that is resolved cannot be dismissed."],
        "note": ["A note is required: say why the alert is not a concern."],
    }


def test_assignable_users_are_active_people_who_may_act(
    django_user_model, viewer, buyer, analyst, superuser, nobody
):
    gone = django_user_model.objects.create_user(username="gone", is_active=False)
    gone.groups.add(*analyst.groups.all())
    direct = django_user_model.objects.create_user(username="direct")
    direct.user_permissions.add(
        Permission.objects.get(content_type__app_label="alerts", codename="resolve_alert")
    )

    names = list(alert_assignable_users().values_list("username", flat=True))

    assert names == ["analyst", "buyer", "direct", "root"]


def test_assigning_a_viewer_or_a_user_without_a_role_is_refused(viewer, nobody, buyer):
    alert = _alert()

    for user in (viewer, nobody):
        with pytest.raises(ValidationError) as raised:
            alert_assign(alert=alert, assignee=user)
        assert list(raised.value.message_dict) == ["assignee"]
        assert f"{user.username} cannot act on alerts" in raised.value.messages[0]

    alert_assign(alert=alert, assignee=buyer)
    alert.refresh_from_db()
    assert alert.assignee == buyer


def test_a_person_is_named_by_full_name_and_username_or_username_alone(django_user_model):
    named = django_user_model(username="jdoe", first_name="Jane", last_name="Doe")
    bare = django_user_model(username="ops")

    assert person_label(named) == "Jane Doe (jdoe)"
    assert person_label(bare) == "ops"
    assert person_label(None) == ""
    assert person_label(None, empty="nobody") == "nobody"
