"""The header bell: the number of unread notifications, in one query."""

from django import template

from norma.notifications.models import Notification

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """Unread notifications of the signed-in person: their own and their roles', in scope."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.addressed_to(user).unread_by(user).count()
