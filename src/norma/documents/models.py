"""7.5 documented information: controlled documents, their revisions, approval and reading."""

import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from norma.core.models import Record, RoleCode
from norma.core.models.records import reserve_numbers
from norma.documents.checklist import ChecklistItem


class RevisionStyle(models.TextChoices):
    LETTERS = "letters", "A, B, C…"
    NUMBERS = "numbers", "1, 2, 3…"


class DisposalMethod(models.TextChoices):
    DESTROY = "destroy", "Destroy"
    ARCHIVE = "archive", "Move to long-term archive outside Norma"
    RETURN = "return", "Return to the customer"
    TRANSFER = "transfer", "Transfer to another custodian"


class DocumentType(models.Model):
    """How one kind of document is numbered, revised, approved, reviewed and retained."""

    archive_key = "code"  # how the export archive names a type

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    number_prefix = models.CharField(max_length=10, help_text="Numbers look like QP-007.")
    number_width = models.PositiveSmallIntegerField(default=3)
    revision_style = models.CharField(
        max_length=10, choices=RevisionStyle.choices, default=RevisionStyle.LETTERS
    )
    review_months = models.PositiveSmallIntegerField(
        default=12, help_text="Months between periodic reviews; 0 for none."
    )
    reviewer_role = models.CharField(
        max_length=40, choices=RoleCode.choices, blank=True, help_text="Empty: no review step."
    )
    approver_role = models.CharField(
        max_length=40, choices=RoleCode.choices, default=RoleCode.QUALITY_MANAGER
    )
    is_record = models.BooleanField(
        default=False, help_text="Records are retained as evidence: once final, never revised."
    )
    retention_years = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Years kept after it becomes obsolete (a record: final)."
    )
    disposal_method = models.CharField(
        max_length=20, choices=DisposalMethod.choices, default=DisposalMethod.DESTROY
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def next_number(self) -> str:
        """QP-008: numbered per type without gaps."""
        return self.reserve_numbers(1)[0]

    def reserve_numbers(self, count: int) -> list[str]:
        """`count` consecutive numbers of this type in one step (seeding, imports)."""
        first = reserve_numbers(f"DOC:{self.number_prefix}", count)
        return [
            f"{self.number_prefix}-{n:0{self.number_width}d}" for n in range(first, first + count)
        ]

    def revision_label(self, number: int) -> str:
        """The label of the n-th revision: 1 -> A, 27 -> AA (letters) or 1 -> 1 (numbers)."""
        if self.revision_style == RevisionStyle.NUMBERS:
            return str(number)
        label = ""
        while number > 0:
            number, remainder = divmod(number - 1, 26)
            label = chr(ord("A") + remainder) + label
        return label


WHOLE_ORGANISATION = "Where it applies; empty: the whole organisation."


class Document(Record):
    """A controlled document or record (7.5): the identity that its revisions share. Its
    reference is its number, from its type's scheme (assign_reference)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Not yet effective"
        EFFECTIVE = "effective", "Effective"
        OBSOLETE = "obsolete", "Obsolete"
        DISPOSED = "disposed", "Disposed"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    document_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, related_name="documents", verbose_name="type"
    )
    process = models.ForeignKey(
        "planning.Process",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    # Where it applies: none means the whole organisation (see core.scope for who may read it).
    site = None
    department = None
    sites = models.ManyToManyField(
        "core.Site", blank=True, related_name="documents", help_text=WHOLE_ORGANISATION
    )
    departments = models.ManyToManyField(
        "core.Department", blank=True, related_name="documents", help_text=WHOLE_ORGANISATION
    )
    checklist_item = models.CharField(
        "mandatory documented information",
        max_length=4,
        choices=ChecklistItem.choices,
        blank=True,
        db_index=True,
    )
    review_months = models.PositiveSmallIntegerField(
        "review period (months)", null=True, blank=True, help_text="Empty: the type's period."
    )
    retention_years = models.PositiveSmallIntegerField(
        "retention (years)", null=True, blank=True, help_text="Empty: the type's rule."
    )
    disposal_method = models.CharField(
        max_length=20, choices=DisposalMethod.choices, blank=True, help_text="Empty: the type's."
    )
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="Named reviewers; empty: anyone holding the type's reviewer role.",
    )
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="Named approvers; empty: anyone holding the type's approver role.",
    )
    due_date = models.DateField("next review", null=True, blank=True, db_index=True)
    retained_from = models.DateField(null=True, blank=True, editable=False)
    legal_hold = models.BooleanField(default=False, editable=False)
    legal_hold_reason = models.TextField(blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = "document"
        verbose_name_plural = "documents"
        permissions = [
            ("approve_document", "Can approve a document revision"),
            ("obsolete_document", "Can make a document obsolete"),
            ("dispose_document", "Can dispose of a document past its retention"),
            ("hold_document", "Can place or release a legal hold"),
        ]

    def edit_refusal(self):
        if self.status in (self.Status.OBSOLETE, self.Status.DISPOSED):
            return f"{self.reference} is {self.get_status_display().lower()}: it is kept as it is."
        return super().edit_refusal()

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # The search index names the document: keep it in step with a new title.
        DocumentText.objects.filter(document=self).exclude(
            title=f"{self.reference} {self.title}"[:300]
        ).update(title=f"{self.reference} {self.title}"[:300])

    def clean_many(self, name, people):
        """Named approvers must hold the type's approver role: naming oneself as approver
        must not get round who the type says approves."""
        if name != "approvers":
            return
        role = self.document_type.approver_role
        unfit = [p for p in people if not (p.is_superuser or p.has_role(role))]
        if unfit:
            names = ", ".join(p.full_name for p in unfit)
            label = RoleCode(role).label.lower()
            raise ValidationError(
                {"approvers": [f"Approvers must hold the role {label}: {names}."]}
            )

    def attach_refusal(self):
        if self.status in (self.Status.OBSOLETE, self.Status.DISPOSED):
            return (
                f"{self.reference} is {self.get_status_display().lower()}: nothing more is added."
            )
        return super().attach_refusal()

    def assign_reference(self):
        if not self.reference:
            self.reference = self.document_type.next_number()

    @property
    def period_months(self) -> int:
        return (
            self.document_type.review_months if self.review_months is None else self.review_months
        )

    @property
    def retention(self) -> int | None:
        return (
            self.document_type.retention_years
            if self.retention_years is None
            else (self.retention_years)
        )

    @property
    def disposal(self) -> str:
        return self.disposal_method or self.document_type.disposal_method

    @property
    def retain_until(self) -> date | None:
        if self.retained_from is None or self.retention is None:
            return None
        return add_months(self.retained_from, 12 * self.retention)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=candidate)
        except ValueError:
            continue
    raise ValueError(day)


def revision_path(instance, filename):
    # The stored name is ours; the uploaded name is kept only as metadata.
    return f"documents/{uuid.uuid4().hex}"


class Revision(models.Model):
    """One revision of a document: Markdown written in Norma, or an uploaded file."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved, not yet effective"
        EFFECTIVE = "effective", "Effective"
        SUPERSEDED = "superseded", "Superseded"
        OBSOLETE = "obsolete", "Obsolete"
        WITHDRAWN = "withdrawn", "Withdrawn, never in force"

    OPEN = (Status.DRAFT, Status.IN_REVIEW, Status.APPROVED)

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    label = models.CharField(max_length=10)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    body = models.TextField("content (Markdown)", blank=True)
    file = models.FileField(upload_to=revision_path, max_length=300, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    extracted_text = models.TextField(blank=True, editable=False)
    change_summary = models.TextField(blank=True)
    effective_date = models.DateField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    contributors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    review_round = models.PositiveSmallIntegerField(default=0)
    signers = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Who must sign, fixed when submitted: [step, person:<id> or role:<code>, label].",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_independently = models.BooleanField(
        default=False, editable=False, help_text="Every approver was someone who did not write it."
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="documents_revision_number"
            ),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status="effective"),
                name="documents_one_effective_revision",
            ),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status__in=["draft", "in_review", "approved"]),
                name="documents_one_open_revision",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "effective_date"], name="documents_rev_due"),
            models.Index(
                fields=["status", "approved_independently"], name="documents_rev_approved"
            ),
        ]

    def __str__(self):
        return f"{self.document.reference} revision {self.label}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def has_content(self) -> bool:
        return bool(self.body.strip() or self.file_sha256)

    def signed_content(self) -> dict:
        """What a signature on a revision vouches for: its identity and its content. The title
        lives on the document and is logged when it changes; renaming is not re-writing."""
        return {
            "document": self.document.reference,
            "revision": self.label,
            "body": self.body,
            "file_name": self.file_name,
            "file_sha256": self.file_sha256,
            "change_summary": self.change_summary,
        }


class Step(models.TextChoices):
    REVIEW = "review", "Review"
    APPROVAL = "approval", "Approval"
    PERIODIC = "periodic", "Periodic review"


class Outcome(models.TextChoices):
    APPROVE = "approve", "Approved"
    REQUEST_CHANGES = "request_changes", "Changes requested"
    NO_CHANGE = "no_change", "No change needed"


class RevisionDecision(models.Model):
    """A signed review or approval decision on a revision (7.5.2 c: suitability and adequacy)."""

    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="decisions")
    review_round = models.PositiveSmallIntegerField()
    step = models.CharField(max_length=10, choices=Step.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    slot = models.CharField(max_length=60, help_text="person:<id> or role:<code> it fills.")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    person_name = models.CharField(max_length=200)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField()
    signature = models.OneToOneField("core.Signature", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["decided_at", "pk"]

    def __str__(self):
        return f"{self.summary} by {self.person_name}"

    @property
    def summary(self) -> str:
        """What the signer decided, in words: Reviewed, Approved, Changes requested…"""
        if self.outcome == Outcome.APPROVE:
            return "Reviewed" if self.step == Step.REVIEW else "Approved"
        if self.outcome == Outcome.NO_CHANGE:
            return "Periodic review: no change needed"
        return f"Changes requested ({self.get_step_display().lower()})"


class Distribution(models.Model):
    """Who must have read a document: a role, a department or a person (7.5.3.1 a)."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="distribution")
    role = models.CharField(max_length=40, choices=RoleCode.choices, blank=True)
    department = models.ForeignKey(
        "core.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role__gt="", department__isnull=True, person__isnull=True)
                    | Q(role="", department__isnull=False, person__isnull=True)
                    | Q(role="", department__isnull=True, person__isnull=False)
                ),
                name="documents_distribution_one_target",
            ),
        ]

    def __str__(self):
        if self.role:
            return f"Role: {self.get_role_display()}"
        if self.department_id:
            return f"Department: {self.department}"
        return f"Person: {self.person}"


class Acknowledgement(models.Model):
    """A person's "read and understood" of one effective revision."""

    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person_name = models.CharField(max_length=200)
    acknowledged_at = models.DateTimeField()

    class Meta:
        ordering = ["acknowledged_at"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "person"], name="documents_ack_once")
        ]

    def __str__(self):
        return f"{self.person_name} read {self.revision}"


class Disposal(models.Model):
    """The disposal log: what was disposed of, how, when and by whom (7.5.3.2 d)."""

    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=32)
    title = models.CharField(max_length=250)
    method = models.CharField(max_length=20, choices=DisposalMethod.choices)
    retained_from = models.DateField(null=True)
    retention_years = models.PositiveSmallIntegerField(null=True)
    disposed_at = models.DateTimeField()
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    disposed_by_name = models.CharField(max_length=200)
    reason = models.TextField(blank=True)
    revisions = models.PositiveIntegerField()
    files_removed = models.PositiveIntegerField()
    signature = models.OneToOneField("core.Signature", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-disposed_at"]

    def __str__(self):
        return f"{self.reference} disposed {self.disposed_at:%Y-%m-%d}"


class DocumentText(models.Model):
    """The searchable text of a document: its title and its effective (or last) revision.

    Full-text indexes live beside it: an FTS5 table on SQLite, a GIN index on PostgreSQL.
    """

    document = models.OneToOneField(
        Document, primary_key=True, on_delete=models.CASCADE, related_name="search_text"
    )
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    obsolete = models.BooleanField(default=False)

    def __str__(self):
        return self.title
