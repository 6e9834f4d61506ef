"""4.3: the scope of the QMS, and the requirements judged not applicable within it."""

from django.core.exceptions import ValidationError
from django.db import models

from norma.core.models import Record

# Only requirements of clauses 7 and 8 can be judged not applicable: the others describe the
# management system itself (ISO 9001 4.3 and Annex A.5).
MAY_NOT_APPLY = ("7.", "8.")


class QmsScope(Record):
    """What the QMS covers: products and services, sites, boundaries. The scope statement
    itself is a controlled document; this record links to it."""

    reference_prefix = "SCP"

    class Status(models.TextChoices):
        CURRENT = "current", "Current"
        PAST = "past", "Replaced"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.CURRENT, db_index=True
    )
    products_services = models.TextField("products and services")
    boundaries = models.TextField(
        blank=True, help_text="What is inside and outside: activities, outsourced processes."
    )
    covered_sites = models.ManyToManyField(
        "core.Site", blank=True, related_name="+", verbose_name="sites covered"
    )
    statement = models.ForeignKey(
        "documents.Document",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="scope statement (controlled document)",
    )

    class Meta(Record.Meta):
        verbose_name = "scope of the QMS"
        verbose_name_plural = "scope of the QMS"


class NonApplicableRequirement(Record):
    """A requirement of ISO 9001 judged not applicable to the scope, and why (4.3). The
    clause then reads "not applicable" in readiness, and later in checklists and evidence."""

    reference_prefix = "NA"

    class Status(models.TextChoices):
        JUDGED = "judged", "Not applicable"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.JUDGED, db_index=True
    )
    clause = models.ForeignKey(
        "standards.Clause", on_delete=models.PROTECT, related_name="+", verbose_name="requirement"
    )
    justification = models.TextField(
        help_text="Why it cannot apply, and why that does not affect conformity of products "
        "and services or customer satisfaction."
    )

    class Meta(Record.Meta):
        verbose_name = "requirement judged not applicable"
        verbose_name_plural = "requirements judged not applicable"

    def clean(self):
        super().clean()
        if not self.clause_id:
            return
        if not self.clause.ref.startswith(MAY_NOT_APPLY):
            raise ValidationError(
                {
                    "clause": f"{self.clause.ref} cannot be judged not applicable: only "
                    "requirements of clauses 7 and 8 can."
                }
            )
        others = NonApplicableRequirement.objects.live().filter(clause=self.clause_id)
        if others.exclude(pk=self.pk).exists():
            raise ValidationError(
                {"clause": f"{self.clause.ref} is already judged not applicable."}
            )
