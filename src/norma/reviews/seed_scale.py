"""Scale data for management review (`norma seed --scale large`): last year's review, signed,
with 40 decisions (most done), and this year's review planned, both with their packs built
from the scale data, so the review page and the minutes can be measured."""

import time
from datetime import timedelta

from django.utils import timezone

from norma.core.models import Person, RoleCode, SignatureMeaning
from norma.core.seeding import with_references, write
from norma.core.signatures import add_signature
from norma.documents.models import add_months
from norma.reviews.models import ManagementReview, ReviewDecision
from norma.reviews.pack import build_sections, store

DECISIONS = 40


def seed_reviews(org) -> dict[str, int]:
    today = timezone.localdate()
    chair = Person.objects.filter(groups__role__code=RoleCode.TOP_MANAGEMENT).first()
    chair = chair or org.people[0]
    held = add_months(today, -11)
    last = review(f"Management review {held.year}", held, add_months(held, -12), held, chair)
    timed_pack(org, last)
    last.inputs.update(comment="Reviewed at the meeting.", status="commented")
    last.inputs.filter(data_missing=True).update(missing_acknowledged=True)
    decisions = [
        ReviewDecision(
            review=last,
            kind=ReviewDecision.Kind.values[n % 3],
            title=f"Decision {n + 1}",
            description="Decided at the review.",
            owner=org.people[(n * 53) % len(org.people)],
            due_date=held + timedelta(days=30 + 7 * n),
            status="done" if n % 4 else "open",
            completed_on=held + timedelta(days=20 + 7 * n) if n % 4 else None,
            outcome="Done as decided." if n % 4 else "",
        )
        for n in range(DECISIONS)
    ]
    write(ReviewDecision, with_references(ReviewDecision, decisions))
    ManagementReview.objects.filter(pk=last.pk).update(
        status="signed", held_on=held, signed_on=held, minutes="Every input reviewed."
    )
    last.refresh_from_db()
    add_signature(last, chair, SignatureMeaning.APPROVED)
    # A whole year, the span the issue times: "a year of a large organisation in under 10 s".
    year_ago = add_months(today, -12)
    current = review("Management review", today + timedelta(days=14), year_ago, today, chair)
    timed_pack(org, current)
    return {"management reviews": 2, "review decisions": DECISIONS}


def review(title, day, start, end, chair) -> ManagementReview:
    found = ManagementReview(
        title=title,
        planned_date=day,
        period_start=start + timedelta(days=1),
        period_end=end,
        chair=chair,
        owner=chair,
        status="planned",
    )
    write(ManagementReview, with_references(ManagementReview, [found]))
    return ManagementReview.objects.get(reference=found.reference)


def timed_pack(org, found):
    started = time.monotonic()
    store(found, build_sections(found))
    if org.progress:
        org.progress(f"review pack {found.reference}: {time.monotonic() - started:.1f} s")
