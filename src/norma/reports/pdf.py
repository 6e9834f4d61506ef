"""PDF from Django templates with WeasyPrint, never touching the network.

Every PDF extends `reports/base_print.html`, whose stylesheet `reports/print.css` puts the same
frame on every page: the organisation, the document's reference and revision at the top; "Page x
of y" and "Printed on <UTC time> — uncontrolled when printed" at the bottom.

WeasyPrint fetches stylesheets and images through `StaticFilesFetcher`, which answers only
`/static/...` URLs from Django's staticfiles (finders first, then the storage) and inline
`data:` URIs. Everything else, http(s) and file URLs included, is refused, so a template or a
user-supplied value can never make the server fetch a URL.
"""

import mimetypes
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from norma.reports.frame import download

# A reserved name (RFC 2606) that can never resolve: relative URLs in templates hang off it.
BASE_URL = "https://norma.invalid/"
PDF_TYPE = "application/pdf"


class RefusedURL(ValueError):
    """WeasyPrint asked for something other than a static file or inline data."""


class StaticFilesFetcher(URLFetcher):
    """Serves `/static/...` from Django's staticfiles and `data:` URIs; refuses the rest."""

    def __init__(self):
        super().__init__(allowed_protocols={"https", "http", "data"}, allow_redirects=False)

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)  # decoded in memory by urllib's DataHandler
        name = static_name(url)
        if name is None:
            raise RefusedURL(f"Reports only load static files, not {url[:80]}")
        body = read_static(name)
        mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": mime_type})


def static_name(url: str) -> str | None:
    """'https://norma.invalid/static/reports/print.css' -> 'reports/print.css'; else None."""
    parts = urlsplit(url)
    prefix = urlsplit(settings.STATIC_URL).path
    prefix = prefix if prefix.startswith("/") else "/" + prefix
    same_host = f"{parts.scheme}://{parts.netloc}/" == BASE_URL or url.startswith(
        settings.STATIC_URL
    )
    if not same_host or not parts.path.startswith(prefix):
        return None
    name = unquote(parts.path[len(prefix) :])
    if not name or ".." in name.split("/") or name.startswith("/"):
        return None
    return name


def read_static(name: str) -> bytes:
    """A static file's bytes: the app's own copy, or the collected (possibly hashed) one."""
    found = finders.find(name)
    if found:
        with open(found, "rb") as source:
            return source.read()
    if staticfiles_storage.exists(name):
        with staticfiles_storage.open(name) as source:
            return source.read()
    raise RefusedURL(f"No such static file: {name}")


def render_pdf(template_name: str, context: dict, request=None) -> bytes:
    """Render a template that extends reports/base_print.html to PDF bytes."""
    html = render_to_string(template_name, context, request=request)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFilesFetcher())
    return document.write_pdf()


def pdf_response(template_name: str, context: dict, filename: str, request=None):
    """The rendered template as a PDF download."""
    return download(render_pdf(template_name, context, request), filename, PDF_TYPE)
