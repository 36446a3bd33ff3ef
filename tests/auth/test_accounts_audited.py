"""Users, groups and API tokens are audited like the registry, and visible in the admin's
history; signing in adds nothing; the password hash never enters the history."""

import pytest
from django.contrib.auth.models import Group, Permission

from core.history import DeleteRefused
from core.models import ApiToken
from core.people import user_delete
from core.tokens import api_token_issue
from registry.roles import PROCUREMENT, RISK_ANALYST

pytestmark = pytest.mark.django_db


def test_creating_a_user_and_changing_their_groups_is_recorded_with_who_did_it(
    django_user_model, superuser
):
    user = django_user_model(username="dana", first_name="Dana", email="dana@example.com")
    user.set_password("a-long-enough-password")
    user._history_user = superuser
    user.save()
    user.groups.add(Group.objects.get(name=PROCUREMENT))
    user.groups.add(Group.objects.get(name=RISK_ANALYST))
    records = list(user.history.order_by("history_id"))
    assert [record.history_type for record in records] == ["+", "~", "~"]
    assert records[0].history_user == superuser
    assert records[0].username == "dana"
    latest_groups = {row.group.name for row in records[-1].groups.all()}
    assert latest_groups == {PROCUREMENT, RISK_ANALYST}
    field_names = {field.name for field in type(records[0])._meta.get_fields()}
    assert "password" not in field_names and "last_login" not in field_names


def test_signing_in_sets_last_login_without_an_audit_record(client, django_user_model):
    user = django_user_model.objects.create_user(username="erin", password="pw-for-tests-only")
    assert user.history.count() == 1
    assert client.login(username="erin", password="pw-for-tests-only")
    user.refresh_from_db()
    assert user.last_login is not None
    assert user.history.count() == 1


def test_a_groups_permissions_over_time_are_recorded():
    group = Group.objects.create(name="Auditors")
    permission = Permission.objects.get(codename="view_vendor")
    group.permissions.add(permission)
    group.permissions.remove(permission)
    records = list(group.history.order_by("history_id"))
    assert [record.history_type for record in records] == ["+", "~", "~"]
    assert [r.permissions.count() for r in records] == [0, 1, 0]


def test_api_tokens_issued_renamed_and_revoked_are_in_the_history(buyer):
    token, _key = api_token_issue(user=buyer, name="ticketing")
    token.name = "ticketing integration"
    token.save()
    token_id = token.pk
    token.delete()
    history = ApiToken.history.filter(id=token_id).order_by("history_id")
    assert [(r.history_type, r.name) for r in history] == [
        ("+", "ticketing"),
        ("~", "ticketing integration"),
        ("-", "ticketing integration"),
    ]
    assert "digest" in {f.name for f in ApiToken.history.model._meta.get_fields()}


def test_a_deleted_users_own_history_keeps_their_name(django_user_model):
    user = django_user_model.objects.create_user(username="frank", first_name="Frank")
    user_id = user.pk
    user_delete(user=user)
    rows = django_user_model.history.filter(id=user_id).order_by("history_id")
    assert [(r.history_type, r.username, r.first_name) for r in rows] == [
        ("+", "frank", "Frank"),
        ("-", "frank", "Frank"),
    ]


def test_a_user_who_changed_an_account_cannot_be_deleted(django_user_model):
    admin_user = django_user_model.objects.create_user(username="gail")
    other = django_user_model(username="hugo")
    other._history_user = admin_user
    other.save()
    with pytest.raises(DeleteRefused) as refused:
        user_delete(user=admin_user)
    assert "historical users (history_user): 1" in refused.value.message
    assert django_user_model.objects.filter(pk=admin_user.pk).exists()


def test_the_admin_shows_the_history_of_users_and_groups(client, superuser, django_user_model):
    client.force_login(superuser)
    user = django_user_model.objects.create_user(username="ivy")
    user.groups.add(Group.objects.get(name=PROCUREMENT))
    page = client.get(f"/admin/auth/user/{user.pk}/history/")
    assert page.status_code == 200
    assert page.content.decode().count("Changed") + page.content.decode().count("Created") >= 2
    group = Group.objects.get(name=PROCUREMENT)
    assert client.get(f"/admin/auth/group/{group.pk}/history/").status_code == 200
    # Reverting from the history would write around the services: read-only.
    record = user.history.earliest("history_id")
    url = f"/admin/auth/user/{user.pk}/history/{record.history_id}/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"username": "ivy2"}).status_code == 403


def test_the_audit_trail_keeps_the_actors_name_when_the_user_is_deleted(
    django_user_model, superuser, client
):
    from registry import services
    from tests.factories import VendorFactory

    dana = django_user_model.objects.create_user(username="dana")
    vendor = VendorFactory(tier=1)
    services.vendor_update(vendor=vendor, actor=dana, tier=3)
    record = vendor.history.latest("history_id")
    assert (record.history_user, record.history_user_name) == (dana, "dana")

    # Deleted around the admin's refusal (a shell, a cascade): the link empties, the name stays.
    django_user_model.objects.filter(pk=dana.pk).delete()
    record = vendor.history.latest("history_id")
    assert (record.history_user, record.history_user_name) == (None, "dana")
    client.force_login(superuser)
    history = client.get(f"/api/v1/vendors/{vendor.pk}/history/").json()
    entries = history["results"] if isinstance(history, dict) else history
    assert [entry["history_user"] for entry in entries][:1] == ["dana"]


def test_bulk_written_audit_records_keep_the_actors_name_too(django_user_model):
    from alerts.models import Alert
    from tests.factories import VendorFactory

    erin = django_user_model.objects.create_user(username="erin")
    alerts = [
        Alert(
            kind="risk_increased",
            severity="high",
            title=f"t{n}",
            vendor=VendorFactory(),
            dedup_key=f"bulk:{n}",
        )
        for n in range(3)
    ]
    Alert.objects.bulk_create(alerts)
    Alert.history.bulk_history_create(alerts, default_user=erin)
    names = list(Alert.history.values_list("history_user_name", flat=True))
    assert names == ["erin", "erin", "erin"]
