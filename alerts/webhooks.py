"""Outgoing webhooks: signed deliveries of alerts to other systems.

A delivery is a row before it is a request. ``deliveries_create`` records one per matching
endpoint, with the payload frozen, and sends ``alerts.tasks.deliver_webhook`` after commit; each
run of that task is one attempt (``delivery_attempt``), recorded with its status code and
duration, retried with backoff until it is delivered or ``WEBHOOK_MAX_ATTEMPTS`` is reached.

Every request carries three headers:

- ``X-VendorRegistry-Timestamp``: the Unix time (seconds) of the attempt;
- ``X-VendorRegistry-Signature``: ``v1=`` and the hex HMAC-SHA256, keyed with the endpoint's
  secret, of ``f"{timestamp}.{body}"`` (the raw request body, UTF-8); while a rotated-out secret
  is still within its overlap (``webhook_secret_rotate``) a second ``v1=`` signature, keyed
  with it, follows after a comma: ``v1=<current>,v1=<previous>``;
- ``X-VendorRegistry-Delivery``: the delivery id, the same on every retry, so a receiver can
  discard duplicates.

An endpoint's ``format`` decides the body: ``generic`` is the alert as JSON (``alert_payload``);
``slack`` and ``teams`` are the message an incoming webhook of Slack (``text`` and Block Kit
``blocks``) or Microsoft Teams (an Adaptive Card message) posts to its channel, linking to the
alert's page at ``SITE_URL``. Every format is a delivery row with the same retries, headers and
guard.

No redirect is ever followed, and the URL is checked against ``alerts.ssrf`` both when the
endpoint is saved and right before each request, connecting only to the vetted addresses.
"""

import hashlib
import hmac
import http.client
import json
import logging
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from alerts.choices import AlertKind, DeliveryStatus, WebhookFormat
from alerts.models import Alert, Reminder, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from alerts.ssrf import IPAddress, vetted_target
from core.memo import memoized
from registry.choices import RISK_ORDER, RiskLevel

logger = logging.getLogger(__name__)

SIGNATURE_VERSION = "v1"
TIMESTAMP_HEADER = "X-VendorRegistry-Timestamp"
SIGNATURE_HEADER = "X-VendorRegistry-Signature"
DELIVERY_HEADER = "X-VendorRegistry-Delivery"
USER_AGENT = "VendorRegistry-Webhooks/1"
#: The most of a receiver's answer that is read (and then discarded).
RESPONSE_READ_LIMIT = 64 * 1024


# --- What is sent -------------------------------------------------------------------------------


def alert_payload(alert: Alert) -> dict:
    """The JSON body that describes ``alert`` to a receiver."""
    vendor = alert.vendor
    contract = alert.contract
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "severity": alert.severity,
        "title": alert.title,
        "status": alert.status,
        "vendor": None if vendor is None else {"id": vendor.pk, "name": vendor.name},
        "contract": None
        if contract is None
        else {"id": contract.pk, "reference": contract.reference},
        "event": alert.event_id,
        "due_date": alert.due_date.isoformat() if alert.due_date else None,
        "created_at": alert.created_at.isoformat(),
    }


def site_link(path: str) -> str:
    """The absolute address of one of the app's pages, for messages read elsewhere."""
    return settings.SITE_URL.rstrip("/") + path


def alert_link(alert: Alert) -> str:
    return site_link(reverse("web:alert-detail", args=[alert.pk]))


def _alert_facts(alert: Alert) -> list[tuple[str, str]]:
    """What a chat message says of ``alert`` besides its title, label and value."""
    facts = [("Severity", alert.get_severity_display()), ("Kind", alert.get_kind_display())]
    if alert.vendor is not None:
        facts.append(("Vendor", alert.vendor.name))
    if alert.contract is not None:
        facts.append(("Contract", alert.contract.reference))
    if alert.due_date:
        facts.append(("Due", alert.due_date.isoformat()))
    return facts


def _slack_escape(text: str) -> str:
    """Slack reads ``&``, ``<`` and ``>`` as markup (links, mentions): send them as text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class ChatMessage:
    """What a chat message says, whatever the tool: a title, a one-line summary (the
    notification's text), facts as label and value, and a link to the page it is about."""

    title: str
    summary: str
    facts: list[tuple[str, str]]
    link: str
    link_label: str
    severity: str = RiskLevel.LOW


def alert_message(alert: Alert) -> ChatMessage:
    summary = f"{alert.get_severity_display()}: {alert.title}"
    if alert.due_date:
        summary += f" (due {alert.due_date:%Y-%m-%d})"
    return ChatMessage(
        title=alert.title,
        summary=summary,
        facts=_alert_facts(alert),
        link=alert_link(alert),
        link_label="Open the alert",
        severity=alert.severity,
    )


def slack_message(message: ChatMessage) -> dict:
    """A Slack incoming-webhook message: ``text`` (the notification and the fallback) and Block
    Kit ``blocks`` — a header, the facts as fields, a button to the page."""
    blocks: list[dict] = [
        # Slack's limits: a header of 150 characters, ten fields of 2,000 each.
        {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
    ]
    if message.facts:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{label}*\n{_slack_escape(value)[:1900]}"}
                    for label, value in message.facts[:10]
                ],
            }
        )
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": message.link_label},
                    "url": message.link,
                }
            ],
        }
    )
    return {"text": _slack_escape(message.summary), "blocks": blocks}


#: The colour of an Adaptive Card's title by severity.
TEAMS_TITLE_COLOR = {
    RiskLevel.CRITICAL: "Attention",
    RiskLevel.HIGH: "Warning",
    RiskLevel.MEDIUM: "Accent",
    RiskLevel.LOW: "Default",
}


def teams_message(message: ChatMessage) -> dict:
    """A Microsoft Teams incoming-webhook message: one Adaptive Card (1.4) with the title, the
    facts and a link to the page, as Teams' workflows and connectors take it."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": message.title,
                            "weight": "Bolder",
                            "size": "Medium",
                            "wrap": True,
                            "color": TEAMS_TITLE_COLOR.get(message.severity, "Default"),
                        },
                        {
                            "type": "FactSet",
                            "facts": [
                                {"title": label, "value": value} for label, value in message.facts
                            ],
                        },
                    ],
                    "actions": [
                        {"type": "Action.OpenUrl", "title": message.link_label, "url": message.link}
                    ],
                },
            }
        ],
    }


def slack_payload(alert: Alert) -> dict:
    """``alert`` as a Slack message."""
    return slack_message(alert_message(alert))


def teams_payload(alert: Alert) -> dict:
    """``alert`` as a Microsoft Teams message."""
    return teams_message(alert_message(alert))


PAYLOAD_BUILDERS = {
    WebhookFormat.GENERIC: alert_payload,
    WebhookFormat.SLACK: slack_payload,
    WebhookFormat.TEAMS: teams_payload,
}


def endpoint_payload(endpoint: WebhookEndpoint, alert: Alert) -> dict:
    """The body ``endpoint`` is sent for ``alert``, in the endpoint's format."""
    return PAYLOAD_BUILDERS.get(endpoint.format, alert_payload)(alert)


def reminder_payload(endpoint: WebhookEndpoint, reminder: Reminder, message: ChatMessage) -> dict:
    """The body ``endpoint`` is sent for ``reminder`` (saved, so it has its id), in the
    endpoint's format; ``message`` says it for a chat channel."""
    if endpoint.format == WebhookFormat.SLACK:
        return slack_message(message)
    if endpoint.format == WebhookFormat.TEAMS:
        return teams_message(message)
    contract = reminder.contract
    about = contract or reminder.alert
    vendor = None if about is None else about.vendor
    return {
        "reminder": {
            "id": reminder.pk,
            "kind": reminder.kind,
            "day": reminder.day.isoformat(),
            "deadline": reminder.deadline.isoformat() if reminder.deadline else None,
        },
        "text": message.summary,
        "alert": reminder.alert_id,
        "contract": None
        if contract is None
        else {"id": contract.pk, "reference": contract.reference},
        "vendor": None if vendor is None else {"id": vendor.pk, "name": vendor.name},
        "link": message.link,
    }


def payload_body(payload: dict) -> bytes:
    """The exact bytes sent (and signed) for ``payload``: compact JSON, keys sorted."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The value of the signature header: ``v1=`` + hex HMAC-SHA256 of ``timestamp.body``."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def signing_secrets(endpoint: WebhookEndpoint, *, now=None) -> list[str]:
    """The secrets that sign a request to ``endpoint`` now: the current one, then the previous
    one while its overlap lasts."""
    now = now or timezone.now()
    found = [endpoint.secret]
    expires_at = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires_at is not None and now < expires_at:
        found.append(endpoint.previous_secret)
    return found


def webhook_signatures(*, keys: list[str], timestamp: int, body: bytes) -> str:
    """The signature header for one or more secrets: one ``v1=`` value each, comma-separated,
    in the order given (with one secret, exactly ``webhook_signature``)."""
    return ",".join(webhook_signature(secret=key, timestamp=timestamp, body=body) for key in keys)


def endpoint_accepts(endpoint: WebhookEndpoint, alert: Alert) -> bool:
    """Whether ``endpoint`` wants ``alert``: its kind is listed (or no kind is) and its severity
    is at least the endpoint's minimum."""
    kinds = endpoint.alert_kinds or []
    if kinds and alert.kind not in kinds:
        return False
    return RISK_ORDER[alert.severity] >= RISK_ORDER[endpoint.min_severity]


# --- Creating and re-sending deliveries ---------------------------------------------------------


def _send_task(delivery_id: int) -> None:
    from alerts import tasks

    try:
        tasks.deliver_webhook.delay(delivery_id)
    except Exception:  # broker unreachable: the sweeper re-sends due deliveries later
        logger.warning(
            "Could not send webhook delivery %s; the sweeper will retry it.", delivery_id
        )


def _enqueue(delivery: WebhookDelivery) -> None:
    transaction.on_commit(lambda: _send_task(delivery.pk))


def deliveries_create(*, alert: Alert) -> None:
    """Queue one delivery per matching active endpoint.

    Idempotent: an endpoint that already has a delivery of ``alert`` gets no second one."""
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(is_active=True)
        if endpoint_accepts(endpoint, alert)
    ]
    if not endpoints:
        return
    payloads: dict[str, dict] = {}
    with transaction.atomic():
        for endpoint in endpoints:
            if endpoint.format not in payloads:
                payloads[endpoint.format] = endpoint_payload(endpoint, alert)
            delivery, created = WebhookDelivery.objects.get_or_create(
                endpoint=endpoint,
                alert=alert,
                defaults={
                    "payload": payloads[endpoint.format],
                    "next_attempt_at": timezone.now(),
                },
            )
            if created:
                _enqueue(delivery)


def active_endpoints() -> list[WebhookEndpoint]:
    """The endpoints alerts are delivered to. One query."""
    return list(WebhookEndpoint.objects.filter(is_active=True))


def deliveries_create_bulk(*, alerts: list[Alert]) -> list[WebhookDelivery]:
    """:func:`deliveries_create` for alerts raised just now (so none has a delivery yet): the
    endpoints read once (once for a whole piece of work, core.memo), every delivery inserted
    at once, one callback after commit. Each alert's payload is built once per format its
    endpoints use."""
    if not alerts:
        return []
    endpoints = memoized("webhook_endpoints", active_endpoints)
    if not endpoints:
        return []
    now = timezone.now()
    deliveries = []
    for alert in alerts:
        payloads: dict[str, dict] = {}
        for endpoint in endpoints:
            if not endpoint_accepts(endpoint, alert):
                continue
            if endpoint.format not in payloads:
                payloads[endpoint.format] = endpoint_payload(endpoint, alert)
            deliveries.append(
                WebhookDelivery(
                    endpoint=endpoint,
                    alert=alert,
                    payload=payloads[endpoint.format],
                    next_attempt_at=now,
                )
            )
    deliveries = WebhookDelivery.objects.bulk_create(deliveries)
    if deliveries:
        ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: [_send_task(pk) for pk in ids])
    return deliveries


def reminder_endpoints() -> list[WebhookEndpoint]:
    """Active endpoints that post reminders. One query."""
    return list(WebhookEndpoint.objects.filter(is_active=True, posts_reminders=True))


def reminder_deliveries_create(
    items: list[tuple[Reminder, ChatMessage]],
) -> list[WebhookDelivery]:
    """Queue the delivery of each reminder just recorded for an endpoint, ``(reminder,
    message)``: one insert, one callback after commit that sends them."""
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=reminder.endpoint,
            reminder=reminder,
            payload=reminder_payload(reminder.endpoint, reminder, message),
            next_attempt_at=now,
        )
        for reminder, message in items
    )
    if deliveries:
        ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: [_send_task(pk) for pk in ids])
    return deliveries


@transaction.atomic
def delivery_resend(
    *, delivery: WebhookDelivery, actor: AbstractBaseUser | None = None
) -> WebhookDelivery:
    """Send a failed delivery again, with a fresh round of attempts (earlier attempts stay)."""
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status != DeliveryStatus.FAILED:
        raise ValidationError(
            {"status": [f"Only a failed delivery can be re-sent; this one is {delivery.status}."]}
        )
    delivery.status = DeliveryStatus.PENDING
    delivery.attempt_count = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempt_count", "next_attempt_at"])
    logger.info("Delivery %s re-sent by %s", delivery.pk, actor)
    _enqueue(delivery)
    return delivery


def deliveries_due(*, older_than: timedelta) -> list[int]:
    """Ids of pending deliveries whose next attempt is overdue by ``older_than``: their task was
    lost (the broker was down when it was sent, or a worker died)."""
    cutoff = timezone.now() - older_than
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=cutoff
        ).values_list("pk", flat=True)
    )


# --- One attempt --------------------------------------------------------------------------------


def retry_delay(attempt_count: int) -> int:
    """Seconds to wait after attempt number ``attempt_count``: 30 s, 2 min, 8 min, 32 min, then
    an hour."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return min(base * 4 ** (attempt_count - 1), 3600)


@dataclass
class _Outcome:
    status_code: int | None = None
    error: str = ""
    #: The request was refused before it was made (the guard); retrying cannot help.
    refused: bool = False

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _connect(addresses: list[IPAddress], port: int, timeout: float) -> socket.socket:
    last_error = OSError("No address to connect to.")
    for address in addresses:
        try:
            return socket.create_connection((str(address), port), timeout=timeout)
        except OSError as exc:
            last_error = exc
    raise last_error


class _VettedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to the addresses already vetted, never to a fresh DNS answer."""

    def __init__(self, host: str, port: int, *, addresses: list[IPAddress], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.vetted_addresses = addresses

    def connect(self) -> None:
        self.sock = _connect(self.vetted_addresses, self.port, self.timeout)


class _VettedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the addresses already vetted; the certificate is checked against the host name."""

    def __init__(self, host: str, port: int, *, addresses: list[IPAddress], timeout: float):
        self.tls_context = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls_context)
        self.vetted_addresses = addresses

    def connect(self) -> None:
        sock = _connect(self.vetted_addresses, self.port, self.timeout)
        self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.host)


def _post(url: str, body: bytes, headers: dict[str, str]) -> _Outcome:
    """POST ``body`` to ``url`` once. http.client follows no redirects: a 3xx is an answer."""
    try:
        parts, host, port, addresses = vetted_target(url)
    except ValidationError as exc:
        return _Outcome(error=f"Refused: {' '.join(exc.messages)}", refused=True)
    connection_class = (
        _VettedHTTPSConnection if parts.scheme.lower() == "https" else _VettedHTTPConnection
    )
    connection = connection_class(
        host, port, addresses=addresses, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
    )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
    except (OSError, http.client.HTTPException) as exc:
        return _Outcome(error=f"{exc.__class__.__name__}: {exc}"[:1000])
    finally:
        connection.close()
    if 300 <= response.status < 400:
        location = response.getheader("Location", "")
        return _Outcome(
            status_code=response.status,
            error=f"Redirect to {location[:500]!r} not followed.",
        )
    if not 200 <= response.status < 300:
        return _Outcome(status_code=response.status, error=f"HTTP {response.status}")
    return _Outcome(status_code=response.status)


def delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Make one attempt of a pending delivery and record it.

    Returns the delivery, now ``delivered``, ``failed`` (refused by the guard, endpoint
    inactive, or out of attempts) or still ``pending`` with ``next_attempt_at`` set; returns
    ``None`` when there was nothing to do (unknown, no longer pending, or another worker claimed
    this attempt first)."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return None
    # Claim the attempt: of two workers holding the same delivery, only one moves the count.
    # Bookkeeping on an unaudited row, so a conditional update is the right tool.
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempt_count=delivery.attempt_count
    ).update(attempt_count=delivery.attempt_count + 1)
    if not claimed:
        return None
    delivery.attempt_count += 1
    endpoint = delivery.endpoint

    started = time.monotonic()
    if endpoint.is_active:
        timestamp = int(time.time())
        body = payload_body(delivery.payload)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: webhook_signatures(
                keys=signing_secrets(endpoint), timestamp=timestamp, body=body
            ),
            DELIVERY_HEADER: str(delivery.pk),
        }
        outcome = _post(endpoint.url, body, headers)
    else:
        outcome = _Outcome(error="The endpoint is inactive.", refused=True)
    duration_ms = round((time.monotonic() - started) * 1000)

    now = timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            status_code=outcome.status_code,
            duration_ms=duration_ms,
            error=outcome.error,
        )
        if outcome.delivered:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
        elif outcome.refused or delivery.attempt_count >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + timedelta(seconds=retry_delay(delivery.attempt_count))
        delivery.save(update_fields=["status", "delivered_at", "next_attempt_at"])
    if delivery.status == DeliveryStatus.FAILED:
        logger.warning(
            "Webhook delivery %s to %s failed after %s attempts: %s",
            delivery.pk,
            endpoint.name,
            delivery.attempt_count,
            outcome.error,
        )
    return delivery


# --- Endpoints ----------------------------------------------------------------------------------


@transaction.atomic
def webhook_endpoint_save(
    *,
    endpoint: WebhookEndpoint | None = None,
    name: str,
    url: str,
    secret: str = "",
    alert_kinds: list[str] | None = None,
    min_severity: str = RiskLevel.LOW,
    format: str = WebhookFormat.GENERIC,
    posts_reminders: bool = False,
    is_active: bool = True,
    actor: AbstractBaseUser | None = None,
) -> WebhookEndpoint:
    """Create (``endpoint`` None) or update a webhook endpoint.

    The URL must pass the SSRF guard; ``alert_kinds`` must be known kinds (empty means all);
    ``format`` is one of ``WebhookFormat`` (what the endpoint is sent); ``posts_reminders``
    has the daily deadline reminders posted to it too; a
    blank secret on a new endpoint is replaced by a random one, and on an existing endpoint
    keeps the current secret."""
    errors: dict[str, list[str]] = {}
    url = url.strip() if isinstance(url, str) else ""
    if not url:
        errors["url"] = ["Enter the URL of the receiver."]
    kinds = [] if alert_kinds is None else alert_kinds
    if not isinstance(kinds, list) or not all(isinstance(kind, str) for kind in kinds):
        errors["alert_kinds"] = ["Give a list of alert kinds."]
        kinds = []
    else:
        unknown = sorted(set(kinds) - set(AlertKind.values))
        if unknown:
            errors["alert_kinds"] = [
                f"Unknown alert kind(s): {', '.join(unknown)}. "
                f"Choose from {', '.join(AlertKind.values)}."
            ]

    if endpoint is None:
        endpoint = WebhookEndpoint()
    # The URL was vetted when it was stored and is vetted again before every request: an
    # endpoint whose host no longer resolves can still be renamed or switched off.
    skip_url = not url or (endpoint.pk is not None and endpoint.url == url)
    endpoint.name = name.strip() if isinstance(name, str) else name
    endpoint.url = url
    if secret and secret != endpoint.secret:
        # A secret typed in replaces the current one at once (no overlap; that is what
        # ``webhook_secret_rotate`` is for), and ends any overlap still running.
        endpoint.secret = secret
        endpoint.previous_secret = ""
        endpoint.previous_secret_expires_at = None
    elif not endpoint.secret:
        endpoint.secret = secrets.token_hex(32)
    endpoint.alert_kinds = sorted(set(kinds))
    endpoint.min_severity = min_severity
    endpoint.format = format
    endpoint.posts_reminders = bool(posts_reminders)
    endpoint.is_active = is_active
    # The model's validation runs the SSRF guard on the URL (validate_webhook_url).
    try:
        endpoint.full_clean(exclude=["url"] if skip_url else None)
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
    if errors:
        raise ValidationError(errors)
    if actor is not None and getattr(actor, "is_authenticated", False):
        endpoint._history_user = actor
    endpoint.save()
    return endpoint


#: The longest overlap a rotation may ask for: a week.
MAX_OVERLAP_HOURS = 7 * 24


@transaction.atomic
def webhook_secret_rotate(
    endpoint: WebhookEndpoint,
    overlap_hours: int = 24,
    *,
    actor: AbstractBaseUser | None = None,
) -> str:
    """Give ``endpoint`` a new random secret and keep the current one signing for
    ``overlap_hours`` more (0 retires it at once); returns the new secret, to be shown once.

    During the overlap every request carries both signatures, so the receiver can switch to the
    new secret whenever it likes within the window and no delivery fails its check. Rotating
    again during an overlap replaces the previous secret with the current one: only two ever
    sign."""
    if (
        isinstance(overlap_hours, bool)
        or not isinstance(overlap_hours, int)
        or not 0 <= overlap_hours <= MAX_OVERLAP_HOURS
    ):
        raise ValidationError(
            {
                "overlap_hours": [
                    f"Give a whole number of hours from 0 to {MAX_OVERLAP_HOURS}; "
                    f"got {overlap_hours!r}."
                ]
            }
        )
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    new_secret = secrets.token_hex(32)
    if overlap_hours:
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = timezone.now() + timedelta(hours=overlap_hours)
    else:
        endpoint.previous_secret = ""
        endpoint.previous_secret_expires_at = None
    endpoint.secret = new_secret
    if actor is not None and getattr(actor, "is_authenticated", False):
        endpoint._history_user = actor
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    logger.info(
        "Secret of webhook endpoint %s rotated by %s (overlap %s h)",
        endpoint.pk,
        actor,
        overlap_hours,
    )
    return new_secret
