"""The road to the certificate, read from the data: the roadmap's milestones, and whether the
organisation is ready for stage 1 and stage 2 (the readiness engine's clause results plus
the prerequisites registrars look for)."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone

from norma.audits.readiness import current_programme, programme_covers_the_scope
from norma.certification.models import CertificationBody, CertificationCycle, ExternalAudit
from norma.core.models import Person, RoleCode
from norma.documents.models import add_months
from norma.documents.readiness import mandatory_documents_linked
from norma.improvement.models import Nonconformity
from norma.improvement.models.nonconformities import Source
from norma.planning.models import Kpi
from norma.reviews.models import ManagementReview
from norma.reviews.readiness import review_held_at_planned_intervals
from norma.standards import readiness
from norma.standards.readiness import CheckResult, Status

# The clauses stage 1 looks at: the system as designed and documented, before it is run.
STAGE_1_CLAUSES = ("4", "5", "6", "7.5")
DONE, STARTED, NOT_STARTED = "done", "started", "not_started"
PROGRESS = {Status.MET: DONE, Status.PARTLY_MET: STARTED, Status.NOT_APPLICABLE: DONE}


@dataclass
class Gap:
    text: str
    url: str = ""
    sentence: str = ""


@dataclass
class Prerequisite:
    title: str
    met: bool
    sentence: str
    url: str = ""


@dataclass
class StageReadiness:
    stage: str
    prerequisites: list[Prerequisite]
    gaps: list[Gap] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.gaps


@dataclass
class Milestone:
    title: str
    state: str  # done, started, not_started
    sentence: str
    url: str = ""


def _from_check(title: str, result: CheckResult) -> Prerequisite:
    url = result.evidence[0].url if result.evidence else ""
    return Prerequisite(title, result.status == Status.MET, result.sentence, url)


def results_cover_a_cycle(months: int | None = None) -> Prerequisite:
    """Every KPI measured has results from at least `months` ago up to the last `months`:
    the system has run for one full cycle with records (objectives are followed through
    their KPIs)."""
    months = months or settings.NORMA_CERTIFICATION_RESULTS_MONTHS
    today = timezone.localdate()
    since = add_months(today, -months)
    kpis = list(
        Kpi.objects.live()
        .filter(status=Kpi.Status.ACTIVE)
        .annotate(first=Min("measurements__measured_at"), last=Max("measurements__measured_at"))
        .values_list("reference", "first", "last")
    )
    title = f"KPI and objective results over {months} months"
    url = reverse("planning:kpi_list")
    if not kpis:
        return Prerequisite(title, False, "No KPI is measured yet.", url)
    short = [
        ref
        for ref, first, last in kpis
        if first is None or first.date() > since or last.date() < since
    ]
    if short:
        return Prerequisite(
            title,
            False,
            f"{len(short)} of {len(kpis)} KPIs have no results from {since:%-d %B %Y} until "
            f"recently: {', '.join(short[:5])}.",
            url,
        )
    return Prerequisite(title, True, f"All {len(kpis)} KPIs have results since {since}.", url)


def no_open_major_nonconformity() -> Prerequisite:
    open_majors = list(
        Nonconformity.objects.live()
        .filter(status__in=Nonconformity.OPEN, severity=Nonconformity.Severity.MAJOR)
        .exclude(source=Source.EXTERNAL_AUDIT)
        .values_list("reference", flat=True)[:6]
    )
    title = "No open major nonconformity"
    url = reverse("improvement:nonconformity_list") + "?severity=major"
    if open_majors:
        shown = ", ".join(open_majors[:5])
        return Prerequisite(title, False, f"Still open: {shown}.", url)
    return Prerequisite(title, True, "Every major nonconformity found is closed.", url)


def review_planned_or_held() -> Prerequisite:
    reviews = ManagementReview.objects.live().exclude(status=ManagementReview.Status.CANCELLED)
    url = reverse("reviews:managementreview_list")
    title = "A management review planned or held"
    if reviews.exists():
        return Prerequisite(title, True, "A management review is on record.", url)
    return Prerequisite(title, False, "No management review is planned.", url)


def programme_approved() -> Prerequisite:
    programme = current_programme()
    url = reverse("audits:auditprogramme_list")
    title = "An approved internal audit programme"
    if programme:
        return Prerequisite(title, True, f"{programme.reference} covers today.", url)
    return Prerequisite(title, False, "No approved audit programme covers today.", url)


def _clause_gaps(report, prefixes=None) -> list[Gap]:
    """Clauses the readiness engine finds missing (stage 2 also stops at partly met)."""
    rows = [r for r in report.rows if r.results and r.clause.depth > 0]
    if prefixes:
        rows = [
            r
            for r in rows
            if any(r.clause.ref == p or r.clause.ref.startswith(p + ".") for p in prefixes)
        ]
    wanted = (Status.MISSING,) if prefixes else (Status.MISSING, Status.PARTLY_MET)
    return [
        Gap(
            f"{r.clause.ref} {r.clause.display_title}: {sentence}",
            reverse("standards:clause", args=[r.clause.standard.slug, r.clause.ref]),
            sentence,
        )
        for r in rows
        if r.status in wanted and not r.children
        for sentence in [" ".join(x.sentence for x in r.results if x.status in wanted)]
    ]


def stage_readiness(person, report=None) -> tuple[StageReadiness, StageReadiness]:
    report = report or readiness.evaluate(person)
    documents = _from_check(
        "Mandatory documented information in force", mandatory_documents_linked(person)
    )
    stage_1 = StageReadiness("Stage 1", [documents, programme_approved(), review_planned_or_held()])
    stage_2 = StageReadiness(
        "Stage 2",
        [
            documents,
            _from_check("A full internal audit reported", programme_covers_the_scope(person)),
            _from_check("A management review held", review_held_at_planned_intervals(person)),
            results_cover_a_cycle(),
            no_open_major_nonconformity(),
        ],
    )
    for stage, clauses in ((stage_1, STAGE_1_CLAUSES), (stage_2, None)):
        unmet = [p for p in stage.prerequisites if not p.met]
        said = {p.sentence for p in unmet}  # a clause gap that repeats one is not listed twice
        stage.gaps = [Gap(f"{p.title}: {p.sentence}", p.url) for p in unmet] + [
            gap for gap in _clause_gaps(report, clauses) if gap.sentence not in said
        ]
    return stage_1, stage_2


def _clause_state(report, *refs) -> tuple[str, str]:
    rows = [r for r in report.rows if r.clause.ref in refs]
    status = readiness.worst(r.status for r in rows)
    state = PROGRESS.get(status, NOT_STARTED)
    missing = [r.clause.ref for r in rows if PROGRESS.get(r.status, NOT_STARTED) != DONE]
    sentence = f"Still to do: {', '.join(missing)}." if missing else "Clauses met."
    return state, sentence


def roadmap(person, report=None, stages=None) -> list[Milestone]:
    """From deciding to certify to the certificate, each milestone's state read from data."""
    report = report or readiness.evaluate(person)
    stage_1, stage_2 = stages or stage_readiness(person, report)
    url = lambda name: reverse(name)  # noqa: E731
    lead = Person.objects.filter(
        is_active=True, groups__role__code=RoleCode.QUALITY_MANAGER
    ).first()
    steps = [
        Milestone(
            "Decide to certify and appoint a QMS lead",
            DONE if lead else NOT_STARTED,
            f"{lead.full_name} leads the QMS."
            if lead
            else "Nobody holds the quality manager role.",
            url("core:people"),
        )
    ]
    for title, refs in (
        ("Context, scope and processes", ("4.1", "4.2", "4.3", "4.4")),
        ("Quality policy and objectives", ("5.2", "6.2")),
        ("Documented information", ("7.5",)),
        ("Train internal auditors and staff", ("7.2", "7.3")),
    ):
        state, sentence = _clause_state(report, *refs)
        steps.append(Milestone(title, state, sentence, url("standards:readiness")))
    results = results_cover_a_cycle()
    steps.append(
        Milestone(
            "Run a full production cycle with records",
            DONE if results.met else STARTED,
            results.sentence,
            results.url,
        )
    )
    audit = stage_2.prerequisites[1]
    steps.append(
        Milestone(
            "Internal audit of the whole scope",
            DONE if audit.met else (STARTED if current_programme() else NOT_STARTED),
            audit.sentence,
            audit.url,
        )
    )
    review = stage_2.prerequisites[2]
    steps.append(
        Milestone(
            "Management review",
            DONE if review.met else (STARTED if stage_1.prerequisites[2].met else NOT_STARTED),
            review.sentence,
            review.url,
        )
    )
    body = CertificationBody.objects.live().filter(status=CertificationBody.Status.ACTIVE)
    chosen = body.first()
    steps.append(
        Milestone(
            "Choose a registrar",
            DONE if chosen else NOT_STARTED,
            f"{chosen.title} ({chosen.accreditation_body})." if chosen else "No registrar yet.",
            url("certification:certificationbody_list"),
        )
    )
    held = set(
        ExternalAudit.objects.live()
        .filter(status=ExternalAudit.Status.HELD)
        .values_list("kind", flat=True)
    )
    planned = set(
        ExternalAudit.objects.live()
        .exclude(status=ExternalAudit.Status.CANCELLED)
        .values_list("kind", flat=True)
    )
    for kind, title in (("stage_1", "Stage 1 audit"), ("stage_2", "Stage 2 audit")):
        state = DONE if kind in held else (STARTED if kind in planned else NOT_STARTED)
        sentence = {DONE: "Held.", STARTED: "Planned.", NOT_STARTED: "Not planned yet."}[state]
        steps.append(Milestone(title, state, sentence, url("certification:externalaudit_list")))
    certified = (
        CertificationCycle.objects.live()
        .filter(status=CertificationCycle.Status.CERTIFIED)
        .order_by("-decision_date")
        .first()
    )
    steps.append(
        Milestone(
            "Certificate",
            DONE if certified else NOT_STARTED,
            f"{certified.certificate_number or certified.reference}, expires "
            f"{certified.expiry_date:%-d %B %Y}."
            if certified
            else "Not certified yet.",
            url("certification:certificationcycle_list"),
        )
    )
    return steps
