"""One error shape for the whole API: {"detail": ..., "errors": {"field": ["..."]}}."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja.errors import AuthenticationError, HttpError, ValidationError

from norma.core.actions import ActionRefused


def error_body(detail: str, errors: dict | None = None) -> dict:
    return {"detail": detail, "errors": errors or {}}


SOURCES = {"body", "query", "path", "form", "file", "header", "cookie"}


def _field_name(location) -> str:
    """('body', 'payload', 'body') -> 'body': drop where the value came from, keep the field."""
    parts = [str(p) for p in location]
    if parts and parts[0] in SOURCES:
        parts = parts[1:]
    if parts and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def install(api):
    def respond(request, status, detail, errors=None):
        return api.create_response(request, error_body(detail, errors), status=status)

    @api.exception_handler(ValidationError)
    def invalid(request, exc):
        errors: dict[str, list[str]] = {}
        for error in exc.errors:
            message = error.get("msg", "Invalid value.")
            if error.get("type") == "extra_forbidden":
                message = "Unknown field."
            errors.setdefault(_field_name(error.get("loc", ())), []).append(message)
        return respond(request, 422, "Some fields are not valid.", errors)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return respond(
            request, 401, "Authentication required: send 'Authorization: Bearer <token>'."
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return respond(request, exc.status_code, str(exc))

    @api.exception_handler(ActionRefused)
    def refused(request, exc):
        return respond(request, exc.status_code, exc.message, exc.errors)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, 404, "Not found.")

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return respond(request, 403, str(exc) or "You do not have the right to do this.")
