"""State changes of training records, plans and assignments."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from norma.core.actions import Action, ActionRefused, NotPermitted
from norma.core.duties import require_different_people
from norma.core.models import Person, RoleCode
from norma.people.assigning import assign
from norma.people.models import (
    Course,
    JobRole,
    Requirement,
    TrainingAssignment,
    TrainingPlan,
    TrainingRecord,
)


class JudgeTraining(Action):
    """Whether training worked (7.2 c), judged by the trainee's manager (or the quality
    manager), never by the trainee; the reason carries the evidence. It falls due after the
    course's delay (the manager's task), and may be judged earlier when the evidence is in."""

    permission = "people.evaluate_trainingrecord"
    reason_required = True
    outcome: str

    def check_rules(self):
        record = self.obj
        if record.is_archived:
            raise ActionRefused(f"{record.reference} is archived.")
        if record.status != TrainingRecord.Status.RECORDED:
            raise ActionRefused(f"{record.reference} has been judged already.")
        if not record.counts:
            raise ActionRefused("Training that was failed is not judged for effectiveness.")
        require_different_people(record.person, self.actor, "judge_own_training")
        is_manager = record.person.manager_id == self.actor.pk
        if not (is_manager or self.actor.has_role(RoleCode.QUALITY_MANAGER)):
            raise NotPermitted("The trainee's manager or the quality manager judges this.")

    def apply(self):
        self.obj.status = self.outcome
        self.obj.evaluation = self.reason
        self.obj.due_date = None
        return self.save(self.obj)


class JudgeEffective(JudgeTraining):
    code = "effective"
    label = "Judge effective"
    outcome = TrainingRecord.Status.EFFECTIVE


class JudgeNotEffective(JudgeTraining):
    """Not effective: the course is assigned to the person again."""

    code = "not-effective"
    label = "Judge not effective"
    outcome = TrainingRecord.Status.NOT_EFFECTIVE

    def apply(self):
        super().apply()
        due = timezone.localdate() + timedelta(days=settings.NORMA_RETRAINING_DAYS)
        assign(
            self.obj.course,
            [self.obj.person],
            due_date=due,
            reason=TrainingAssignment.Reason.RETRAINING,
            cause=f"{self.obj.reference} judged not effective",
        )
        return self.obj


class IssuePlan(Action):
    """Give everyone the plan reaches an assignment, except who holds the course already."""

    code = "issue"
    label = "Issue the plan"
    permission = "people.change_trainingplan"

    def check_rules(self):
        if self.obj.status != TrainingPlan.Status.DRAFT:
            raise ActionRefused(f"{self.obj.reference} has been issued already.")
        if self.obj.is_archived:
            raise ActionRefused(f"{self.obj.reference} is archived.")
        if self.obj.course.status != Course.Status.OFFERED:
            raise ActionRefused(f"{self.obj.course.title} is no longer offered.")
        if not self.reached().exists():
            raise ActionRefused("The plan reaches nobody: name job roles, departments or people.")

    def reached(self):
        plan = self.obj
        named = Q(pk__in=plan.people.values("pk"))
        by_role = Q(pk__in=Person.objects.filter(job_roles__in=plan.job_roles.all()).values("pk"))
        by_department = Q(department__in=plan.departments_trained.all())
        reached = Person.objects.filter(is_active=True).filter(named | by_role | by_department)
        return self.actor.scope.filter(reached)  # nobody outside the issuer's own sites

    def apply(self):
        plan = self.obj
        count = assign(
            plan.course,
            self.reached(),
            due_date=plan.due_date,
            reason=TrainingAssignment.Reason.PLAN,
            cause=f"{plan.reference} {plan.title}",
            skip_current=True,
        )
        plan.status = TrainingPlan.Status.ISSUED
        self.save(plan)
        self.assigned = count
        return plan


class CancelAssignment(Action):
    code = "cancel"
    label = "Cancel"
    permission = "people.change_trainingassignment"
    reason_required = True

    def check_rules(self):
        if self.obj.status != TrainingAssignment.Status.OPEN:
            raise ActionRefused(f"{self.obj.reference} is no longer open.")

    def apply(self):
        self.obj.status = TrainingAssignment.Status.CANCELLED
        return self.save(self.obj)


class Retire(Action):
    """A course, job role or requirement that is no longer used stays on record, marked so
    (with the reason), and stops counting: no new assignments, no column in the matrix."""

    permission_verb = "change"
    reason_required = True
    to_status: str

    def check_rules(self):
        if self.obj.is_archived:
            raise ActionRefused(f"{self.obj.reference} is archived.")
        if self.obj.status == self.to_status:
            raise ActionRefused(f"{self.obj.reference} is already {self.label.lower()}.")

    def apply(self):
        self.obj.status = self.to_status
        return self.save(self.obj)


class RetireCourse(Retire):
    code = "retire"
    label = "No longer offered"
    to_status = Course.Status.RETIRED


class RetireJobRole(Retire):
    code = "retire"
    label = "No longer used"
    to_status = JobRole.Status.PAST


class DropRequirement(Retire):
    code = "drop"
    label = "No longer required"
    to_status = Requirement.Status.PAST
