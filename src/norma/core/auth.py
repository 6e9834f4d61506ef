"""Signing in: email and password, refused once time-boxed access has expired."""

from django.contrib.auth.backends import ModelBackend


class PersonBackend(ModelBackend):
    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not user.access_expired

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return None if user is None or user.access_expired else user


def login_username(request, credentials=None) -> str:
    """The name login throttling counts failures under: the email, case folded."""
    source = credentials if credentials is not None else request.POST
    return (source.get("username") or source.get("email") or "").strip().lower()
