"""Is a webhook URL safe to call? Only http(s), no credentials, and only public addresses.

The host is resolved and *every* address it resolves to is checked, so a name that points at
loopback, a private network, link-local (cloud metadata at 169.254.169.254), multicast,
reserved or unspecified space is refused, IPv4-mapped, 6to4 and NAT64 forms included. The
check runs when a webhook is saved and again before every delivery, and the delivery connects
to exactly the addresses checked here, so DNS cannot change between the check and the request.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from norma.webhooks import conf

SCHEMES = {"http": 80, "https": 443}
NAT64 = ipaddress.ip_network("64:ff9b::/96")
NOT_PUBLIC_HINT = (
    "Webhooks may only call public addresses; an administrator can allow this host with "
    "NORMA_WEBHOOK_ALLOWED_HOSTS."
)


class UnsafeURL(ValueError):
    """The URL may not receive webhooks; the message says why, for the person who typed it."""


@dataclass(frozen=True)
class Target:
    """A checked URL and the socket addresses a delivery may connect to."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple  # of (family, sockaddr)


def _embedded_ipv4(address):
    """The IPv4 address hidden inside an IPv6 one (mapped, 6to4, NAT64), if any."""
    if address.version != 6:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def forbidden_reason(ip: str) -> str | None:
    """Why this address may not be called, or None when it is a public address."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return "not an address Norma understands"
    inner = _embedded_ipv4(address)
    if inner is not None:
        reason = forbidden_reason(str(inner))
        return f"{reason} (written as an IPv6 address)" if reason else None
    checks = [
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address (this machine)"),
        (
            address.is_link_local,
            "a link-local address (this includes cloud metadata services such as 169.254.169.254)",
        ),
        (address.is_multicast, "a multicast address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private network address"),
        (not address.is_global, "not a public internet address"),
    ]
    return next((reason for refused, reason in checks if refused), None)


def split_url(url: str):
    """Scheme, host, port and path of a URL, refusing anything but plain http(s)."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise UnsafeURL("The address is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise UnsafeURL("Only http:// and https:// addresses can receive webhooks.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeURL(
            "Do not put a user name or password in the address; receivers check the "
            "X-Norma-Signature header instead."
        )
    host = parts.hostname
    if not host:
        raise UnsafeURL("The address has no host name.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or SCHEMES[scheme], path


def is_allowed_host(host: str) -> bool:
    return conf.allow_private() or conf.normalise_host(host) in conf.allowed_hosts()


def resolve(url: str) -> Target:
    """Check the URL and resolve its host; raise UnsafeURL if any address is not public."""
    scheme, host, port, path = split_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeURL(f"The host name {host} could not be resolved.") from None
    addresses = []
    for family, _type, _proto, _name, sockaddr in infos:
        if (family, sockaddr) not in addresses:
            addresses.append((family, sockaddr))
    if not addresses:
        raise UnsafeURL(f"The host name {host} could not be resolved.")
    if not is_allowed_host(host):
        for _family, sockaddr in addresses:
            reason = forbidden_reason(str(sockaddr[0]))
            if reason:
                ip = str(sockaddr[0])
                shown = f"{host} is" if ip == host else f"{host} resolves to {ip},"
                raise UnsafeURL(f"{shown} {reason}. {NOT_PUBLIC_HINT}")
    return Target(scheme, host, port, path, tuple(addresses))


def validate_webhook_url(value: str):
    """Model and form validator: the URL error a person sees when saving a webhook."""
    try:
        resolve(value)
    except UnsafeURL as error:
        raise ValidationError(str(error), code="unsafe_url") from None
