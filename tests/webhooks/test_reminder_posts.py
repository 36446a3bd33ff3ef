"""Deadline reminders and escalations posted to webhook endpoints that ask for them (a Slack or
Teams channel, or a generic receiver): once each, as delivery rows like an alert's."""

import datetime

import pytest
from django.conf import settings as django_settings
from django.core import mail

from alerts.choices import DeliveryStatus, ReminderKind, WebhookFormat
from alerts.models import Alert, Reminder, WebhookDelivery
from alerts.reminders import reminders_send
from alerts.webhooks import webhook_endpoint_save
from registry.choices import RiskLevel
from tests.factories import ContractFactory

DUE = datetime.date(2025, 7, 13)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def run_for(day: datetime.date):
        with django_capture_on_commit_callbacks(execute=True):
            return reminders_send(day=day)

    return run_for


@pytest.fixture
def review(raise_coc_alert, buyer):
    """The Scale contract's review (due 2025-07-13), assigned to the buyer, who manages the
    contract; what its raise sent is cleared."""
    alert = raise_coc_alert()
    alert.contract.owner = buyer
    alert.contract.save()
    Alert.objects.filter(pk=alert.pk).update(assignee=buyer)
    WebhookDelivery.objects.all().delete()
    mail.outbox.clear()
    return alert


def channel(receiver, format: str, path: str, **fields):
    return webhook_endpoint_save(
        **{
            "name": f"#vendor-risk ({format})",
            "url": receiver.url(path),
            "format": format,
            "posts_reminders": True,
        }
        | fields
    )


def test_a_slack_channel_is_posted_the_coc_deadline_reminder_once(receiver, review, run):
    endpoint = channel(receiver, WebhookFormat.SLACK, "/slack")
    day = DUE - datetime.timedelta(days=7)

    first = run(day)
    again = run(day)

    assert (first.posted, again.posted) == (1, 0)
    assert first.sent[ReminderKind.COC_DEADLINE] == 1  # the buyer's e-mail besides
    (request,) = receiver.requests
    body = request.json()
    subject = "Change-of-control deadline in 7 days (2025-07-13): SCALE-2024-001"
    assert body["text"] == subject
    assert body["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": subject}}
    assert body["blocks"][1]["fields"] == [
        {"type": "mrkdwn", "text": "*Vendor*\nScale AI"},
        {"type": "mrkdwn", "text": "*Contract*\nSCALE-2024-001"},
        {"type": "mrkdwn", "text": "*Deadline*\n2025-07-13"},
        {"type": "mrkdwn", "text": "*Assignee*\nbuyer"},
    ]
    assert body["blocks"][2]["elements"][0]["url"] == (
        f"{django_settings.SITE_URL}/alerts/{review.pk}/"
    )
    reminder = Reminder.objects.get(endpoint=endpoint)
    assert (reminder.kind, reminder.day, reminder.recipient, reminder.alert) == (
        ReminderKind.COC_DEADLINE,
        day,
        None,
        review,
    )
    delivery = reminder.webhook_delivery
    assert (delivery.status, delivery.alert, delivery.attempt_count) == (
        DeliveryStatus.DELIVERED,
        None,
        1,
    )


def test_a_generic_receiver_gets_the_reminder_as_signed_json(receiver, review, run):
    channel(receiver, WebhookFormat.GENERIC, "/generic", secret="whsec-reminders-0123")

    run(DUE)

    (request,) = receiver.requests
    reminder = Reminder.objects.get(endpoint__isnull=False)
    assert request.json() == {
        "reminder": {
            "id": reminder.pk,
            "kind": "coc_deadline",
            "day": "2025-07-13",
            "deadline": "2025-07-13",
        },
        "text": "Change-of-control deadline today (2025-07-13): SCALE-2024-001",
        "alert": review.pk,
        "contract": {"id": review.contract_id, "reference": "SCALE-2024-001"},
        "vendor": {"id": review.vendor_id, "name": "Scale AI"},
        "link": f"{django_settings.SITE_URL}/alerts/{review.pk}/",
    }
    assert request.headers["X-VendorRegistry-Signature"].startswith("v1=")


def test_a_teams_channel_gets_contract_ends_and_only_the_severities_it_asked_for(
    receiver, review, run
):
    channel(receiver, WebhookFormat.TEAMS, "/teams", min_severity=RiskLevel.CRITICAL)
    ContractFactory(
        vendor=review.vendor,
        reference="SCALE-2022-002",
        title="Annotation tooling",
        end_date=DUE - datetime.timedelta(days=6),
    )

    result = run(DUE - datetime.timedelta(days=7))

    # The review is high, below the channel's minimum; a contract's end has no severity.
    assert result.posted == 1
    (request,) = receiver.requests
    card = request.json()["attachments"][0]["content"]
    assert card["body"][0]["text"] == (
        "Contract SCALE-2022-002 (Scale AI) ends tomorrow, on 2025-07-07: renew or let it end"
    )
    assert card["body"][0]["color"] == "Default"
    assert card["body"][1]["facts"] == [
        {"title": "Vendor", "value": "Scale AI"},
        {"title": "Contract", "value": "SCALE-2022-002 — Annotation tooling"},
        {"title": "Value", "value": "100000.00 USD"},
        {"title": "Ends", "value": "2025-07-07"},
    ]
    (action,) = card["actions"]
    assert action["title"] == "Open the contract"
    assert action["url"].startswith(f"{django_settings.SITE_URL}/contracts/")


def test_an_overdue_review_is_posted_to_the_channel_once(receiver, review, analyst, run):
    channel(receiver, WebhookFormat.SLACK, "/slack")

    posted = [run(DUE + datetime.timedelta(days=n)).posted for n in (1, 2, 3)]

    assert posted == [1, 0, 0]
    assert (
        receiver.requests[0]
        .json()["text"]
        .startswith("Overdue change of control, was due 2025-07-13: Change of control at Scale AI")
    )
    assert len([m for m in mail.outbox if "Overdue" in m.subject]) == 1  # the analyst's


def test_endpoints_that_do_not_post_reminders_or_are_off_get_none(receiver, review, run):
    channel(receiver, WebhookFormat.SLACK, "/quiet", posts_reminders=False)
    channel(receiver, WebhookFormat.SLACK, "/off", is_active=False)

    assert run(DUE).posted == 0
    assert receiver.requests == []
    assert Reminder.objects.filter(endpoint__isnull=False).count() == 0
