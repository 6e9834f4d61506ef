"""4.1 and 4.2: the issues that shape the QMS, the climate decision, interested parties and
what they require."""

from django.db import models

from norma.core.models import Record


class Origin(models.TextChoices):
    INTERNAL = "internal", "Internal"
    EXTERNAL = "external", "External"


class Swot(models.TextChoices):
    STRENGTH = "strength", "Strength"
    WEAKNESS = "weakness", "Weakness"
    OPPORTUNITY = "opportunity", "Opportunity"
    THREAT = "threat", "Threat"


class Pestle(models.TextChoices):
    POLITICAL = "political", "Political"
    ECONOMIC = "economic", "Economic"
    SOCIAL = "social", "Social"
    TECHNOLOGICAL = "technological", "Technological"
    LEGAL = "legal", "Legal"
    ENVIRONMENTAL = "environmental", "Environmental"


class ContextIssue(Record):
    """An internal or external issue that affects what the QMS can achieve (4.1)."""

    reference_prefix = "CTX"

    class Status(models.TextChoices):
        CURRENT = "current", "Current"
        PAST = "past", "No longer relevant"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.CURRENT, db_index=True
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, db_index=True)
    swot = models.CharField("SWOT", max_length=12, choices=Swot.choices, db_index=True)
    pestle = models.CharField(
        "PESTLE",
        max_length=14,
        choices=Pestle.choices,
        blank=True,
        db_index=True,
        help_text="For external issues: the kind of force behind it.",
    )
    description = models.TextField(blank=True)
    effect = models.TextField("effect on the QMS", blank=True)
    due_date = models.DateField("next review", null=True, blank=True, db_index=True)

    class Meta(Record.Meta):
        verbose_name = "context issue"


class ClimateDecision(Record):
    """Whether climate change is a relevant issue for the organisation (4.1, as amended in
    2024), and why: decided, dated, and reviewed like any other issue."""

    reference_prefix = "CLM"

    class Status(models.TextChoices):
        DECIDED = "decided", "Decided"

    class Relevant(models.TextChoices):
        YES = "yes", "Yes: climate change is a relevant issue"
        NO = "no", "No: climate change is not a relevant issue"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.DECIDED, db_index=True
    )
    relevant = models.CharField("is climate change relevant?", max_length=3, choices=Relevant)
    reasoning = models.TextField(help_text="Why; what it affects, or why it does not.")
    due_date = models.DateField("next review", null=True, blank=True, db_index=True)

    class Meta(Record.Meta):
        verbose_name = "climate change decision"


class PartyKind(models.TextChoices):
    CUSTOMER = "customer", "Customers"
    SUPPLIER = "supplier", "Suppliers and partners"
    EMPLOYEE = "employee", "Employees"
    OWNER = "owner", "Owners and shareholders"
    REGULATOR = "regulator", "Regulators and authorities"
    COMMUNITY = "community", "Neighbours and community"
    OTHER = "other", "Other"


class InterestedParty(Record):
    """Someone whose requirements bear on the QMS (4.2)."""

    reference_prefix = "IP"

    class Status(models.TextChoices):
        RELEVANT = "relevant", "Relevant"
        PAST = "past", "No longer relevant"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.RELEVANT, db_index=True
    )
    kind = models.CharField(max_length=12, choices=PartyKind.choices, db_index=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.EXTERNAL)
    description = models.TextField(blank=True)
    due_date = models.DateField("next review", null=True, blank=True, db_index=True)

    class Meta(Record.Meta):
        verbose_name = "interested party"
        verbose_name_plural = "interested parties"


class PartyRequirement(Record):
    """One requirement of an interested party, whether the QMS addresses it, and how it is
    followed (4.2 b)."""

    reference_prefix = "IPR"

    class Status(models.TextChoices):
        CURRENT = "current", "Current"
        PAST = "past", "No longer required"

    class Addressed(models.TextChoices):
        YES = "yes", "Addressed by the QMS"
        NO = "no", "Not addressed yet"
        NOT_RELEVANT = "not_relevant", "Judged not relevant to the QMS"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.CURRENT, db_index=True
    )
    addressed = models.CharField(
        "addressed?", max_length=14, choices=Addressed.choices, default=Addressed.NO, db_index=True
    )
    party = models.ForeignKey(
        InterestedParty, on_delete=models.PROTECT, related_name="requirements"
    )
    how_addressed = models.TextField("how it is addressed", blank=True)
    monitoring = models.TextField("how it is monitored", blank=True)
    climate_related = models.BooleanField(default=False, db_index=True)

    class Meta(Record.Meta):
        verbose_name = "requirement of an interested party"
        verbose_name_plural = "requirements of interested parties"
