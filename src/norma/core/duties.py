"""Separation of duties: one person must not hold both sides of a control."""

from django.conf import settings

from norma.core.actions import NotPermitted

RULES = {
    "approve_own": "You cannot approve your own work: another person must approve it.",
    "audit_own": "An auditor does not audit their own department or process.",
    "verify_own": "Whoever owns an action does not verify its effectiveness.",
    "judge_own_training": "Nobody judges whether their own training worked.",
}


def require_different_people(first, second, rule: str):
    """Refuse when separation of duties is on and `first` and `second` are the same person."""
    if first is None or second is None:
        return
    if first.pk == second.pk:
        refuse_duty(rule)


def refuse_duty(rule: str):
    """Refuse under `rule`, unless separation of duties is turned off."""
    if settings.NORMA_SEPARATION_OF_DUTIES:
        raise NotPermitted(RULES[rule])
