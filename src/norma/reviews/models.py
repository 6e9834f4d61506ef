"""Management review (9.3): the review meeting, the inputs management looked at, and the
decisions it took."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from norma.core.models import Record, RoleCode

MAX_PERIOD_DAYS = 731  # two years: a longer period is not a review at planned intervals


class Topic(models.TextChoices):
    """The inputs 9.3.2 asks management to consider, in the order of the pack."""

    PREVIOUS_ACTIONS = "previous_actions", "Where earlier review decisions stand"
    CONTEXT = "context", "What changed in our context and among interested parties"
    CUSTOMERS = "customers", "What customers told us"
    OBJECTIVES = "objectives", "How far the quality objectives were reached"
    PROCESSES = "processes", "How the processes performed, and how good the outputs were"
    NONCONFORMITIES = "nonconformities", "Problems found and how they were fixed"
    MONITORING = "monitoring", "Measurements and calibration"
    AUDITS = "audits", "What the audits found"
    PROVIDERS = "providers", "How suppliers and other providers performed"
    RESOURCES = "resources", "Whether people, training and equipment are enough"
    RISKS = "risks", "Whether the actions on risks and opportunities worked"
    IMPROVEMENT = "improvement", "Chances to improve"


def lock_review(review_id):
    """Within a write, hold the review's row until the change is saved."""
    if review_id and transaction.get_connection().in_atomic_block:
        ManagementReview.objects.select_for_update().filter(pk=review_id).exists()


class ManagementReview(Record):
    """One management review: planned, held, its minutes signed by the chair and locked."""

    reference_prefix = "MR"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        HELD = "held", "Held, minutes being written"
        SIGNED = "signed", "Minutes signed"
        CANCELLED = "cancelled", "Cancelled"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    planned_date = models.DateField(db_index=True)
    period_start = models.DateField("period covered from")
    period_end = models.DateField("period covered to")
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A member of top management; the chair signs the minutes.",
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="management_reviews"
    )
    location = models.CharField(max_length=200, blank=True)
    agenda = models.TextField(blank=True)
    held_on = models.DateField("held on", null=True, blank=True)
    minutes = models.TextField(blank=True, help_text="What was discussed.")
    conclusions = models.TextField(
        "conclusions on the QMS",
        blank=True,
        help_text="Does the QMS still fit the organisation, is it enough, does it deliver "
        "what it should, and does it support where the business is heading?",
    )
    pack_generated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The job that builds the pack: a plain id, as jobs are not part of an exported archive.
    pack_job_id = models.PositiveIntegerField(null=True, blank=True, editable=False)
    pack_period_start = models.DateField(null=True, blank=True, editable=False)
    pack_period_end = models.DateField(null=True, blank=True, editable=False)
    signed_on = models.DateField(null=True, blank=True, editable=False)
    cancel_reason = models.TextField(blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = "management review"
        ordering = ["-planned_date", "-id"]

    def clean(self):
        super().clean()
        errors = {}
        if self.period_start and self.period_end:
            if self.period_end < self.period_start:
                errors["period_end"] = "The period ends before it starts."
            elif (self.period_end - self.period_start).days > MAX_PERIOD_DAYS:
                errors["period_end"] = "A review covers at most two years."
        if self.held_on and self.held_on > timezone.localdate():
            errors["held_on"] = "The meeting cannot have been held in the future."
        if self.held_on and self.period_start and self.held_on < self.period_start:
            errors["held_on"] = "The meeting was held before the period it reviews began."
        if self.chair_id and not self.chair.has_role(RoleCode.TOP_MANAGEMENT):
            errors["chair"] = f"{self.chair.full_name} is not in top management."
        if errors:
            raise ValidationError(errors)

    def clean_links(self):
        """Attendees are active people of the organisation, not guests such as the
        registrar's auditor."""
        outsiders = [
            person.full_name
            for person in self.attendees.all()
            if not person.is_active
            or person.access_expires_at is not None
            or person.role_codes == {RoleCode.EXTERNAL_AUDITOR}
        ]
        if outsiders:
            raise ValidationError(
                {"attendees": f"Not a person of the organisation: {', '.join(outsiders)}."}
            )

    def edit_refusal(self):
        if self.status == self.Status.SIGNED:
            return f"{self.reference}'s minutes are signed: the review is locked."
        if self.status == self.Status.CANCELLED:
            return f"{self.reference} was cancelled."
        return super().edit_refusal()

    def attach_refusal(self):
        return self.edit_refusal()

    def archive_refusal(self):
        if self.status == self.Status.SIGNED:
            return "Signed minutes are a record to retain (9.3.3): they are not archived."
        return None

    @property
    def is_locked(self) -> bool:
        return self.status in (self.Status.SIGNED, self.Status.CANCELLED)

    def pack_refusal(self) -> str | None:
        """Why the pack cannot be reviewed as it stands, or None."""
        if not self.pack_generated_at:
            return "Generate the input pack first: the meeting reviews it."
        if (self.pack_period_start, self.pack_period_end) != (self.period_start, self.period_end):
            return "The period changed after the pack was generated: generate it again."
        return None

    def attendance_refusal(self) -> str | None:
        if not any(p.has_role(RoleCode.TOP_MANAGEMENT) for p in self.attendees.all()):
            return "No member of top management is among the attendees."
        return None

    # What the chair signs: the meeting, the minutes, every input as commented and every
    # decision as taken. Later progress on the decisions is not part of it.
    SIGNED_FIELDS = (
        "title",
        "planned_date",
        "period_start",
        "period_end",
        "chair",
        "location",
        "agenda",
        "held_on",
        "minutes",
        "conclusions",
        "pack_generated_at",
    )

    def signed_content(self) -> dict:
        from norma.core.changelog import jsonable

        content = {
            name: self._meta.get_field(name).value_from_object(self) for name in self.SIGNED_FIELDS
        }
        content["attendees"] = sorted(self.attendees.values_list("pk", flat=True))
        content["inputs"] = list(
            self.inputs.order_by("position").values_list(
                "topic", "summary", "figures", "data_missing", "comment", "missing_acknowledged"
            )
        )
        content["decisions"] = list(
            self.decisions.live()
            .order_by("pk")
            .values_list("reference", "kind", "title", "description", "owner", "due_date")
        )
        return jsonable(content)


class ReviewInput(Record):
    """One input of the pack: what the data says for the period, and management's comment."""

    reference_prefix = "MRI"

    class Status(models.TextChoices):
        TO_REVIEW = "to_review", "To review"
        COMMENTED = "commented", "Commented"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.TO_REVIEW, db_index=True
    )
    review = models.ForeignKey(ManagementReview, on_delete=models.PROTECT, related_name="inputs")
    topic = models.CharField(max_length=20, choices=Topic.choices, editable=False)
    position = models.PositiveSmallIntegerField(editable=False)
    summary = models.TextField(editable=False)
    figures = models.JSONField(default=list, editable=False)  # [[label, value], ...]
    details = models.JSONField(default=list, editable=False)  # [[text, reference or ""], ...]
    chart = models.TextField(blank=True, editable=False)  # SVG built by norma.reports.charts
    data_missing = models.BooleanField(default=False, editable=False)
    comment = models.TextField("management's comment", blank=True)
    missing_acknowledged = models.BooleanField(
        "missing data acknowledged",
        default=False,
        help_text="Management has seen that the data for this input is missing.",
    )

    class Meta(Record.Meta):
        verbose_name = "review input"
        ordering = ["review", "position"]
        default_permissions = ("change", "view")  # the pack writes them; people comment
        constraints = [
            models.UniqueConstraint(fields=["review", "topic"], name="reviews_one_input_per_topic")
        ]

    def clean(self):
        super().clean()
        if self.missing_acknowledged and not self.data_missing:
            self.missing_acknowledged = False  # nothing to acknowledge
        self.status = self.Status.COMMENTED if self.comment.strip() else self.Status.TO_REVIEW

    def edit_refusal(self):
        if self.review.is_locked:
            return f"{self.review.reference} is locked: its inputs can no longer be changed."
        return super().edit_refusal()

    def edit_refusal_for(self, person):
        lock_review(self.review_id)  # not commented while the minutes are being signed
        if person.has_perm("reviews.change_managementreview"):
            return None
        return "Only management and the quality team comment on the review's inputs."

    def attach_refusal(self):
        return self.edit_refusal()

    def archive_refusal(self):
        return f"{self.reference} is part of {self.review.reference}'s pack: it is not archived."

    def signing_refusal(self) -> str | None:
        """What stops the chair signing, for this input."""
        if not self.comment.strip():
            return f"“{self.title}” has no comment from management."
        if self.status != self.Status.COMMENTED:
            return f"“{self.title}” changed when the pack was generated again: confirm the comment."
        if self.data_missing and not self.missing_acknowledged:
            return f"“{self.title}” has missing data that management has not acknowledged."
        return None


class ReviewDecision(Record):
    """An output of the review (9.3.3): a decision on improvement, a change to the QMS or a
    resource need, followed as an action with an owner and a due date."""

    reference_prefix = "MRD"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    class Kind(models.TextChoices):
        IMPROVEMENT = "improvement", "Opportunity for improvement"
        QMS_CHANGE = "qms_change", "Change to the QMS"
        RESOURCES = "resources", "Resource need"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    review = models.ForeignKey(ManagementReview, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    description = models.TextField("what was decided")
    outcome = models.TextField(blank=True, help_text="What was done, and what it brought.")
    completed_on = models.DateField(null=True, blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = "review decision"

    def clean(self):
        super().clean()
        errors = {}
        if not self.owner_id:
            errors["owner"] = "Name who carries the decision out."
        if not self.due_date:
            errors["due_date"] = "Give the date it is due."
        if self.review_id:
            errors.update(self.review_errors())
        if errors:
            raise ValidationError(errors)

    def review_errors(self) -> dict:
        """A decision is taken at a held meeting, and stays with the review that took it."""
        if self.pk is None:
            review = ManagementReview.objects.get(pk=self.review_id)
            if review.status != ManagementReview.Status.HELD:
                return {
                    "review": f"{review.reference} is {review.get_status_display().lower()}: "
                    "decisions are recorded once the meeting is held and until the minutes "
                    "are signed."
                }
        elif type(self).objects.filter(pk=self.pk).exclude(review=self.review_id).exists():
            return {"review": "A decision stays with the review that took it."}
        return {}

    def edit_refusal_for(self, person):
        lock_review(self.review_id)  # not changed while the minutes are being signed
        return None

    def archive_refusal(self):
        if self.review.status == ManagementReview.Status.SIGNED:
            return f"{self.reference} is part of {self.review.reference}'s signed minutes."
        return None

    def edit_refusal(self):
        if self.status != self.Status.OPEN:
            return f"{self.reference} is {self.get_status_display().lower()}."
        if self.review_id and self.review.status == ManagementReview.Status.SIGNED:
            return (
                f"{self.reference} was decided in {self.review.reference}'s signed minutes: "
                "complete or cancel it instead."
            )
        return super().edit_refusal()

    @property
    def done_late(self) -> bool:
        return bool(self.completed_on and self.due_date and self.completed_on > self.due_date)
