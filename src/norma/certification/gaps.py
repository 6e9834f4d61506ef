"""The gap analysis, step by step: start an assessment (one answer per clause of the
standard, those excluded in 4.3 answered "not applicable"), answer each clause, give every
gap an action, complete it; the actions are then followed to done."""

from django.utils import timezone

from norma.certification.models import GapAction, GapAnswer, GapAssessment
from norma.core.actions import ActionRefused, CreateRecord, NotPermitted, Transition
from norma.core.changelog import Change, record_changes, snapshot
from norma.core.models.records import reserve_references
from norma.standards import readiness
from norma.standards.models import Clause

S = GapAssessment.Status


def assessed_clauses(standard):
    """The clauses answered one by one: those with no sub-clauses (a heading is judged
    through its parts)."""
    return Clause.objects.filter(standard=standard, children__isnull=True).order_by("sort_key")


def previous_answers(assessment) -> dict[int, GapAnswer]:
    """The answers of the last completed assessment before this one, by clause."""
    earlier = (
        GapAssessment.objects.live()
        .filter(status=S.COMPLETED, standard=assessment.standard, pk__lt=assessment.pk)
        .order_by("-completed_on", "-pk")
        .first()
    )
    if earlier is None:
        return {}
    return {a.clause_id: a for a in earlier.answers.all()}


class StartAssessment(CreateRecord):
    """Start a run of the gap analysis: every clause to answer, exclusions answered."""

    def __init__(self, actor, model=GapAssessment, **kwargs):
        super().__init__(actor, model, **kwargs)

    def check_rules(self):
        running = GapAssessment.objects.live().filter(status=S.IN_PROGRESS)
        if running.exists():
            raise ActionRefused(
                f"{running.first().reference} is still in progress: complete it first."
            )

    def apply(self):
        if not self.data.get("standard"):
            from norma.standards.models import Standard

            self.data["standard"] = Standard.objects.get(slug=readiness.DEFAULT_STANDARD)
        assessment = super().apply()
        excluded = readiness.exclusions()
        clauses = list(assessed_clauses(assessment.standard))
        references = reserve_references(GapAnswer.reference_prefix, len(clauses))
        answers = []
        for clause, reference in zip(clauses, references, strict=True):
            exclusion = readiness.excluded_by(clause.ref, excluded)
            answer = GapAnswer.Answer.NOT_APPLICABLE if exclusion else GapAnswer.Answer.UNANSWERED
            answers.append(
                GapAnswer(
                    reference=reference,
                    title=f"{clause.ref} {clause.display_title}",
                    assessment=assessment,
                    clause=clause,
                    answer=answer,
                    status=answer,
                    notes=exclusion.sentence if exclusion else "",
                    owner=assessment.owner,
                    created_by=self.actor,
                )
            )
        GapAnswer.objects.bulk_create(answers)
        record_changes([Change(a, "create", after=snapshot(a)) for a in answers])
        return assessment


class CompleteAssessment(Transition):
    """Every clause answered, and every gap with an action: the assessment is kept as is."""

    code = "complete"
    label = "Complete the assessment"
    permission = "certification.change_gapassessment"
    sources = (S.IN_PROGRESS,)
    target = S.COMPLETED
    optional_fields = ("summary",)

    def check_step(self):
        answers = self.obj.answers.all()
        left = answers.filter(answer=GapAnswer.Answer.UNANSWERED).count()
        if left:
            raise ActionRefused(f"{left} clause{'s are' if left > 1 else ' is'} not answered yet.")
        needing = answers.filter(answer__in=GapAnswer.NEEDS_ACTION).prefetch_related("actions")
        bare = [  # a cancelled action closes no gap
            a.clause.ref
            for a in needing.select_related("clause")
            if all(x.status == GapAction.Status.CANCELLED for x in a.actions.all())
        ]
        if bare:
            raise ActionRefused(f"Give each gap an action first: {', '.join(bare[:8])}.")

    def prepare(self):
        self.obj.completed_on = timezone.localdate()


ASSESSMENT_ACTIONS = [CompleteAssessment]


class AddGapAction(CreateRecord):
    """An action for a clause answered "gap" or "partly", while its assessment runs."""

    def __init__(self, actor, model=GapAction, **kwargs):
        super().__init__(actor, model, **kwargs)

    def check_rules(self):
        answer = self.data.get("answer")
        if isinstance(answer, GapAnswer) and answer.assessment.status == S.COMPLETED:
            raise ActionRefused(f"{answer.assessment.reference} is completed.")

    def apply(self):
        answer = self.data.get("answer")
        if isinstance(answer, GapAnswer):
            self.data.setdefault("site", answer.site)
        return super().apply()


class GapActionStep(Transition):
    """Its owner, or whoever manages gap actions, says how it ended."""

    permission = None
    sources = (GapAction.Status.OPEN,)

    def check_step(self):
        if self.obj.owner_id != self.actor.pk and not self.actor.has_perm(
            "certification.change_gapaction"
        ):
            raise NotPermitted("Only the action's owner or the quality team closes it.")

    def prepare(self):
        self.obj.completed_on = timezone.localdate()


class CompleteGapAction(GapActionStep):
    code = "complete"
    label = "Mark the action done"
    fields = ("outcome",)
    target = GapAction.Status.DONE


class CancelGapAction(GapActionStep):
    code = "cancel"
    label = "Cancel the action"
    reason_required = True
    target = GapAction.Status.CANCELLED

    def prepare(self):
        super().prepare()
        self.obj.outcome = f"Cancelled: {self.reason}"


GAP_ACTION_ACTIONS = [CompleteGapAction, CancelGapAction]
