"""Webhook test fixtures: a receiver on 127.0.0.1, a fake DNS, and a guard on the network.

No test may reach anything but loopback: `open_socket` is wrapped to refuse any other
address, and host names resolve only through the `dns` table (numeric hosts and localhost
are parsed locally, never looked up).
"""

import json
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from norma.webhooks import transport
from norma.webhooks.actions import CreateWebhook

LOOPBACK = {"127.0.0.1", "::1"}


@pytest.fixture(autouse=True)
def connections(monkeypatch):
    """Every socket the delivery code opens; anything but loopback fails the test."""
    opened = []
    real = transport.open_socket

    def guarded(family, sockaddr, timeout):
        assert sockaddr[0] in LOOPBACK, f"a test tried to connect to {sockaddr[0]}"
        opened.append(sockaddr)
        return real(family, sockaddr, timeout)

    monkeypatch.setattr(transport, "open_socket", guarded)
    return opened


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    """name -> list of IP strings; edit it inside a test to 'change DNS'."""
    table: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def fake(host, port, family=0, type=0, proto=0, flags=0):
        name = str(host).lower().rstrip(".")
        if name in table:
            infos = []
            for ip in table[name]:
                fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
                addr = (ip, port, 0, 0) if fam == socket.AF_INET6 else (ip, port)
                infos.append((fam, socket.SOCK_STREAM, 6, "", addr))
            return infos
        if name == "localhost":
            return real(host, port, family, type, proto, flags)
        try:
            return real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        except socket.gaierror:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is not in the test DNS") from None

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return table


class Recorded:
    def __init__(self, method, path, headers, body):
        self.method, self.path, self.headers, self.body = method, path, headers, body

    def json(self):
        return json.loads(self.body)


class ReceiverServer(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)  # no reverse DNS lookup of our own name
        self.server_name, self.server_port = self.server_address[:2]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.server.owner.record(self, self.rfile.read(length))

    def do_GET(self):
        self.server.owner.record(self, b"")

    def log_message(self, format, *args):
        """Quiet."""


class Receiver:
    """Answers each request with the next status in `statuses` (then 200)."""

    def __init__(self):
        self.requests: list[Recorded] = []
        self.statuses: list[int] = []
        self.location = ""
        self.server = ReceiverServer(("127.0.0.1", 0), Handler)
        self.server.owner = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def record(self, handler, body):
        self.requests.append(Recorded(handler.command, handler.path, dict(handler.headers), body))
        status = self.statuses.pop(0) if self.statuses else 200
        handler.send_response(status)
        if self.location:
            handler.send_header("Location", self.location)
        answer = b'{"ok": true}' if status < 300 else b"receiver says no"
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        handler.wfile.write(answer)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    """A webhook receiver on 127.0.0.1; loopback is allowed for this host only."""
    settings.NORMA_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def make_webhook(quality_manager):
    def make(url, events=("record.created",), active=True, name="Receiver"):
        data = {"name": name, "url": url, "event_types": list(events), "active": active}
        return CreateWebhook(quality_manager, data=data).execute()

    return make
