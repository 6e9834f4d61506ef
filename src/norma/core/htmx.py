"""One helper for htmx: the whole page normally, only its fragment for htmx requests."""

from django.shortcuts import render


def render_page(request, template: str, context: dict, *, fragment: str | None = None, **kw):
    if fragment and getattr(request, "htmx", False):
        return render(request, fragment, context, **kw)
    return render(request, template, context, **kw)
