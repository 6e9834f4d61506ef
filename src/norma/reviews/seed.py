"""Demo data for management review, made by the real actions: last year's review, signed by
the chair, whose three decisions were followed through this year (one still open), and this
year's review with its pack generated from the demo's registers, two inputs commented."""

from datetime import timedelta

from django.utils import timezone

from norma.core.actions import CreateRecord, UpdateRecord
from norma.core.seeding import DEMO_PASSWORD
from norma.documents.models import add_months
from norma.jobs.models import Job
from norma.jobs.runner import execute
from norma.reviews import workflow
from norma.reviews.models import ManagementReview, ReviewDecision

AGENDA = (
    "1. Actions from the previous review\n2. Context, customers and objectives\n"
    "3. Process performance, nonconformities, audits and suppliers\n"
    "4. Resources, risks and opportunities\n5. Decisions"
)

DECISIONS = [
    (
        ReviewDecision.Kind.RESOURCES,
        "Second CMM operator for the Porto plant",
        "Train a second operator on the coordinate measuring machine so inspection does "
        "not stop when one is away.",
        "Sofia Lima",
        12,
        "Operator trained and signed off; inspection covered on both shifts.",
    ),
    (
        ReviewDecision.Kind.QMS_CHANGE,
        "Supplier scorecard weights delivery at 40 %",
        "Late deliveries cost more than minor quality slips last year: weight delivery more.",
        "Amira Haddad",
        13,
        "Scorecard revised; every supplier re-evaluated with the new weights.",
    ),
    (
        ReviewDecision.Kind.IMPROVEMENT,
        "Customer portal for complaint status",
        "Let customers follow their complaints online, to answer them faster.",
        "David Okafor",
        18,
        "",
    ),
]


def seed_demo(org):
    person = org.person
    amira, helen = person("Amira Haddad"), person("Helen Ward")
    today = timezone.localdate()
    held = add_months(today, -11)
    start = add_months(held, -12)
    last = plan(amira, helen, f"Management review {held.year}", held, start, held - timedelta(1))
    hold(helen, last, held, [helen, amira, person("Sofia Lima"), person("David Okafor")])
    for kind, title, description, owner, months, _ in DECISIONS:
        workflow.RecordDecision(
            amira,
            data={
                "review": last,
                "kind": kind,
                "title": title,
                "description": description,
                "owner": person(owner),
                "due_date": add_months(held, months),
            },
        ).execute()
    sign(helen, last)
    for decision, (*_, outcome) in zip(last.decisions.order_by("pk"), DECISIONS, strict=True):
        if outcome:
            workflow.CompleteDecision(decision.owner, decision, data={"outcome": outcome}).execute()
    upcoming = today + timedelta(days=14)
    current = plan(
        amira, helen, f"Management review {upcoming.year}", upcoming, held + timedelta(1), today
    )
    generate(amira, current)
    comment(
        helen,
        current,
        "previous_actions",
        "Two of three done; the customer portal is on track for spring.",
    )
    comment(helen, current, "customers", "Complaints are down; keep the survey yearly.")


def plan(amira, helen, title, day, start, end):
    return CreateRecord(
        amira,
        ManagementReview,
        data={
            "title": title,
            "planned_date": day,
            "period_start": start,
            "period_end": end,
            "chair": helen,
            "attendees": [helen, amira],
            "location": "Board room, Leeds",
            "agenda": AGENDA,
            "owner": amira,
        },
    ).execute()


def generate(actor, review):
    """The pack, built here rather than by the worker: the demo is ready when it loads."""
    review = workflow.GeneratePack(actor, review).execute()
    execute(Job.objects.get(pk=review.pack_job_id))
    review.refresh_from_db()
    return review


def comment(actor, review, topic, text, acknowledge=False):
    item = review.inputs.get(topic=topic)
    UpdateRecord(actor, item, data={"comment": text, "missing_acknowledged": acknowledge}).execute()


def hold(helen, review, day, attendees):
    generate(helen, review)
    for item in review.inputs.all():
        note = "Reviewed at the meeting; no further remark."
        comment(helen, review, item.topic, note, acknowledge=item.data_missing)
    workflow.HoldMeeting(
        helen,
        ManagementReview.objects.get(pk=review.pk),
        data={"held_on": day, "attendees": attendees},
    ).execute()


def sign(helen, review):
    review = ManagementReview.objects.get(pk=review.pk)
    workflow.SignMinutes(
        helen,
        review,
        data={
            "password": DEMO_PASSWORD,
            "minutes": "The pack was reviewed input by input. Delivery performance and the "
            "single CMM operator were the main concerns.",
            "conclusions": "The QMS is suitable and adequate, and effective in the main; "
            "inspection capacity at Porto and supplier delivery need action.",
        },
    ).execute()


def seed_scale(org) -> dict[str, int]:
    from norma.reviews.seed_scale import seed_reviews

    return seed_reviews(org)
