"""Slack and Microsoft Teams incoming webhooks: the same delivery rows, retries and guard as the
signed generic format, with the message each chat tool posts to its channel."""

import hashlib
import hmac

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError

from alerts.choices import AlertKind, DeliveryStatus, WebhookFormat
from alerts.models import WebhookDelivery, WebhookEndpoint
from alerts.services import AlertSpec, alerts_raise
from alerts.webhooks import endpoint_payload, slack_payload, webhook_endpoint_save
from registry.choices import RiskLevel
from tests.factories import EntityFactory, VendorFactory

SECRET = "whsec-chat-0123456789"
TITLE = "Change of control at Scale AI: review contract SCALE-2024-001"


def chat_endpoint(receiver, format: str, **fields) -> WebhookEndpoint:
    return webhook_endpoint_save(
        **{"name": f"#vendor-risk ({format})", "url": receiver.url(), "secret": SECRET}
        | {"format": format}
        | fields
    )


def test_a_slack_endpoint_is_sent_text_and_blocks(receiver, raise_coc_alert):
    endpoint = chat_endpoint(receiver, WebhookFormat.SLACK)

    alert = raise_coc_alert()

    (request,) = receiver.requests
    link = f"{django_settings.SITE_URL}/alerts/{alert.pk}/"
    assert request.json() == {
        "text": f"High: {TITLE} (due 2025-07-13)",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": TITLE}},
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": "*Severity*\nHigh"},
                    {"type": "mrkdwn", "text": "*Kind*\nChange of control"},
                    {"type": "mrkdwn", "text": "*Vendor*\nScale AI"},
                    {"type": "mrkdwn", "text": "*Contract*\nSCALE-2024-001"},
                    {"type": "mrkdwn", "text": "*Due*\n2025-07-13"},
                ],
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open the alert"},
                        "url": link,
                    }
                ],
            },
        ],
    }
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, alert=alert)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.payload == request.json()
    # The same headers as every delivery: a receiver behind a proxy can still check them.
    expected = hmac.new(
        SECRET.encode(),
        f"{request.headers['X-VendorRegistry-Timestamp']}.".encode() + request.body,
        hashlib.sha256,
    ).hexdigest()
    assert request.headers["X-VendorRegistry-Signature"] == f"v1={expected}"
    assert request.headers["X-VendorRegistry-Delivery"] == str(delivery.pk)


def test_a_teams_endpoint_is_sent_an_adaptive_card_message(receiver, raise_coc_alert):
    chat_endpoint(receiver, WebhookFormat.TEAMS)

    alert = raise_coc_alert()

    (request,) = receiver.requests
    message = request.json()
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    title, facts = card["body"]
    assert title == {
        "type": "TextBlock",
        "text": TITLE,
        "weight": "Bolder",
        "size": "Medium",
        "wrap": True,
        "color": "Warning",
    }
    assert facts == {
        "type": "FactSet",
        "facts": [
            {"title": "Severity", "value": "High"},
            {"title": "Kind", "value": "Change of control"},
            {"title": "Vendor", "value": "Scale AI"},
            {"title": "Contract", "value": "SCALE-2024-001"},
            {"title": "Due", "value": "2025-07-13"},
        ],
    }
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open the alert",
            "url": f"{django_settings.SITE_URL}/alerts/{alert.pk}/",
        }
    ]


def test_a_chat_endpoint_that_fails_is_retried_like_any_other(receiver, raise_coc_alert):
    receiver.script = [(500, {}), (200, {})]
    endpoint = chat_endpoint(receiver, WebhookFormat.SLACK)

    alert = raise_coc_alert()

    delivery = WebhookDelivery.objects.get(endpoint=endpoint, alert=alert)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert [a.status_code for a in delivery.attempts.order_by("id")] == [500, 200]
    assert receiver.requests[0].body == receiver.requests[1].body


def test_a_chat_endpoint_is_held_to_the_ssrf_guard_when_saved_and_when_sent(
    receiver, raise_coc_alert, settings
):
    endpoint = chat_endpoint(receiver, WebhookFormat.TEAMS)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    with pytest.raises(ValidationError) as refused:
        chat_endpoint(receiver, WebhookFormat.SLACK, url="http://10.0.0.7/services/T0/B0/x")
    alert = raise_coc_alert()

    assert refused.value.message_dict == {
        "url": ["Webhooks may not be sent to 10.0.0.7: it is a private address."]
    }
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, alert=alert)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts.get().error.startswith(
        "Refused: Webhooks may not be sent to 127.0.0.1"
    )
    assert receiver.requests == []


def test_an_unknown_format_is_refused_by_name(db):
    with pytest.raises(ValidationError) as refused:
        webhook_endpoint_save(
            name="Chat", url="https://8.8.8.8/hooks", secret="s", format="discord"
        )

    assert refused.value.message_dict == {"format": ["Value 'discord' is not a valid choice."]}
    assert WebhookEndpoint.objects.count() == 0


def test_slack_markup_in_names_is_sent_as_text(db):
    vendor = VendorFactory(entity=EntityFactory(name="Smith & Sons <Labelling>"))
    endpoint = WebhookEndpoint(format=WebhookFormat.SLACK)
    alert = alerts_raise(
        [
            AlertSpec(
                dedup_key="risk:smith",
                kind=AlertKind.RISK_INCREASED,
                severity=RiskLevel.MEDIUM,
                title="Smith & Sons <Labelling>: risk rose to medium",
                vendor=vendor,
            )
        ]
    )[0]

    payload = endpoint_payload(endpoint, alert)

    assert payload == slack_payload(alert)
    assert payload["text"] == "Medium: Smith &amp; Sons &lt;Labelling&gt;: risk rose to medium"
    assert payload["blocks"][1]["fields"][2]["text"] == (
        "*Vendor*\nSmith &amp; Sons &lt;Labelling&gt;"
    )
    # A header is plain text (no markup) and at most 150 characters.
    assert payload["blocks"][0]["text"]["text"] == alert.title


def test_raising_in_bulk_builds_each_endpoints_own_format(db, django_capture_on_commit_callbacks):
    generic = WebhookEndpoint.objects.create(
        name="Ticketing", url="https://hooks.example.com/in", secret="s"
    )
    slack = WebhookEndpoint.objects.create(
        name="Slack", url="https://hooks.slack.com/services/T0/B0/x", format="slack", secret="s"
    )
    teams = WebhookEndpoint.objects.create(
        name="Teams",
        url="https://example.webhook.office.com/webhookb2/x",
        format="teams",
        secret="s",
        min_severity=RiskLevel.CRITICAL,
    )
    vendors = [VendorFactory(entity=EntityFactory(name=f"Vendor {i}")) for i in range(3)]

    raised = alerts_raise(
        AlertSpec(
            dedup_key=f"risk:{i}",
            kind=AlertKind.RISK_INCREASED,
            severity=RiskLevel.CRITICAL if i == 0 else RiskLevel.HIGH,
            title=f"Vendor {i}: risk rose",
            vendor=vendor,
        )
        for i, vendor in enumerate(vendors)
    )

    assert len(raised) == 3
    by_endpoint = {
        endpoint: list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("alert_id"))
        for endpoint in (generic, slack, teams)
    }
    assert [len(rows) for rows in by_endpoint.values()] == [3, 3, 1]
    assert [d.payload["kind"] for d in by_endpoint[generic]] == ["risk_increased"] * 3
    assert [d.payload["text"] for d in by_endpoint[slack]] == [
        "Critical: Vendor 0: risk rose",
        "High: Vendor 1: risk rose",
        "High: Vendor 2: risk rose",
    ]
    assert {tuple(d.payload) for d in by_endpoint[slack]} == {("text", "blocks")}
    (card,) = by_endpoint[teams]
    assert card.alert_id == raised[0].pk
    content = card.payload["attachments"][0]["content"]
    assert content["body"][0]["text"] == "Vendor 0: risk rose"
    assert content["body"][0]["color"] == "Attention"


def test_the_admin_saves_an_endpoints_format(client, superuser, receiver):
    client.force_login(superuser)
    form = {
        "name": "#vendor-risk",
        "url": receiver.url("/services/T0/B0/x"),
        "secret": SECRET,
        "min_severity": "low",
        "is_active": "on",
    }

    added = client.post(
        "/admin/alerts/webhookendpoint/add/",
        form | {"format": "teams", "posts_reminders": "on"},
    )
    endpoint = WebhookEndpoint.objects.get()
    kept = client.post(
        f"/admin/alerts/webhookendpoint/{endpoint.pk}/change/",
        form | {"name": "#vendor-risk (renamed)", "secret": ""},
    )
    bad = client.post("/admin/alerts/webhookendpoint/add/", form | {"format": "irc"})

    assert (added.status_code, kept.status_code, bad.status_code) == (302, 302, 200)
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.format, endpoint.posts_reminders) == (
        "#vendor-risk (renamed)",
        "teams",
        False,  # unticked on the second form
    )
    assert bad.context["adminform"].form.errors["format"] == [
        "Select a valid choice. irc is not one of the available choices."
    ]
    assert WebhookEndpoint.objects.count() == 1
    listing = client.get("/admin/alerts/webhookendpoint/?format__exact=teams")
    assert "#vendor-risk (renamed)" in listing.content.decode()
