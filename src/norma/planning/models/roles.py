"""5.3: the roles of the QMS, their duties and authorities, who holds them, and what each
is accountable, responsible, consulted or informed for (the responsibility matrix)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from norma.core.models import Record

# The responsibility matrix: one letter per role and process (RACI).
LETTERS = {
    "accountable_for": "A",
    "responsible_for": "R",
    "consulted_on": "C",
    "informed_of": "I",
}


def _processes(verbose: str):
    return models.ManyToManyField(
        "planning.Process", blank=True, related_name="+", verbose_name=verbose
    )


class QmsRole(Record):
    """A role in the QMS (management representative, internal audit lead, calibration
    coordinator…): what it must do, what it may decide, and who holds it."""

    reference_prefix = "ROL"

    class Status(models.TextChoices):
        CURRENT = "current", "Current"
        PAST = "past", "No longer used"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.CURRENT, db_index=True
    )
    duties = models.TextField("responsibilities")
    authorities = models.TextField("authorities", help_text="What the holder may decide.")
    holders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="qms_roles", verbose_name="held by"
    )
    accountable_for = _processes("accountable for (A)")
    responsible_for = _processes("responsible for (R)")
    consulted_on = _processes("consulted on (C)")
    informed_of = _processes("informed of (I)")

    class Meta(Record.Meta):
        verbose_name = "QMS role"

    def clean_many(self, name, processes):
        """One role is accountable for a process: two would mean nobody is."""
        if name != "accountable_for" or not processes:
            return
        others = QmsRole.objects.live().exclude(pk=self.pk).filter(accountable_for__in=processes)
        taken = sorted(
            {
                f"{p.reference} ({role.title})"
                for role in others.distinct()
                for p in role.accountable_for.all()
                if p in processes
            }
        )
        if taken:
            raise ValidationError(
                {name: "Another role is already accountable for " + ", ".join(taken) + "."}
            )
