"""WeasyPrint gets static files and inline data only: never a URL on the network."""

import socket

import pytest
from weasyprint import HTML

from norma.reports.pdf import BASE_URL, RefusedURL, StaticFilesFetcher, static_name


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (f"{BASE_URL}static/reports/print.css", "reports/print.css"),
        (f"{BASE_URL}static/reports/a%20b.css", "reports/a b.css"),
        (f"{BASE_URL}static/../../norma/settings.py", None),
        (f"{BASE_URL}static/%2e%2e/secret", None),
        (f"{BASE_URL}media/attachments/x", None),
        ("https://example.com/static/reports/print.css", None),
        ("http://169.254.169.254/latest/meta-data/", None),
        ("file:///etc/passwd", None),
    ],
)
def test_only_static_urls_on_the_reports_own_base_map_to_a_static_file(url, name):
    assert static_name(url) == name


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/logo.png",
        "http://127.0.0.1:8000/admin/",
        "file:///etc/passwd",
        f"{BASE_URL}static/reports/no-such-file.css",
    ],
)
def test_the_fetcher_refuses_everything_but_static_files(url):
    with pytest.raises(RefusedURL):
        StaticFilesFetcher().fetch(url)


def test_the_fetcher_serves_static_files_and_inline_data():
    response = StaticFilesFetcher().fetch(f"{BASE_URL}static/reports/print.css")
    assert b"@page" in response.read()
    assert response.content_type == "text/css"
    inline = StaticFilesFetcher().fetch("data:text/plain;base64,b2s=")
    assert inline.read() == b"ok"


def test_a_pdf_with_external_references_renders_without_touching_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a report tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    html = (
        '<link rel="stylesheet" href="https://evil.example/x.css">'
        '<link rel="stylesheet" href="/static/reports/print.css">'
        '<p>Hello</p><img src="http://169.254.169.254/latest/meta-data/" alt="">'
        '<img src="file:///etc/passwd" alt="">'
    )
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFilesFetcher())
    assert document.write_pdf().startswith(b"%PDF")
