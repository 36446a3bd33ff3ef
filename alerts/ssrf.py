"""The guard that keeps webhooks from reaching into our own network (server-side request forgery).

A webhook URL is checked twice: when the endpoint is saved, and again when each request is made,
after DNS resolution. The request then connects to the very addresses that were vetted, so a name
that resolves to a public address when checked and to an internal one a moment later (DNS
rebinding) gains nothing.

Refused: loopback, private (RFC 1918), unique-local (fc00::/7), link-local (169.254.0.0/16, which
holds cloud metadata services, and fe80::/10), multicast, reserved, unspecified and any other
address that is not globally routable. ``settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` lets loopback,
private and unique-local addresses through, so tests can deliver to a receiver on 127.0.0.1; it
never opens link-local, multicast, reserved or unspecified addresses.
"""

import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


def address_refusal(address: IPAddress) -> str | None:
    """Why ``address`` may not receive a webhook, or ``None`` when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_loopback:
        reason = "a loopback address"
    elif address.is_reserved:
        return "a reserved address"
    elif address in UNIQUE_LOCAL:
        reason = "a unique-local address"
    elif address.is_private:
        reason = "a private address"
    elif not address.is_global:
        return "an address that is not publicly routable"
    else:
        return None
    return None if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES else reason


def _split(url: str) -> tuple[SplitResult, str, int]:
    if not isinstance(url, str) or not url.strip():
        raise ValidationError("Enter the URL of the receiver.", code="required")
    if any(ch in url for ch in "\x00\r\n\t "):
        raise ValidationError(
            "The URL may not contain spaces or control characters.", code="invalid"
        )
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise ValidationError("Only http:// and https:// URLs can receive webhooks.", code="scheme")
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            "Put credentials in the shared secret, not in the URL.", code="credentials"
        )
    host = parts.hostname
    if not host:
        raise ValidationError("The URL has no host.", code="invalid")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise ValidationError(
            "The URL's port is not a number from 1 to 65535.", code="invalid"
        ) from None
    return parts, host, port


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def resolve_vetted(host: str, port: int) -> list[IPAddress]:
    """Resolve ``host`` and return its addresses, refusing it if ANY of them is forbidden
    (a name with one public and one internal address is refused whole)."""
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise ValidationError(
                f"The host {host!r} could not be resolved ({exc}).", code="unresolvable"
            ) from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
        if not addresses:
            raise ValidationError(f"The host {host!r} has no address.", code="unresolvable")
    for address in addresses:
        reason = address_refusal(address)
        if reason is not None:
            shown = host if literal is not None else f"{host} ({address})"
            raise ValidationError(
                f"Webhooks may not be sent to {shown}: it is {reason}.", code="forbidden_address"
            )
    return addresses


def validate_webhook_url(url: str) -> None:
    """Refuse a URL that cannot or may not receive webhooks: a scheme other than http(s),
    credentials in the URL, or a host that is, or resolves to, a forbidden address.

    Usable as a model or form field validator; raises a plain ``ValidationError``."""
    _parts, host, port = _split(url)
    resolve_vetted(host, port)


def vetted_target(url: str) -> tuple[SplitResult, str, int, list[IPAddress]]:
    """Split ``url`` and resolve its host right before a request: the parts, host, port and the
    vetted addresses to connect to. Raises ``ValidationError`` as ``validate_webhook_url`` does."""
    parts, host, port = _split(url)
    return parts, host, port, resolve_vetted(host, port)
