"""Actions on a person's own credentials: API tokens and the authenticator app."""

from django.utils import timezone

from norma.core.actions import Action, ActionRefused, NotPermitted
from norma.core.models import ApiToken


class IssueApiToken(Action):
    """A new bearer token; the raw value is kept on the action once, never stored."""

    code = "token.create"
    label = "Create an API token"

    def __init__(self, actor, *, name="API token", expires_at=None):
        super().__init__(actor, ApiToken(person=actor, name=name, expires_at=expires_at))

    def check_rules(self):
        if self.obj.expires_at is not None and self.obj.expires_at <= timezone.now():
            raise ActionRefused("The expiry date must be in the future.")

    def apply(self):
        token, self.raw = ApiToken.issue(self.obj.person, self.obj.name, self.obj.expires_at)
        self.obj = token
        return token

    def logged_values(self, before):
        return None, {
            "name": self.obj.name,
            "prefix": self.obj.prefix,
            "expires_at": self.obj.expires_at,
        }


class RevokeApiToken(Action):
    """Revoke one of my tokens (an administrator may revoke anyone's)."""

    code = "token.revoke"
    label = "Revoke the token"

    def check_rules(self):
        if self.obj.person_id != self.actor.pk and not self.actor.is_superuser:
            raise NotPermitted("You can only revoke your own tokens.")
        if self.obj.revoked_at is not None:
            raise ActionRefused("The token is already revoked.")

    def apply(self):
        self.obj.revoked_at = timezone.now()
        self.obj.save(update_fields=["revoked_at"])
        return self.obj

    def logged_values(self, before):
        return None, {"name": self.obj.name, "prefix": self.obj.prefix}


class ConfirmAuthenticator(Action):
    """The person proved their new authenticator app works; it now protects sign-in."""

    code = "two_factor.enrol"
    label = "Set up an authenticator app"

    def check_rules(self):
        if self.obj.user_id != self.actor.pk:
            raise NotPermitted("You can only set up your own authenticator app.")

    def apply(self):
        self.obj.confirmed = True
        self.obj.save(update_fields=["confirmed"])
        return self.obj

    def logged_values(self, before):
        return None, {"device": self.obj.name, "confirmed": True}
