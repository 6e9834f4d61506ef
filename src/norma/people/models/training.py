"""7.2: the course catalogue, training records and their effectiveness, training plans and
the assignments they give people."""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from norma.core.models import Record
from norma.documents.models import add_months


def place_with(record, person):
    """A record about a person is placed where they work, so the sites and departments that
    limit who may read it are the person's own."""
    record.site_id, record.department_id = person.site_id, person.department_id


class Course(Record):
    """A course in the catalogue, internal or external, and how long its training stays valid."""

    reference_prefix = "CRS"

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        RETIRED = "retired", "No longer offered"

    class Delivery(models.TextChoices):
        INTERNAL = "internal", "Internal"
        EXTERNAL = "external", "External"

    class Qualifies(models.TextChoices):
        NONE = "", "Nothing"
        INTERNAL_AUDITOR = "internal_auditor", "Internal auditor"
        LEAD_AUDITOR = "lead_auditor", "Lead auditor"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.OFFERED, db_index=True
    )
    delivery = models.CharField(max_length=10, choices=Delivery.choices)
    provider = models.CharField(max_length=200, blank=True)
    duration_hours = models.DecimalField(
        "duration (hours)", max_digits=6, decimal_places=1, null=True, blank=True
    )
    validity_months = models.PositiveSmallIntegerField(
        "valid for (months)",
        null=True,
        blank=True,
        help_text="Refresher interval; empty: the training does not expire.",
    )
    cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(
        "score out of",
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="Empty: the course is not scored.",
    )
    pass_score = models.DecimalField(
        "pass mark", max_digits=6, decimal_places=1, null=True, blank=True
    )
    evaluate_after_days = models.PositiveSmallIntegerField(
        "evaluate effectiveness after (days)",
        null=True,
        blank=True,
        default=90,
        help_text="When the trainee's manager judges whether it worked (7.2 c); empty: never.",
    )
    qualifies = models.CharField(
        "qualifies as",
        max_length=20,
        choices=Qualifies.choices,
        blank=True,
        help_text="Passing it counts towards an auditor qualification.",
    )
    documents = models.ManyToManyField(
        "documents.Document",
        blank=True,
        related_name="courses",
        help_text="A new effective revision of one of these re-assigns the course.",
    )

    class Meta(Record.Meta):
        verbose_name = "course"

    def clean(self):
        super().clean()
        if self.pass_score is not None and self.max_score is None:
            raise ValidationError({"max_score": "Give the scale the pass mark is out of."})
        if None not in (self.pass_score, self.max_score) and self.pass_score > self.max_score:
            raise ValidationError(
                {"pass_score": f"The pass mark cannot exceed the maximum score ({self.max_score})."}
            )

    def expiry_from(self, day: date) -> date | None:
        return add_months(day, self.validity_months) if self.validity_months else None


class Result(models.TextChoices):
    PASSED = "passed", "Passed"
    ATTENDED = "attended", "Attended"
    FAILED = "failed", "Failed"


# Training that counts as having the course (attendance counts for unscored courses).
COUNTS = (Result.PASSED, Result.ATTENDED)


class TrainingRecord(Record):
    """Evidence of one person's training on one course (7.2 d, a record to retain). Its owner
    is the trainee's manager, who judges its effectiveness when it falls due."""

    reference_prefix = "TRN"

    class Status(models.TextChoices):
        RECORDED = "recorded", "Recorded"
        EFFECTIVE = "effective", "Judged effective"
        NOT_EFFECTIVE = "not_effective", "Judged not effective"

    title = models.CharField(max_length=250, blank=True, editable=False)
    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.RECORDED, db_index=True
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_records"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="training_records")
    completed_on = models.DateField("trained on")
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.PASSED)
    score = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    trainer = models.CharField(max_length=200, blank=True, help_text="A person or a provider.")
    expires_on = models.DateField(
        null=True, blank=True, db_index=True, help_text="Empty: from the course's validity."
    )
    due_date = models.DateField(
        "effectiveness due", null=True, blank=True, db_index=True, editable=False
    )
    evaluation = models.TextField(blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = "training record"
        permissions = [("evaluate_trainingrecord", "Can judge whether training was effective")]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "course", "completed_on"], name="people_training_once_a_day"
            )
        ]
        indexes = [
            models.Index(
                fields=["person", "course", "-completed_on"], name="people_training_latest"
            )
        ]

    def clean(self):
        super().clean()
        course = self.course if self.course_id else None
        if course and self.score is not None:
            if course.max_score is None:
                raise ValidationError({"score": f"{course.title} is not scored; leave it empty."})
            if not 0 <= self.score <= course.max_score:
                raise ValidationError(
                    {"score": f"The score must be between 0 and {course.max_score}."}
                )
            passing = course.pass_score
            if passing is not None and self.score < passing and self.result == Result.PASSED:
                raise ValidationError(
                    {
                        "result": f"A score of {self.score} is below the pass mark "
                        f"({passing}): record the result as failed."
                    }
                )
        if course and self.completed_on:
            self.follow_new_date(course)
            if self.completed_on > timezone.localdate():
                raise ValidationError({"completed_on": "Training cannot be recorded ahead."})
            if self.expires_on and self.expires_on <= self.completed_on:
                raise ValidationError(
                    {"expires_on": f"It must expire after the training ({self.completed_on})."}
                )
            self.expires_on = self.expires_on or course.expiry_from(self.completed_on)
            if self.result in COUNTS and course.evaluate_after_days is not None and not self.pk:
                self.due_date = self.completed_on + timedelta(days=course.evaluate_after_days)
        if self.person_id:
            person = self.person
            place_with(self, person)
            self.owner_id = self.owner_id or person.manager_id
            if course:
                self.title = f"{course.title} — {person.full_name}"[:250]

    def follow_new_date(self, course):
        """A corrected training date moves an expiry that came from the course's validity
        (an expiry given by hand stays)."""
        if not self.pk or not self.expires_on:
            return
        before = TrainingRecord.objects.filter(pk=self.pk).values("completed_on").first()
        moved = before and before["completed_on"] != self.completed_on
        if moved and self.expires_on == course.expiry_from(before["completed_on"]):
            self.expires_on = None  # worked out again below

    @property
    def counts(self) -> bool:
        return self.result in COUNTS

    def save(self, *args, **kwargs):
        new = self._state.adding
        super().save(*args, **kwargs)
        if new:  # training done closes the assignments it fulfils, on every path that saves
            from norma.people.assigning import complete_assignments

            complete_assignments([self])

    @classmethod
    def rows_imported(cls, records):
        """The import writes rows without save(): the same follow-up, for the batch."""
        from norma.people.assigning import complete_assignments

        complete_assignments(records)


class TrainingPlan(Record):
    """A course to be taken by job roles, departments or named people by a date. Issuing it
    gives an assignment to each of them who does not hold the course already."""

    reference_prefix = "TP"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="plans")
    job_roles = models.ManyToManyField("people.JobRole", blank=True, related_name="+")
    departments_trained = models.ManyToManyField(
        "core.Department", blank=True, related_name="+", verbose_name="departments"
    )
    people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    due_date = models.DateField("complete by", db_index=True)

    class Meta(Record.Meta):
        verbose_name = "training plan"


class TrainingAssignment(Record):
    """One person asked to take one course by a date; done when they hold a training record
    for it dated on or after the assignment."""

    reference_prefix = "TA"

    class Status(models.TextChoices):
        OPEN = "open", "To do"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    class Reason(models.TextChoices):
        PLAN = "plan", "Training plan"
        REVISION = "revision", "New document revision"
        GAP = "gap", "Competence gap"
        RETRAINING = "retraining", "Training not effective"

    title = models.CharField(max_length=250, blank=True, editable=False)
    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_assignments"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="assignments")
    reason = models.CharField(max_length=12, choices=Reason.choices, default=Reason.GAP)
    cause = models.CharField(
        max_length=250, blank=True, help_text="e.g. the plan or the revision behind it."
    )
    assigned_on = models.DateField(default=timezone.localdate, editable=False)
    due_date = models.DateField("complete by", db_index=True)
    training_record = models.ForeignKey(
        TrainingRecord, null=True, blank=True, on_delete=models.PROTECT, editable=False
    )

    class Meta(Record.Meta):
        verbose_name = "training assignment"
        indexes = [models.Index(fields=["person", "course", "status"], name="people_assign_open")]

    def clean(self):
        super().clean()
        if self.person_id:
            place_with(self, self.person)
            self.owner_id = self.person_id
            if self.course_id:
                self.title = f"{self.course.title} — {self.person.full_name}"[:250]
