"""The input pack: every input of 9.3.2 read from the registers for the review's period, as a
background job with progress. The pack is stored with the review, so its page shows it without
reading the registers again; management's comments survive a regeneration."""

import time
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from norma.core.changelog import record_change, snapshot
from norma.reviews import sections, sections_support
from norma.reviews.models import ManagementReview, ReviewInput, Topic

BUILDERS = {
    Topic.PREVIOUS_ACTIONS: sections.previous_actions,
    Topic.CONTEXT: sections.context_changes,
    Topic.CUSTOMERS: sections.customer_feedback,
    Topic.OBJECTIVES: sections.objectives_met,
    Topic.PROCESSES: sections.process_performance,
    Topic.NONCONFORMITIES: sections.nonconformities,
    Topic.MONITORING: sections_support.monitoring,
    Topic.AUDITS: sections_support.audit_results,
    Topic.PROVIDERS: sections_support.providers,
    Topic.RESOURCES: sections_support.resources,
    Topic.RISKS: sections_support.risks,
    Topic.IMPROVEMENT: sections_support.improvement,
}
assert list(BUILDERS) == list(Topic), "one builder per input, in the order of the pack"


def build_sections(review) -> dict[str, sections.Section]:
    period = sections.Period(review.period_start, review.period_end)
    return {topic: build(review, period) for topic, build in BUILDERS.items()}


def generate_pack(job, review_id: int):
    """The job: build each input, then store them all in one transaction."""
    review = ManagementReview.objects.get(pk=review_id)
    period = sections.Period(review.period_start, review.period_end)
    job.progress(0, total=len(BUILDERS) + 1, force=True)
    built, timings = {}, {}
    for done, (topic, build) in enumerate(BUILDERS.items(), start=1):
        started = time.monotonic()
        built[topic] = build(review, period)
        timings[topic] = round(time.monotonic() - started, 2)
        job.log(f"{Topic(topic).label}: {timings[topic]} s")
        job.progress(done)
    missing = store(review, built)
    job.progress(len(BUILDERS) + 1, force=True)
    return {
        "review": review.reference,
        "inputs": len(built),
        "missing": missing,
        "seconds": round(sum(timings.values()), 2),
    }


def store(review, built: dict) -> list[str]:
    """Write the inputs (keeping comments) and stamp the review; refused once it is locked."""
    with transaction.atomic():
        review = ManagementReview.objects.select_for_update().get(pk=review.pk)
        if review.is_locked:
            raise ValueError(f"{review.reference} is locked: its pack is kept as signed.")
        existing = {i.topic: i for i in review.inputs.select_for_update()}
        for position, (topic, section) in enumerate(built.items(), start=1):
            store_input(review, existing.get(topic), topic, position, section)
        before = snapshot(review)
        review.pack_generated_at = timezone.now()
        review.pack_period_start, review.pack_period_end = review.period_start, review.period_end
        review.version += 1
        review.save(
            update_fields=[
                "pack_generated_at",
                "pack_period_start",
                "pack_period_end",
                "version",
                "updated_at",
            ]
        )
        missing = [Topic(t).label for t, s in built.items() if s.missing]
        record_change(
            review, "generate-pack", before=before, after={**snapshot(review), "missing": missing}
        )
    return missing


def plain(value):
    """Figures are kept as JSON: averages of decimal fields become numbers."""
    return float(value) if isinstance(value, Decimal) else value


GENERATED = ["title", "position", "summary", "figures", "details", "chart", "data_missing"]


def store_input(review, item, topic, position, section):
    """Write what the data says; a comment written on different figures must be confirmed."""
    before = snapshot(item) if item else None
    if item is None:
        item = ReviewInput(review=review, topic=topic, owner=review.chair)
        item.assign_reference()
    else:
        item.version += 1
    item.title = Topic(topic).label
    item.position = position
    item.summary = section.summary
    item.figures = [[str(label), plain(value)] for label, value in section.figures]
    item.details = [[text, reference] for text, reference in section.details]
    item.chart = str(section.chart)
    item.data_missing = section.missing
    if before and [before.get(n) for n in ("summary", "figures")] != [item.summary, item.figures]:
        item.status = ReviewInput.Status.TO_REVIEW
    if not item.data_missing:
        item.missing_acknowledged = False
    if before is None:
        item.save()
    else:  # the comment is the person's: never written back from what was read before
        fields = [*GENERATED, "status", "missing_acknowledged", "version", "updated_at"]
        item.save(update_fields=fields)
    code = "generate" if before is None else "regenerate"
    record_change(item, code, before=before, after=snapshot(item))
