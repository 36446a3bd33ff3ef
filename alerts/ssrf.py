"""The guard that keeps webhooks from reaching into our own network (server-side request forgery).

A webhook URL is checked twice: when the endpoint is saved, and again when each request is made,
after DNS resolution. The request then connects to the very addresses that were vetted, so a name
that resolves to a public address when checked and to an internal one a moment later (DNS
rebinding) gains nothing.

Refused: loopback, private (RFC 1918), unique-local (fc00::/7), site-local (fec0::/10), link-local
(169.254.0.0/16, which holds cloud metadata services, and fe80::/10), multicast, reserved,
unspecified and any other address that is not globally routable; and every IPv6 address that
maps to or embeds a refused IPv4 address: IPv4-mapped (::ffff:0:0/96, the same host), 6to4
(2002::/16), Teredo (2001::/32, the client's bits inverted), NAT64 (64:ff9b::/96, and the
local-use 64:ff9b:1::/48 whole), IPv4-translated and IPv4-compatible.
``settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` lets loopback, private and unique-local addresses
through, so tests can deliver to a receiver on 127.0.0.1; it never opens link-local, multicast,
reserved, unspecified or site-local addresses, nor an embedded form of any refused address.
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


NAT64 = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, each with the name of the form: 6to4
    (2002::/16), Teredo (2001::/32: its server and its client, whose bits are inverted), NAT64
    (64:ff9b::/96), IPv4-translated (::ffff:0:0:0/96) and IPv4-compatible (::/96)."""
    found: list[tuple[str, ipaddress.IPv4Address]] = []
    last_32_bits = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        found.append(("a 6to4 address", address.sixtofour))
    if address.teredo is not None:
        server, client = address.teredo
        found += [("a Teredo address", client), ("a Teredo address", server)]
    if address in NAT64:
        found.append(("a NAT64 address", last_32_bits))
    elif address in IPV4_TRANSLATED:
        found.append(("an IPv4-translated address", last_32_bits))
    elif address in IPV4_COMPATIBLE and int(address) > 1:  # not :: nor ::1
        found.append(("an IPv4-compatible address", last_32_bits))
    return found


def address_refusal(address: IPAddress) -> str | None:
    """Why ``address`` may not receive a webhook, or ``None`` when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            # The same host as the IPv4 address: the socket connects to it directly.
            address = address.ipv4_mapped
        else:
            # A tunnel or translator would carry the request on to the embedded address:
            # refused if that one would be, whatever the test setting lets through.
            for form, inner in embedded_ipv4(address):
                with_private = _refusal(inner, allow_private=False)
                if with_private is not None:
                    return f"{form} embedding {inner}, {with_private}"
            if address in NAT64_LOCAL:
                return "a local-use NAT64 address"
            if address.is_site_local:
                return "a site-local address"
    return _refusal(address, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES)


def _refusal(address: IPAddress, *, allow_private: bool) -> str | None:
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
    return None if allow_private else reason


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
