"""Root-cause analysis on a nonconformity: the causes of a 5-Whys chain or a fishbone, the
steps of an 8D, and the nonconformities alike it (10.2.1 b)."""

from datetime import timedelta

from django.db.models import Max, Q
from django.utils import timezone

from norma.core.actions import Action, ActionRefused, InvalidInput, NotFound
from norma.improvement.models import Category, Cause, Discipline, Nonconformity

NC = Nonconformity.Status
METHOD = Nonconformity.Method
REPEAT_WINDOW = timedelta(days=365)


def _flag(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "on", "yes")


def _text(data, name, limit, *, required=False) -> str:
    value = str(data.get(name) or "").strip()
    if required and not value:
        raise InvalidInput("Some fields are not valid.", {name: ["This field is required."]})
    if len(value) > limit:
        raise InvalidInput("Some fields are not valid.", {name: [f"At most {limit} characters."]})
    return value


class AnalysisStep(Action):
    """Changes to the analysis are changes to the nonconformity: versioned and logged."""

    permission = "improvement.change_nonconformity"
    offered = False  # the analysis section of the page has its own forms
    statuses = (NC.ANALYSIS,)

    def check_rules(self):
        if self.obj.status not in self.statuses:
            raise ActionRefused(f"The analysis of {self.obj.reference} is not open for changes.")

    def logged_values(self, before):
        return None, {"analysis": self.logged}


class AddCause(AnalysisStep):
    """The next answer of a 5-Whys chain, or a cause on one bone of the fishbone."""

    code = "add-cause"
    label = "Add a cause"

    def apply(self):
        nc, data = self.obj, self.data
        category = str(data.get("category") or "")
        if category and category not in Category.values:
            raise InvalidInput(
                "Some fields are not valid.", {"category": [f"'{category}' is not a 6M category."]}
            )
        if nc.method == METHOD.ISHIKAWA and not category:
            raise InvalidInput(
                "Some fields are not valid.", {"category": ["Choose the bone of the fishbone."]}
            )
        in_round = nc.causes.filter(analysis_round=nc.analysis_round)
        last = in_round.aggregate(last=Max("position"))["last"] or 0
        cause = Cause.objects.create(
            nonconformity=nc,
            analysis_round=nc.analysis_round,
            position=last + 1,
            category=category,
            statement=_text(data, "statement", 500, required=True),
            evidence=_text(data, "evidence", 5000),
            verified=_flag(data.get("verified")),
            is_root=_flag(data.get("is_root")),
            recorded_by=self.actor,
        )
        self.logged = {"added cause": cause.logged()}
        return self.save(nc)


class ChangeCause(AnalysisStep):
    """Verify a cause with its evidence, or mark it as a root cause (or not)."""

    code = "change-cause"
    label = "Change a cause"

    def cause(self):
        try:
            return self.obj.causes.get(
                pk=int(self.data.get("cause") or 0), analysis_round=self.obj.analysis_round
            )
        except (Cause.DoesNotExist, ValueError):
            raise NotFound("No such cause in the current analysis.") from None

    def apply(self):
        cause = self.cause()
        before = cause.logged()
        if "evidence" in self.data:
            cause.evidence = _text(self.data, "evidence", 5000)
        for name in ("verified", "is_root"):
            if name in self.data:
                setattr(cause, name, _flag(self.data[name]))
        cause.save()
        self.logged = {"cause before": before, "cause after": cause.logged()}
        return self.save(self.obj)


class RemoveCause(ChangeCause):
    code = "remove-cause"
    label = "Remove a cause"

    def apply(self):
        cause = self.cause()
        self.logged = {"removed cause": cause.logged()}
        cause.delete()
        return self.save(self.obj)


class RecordEightDStep(AnalysisStep):
    """Notes on one discipline of an 8D, and whether it is complete."""

    code = "eight-d"
    label = "Record an 8D step"
    statuses = (NC.ANALYSIS, NC.ACTION_PLAN, NC.IMPLEMENTATION, NC.VERIFICATION)
    LATER = range(5, 8)  # D5 to D7 follow the fix; D0 to D4 belong to the analysis

    def check_rules(self):
        super().check_rules()
        if self.obj.method != METHOD.EIGHT_D:
            raise ActionRefused(f"{self.obj.reference} is not analysed as an 8D.")

    def apply(self):
        try:
            discipline = int(self.data.get("discipline"))
        except (TypeError, ValueError):
            discipline = -1
        if discipline not in Discipline.values or discipline == Discipline.D8:
            raise InvalidInput(
                "Some fields are not valid.",
                {"discipline": ["Give a discipline from D0 to D7 (D8 is the closure)."]},
            )
        if discipline not in self.LATER and self.obj.status != NC.ANALYSIS:
            raise ActionRefused(
                f"D0 to D4 are the analysis, which {self.obj.reference} has completed."
            )
        step = self.obj.eight_d_steps.get(discipline=discipline)
        step.notes = _text(self.data, "notes", 10000, required=_flag(self.data.get("done")))
        done = _flag(self.data.get("done"))
        step.done_on = (step.done_on or timezone.localdate()) if done else None
        step.done_by = self.actor if done else None
        step.save()
        self.logged = {"8D": step.get_discipline_display(), "notes": step.notes, "done": done}
        return self.save(self.obj)


ANALYSIS_ACTIONS = [AddCause, ChangeCause, RemoveCause, RecordEightDStep]


# -- alike ----------------------------------------------------------------------------------
def alike(nc, person, limit=10):
    """Other nonconformities with the same process, a shared clause or a root cause of the
    same category, newest first: where it has happened before, or may again."""
    categories = nc.causes.filter(is_root=True).exclude(category="").values("category")
    sharing_a_clause = Nonconformity.clauses.through.objects.filter(
        clause__in=nc.clauses.values("pk")
    ).values("nonconformity_id")
    same_cause = Cause.objects.filter(is_root=True, category__in=categories).values(
        "nonconformity_id"
    )
    # IN lists rather than joins: each is read once, and the newest matches come first.
    match = Q(pk__in=sharing_a_clause) | Q(pk__in=same_cause)
    if nc.process_id:
        match |= Q(process_id=nc.process_id)
    others = Nonconformity.objects.visible_to(person).exclude(pk=nc.pk).filter(match)
    return others.select_related("process").order_by("-detected_on", "-id")[:limit]


def earlier_alike(nc):
    """The latest nonconformity of the same process and a shared clause in the year before
    this one: the nonconformity is then a repeat."""
    if not nc.process_id:
        return None
    since = nc.detected_on - REPEAT_WINDOW
    earlier = Nonconformity.objects.filter(
        process_id=nc.process_id,
        clauses__in=nc.clauses.values("pk"),
        detected_on__range=(since, nc.detected_on),
    ).exclude(pk=nc.pk)
    return earlier.exclude(status=NC.CANCELLED).order_by("-detected_on", "-id").first()


def fishbone_bones(nc):
    """(category label, [(statement, verified, root)]) for each 6M bone, in the usual order."""
    causes = nc.causes.filter(analysis_round=nc.analysis_round)
    bones = {value: [] for value in Category.values}
    for cause in causes:
        if cause.category:
            bones[cause.category].append((cause.statement, cause.verified, cause.is_root))
    return [(Category(value).label, bones[value]) for value in Category.values]
