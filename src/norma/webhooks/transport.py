"""One POST to exactly the addresses the safety check approved; redirects are never followed.

http.client is used rather than urllib: it follows no redirects, reads no proxy settings
from the environment, and lets the connection go to a pinned address while the Host header
and the TLS certificate check still use the host name from the URL.
"""

import http.client
import socket
import ssl
from dataclasses import dataclass

from norma.webhooks.safety import Target

USER_AGENT = "Norma-Webhooks/1.0"
EXCERPT_BYTES = 4096
EXCERPT_CHARS = 1000


@dataclass(frozen=True)
class Response:
    status: int
    excerpt: str
    location: str


def open_socket(family, sockaddr, timeout: float) -> socket.socket:
    """Connect one socket to one checked address (tests wrap this to guard the network)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


def connect_any(addresses, timeout: float) -> socket.socket:
    """The first checked address that accepts the connection, in resolver order."""
    last_error = None
    for family, sockaddr in addresses:
        try:
            return open_socket(family, sockaddr, timeout)
        except OSError as error:
            last_error = error
    raise last_error or OSError("No address to connect to.")


class PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.addresses = target.addresses

    def connect(self):
        self.sock = connect_any(self.addresses, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        context = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self.addresses = target.addresses
        self.tls_context = context

    def connect(self):
        sock = connect_any(self.addresses, self.timeout)
        self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict, timeout: float) -> Response:
    """Send the request and read the start of the answer; a 3xx is returned, not followed."""
    connection_class = PinnedHTTPSConnection if target.scheme == "https" else PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read(EXCERPT_BYTES)
        return Response(
            status=response.status,
            excerpt=raw.decode("utf-8", "replace")[:EXCERPT_CHARS],
            location=response.getheader("Location", "") or "",
        )
    finally:
        connection.close()
