"""7.1.2 and 7.2: job roles and the competence each one needs."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from norma.core.models import Record


class Level(models.IntegerChoices):
    """How well a skill or a body of knowledge is held, in four steps."""

    AWARE = 1, "1 · Knows of it"
    SUPERVISED = 2, "2 · Does it under supervision"
    INDEPENDENT = 3, "3 · Does it alone"
    EXPERT = 4, "4 · Teaches and assesses others"


class JobRole(Record):
    """A job in the organisation (machinist, inspector, buyer…): who holds it, and through its
    requirements, what they must know and be able to do."""

    reference_prefix = "JOB"

    class Status(models.TextChoices):
        CURRENT = "current", "Current"
        PAST = "past", "No longer used"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.CURRENT, db_index=True
    )
    purpose = models.TextField(blank=True, help_text="What the role is for, in a sentence.")
    holders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="job_roles", verbose_name="held by"
    )
    in_scope = models.BooleanField(
        "in the QMS scope",
        default=True,
        help_text="Its work affects the conformity of products and services (7.2 a).",
    )

    class Meta(Record.Meta):
        verbose_name = "job role"


class Requirement(Record):
    """One thing a job role needs: an education, a course, experience or a skill, at a level.
    A course requirement is met by a valid passing training record; the others by an
    assessment at the level or above."""

    reference_prefix = "CR"

    class Kind(models.TextChoices):
        EDUCATION = "education", "Education"
        COURSE = "course", "Course"
        EXPERIENCE = "experience", "Experience"
        SKILL = "skill", "Skill"

    class Status(models.TextChoices):
        CURRENT = "current", "Required"
        PAST = "past", "No longer required"

    title = models.CharField(
        max_length=250, blank=True, help_text="Empty for a course: the course's title."
    )
    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.CURRENT, db_index=True
    )
    job_role = models.ForeignKey(JobRole, on_delete=models.PROTECT, related_name="requirements")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    course = models.ForeignKey(
        "people.Course",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requirements",
        help_text="For a course: the course. For the others: a course that closes a gap.",
    )
    level = models.PositiveSmallIntegerField(
        "level needed", choices=Level.choices, default=Level.INDEPENDENT
    )

    class Meta(Record.Meta):
        verbose_name = "competence requirement"

    def clean(self):
        super().clean()
        if self.kind == self.Kind.COURSE and not self.course_id:
            raise ValidationError({"course": "A course requirement names its course."})
        if not self.title:
            if not self.course_id:
                raise ValidationError({"title": "Say what is required."})
            self.title = self.course.title
        if self.job_role_id:
            self.site_id, self.department_id = self.job_role.site_id, self.job_role.department_id

    @property
    def label(self) -> str:
        """Column heading in the matrix."""
        if self.kind == self.Kind.COURSE:
            return self.title
        return f"{self.title} (≥ {self.level})"
