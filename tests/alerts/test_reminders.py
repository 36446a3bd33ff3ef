"""Reminders that people see: deadlines coming and due, overdue reviews escalated, daily digests —
each sent once, through the e-mail outbox, however often the daily job runs."""

import datetime
import io

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from alerts.choices import AlertKind, AlertStatus, ReminderKind
from alerts.models import (
    Alert,
    EmailNotification,
    NotificationPreference,
    Reminder,
    WebhookEndpoint,
)
from alerts.reminders import notification_preference_set, reminders_send
from alerts.services import alert_raise
from alerts.tasks import send_reminders
from registry.models import RecheckRequest
from registry.services.policy import risk_policy_update
from registry.services.risk import policy_current
from tests.factories import ContractFactory, EntityFactory, VendorFactory
from tests.pipeline.scenario import build_reference_registry, log_reference_events

pytestmark = pytest.mark.django_db

DUE = datetime.date(2025, 7, 13)


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the daily job for a day and send what it queued (the outbox's tasks, in-process)."""

    def run_for(day: datetime.date):
        with django_capture_on_commit_callbacks(execute=True):
            return reminders_send(day=day)

    return run_for


@pytest.fixture
def reminder_days():
    def set_days(values: list[int]) -> None:
        risk_policy_update(reminder_days=values, note="Reminder days for the test.")

    return set_days


@pytest.fixture
def scale_review(buyer, django_capture_on_commit_callbacks):
    """Scale AI's contract (managed by the buyer) and its open change-of-control review, due
    2025-07-13; the raise's own e-mail is sent and cleared."""
    vendor = VendorFactory(entity=EntityFactory(name="Scale AI"))
    contract = ContractFactory(
        vendor=vendor,
        reference="SCALE-2024-001",
        change_of_control_clause=True,
        coc_termination_window_days=30,
        owner=buyer,
    )
    with django_capture_on_commit_callbacks(execute=True):
        alert, _ = alert_raise(
            dedup_key="coc:scale",
            kind=AlertKind.CHANGE_OF_CONTROL,
            severity="high",
            title="Change of control at Scale AI: review contract SCALE-2024-001",
            vendor=vendor,
            contract=contract,
            due_date=DUE,
        )
    mail.outbox.clear()
    return alert


def sent(kind: str | None = None) -> list[Reminder]:
    reminders = Reminder.objects.order_by("id")
    return list(reminders.filter(kind=kind) if kind else reminders)


def mail_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


# --- The reference scenario, as a buyer tries it --------------------------------------------------


def test_a_reminder_two_days_before_the_coc_deadline_reaches_the_contract_owner(
    buyer, reminder_days, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reference = build_reference_registry()
        reference.scale_contract.owner = buyer
        reference.scale_contract.save()
        log_reference_events(reference)
    review = Alert.objects.get(kind=AlertKind.CHANGE_OF_CONTROL)
    assert review.due_date == DUE and review.assignee == buyer
    reminder_days([2])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", date="2025-07-11", stdout=io.StringIO())

    reminders = mail_to("buyer@example.com")
    subjects = sorted(message.subject for message in reminders)
    assert subjects == [
        "[Vendor Registry] Change-of-control deadline in 2 days (2025-07-13): SCALE-2024-001",
        "[Vendor Registry] Daily digest for 2025-07-11: 0 new, 1 due, 0 overdue",
    ]
    reminder = next(m for m in reminders if "deadline" in m.subject)
    assert "is in 2 days, on 2025-07-13" in reminder.body
    assert "Contract: SCALE-2024-001 — Data labelling services" in reminder.body
    assert f"{settings.SITE_URL}/alerts/{review.pk}/" in reminder.body
    (row,) = sent(ReminderKind.COC_DEADLINE)
    assert (row.alert, row.contract, row.recipient, row.day, row.deadline) == (
        review,
        reference.scale_contract,
        buyer,
        datetime.date(2025, 7, 11),
        DUE,
    )
    assert row.email_notification.status == "delivered"


# --- Deadlines coming and due ---------------------------------------------------------------------


def test_the_default_policy_reminds_seven_days_and_one_day_before_and_on_the_day(
    buyer, scale_review, run
):
    assert policy_current().reminder_days == [7, 1]

    counts = {
        day: run(day).sent[ReminderKind.COC_DEADLINE]
        for day in (
            DUE - days(8),
            DUE - days(7),
            DUE - days(6),
            DUE - days(2),
            DUE - days(1),
            DUE,
            DUE + days(1),
        )
    }

    assert list(counts.values()) == [0, 1, 0, 0, 1, 1, 0]
    assert [message.subject for message in mail.outbox if "deadline" in message.subject] == [
        "[Vendor Registry] Change-of-control deadline in 7 days (2025-07-13): SCALE-2024-001",
        "[Vendor Registry] Change-of-control deadline tomorrow (2025-07-13): SCALE-2024-001",
        "[Vendor Registry] Change-of-control deadline today (2025-07-13): SCALE-2024-001",
    ]
    assert {message.to[0] for message in mail.outbox} == {"buyer@example.com"}


def test_on_the_day_the_reminder_says_today(buyer, scale_review, reminder_days, run):
    reminder_days([2])

    result = run(DUE)

    assert result.sent[ReminderKind.COC_DEADLINE] == 1
    (message,) = [m for m in mail.outbox if "deadline" in m.subject]
    assert message.subject.endswith("deadline today (2025-07-13): SCALE-2024-001")
    assert "The change-of-control deadline of this review is today, on 2025-07-13." in message.body


def test_a_review_that_is_resolved_or_has_nobody_to_tell_is_not_reminded(
    buyer, scale_review, reminder_days, run
):
    reminder_days([2])
    Alert.objects.filter(pk=scale_review.pk).update(status=AlertStatus.RESOLVED)
    assert run(DUE - days(2)).total == 0

    Alert.objects.filter(pk=scale_review.pk).update(status=AlertStatus.OPEN, assignee=None)
    scale_review.contract.owner = None
    scale_review.contract.save()
    assert run(DUE - days(2)).total == 0
    assert Reminder.objects.count() == 0
    assert mail.outbox == []


def test_an_acknowledged_review_is_still_reminded(buyer, scale_review, reminder_days, run):
    reminder_days([2])
    Alert.objects.filter(pk=scale_review.pk).update(status=AlertStatus.ACKNOWLEDGED)

    assert run(DUE - days(2)).sent[ReminderKind.COC_DEADLINE] == 1


def test_a_contract_end_reminds_its_owner_before_and_on_the_day(buyer, viewer, run):
    vendor = VendorFactory(entity=EntityFactory(name="Remotasks"), business_owner=viewer)
    end = datetime.date(2026, 3, 31)
    ContractFactory(vendor=vendor, reference="RT-2025-004", end_date=end, owner=buyer)
    # Without a contract owner, the vendor's business owner is reminded.
    ContractFactory(vendor=vendor, reference="RT-2025-005", end_date=end)

    counts = [
        run(day).sent[ReminderKind.CONTRACT_END]
        for day in (end - days(7), end - days(3), end - days(1), end)
    ]

    assert counts == [2, 0, 2, 2]
    ends = [m for m in mail.outbox if "ends" in m.subject and "digest" not in m.subject]
    assert [(m.to[0], m.subject) for m in ends[:2]] == [
        (
            "buyer@example.com",
            "[Vendor Registry] Contract RT-2025-004 (Remotasks) ends in 7 days, on 2026-03-31: "
            "renew or let it end",
        ),
        (
            "viewer@example.com",
            "[Vendor Registry] Contract RT-2025-005 (Remotasks) ends in 7 days, on 2026-03-31: "
            "renew or let it end",
        ),
    ]
    assert ends[-1].subject.endswith("ends today, on 2026-03-31: renew or let it end")
    assert "Value: 100000.00 USD" in ends[0].body


# --- Overdue reviews go to the risk analysts, once ------------------------------------------------


def test_an_overdue_review_is_escalated_to_every_risk_analyst_once(
    buyer, analyst, django_user_model, scale_review, run
):
    second = django_user_model.objects.create_user(
        username="analyst2", email="analyst2@example.com", password="pw-for-tests-only"
    )
    second.groups.add(Group.objects.get(name="Risk analyst"))

    assert run(DUE).sent[ReminderKind.COC_OVERDUE] == 0
    first = run(DUE + days(1))
    later = [run(DUE + days(n)).sent[ReminderKind.COC_OVERDUE] for n in (2, 3, 10)]

    assert first.sent[ReminderKind.COC_OVERDUE] == 2
    assert later == [0, 0, 0]
    escalations = [m for m in mail.outbox if "Overdue change of control" in m.subject]
    assert sorted(m.to[0] for m in escalations) == [
        "analyst2@example.com",
        "analyst@example.com",
    ]
    assert escalations[0].subject == (
        "[Vendor Registry] Overdue change of control, was due 2025-07-13: "
        "Change of control at Scale AI: review contract SCALE-2024-001"
    )
    assert "due on 2025-07-13, 1 day ago, and is still open" in escalations[0].body
    assert "Assigned to: buyer" in escalations[0].body
    assert {r.day for r in sent(ReminderKind.COC_OVERDUE)} == {DUE + days(1)}
    # The buyer, who is not an analyst, is not sent the escalation.
    assert not [m for m in mail_to("buyer@example.com") if "Overdue" in m.subject]


def test_an_overdue_review_first_seen_late_is_escalated_once_then_never(analyst, scale_review, run):
    assert run(DUE + days(5)).sent[ReminderKind.COC_OVERDUE] == 1
    assert run(DUE + days(6)).sent[ReminderKind.COC_OVERDUE] == 0
    assert "5 days ago" in mail_to("analyst@example.com")[0].body


def test_a_resolved_review_is_not_escalated(analyst, scale_review, run):
    Alert.objects.filter(pk=scale_review.pk).update(status=AlertStatus.RESOLVED)

    assert run(DUE + days(1)).total == 0


# --- Running again sends nothing twice ------------------------------------------------------------


def test_running_the_same_day_again_sends_nothing_twice(
    buyer, analyst, scale_review, reminder_days, run
):
    reminder_days([2])
    ContractFactory(vendor=scale_review.vendor, end_date=DUE - days(2), owner=buyer)
    day = DUE - days(2)

    first = run(day)
    messages, notifications = len(mail.outbox), EmailNotification.objects.count()
    again = [run(day) for _ in range(2)]

    assert first.sent == {
        "coc_deadline": 1,
        "contract_end": 1,
        "coc_overdue": 0,
        "digest": 1,
    }
    assert [result.total for result in again] == [0, 0]
    assert len(mail.outbox) == messages == 3
    assert EmailNotification.objects.count() == notifications
    assert Reminder.objects.count() == 3


def test_the_unique_key_refuses_a_second_row_for_the_same_reminder(buyer, scale_review):
    key = {
        "kind": ReminderKind.COC_DEADLINE,
        "day": DUE,
        "recipient": buyer,
        "alert": scale_review,
    }
    Reminder.objects.create(**key)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(**key)
    Reminder.objects.create(kind=ReminderKind.DIGEST, day=DUE, recipient=buyer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(kind=ReminderKind.DIGEST, day=DUE, recipient=buyer)
    # A reminder goes to a person or to an endpoint: never to neither.
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(kind=ReminderKind.DIGEST, day=DUE)
    assert Reminder.objects.count() == 2


def test_a_run_that_loses_a_race_sends_only_what_the_other_did_not(
    buyer, scale_review, reminder_days, run, monkeypatch
):
    reminder_days([2])
    ContractFactory(vendor=scale_review.vendor, end_date=DUE, owner=buyer)
    Reminder.objects.create(
        kind=ReminderKind.COC_DEADLINE,
        day=DUE - days(2),
        recipient=buyer,
        alert=scale_review,
        contract=scale_review.contract,
        deadline=DUE,
    )
    # As if a concurrent run recorded the review's reminder between this run's read and write.
    monkeypatch.setattr("alerts.reminders._recorded_keys", lambda planned: set())

    result = run(DUE - days(2))

    assert result.sent == {"coc_deadline": 0, "contract_end": 1, "coc_overdue": 0, "digest": 1}
    assert Reminder.objects.count() == 3
    subjects = sorted(message.subject for message in mail.outbox)
    assert len(subjects) == 2
    assert subjects[0].startswith("[Vendor Registry] Contract C-")
    assert subjects[0].endswith("ends in 2 days, on 2025-07-13: renew or let it end")
    assert subjects[1] == "[Vendor Registry] Daily digest for 2025-07-11: 0 new, 2 due, 0 overdue"


# --- The daily digest -----------------------------------------------------------------------------


def test_the_digest_lists_what_is_new_due_and_overdue_for_each_person(
    buyer, analyst, scale_review, run
):
    day = datetime.date(2025, 7, 10)
    vendor = scale_review.vendor
    overdue, _ = alert_raise(
        dedup_key="coc:old",
        kind=AlertKind.CHANGE_OF_CONTROL,
        severity="critical",
        title="Change of control at Scale AI: review contract SCALE-2023-009",
        vendor=vendor,
        due_date=datetime.date(2025, 7, 1),
        assignee=buyer,
    )
    new, _ = alert_raise(
        dedup_key="risk:scale",
        kind=AlertKind.RISK_INCREASED,
        severity="critical",
        title="Scale AI: risk rose from high to critical",
        vendor=vendor,
        assignee=buyer,
    )
    stale, _ = alert_raise(
        dedup_key="risk:scale:older",
        kind=AlertKind.RISK_INCREASED,
        severity="high",
        title="Scale AI: risk rose from low to high",
        vendor=vendor,
        assignee=buyer,
    )
    yesterday_noon = timezone.make_aware(datetime.datetime(2025, 7, 9, 12))
    Alert.objects.filter(pk=new.pk).update(created_at=yesterday_noon)
    Alert.objects.filter(pk=stale.pk).update(created_at=yesterday_noon - days(3))
    Alert.objects.filter(pk=scale_review.pk).update(created_at=yesterday_noon - days(5))
    Alert.objects.filter(pk=overdue.pk).update(created_at=yesterday_noon - days(20))
    ContractFactory(vendor=vendor, reference="SCALE-2022-002", end_date=day + days(6), owner=buyer)
    ContractFactory(vendor=vendor, reference="SCALE-2022-003", end_date=day + days(30))
    mail.outbox.clear()

    result = run(day)

    assert result.sent[ReminderKind.DIGEST] == 1  # the analyst has nothing of their own
    (digest,) = [m for m in mail.outbox if "digest" in m.subject]
    assert digest.to == ["buyer@example.com"]
    assert (
        digest.subject == "[Vendor Registry] Daily digest for 2025-07-10: 1 new, 2 due, 1 overdue"
    )
    body = digest.body
    assert "on 2025-07-10: 1 new, 2 due, 1 overdue." in body
    overdue_part = body[body.index("Overdue\n") : body.index("Due by")]
    assert "review contract SCALE-2023-009 — was due 2025-07-01" in overdue_part
    due_part = body[body.index("Due by 2025-07-17") : body.index("New since yesterday")]
    assert "review contract SCALE-2024-001 — due 2025-07-13" in due_part
    assert "Contract SCALE-2022-002 (Scale AI) ends 2025-07-16" in due_part
    assert "SCALE-2022-003" not in body
    new_part = body[body.index("New since yesterday") :]
    assert "[Critical] Scale AI: risk rose from high to critical" in new_part
    assert "risk rose from low to high" not in body
    assert f"{settings.SITE_URL}/alerts/preferences/" in body


def test_nobody_is_sent_an_empty_digest(buyer, analyst, run):
    assert run(datetime.date(2025, 7, 10)).total == 0
    assert mail.outbox == []


def test_a_person_who_opted_out_gets_no_digest_but_still_the_reminders(
    buyer, scale_review, reminder_days, run
):
    reminder_days([2])
    notification_preference_set(user=buyer, daily_digest=False)

    result = run(DUE - days(2))

    assert result.sent == {"coc_deadline": 1, "contract_end": 0, "coc_overdue": 0, "digest": 0}
    assert [m.subject for m in mail.outbox] == [
        "[Vendor Registry] Change-of-control deadline in 2 days (2025-07-13): SCALE-2024-001"
    ]

    notification_preference_set(user=buyer, daily_digest=True)
    assert run(DUE - days(2)).sent[ReminderKind.DIGEST] == 1


def test_an_inactive_person_or_one_without_an_address_is_sent_nothing(
    buyer, scale_review, reminder_days, run
):
    reminder_days([2])
    buyer.email = ""
    buyer.save()
    assert run(DUE - days(2)).total == 0
    buyer.email = "buyer@example.com"
    buyer.is_active = False
    buyer.save()
    assert run(DUE - days(2)).total == 0
    assert Reminder.objects.count() == 0


# --- The policy setting ---------------------------------------------------------------------------


def test_reminder_days_are_checked_and_kept_largest_first():
    policy = risk_policy_update(reminder_days=[1, 14, 7, 7])
    assert policy.reminder_days == [14, 7, 1]
    assert risk_policy_update(reminder_days=[]).reminder_days == []

    for bad, message in (
        ([0], "from 1 to 365; got 0"),
        ([400], "from 1 to 365; got 400"),
        (["7"], "whole numbers"),
        ([True], "whole numbers"),
        ("7, 1", "whole numbers"),
    ):
        with pytest.raises(ValidationError) as caught:
            risk_policy_update(reminder_days=bad)
        assert message in " ".join(caught.value.message_dict["reminder_days"])
    assert policy_current().reminder_days == []


def test_changing_only_the_reminder_days_rechecks_nobody(db):
    VendorFactory()
    before = RecheckRequest.objects.count()

    risk_policy_update(reminder_days=[3])
    assert RecheckRequest.objects.count() == before

    risk_policy_update(high_share=30)
    assert RecheckRequest.objects.count() == before + 1


def test_the_policy_admin_takes_reminder_days_as_a_list(superuser, client):
    client.force_login(superuser)
    latest = policy_current()
    form = client.get("/admin/registry/riskpolicy/add/")
    assert 'name="reminder_days" value="7, 1"' in form.content.decode()
    data = {
        "critical_share": latest.critical_share,
        "high_share": latest.high_share,
        "medium_share": latest.medium_share,
        "escalate_restricted": "on",
        "interlock_severity": latest.interlock_severity,
        "undisclosed_severity": latest.undisclosed_severity,
        "note": "Two weeks' notice.",
    }

    bad = client.post("/admin/registry/riskpolicy/add/", data | {"reminder_days": "14, x"})
    good = client.post("/admin/registry/riskpolicy/add/", data | {"reminder_days": "14, 7, 1"})

    assert bad.status_code == 200
    assert "Give whole numbers of days separated by commas" in bad.content.decode()
    assert good.status_code == 302
    assert policy_current().reminder_days == [14, 7, 1]


# --- The doors: command, task, beat, preferences page, admin --------------------------------------


def test_the_command_reports_what_it_sent_and_refuses_a_bad_date(buyer, scale_review, capsys):
    call_command("send_reminders", "--date", "2025-07-12")
    out = capsys.readouterr().out
    assert out.startswith("Reminders for 2025-07-12: 2 e-mailed (")
    assert "Change-of-control deadline: 1" in out and "Daily digest: 1" in out

    with pytest.raises(CommandError, match=r"--date: give a date as YYYY-MM-DD, not '12/07/2025'"):
        call_command("send_reminders", "--date", "12/07/2025")


def test_the_task_and_its_daily_beat_entry(buyer, scale_review):
    entry = settings.CELERY_BEAT_SCHEDULE["send-reminders"]
    assert entry["task"] == send_reminders.name == "alerts.tasks.send_reminders"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({6}, {0})

    assert send_reminders.delay("2025-07-12").get() == 2
    assert send_reminders.delay("2025-07-12").get() == 0


def test_a_person_switches_their_digest_off_and_on_on_the_preferences_page(buyer, client):
    client.force_login(buyer)

    page = client.get("/alerts/preferences/")
    off = client.post("/alerts/preferences/", {})
    stored_off = NotificationPreference.objects.get(user=buyer).daily_digest
    on = client.post("/alerts/preferences/", {"daily_digest": "on"}, follow=True)

    assert page.status_code == 200
    assert 'name="daily_digest"' in page.content.decode()
    assert "checked" in page.content.decode()
    assert off.status_code == 302 and off["Location"] == "/alerts/preferences/"
    assert stored_off is False
    assert "The daily digest is switched on." in on.content.decode()
    assert NotificationPreference.objects.get(user=buyer).daily_digest is True
    assert NotificationPreference.objects.count() == 1


def test_the_preferences_page_needs_a_sign_in(client):
    response = client.get("/alerts/preferences/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_admin_lists_reminders_and_edits_preferences(superuser, buyer, scale_review, client):
    reminders_send(day=DUE)
    client.force_login(superuser)

    listing = client.get("/admin/alerts/reminder/")
    reminder = Reminder.objects.filter(kind=ReminderKind.COC_DEADLINE).get()
    detail = client.get(f"/admin/alerts/reminder/{reminder.pk}/change/")
    added = client.post(
        "/admin/alerts/notificationpreference/add/", {"user": buyer.pk, "daily_digest": ""}
    )

    assert listing.status_code == 200
    assert "Change-of-control deadline" in listing.content.decode()
    assert detail.status_code == 200
    assert "deadline today (2025-07-13)" in detail.content.decode()
    assert added.status_code == 302
    assert NotificationPreference.objects.get(user=buyer).daily_digest is False


# --- Cost ---------------------------------------------------------------------------------


def _due_everywhere(n: int, owner, start: int) -> None:
    """``n`` vendors, each with a review due in 7 days, one overdue, and a contract ending in
    7 days, all the owner's."""
    for i in range(start, start + n):
        vendor = VendorFactory(entity=EntityFactory(name=f"Vendor {i}"), business_owner=owner)
        contract = ContractFactory(vendor=vendor, end_date=DUE, owner=owner)
        for key, due in (("soon", DUE), ("late", DUE - days(20))):
            alert_raise(
                dedup_key=f"coc:{key}:{i}",
                kind=AlertKind.CHANGE_OF_CONTROL,
                severity="high",
                title=f"Change of control at Vendor {i}",
                vendor=vendor,
                contract=contract,
                due_date=due,
            )


def test_the_daily_run_makes_as_many_queries_for_thirty_deadlines_as_for_three(buyer, analyst):
    WebhookEndpoint.objects.create(
        name="Slack",
        url="https://hooks.slack.com/services/T0/B0/x",
        format="slack",
        secret="s",
        posts_reminders=True,
    )
    reads, inserts = {}, {}
    for n, start in ((3, 0), (30, 3)):
        Reminder.objects.all().delete()
        _due_everywhere(n - start, buyer, start)
        with CaptureQueriesContext(connection) as queries:
            result = reminders_send(day=DUE - days(7))
        statements = [query["sql"].lstrip().upper() for query in queries]
        inserts[n] = sum(sql.startswith("INSERT") for sql in statements)
        reads[n] = len(statements) - inserts[n]
        assert result.sent == {
            "coc_deadline": n,
            "contract_end": n,
            "coc_overdue": n,
            "digest": 1,
        }
        assert result.posted == 3 * n

    assert reads[3] == reads[30] <= 14
    # One insert each of reminders, e-mails and deliveries; SQLite splits a long one in two.
    assert inserts[3] == 3
    assert inserts[30] <= 6


def test_the_api_policy_resource_is_unchanged_and_an_edit_keeps_the_reminder_days(analyst):
    risk_policy_update(reminder_days=[3])
    api = APIClient()
    api.force_authenticate(analyst)

    read = api.get("/api/v1/risk-policy/").json()
    edited = api.patch("/api/v1/risk-policy/", {"high_share": "30"}, format="json")

    assert "reminder_days" not in read
    assert edited.status_code == 200
    assert "reminder_days" not in edited.json()
    assert policy_current().reminder_days == [3]
    assert policy_current().high_share == 30
