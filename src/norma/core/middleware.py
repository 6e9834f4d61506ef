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


OPEN_PREFIXES = (
    "/static/",
    "/healthz",
    "/api/",
    "/account/two-factor/",
    "/logout/",
    "/notifications/calendar/",  # token-authenticated feeds, opened by calendar apps
)


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


class TimingMiddleware:
    """For benchmarks only (NORMA_BENCH_TIMING): report SQL count, SQL time and server time.

    Headers: X-Norma-Queries, X-Norma-SQL-ms, X-Norma-Server-ms. Off in normal use.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        import time

        from django.db import connection

        stats = {"queries": 0, "sql": 0.0}

        def timed(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                stats["queries"] += 1
                stats["sql"] += time.perf_counter() - started

        started = time.perf_counter()
        with connection.execute_wrapper(timed):
            response = self.get_response(request)
            if getattr(response, "streaming", False):
                return response
        response["X-Norma-Queries"] = str(stats["queries"])
        response["X-Norma-SQL-ms"] = f"{stats['sql'] * 1000:.2f}"
        response["X-Norma-Server-ms"] = f"{(time.perf_counter() - started) * 1000:.2f}"
        return response
