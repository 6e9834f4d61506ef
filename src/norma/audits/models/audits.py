"""The audit programme (9.2.2 a) and the audits it plans, from plan to signed report."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from norma.core.models import Record
from norma.documents.models import add_months

PERSON = settings.AUTH_USER_MODEL


class AuditProgramme(Record):
    """The audits planned for a period, why, and what they must cover."""

    reference_prefix = "APG"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        CLOSED = "closed", "Closed"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    period_start = models.DateField("from")
    period_end = models.DateField("until")
    objectives = models.TextField(help_text="What the programme is meant to show or achieve.")
    risks_opportunities = models.TextField(
        "risks and opportunities",
        blank=True,
        help_text="What could keep the programme from its objectives, and what could help it.",
    )
    approved_on = models.DateField(null=True, blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = "audit programme"
        verbose_name_plural = "audit programmes"
        permissions = [("approve_auditprogramme", "Can approve an audit programme")]

    def clean(self):
        super().clean()
        if not (self.period_start and self.period_end):
            return
        if self.period_end <= self.period_start:
            raise ValidationError({"period_end": "The period must end after it starts."})
        if self.period_end >= add_months(self.period_start, 36):
            raise ValidationError(
                {"period_end": "A programme covers at most a certification cycle (3 years)."}
            )

    def edit_refusal(self):
        if self.status == self.Status.CLOSED:
            return f"{self.reference} is closed."
        if self.status == self.Status.APPROVED:
            return f"{self.reference} is approved: revise it to change it, then approve it again."
        return super().edit_refusal()


class Audit(Record):
    """One internal audit. The owner is its lead auditor; once the report is signed the audit
    is locked and only its follow-up moves on."""

    reference_prefix = "AUD"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        REPORTING = "reporting", "Report being written"
        REPORTED = "reported", "Reported"
        CLOSED = "closed", "Closed: follow-up done"
        CANCELLED = "cancelled", "Cancelled"

    LOCKED = (Status.REPORTED, Status.CLOSED, Status.CANCELLED)
    OPEN = (Status.PLANNED, Status.IN_PROGRESS, Status.REPORTING)

    class Kind(models.TextChoices):
        PROCESS = "process", "Process audit"
        SYSTEM = "system", "System audit"
        PRODUCT = "product", "Product or service audit"
        SUPPLIER = "supplier", "Supplier (second-party) audit"

    class Fulfilment(models.TextChoices):
        FULL = "full", "Criteria fulfilled"
        LARGELY = "largely", "Largely fulfilled; minor nonconformities"
        PARTLY = "partly", "Partly fulfilled; major nonconformities"
        NOT = "not", "Not fulfilled"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    owner = models.ForeignKey(
        PERSON,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="lead auditor",
    )
    programme = models.ForeignKey(
        AuditProgramme, null=True, blank=True, on_delete=models.PROTECT, related_name="audits"
    )
    kind = models.CharField("type", max_length=10, choices=Kind.choices, default=Kind.PROCESS)
    objectives = models.TextField(blank=True)
    criteria = models.TextField(
        default="ISO 9001:2015 and the documented information of the QMS in force.",
        help_text="What the evidence is compared with.",
    )
    processes = models.ManyToManyField(
        "planning.Process", blank=True, related_name="audits", verbose_name="processes in scope"
    )
    sites = models.ManyToManyField(
        "core.Site", blank=True, related_name="+", verbose_name="sites in scope"
    )
    supplier = models.ForeignKey(
        "operations.Supplier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audits",
        help_text="For a second-party audit.",
    )
    supervisor = models.ForeignKey(
        PERSON,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A lead auditor who supervises a lead auditor still qualifying.",
    )
    team = models.ManyToManyField(
        PERSON, blank=True, related_name="audits_on_team", verbose_name="audit team"
    )
    auditees = models.ManyToManyField(PERSON, blank=True, related_name="audits_as_auditee")
    target_month = models.DateField(
        null=True, blank=True, help_text="The month the programme plans it for."
    )
    start_date = models.DateField(null=True, blank=True, db_index=True)
    end_date = models.DateField(null=True, blank=True)
    agenda = models.TextField(
        "audit plan", blank=True, help_text="The agenda: times, places, who is interviewed."
    )
    plan_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups"
    )

    # The meetings and the document review, recorded by their actions.
    opening_meeting_at = models.DateTimeField(null=True, blank=True)
    opening_attendees = models.ManyToManyField(PERSON, blank=True, related_name="+")
    closing_meeting_at = models.DateTimeField(null=True, blank=True)
    closing_attendees = models.ManyToManyField(PERSON, blank=True, related_name="+")
    reviewed_documents = models.ManyToManyField(
        "documents.Document", blank=True, related_name="+", verbose_name="documents reviewed"
    )
    reviewed_revisions = models.JSONField(default=list, blank=True, editable=False)
    document_review_notes = models.TextField("document review", blank=True)

    # The report (ISO 19011 6.5); signed by the lead auditor, then locked.
    conclusions = models.TextField(blank=True)
    fulfilment = models.CharField(
        "degree of fulfilment of the criteria",
        max_length=10,
        choices=Fulfilment.choices,
        blank=True,
    )
    strengths = models.TextField(blank=True)
    weaknesses = models.TextField(blank=True)
    improvement_areas = models.TextField("areas for improvement", blank=True)
    diverging_opinions = models.TextField(
        "unresolved diverging opinions",
        blank=True,
        help_text="Where the auditees and the audit team did not agree.",
    )
    reported_on = models.DateField(null=True, blank=True, editable=False)
    distributed_to = models.JSONField(default=list, blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = "audit"
        verbose_name_plural = "audits"

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The audit cannot end before it starts."})
        if self.kind == self.Kind.SUPPLIER and not self.supplier_id:
            raise ValidationError({"supplier": "Name the supplier a second-party audit visits."})
        if self.supervisor_id and self.supervisor_id == self.owner_id:
            raise ValidationError({"supervisor": "The lead auditor cannot supervise themself."})
        from norma.audits.models.fieldwork import not_in_the_future

        not_in_the_future(self, "opening_meeting_at", "closing_meeting_at")
        opened, closed = self.opening_meeting_at, self.closing_meeting_at
        if opened and closed and closed < opened:
            raise ValidationError(
                {"closing_meeting_at": "The closing meeting follows the opening meeting."}
            )

    def save(self, *args, **kwargs):
        if self.target_month:
            self.target_month = self.target_month.replace(day=1)
        # "My tasks" and the reminders follow the audit until its report is signed.
        self.due_date = self.end_date if self.status in self.OPEN else None
        super().save(*args, **kwargs)

    def edit_refusal(self):
        if self.status in (self.Status.REPORTED, self.Status.CLOSED):
            return f"{self.reference}'s report is signed: the audit is locked."
        if self.status == self.Status.CANCELLED:
            return f"{self.reference} was cancelled."
        return super().edit_refusal()

    def edit_refusal_for(self, person):
        """Only the audit team (lead, supervisor, members) and whoever runs the programme
        work on an audit: nobody else writes its checklist or findings."""
        if person.has_perm("audits.add_auditprogramme") or self.is_on_team(person):
            return None
        return f"Only {self.reference}'s audit team works on it."

    def is_on_team(self, person) -> bool:
        if person.pk in (self.owner_id, self.supervisor_id):
            return True
        return self.pk is not None and self.team.filter(pk=person.pk).exists()

    def attach_refusal(self):
        return self.edit_refusal()

    def archive_refusal(self):
        if self.status in (self.Status.REPORTED, self.Status.CLOSED):
            return "A reported audit is a record to retain (9.2.2 f): it is not archived."
        return None

    @property
    def is_locked(self) -> bool:
        return self.status in self.LOCKED

    @property
    def auditors(self) -> list:
        """The lead and the team, lead first."""
        team = [p for p in self.team.all() if p.pk != self.owner_id]
        return [self.owner, *team] if self.owner_id else team

    def clean_links(self):
        """Objectivity and qualification, once every link of a create or an edit is set."""
        from norma.audits.planning import objectivity_errors

        errors = objectivity_errors(self)
        if errors:
            raise ValidationError(errors)

    # What the lead auditor signs: the report, its scope and team (by id, so renaming a
    # process or a person does not break the signature), the checklist's results, the
    # interviews and the findings as issued. Auditees' later answers are not part of it.
    SIGNED_FIELDS = (
        "title",
        "kind",
        "objectives",
        "criteria",
        "owner",
        "supervisor",
        "supplier",
        "start_date",
        "end_date",
        "opening_meeting_at",
        "closing_meeting_at",
        "reviewed_revisions",
        "document_review_notes",
        "conclusions",
        "fulfilment",
        "strengths",
        "weaknesses",
        "improvement_areas",
        "diverging_opinions",
    )
    SIGNED_LINKS = ("processes", "clauses", "sites", "team", "auditees")

    def signed_content(self) -> dict:
        from norma.core.changelog import jsonable

        content = {
            name: self._meta.get_field(name).value_from_object(self) for name in self.SIGNED_FIELDS
        }
        for name in self.SIGNED_LINKS:
            content[name] = sorted(getattr(self, name).values_list("pk", flat=True))
        content["checklist"] = list(
            self.checklist.live().order_by("pk").values_list("pk", "result", "evidence")
        )
        content["interviews"] = list(
            self.interviews.live().order_by("pk").values_list("pk", "interviewee", "notes")
        )
        content["findings"] = list(
            self.findings.live()
            .exclude(status="withdrawn")
            .order_by("pk")
            .values_list("reference", "grade", "title", "requirement", "evidence", "clause")
        )
        return jsonable(content)
