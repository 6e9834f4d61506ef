"""Bearer-token authentication for the API."""

from datetime import timedelta

from django.utils import timezone
from ninja.security import HttpBearer

from norma.core.models import ApiToken
from norma.core.models.tokens import hash_token

TOUCH_EVERY = timedelta(minutes=5)  # keep last_used_at fresh without a write per request


class BearerToken(HttpBearer):
    openapi_description = "Create a token with `norma token create --user EMAIL`."

    def authenticate(self, request, token):
        found = (
            ApiToken.objects.usable()
            .select_related("person")
            .filter(token_hash=hash_token(token))
            .first()
        )
        if found is None:
            return None
        person = found.person
        if not person.is_active or person.access_expired:
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > TOUCH_EVERY:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = person
        return person
