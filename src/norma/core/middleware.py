"""Request-wide context: who is acting, and whether their second factor is satisfied."""

import uuid

from django.shortcuts import redirect
from django.urls import reverse

from norma.core.context import acting_as


class ActorMiddleware:
    """Attribute every write in a signed-in request to that person, with a request id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        if request.user.is_authenticated:
            with acting_as(request.user, request_id=request.request_id):
                response = self.get_response(request)
        else:
            response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


OPEN_PREFIXES = ("/static/", "/healthz", "/api/", "/account/two-factor/", "/logout/")


def needs_second_factor(person) -> bool:
    from django_otp import devices_for_user

    if any(True for _ in devices_for_user(person, confirmed=True)):
        return True
    return person.groups.filter(role__require_two_factor=True).exists()


class TwoFactorMiddleware:
    """A person with an authenticator (or in a role that demands one) must pass it first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(OPEN_PREFIXES)
            and needs_second_factor(user)
        ):
            return redirect(f"{reverse('two_factor')}?next={request.get_full_path()}")
        return self.get_response(request)
