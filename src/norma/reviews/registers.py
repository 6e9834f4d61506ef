"""The management review registers (9.3): the reviews, the inputs of their packs and the
decisions they took."""

from django.utils.safestring import mark_safe

from norma.core.actions import ActionRefused, CreateRecord
from norma.core.registers import Register, Reminder, registry
from norma.reviews import workflow
from norma.reviews.models import ManagementReview, ReviewDecision, ReviewInput

NAV = "Performance evaluation"


@registry.register
class ManagementReviewRegister(Register):
    """9.3: top management reviews the QMS at planned intervals."""

    model = ManagementReview
    nav_group = NAV
    description = (
        "Management reviews: the input pack built from the registers, management's comments, "
        "the decisions taken and the minutes signed by the chair."
    )
    list_columns = ["reference", "title", "planned_date", "chair", "period_end", "status"]
    filter_fields = ["status", "chair"]
    search_fields = ["reference", "title", "minutes", "conclusions"]
    form_fields = [
        "title",
        "planned_date",
        "period_start",
        "period_end",
        "chair",
        "attendees",
        "location",
        "agenda",
        "minutes",
        "conclusions",
        "owner",
        "site",
    ]
    detail_fields = [
        "planned_date",
        "period_start",
        "period_end",
        "chair",
        "attendees",
        "location",
        "agenda",
        "held_on",
        "pack_generated_at",
        "signed_on",
        "cancel_reason",
    ]
    select_related = ["owner", "site", "department", "chair"]
    clause_refs = ["9.3.1", "9.3.2", "9.3.3"]
    actions = workflow.REVIEW_ACTIONS
    reminders = [
        Reminder(
            date_field="planned_date",
            lead_days=(30, 7),
            label="management review",
            skip_statuses=(
                ManagementReview.Status.HELD,
                ManagementReview.Status.SIGNED,
                ManagementReview.Status.CANCELLED,
            ),
        )
    ]
    task_label = "Prepare and hold a management review"
    detail_template = "reviews/review_detail.html"

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        from norma.reviews.views import review_context

        return review_context(obj, person)


class NotWrittenByHand(CreateRecord):
    """The inputs come from generating the pack; nobody types one in."""

    def __init__(self, actor, model=ReviewInput, **kwargs):
        super().__init__(actor, model, **kwargs)

    def check_rules(self):
        raise ActionRefused("Inputs are written by generating the review's input pack.")


@registry.register
class ReviewInputRegister(Register):
    """9.3.2: each input of each review's pack, with management's comment."""

    model = ReviewInput
    nav_group = NAV
    description = (
        "Every input of every review's pack, with what the data said and management's comment."
    )
    list_columns = ["reference", "review", "title", "data_missing", "status"]
    filter_fields = ["status", "data_missing", "review"]
    search_fields = ["reference", "title", "summary", "comment", "review__reference"]
    form_fields = ["comment", "missing_acknowledged"]
    detail_fields = ["review", "summary", "data_missing", "missing_acknowledged", "comment"]
    select_related = ["owner", "site", "department", "review"]
    clause_refs = ["9.3.2"]
    create_action = NotWrittenByHand
    detail_template = "reviews/input_detail.html"

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        return {
            "chart_markup": mark_safe(obj.chart),  # noqa: S308  built by reports.charts
            "sees_every_site": person.scope.unlimited,
        }


@registry.register
class ReviewDecisionRegister(Register):
    """9.3.3: decisions on improvement, changes to the QMS and resources, followed to done."""

    model = ReviewDecision
    nav_group = NAV
    description = (
        "What management reviews decided: improvements, changes to the QMS and resource needs, "
        "each with an owner and a due date, reported on at the next review."
    )
    list_columns = ["reference", "review", "kind", "title", "owner", "due_date", "status"]
    filter_fields = ["status", "kind", "owner", "review"]
    search_fields = ["reference", "title", "description", "review__reference"]
    form_fields = ["review", "kind", "title", "description", "owner", "due_date", "site"]
    detail_fields = ["review", "kind", "description", "due_date", "outcome", "completed_on"]
    select_related = ["owner", "site", "department", "review"]
    clause_refs = ["9.3.3"]
    actions = workflow.DECISION_ACTIONS
    create_action = workflow.RecordDecision
    reminders = [
        Reminder(
            label="review decision due",
            skip_statuses=(ReviewDecision.Status.DONE, ReviewDecision.Status.CANCELLED),
        )
    ]
    task_label = "Carry out a management review decision"

    @classmethod
    def queryset_for(cls, person):
        # What management decided is part of the minutes: who may not read the minutes sees
        # only the decisions given to them to carry out.
        rows = super().queryset_for(person)
        if person.has_perm("reviews.view_managementreview"):
            return rows
        return rows.filter(owner=person)
