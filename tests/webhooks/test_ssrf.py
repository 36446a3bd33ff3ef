"""The SSRF guard: internal addresses are refused when an endpoint is saved and when it is sent."""

import socket

import pytest
from django.core.exceptions import ValidationError

from alerts.choices import DeliveryStatus
from alerts.models import WebhookDelivery, WebhookEndpoint
from alerts.ssrf import validate_webhook_url
from alerts.webhooks import webhook_endpoint_save


@pytest.fixture
def guarded(settings):
    """Production behaviour: no private address is let through."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    return settings


class FakeDNS(dict):
    """Made-up names and their addresses, and every name looked up."""

    def __init__(self):
        super().__init__()
        self.lookups: list[str] = []

    def getaddrinfo(self, host, port, *args, **kwargs):
        self.lookups.append(host)
        if host not in self:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (address, port),
            )
            for address in self[host]
        ]


@pytest.fixture
def fake_dns(monkeypatch):
    """Resolve made-up names to chosen addresses; any other name does not resolve."""
    dns = FakeDNS()
    monkeypatch.setattr(socket, "getaddrinfo", dns.getaddrinfo)
    return dns


@pytest.fixture
def no_requests(monkeypatch):
    """Fail the test if anything opens a connection."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"unexpected connection to {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/hook", "127.0.0.1: it is a loopback address"),
        ("http://127.8.9.10:8080/hook", "127.8.9.10: it is a loopback address"),
        ("http://10.0.0.1/hook", "10.0.0.1: it is a private address"),
        ("http://192.168.1.20/hook", "192.168.1.20: it is a private address"),
        ("http://172.16.0.5/hook", "172.16.0.5: it is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254: it is a link-local address"),
        ("http://[::1]/hook", "::1: it is a loopback address"),
        ("http://[fc00::1]/hook", "fc00::1: it is a unique-local address"),
        ("http://[fd12:3456::7]/hook", "fd12:3456::7: it is a unique-local address"),
        ("http://[fe80::1]/hook", "fe80::1: it is a link-local address"),
        ("http://[::ffff:127.0.0.1]/hook", "::ffff:127.0.0.1: it is a loopback address"),
        ("http://0.0.0.0/hook", "0.0.0.0: it is an unspecified address"),
        ("http://224.0.0.1/hook", "224.0.0.1: it is a multicast address"),
        ("http://240.0.0.1/hook", "240.0.0.1: it is a reserved address"),
        ("http://100.64.0.1/hook", "100.64.0.1: it is an address that is not publicly routable"),
    ],
)
def test_internal_ip_literals_are_refused(guarded, no_requests, url, reason):
    with pytest.raises(ValidationError) as refused:
        validate_webhook_url(url)

    assert refused.value.messages == [f"Webhooks may not be sent to {reason}."]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://8.8.8.8/hook", "Only http:// and https:// URLs can receive webhooks."),
        ("file:///etc/passwd", "Only http:// and https:// URLs can receive webhooks."),
        ("gopher://8.8.8.8:70/_", "Only http:// and https:// URLs can receive webhooks."),
        ("//8.8.8.8/hook", "Only http:// and https:// URLs can receive webhooks."),
        ("http:///hook", "The URL has no host."),
        ("http://8.8.8.8:99999/hook", "The URL's port is not a number from 1 to 65535."),
        ("http://user:pw@8.8.8.8/hook", "Put credentials in the shared secret, not in the URL."),
        ("http://8.8.8.8/ho ok", "The URL may not contain spaces or control characters."),
        ("http://8.8.8.8/\x00", "The URL may not contain spaces or control characters."),
        ("", "Enter the URL of the receiver."),
    ],
)
def test_malformed_and_non_http_urls_are_refused(guarded, no_requests, url, message):
    with pytest.raises(ValidationError) as refused:
        validate_webhook_url(url)

    assert refused.value.messages == [message]


def test_host_name_resolving_to_loopback_is_refused(guarded, fake_dns, no_requests):
    fake_dns["hooks.internal.example"] = ["127.0.0.1"]

    with pytest.raises(ValidationError) as refused:
        validate_webhook_url("https://hooks.internal.example/in")

    assert refused.value.messages == [
        "Webhooks may not be sent to hooks.internal.example (127.0.0.1): it is a loopback address."
    ]


def test_host_name_with_one_internal_address_among_public_ones_is_refused(
    guarded, fake_dns, no_requests
):
    fake_dns["hooks.mixed.example"] = ["8.8.8.8", "2001:4860:4860::8888", "10.1.2.3"]

    with pytest.raises(ValidationError) as refused:
        validate_webhook_url("https://hooks.mixed.example/in")

    assert refused.value.messages == [
        "Webhooks may not be sent to hooks.mixed.example (10.1.2.3): it is a private address."
    ]


def test_unresolvable_host_is_refused(guarded, fake_dns, no_requests):
    with pytest.raises(ValidationError) as refused:
        validate_webhook_url("https://nowhere.example/in")

    assert refused.value.code == "unresolvable"
    assert refused.value.messages[0].startswith("The host 'nowhere.example' could not be resolved")


def test_public_ip_literal_is_saved_without_any_request(guarded, fake_dns, no_requests, db):
    endpoint = webhook_endpoint_save(name="Ticketing", url="https://8.8.8.8/hooks", secret="s3")

    assert WebhookEndpoint.objects.get().url == "https://8.8.8.8/hooks"
    assert endpoint.secret == "s3"
    assert fake_dns.lookups == []


def test_public_host_name_is_saved(guarded, fake_dns, no_requests, db):
    fake_dns["hooks.example.com"] = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]

    endpoint = webhook_endpoint_save(name="Ticketing", url="https://hooks.example.com/in")

    assert endpoint.pk is not None
    assert len(endpoint.secret) == 64


def test_saving_an_internal_url_names_the_url_field_and_writes_nothing(guarded, no_requests, db):
    with pytest.raises(ValidationError) as refused:
        webhook_endpoint_save(
            name="Metadata", url="http://169.254.169.254/latest/meta-data/", secret="s"
        )

    assert refused.value.message_dict == {
        "url": ["Webhooks may not be sent to 169.254.169.254: it is a link-local address."]
    }
    assert WebhookEndpoint.objects.count() == 0


def test_unknown_alert_kinds_are_refused_by_name(guarded, no_requests, db):
    with pytest.raises(ValidationError) as refused:
        webhook_endpoint_save(
            name="Ticketing", url="https://8.8.8.8/hooks", alert_kinds=["risk_increased", "x"]
        )

    assert refused.value.message_dict == {
        "alert_kinds": [
            "Unknown alert kind(s): x. Choose from risk_increased, change_of_control, "
            "pipeline_failure, new_influence."
        ]
    }


def test_updating_an_endpoint_with_a_blank_secret_keeps_the_secret(guarded, no_requests, db):
    endpoint = webhook_endpoint_save(name="Ticketing", url="https://8.8.8.8/a", secret="keep-me")

    webhook_endpoint_save(endpoint=endpoint, name="Ticketing", url="https://8.8.4.4/b", secret="")

    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.secret) == ("https://8.8.4.4/b", "keep-me")


def test_test_setting_lets_loopback_through_but_never_link_local(settings, no_requests):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True

    validate_webhook_url("http://127.0.0.1:8000/hook")
    validate_webhook_url("http://[::1]:8000/hook")
    with pytest.raises(ValidationError) as refused:
        validate_webhook_url("http://169.254.169.254/latest/meta-data/")
    assert refused.value.code == "forbidden_address"


def test_address_that_turned_internal_is_refused_at_send_time(
    receiver, raise_coc_alert, settings, fake_dns
):
    fake_dns["hooks.partner.example"] = ["8.8.8.8"]
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    endpoint = webhook_endpoint_save(name="Partner", url="http://hooks.partner.example/in")
    # DNS rebinding: by the time the alert is sent, the name points at the metadata service.
    fake_dns["hooks.partner.example"] = ["169.254.169.254"]

    alert = raise_coc_alert()

    delivery = WebhookDelivery.objects.get(endpoint=endpoint, alert=alert)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempt_count == 1
    attempt = delivery.attempts.get()
    assert attempt.status_code is None
    assert attempt.error == (
        "Refused: Webhooks may not be sent to hooks.partner.example (169.254.169.254): "
        "it is a link-local address."
    )


def test_loopback_endpoint_is_refused_at_send_time_once_the_setting_is_off(
    receiver, raise_coc_alert, settings
):
    endpoint = webhook_endpoint_save(name="Local", url=receiver.url())
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    alert = raise_coc_alert()

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, alert=alert)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts.get().error == (
        "Refused: Webhooks may not be sent to 127.0.0.1: it is a loopback address."
    )


# --- IPv6 addresses that embed or map to an internal IPv4 address ----------------------------

EMBEDDED_FORMS = [
    # 6to4 (2002::/16): the IPv4 address is bits 16–48.
    ("http://[2002:7f00:1::1]/hook", "a 6to4 address embedding 127.0.0.1, a loopback address"),
    (
        "http://[2002:a9fe:a9fe::1]/hook",
        "a 6to4 address embedding 169.254.169.254, a link-local address",
    ),
    ("http://[2002:a00:1::1]/hook", "a 6to4 address embedding 10.0.0.1, a private address"),
    # Teredo (2001::/32): server 65.54.227.120, client bits inverted (~127.0.0.1 = 80ff:fffe).
    (
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",
        "a Teredo address embedding 127.0.0.1, a loopback address",
    ),
    (
        "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/hook",
        "a Teredo address embedding 10.0.0.1, a private address",
    ),
    # A Teredo server inside our network would relay to it as well.
    (
        "http://[2001:0:a9fe:a9fe:8000:63bf:f7f7:f7f7]/hook",
        "a Teredo address embedding 169.254.169.254, a link-local address",
    ),
    # NAT64 (64:ff9b::/96): the last 32 bits.
    ("http://[64:ff9b::7f00:1]/hook", "a NAT64 address embedding 127.0.0.1, a loopback address"),
    (
        "http://[64:ff9b::a9fe:a9fe]/hook",
        "a NAT64 address embedding 169.254.169.254, a link-local address",
    ),
    ("http://[64:ff9b::c0a8:101]/hook", "a NAT64 address embedding 192.168.1.1, a private address"),
    ("http://[64:ff9b:1::808:808]/hook", "a local-use NAT64 address"),
    # IPv4-mapped (::ffff:0:0/96): the very IPv4 host.
    ("http://[::ffff:7f00:1]/hook", "::ffff:7f00:1: it is a loopback address"),
    ("http://[::ffff:169.254.169.254]/hook", "::ffff:169.254.169.254: it is a link-local address"),
    ("http://[::ffff:10.1.2.3]/hook", "::ffff:10.1.2.3: it is a private address"),
    # IPv4-translated (::ffff:0:0:0/96) and IPv4-compatible (::/96, deprecated).
    (
        "http://[::ffff:0:7f00:1]/hook",
        "an IPv4-translated address embedding 127.0.0.1, a loopback address",
    ),
    (
        "http://[::127.0.0.1]/hook",
        "an IPv4-compatible address embedding 127.0.0.1, a loopback address",
    ),
    (
        "http://[::a9fe:a9fe]/hook",
        "an IPv4-compatible address embedding 169.254.169.254, a link-local address",
    ),
    # Site-local (fec0::/10, deprecated but still routed inside some networks).
    ("http://[fec0::1]/hook", "a site-local address"),
    ("http://[feff:ffff::1]/hook", "a site-local address"),
]


def _refusal_of(url: str) -> str:
    with pytest.raises(ValidationError) as refused:
        validate_webhook_url(url)
    (message,) = refused.value.messages
    return message


@pytest.mark.parametrize(("url", "reason"), EMBEDDED_FORMS)
def test_addresses_embedding_or_mapping_to_internal_ones_are_refused(
    guarded, no_requests, url, reason
):
    message = _refusal_of(url)
    assert message.startswith("Webhooks may not be sent to ")
    assert message.endswith(f"{reason}."), message


@pytest.mark.parametrize(
    "url",
    [url for url, reason in EMBEDDED_FORMS if "embedding" in reason or "site-local" in reason],
)
def test_the_test_setting_never_opens_an_embedded_internal_address(settings, no_requests, url):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    _refusal_of(url)


def test_a_name_resolving_to_6to4_loopback_is_refused(guarded, fake_dns, no_requests):
    fake_dns["hooks.tunnel.example"] = ["2002:7f00:1::1"]
    assert _refusal_of("https://hooks.tunnel.example/in") == (
        "Webhooks may not be sent to hooks.tunnel.example (2002:7f00:1::1): it is a 6to4 "
        "address embedding 127.0.0.1, a loopback address."
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://[2002:808:808::1]/hook",  # 6to4 of 8.8.8.8
        "https://[2606:4700:4700::1111]/hook",  # a public IPv6 address
        "https://[::ffff:8.8.8.8]/hook",  # IPv4-mapped public address
    ],
)
def test_public_addresses_in_these_forms_are_accepted(guarded, no_requests, url):
    validate_webhook_url(url)


# --- The model field carries the guard: no door can store an unsafe URL ---------------------


def test_the_model_field_refuses_an_internal_url(guarded, no_requests, db):
    endpoint = WebhookEndpoint(
        name="Tunnel", url="http://[2002:a9fe:a9fe::1]/latest/meta-data/", secret="s"
    )
    with pytest.raises(ValidationError) as refused:
        endpoint.full_clean()
    assert refused.value.message_dict == {
        "url": [
            "Webhooks may not be sent to 2002:a9fe:a9fe::1: it is a 6to4 address embedding "
            "169.254.169.254, a link-local address."
        ]
    }


def test_the_admin_refuses_an_internal_url_at_the_field(guarded, no_requests, superuser):
    from django.test import Client

    client = Client()
    client.force_login(superuser)
    response = client.post(
        "/admin/alerts/webhookendpoint/add/",
        {
            "name": "Tunnel",
            "url": "http://[fec0::1]/hook",
            "secret": "whsec-0123456789abcdef",
            "min_severity": "low",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["url"] == ["Webhooks may not be sent to fec0::1: it is a site-local address."]
    assert WebhookEndpoint.objects.count() == 0


def test_an_endpoint_whose_host_stopped_resolving_can_still_be_switched_off(
    guarded, fake_dns, no_requests, db
):
    fake_dns["hooks.partner.example"] = ["8.8.8.8"]
    endpoint = webhook_endpoint_save(name="Partner", url="https://hooks.partner.example/in")
    del fake_dns["hooks.partner.example"]

    webhook_endpoint_save(
        endpoint=endpoint, name="Partner (retired)", url=endpoint.url, is_active=False
    )

    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.is_active) == ("Partner (retired)", False)
    # A new URL is vetted as ever.
    with pytest.raises(ValidationError) as refused:
        webhook_endpoint_save(endpoint=endpoint, name="Partner", url="https://[fec0::2]/in")
    assert list(refused.value.message_dict) == ["url"]
