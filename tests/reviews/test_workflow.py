"""A management review's life (9.3) and who may do what in it: planning (chair in top
management, a sensible period, attendees who are people of the organisation), the input pack
generated as a background job, management's comments on each input, the meeting held, the
decisions recorded (9.3.3), the minutes signed by the chair and locked, cancelling, the
decisions followed up at the next review, and the pages and actions open to each role.

Unless a test says otherwise, Quinn Quality (the quality manager) prepares the review, Tess Top
(top management) chairs it, and it covers the last year up to today.
"""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from norma.core.actions import (
    ActionRefused,
    ArchiveRecord,
    AttachFile,
    CreateRecord,
    InvalidInput,
    NotPermitted,
    UpdateRecord,
)
from norma.core.models import RoleCode, Signature
from norma.core.signatures import signature_holds, signatures_for
from norma.jobs.models import Job
from norma.notifications.models import Notification
from norma.reviews import workflow
from norma.reviews.models import ManagementReview, ReviewDecision, ReviewInput, Topic
from norma.reviews.registers import (
    ManagementReviewRegister,
    NotWrittenByHand,
    ReviewDecisionRegister,
    ReviewInputRegister,
)
from tests.conftest import PERSONAS
from tests.factories import PersonFactory
from tests.improvement.helpers import bulk_ncs
from tests.kit import HX, count_queries, form_data
from tests.reviews.helpers import (
    PASSWORD,
    comment_all,
    days,
    fresh,
    generate_pack,
    hold,
    plan_review,
    sign,
    today,
)

REVIEWS = "/reviews/management-reviews/"
INPUTS = "/reviews/review-inputs/"
DECISIONS = "/reviews/review-decisions/"
API_REVIEWS = "/api/v1/reviews/management-reviews/"
API_INPUTS = "/api/v1/reviews/review-inputs/"
API_DECISIONS = "/api/v1/reviews/review-decisions/"

MANAGERS = ["quality_manager", "top_manager"]  # hold reviews.change_managementreview
READERS = [
    "quality_manager",
    "top_manager",
    "process_owner",
    "internal_auditor",
    "external_auditor",
]


# -- small helpers ------------------------------------------------------------------------
def page_of(record, role="detail") -> str:
    register = {
        ManagementReview: ManagementReviewRegister,
        ReviewInput: ReviewInputRegister,
        ReviewDecision: ReviewDecisionRegister,
    }[type(record)]
    return reverse(register.url_name(role), args=[record.reference])


def api_of(record) -> str:
    base = {ManagementReview: API_REVIEWS, ReviewInput: API_INPUTS, ReviewDecision: API_DECISIONS}
    return f"{base[type(record)]}{record.reference}"


def do(client, record, code, **fields):
    """POST an action's form on the record's page, as the browser sends it."""
    record = fresh(record)
    return client.post(f"{page_of(record)}do/{code}/", {"version": record.version, **fields})


def api_do(api, record, code, **body):
    return api.post(f"{api_of(record)}/actions/{code}", body, **{"If-Match": fresh(record).etag})


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def refused(make, kind=ActionRefused) -> ActionRefused:
    """Run `make()`, which must be refused, and return the refusal."""
    with pytest.raises(kind) as caught:
        make()
    return caught.value


def input_on(review, topic) -> ReviewInput:
    return ReviewInput.objects.get(review=review, topic=topic)


def comment(actor, item, text="Seen and discussed.", **fields):
    data = {"comment": text, "missing_acknowledged": fresh(item).data_missing, **fields}
    return UpdateRecord(actor, fresh(item), data=data).execute()


def job_of(review) -> Job | None:
    review = fresh(review)
    return Job.objects.get(pk=review.pack_job_id) if review.pack_job_id else None


def start_pack(actor, review) -> ManagementReview:
    """Start the pack job without committing: the job stays queued, as before the worker."""
    workflow.GeneratePack(actor, fresh(review)).execute()
    return fresh(review)


def review_body(chair, /, **changes) -> dict:
    """What a person types to plan a review chaired by `chair`, with `changes`."""
    return {
        "title": "Management review 2025",
        "planned_date": days(14).isoformat(),
        "period_start": days(-365).isoformat(),
        "period_end": today().isoformat(),
        "chair": chair.pk,
        **changes,
    }


def review_form(chair, /, **changes) -> dict:
    return form_data(ManagementReviewRegister, **review_body(chair, **changes))


def record_decision(actor, review, owner, due_in=30, **fields) -> ReviewDecision:
    """A decision taken at the meeting, through the register's own create action."""
    data = {
        "review": fresh(review),
        "kind": ReviewDecision.Kind.IMPROVEMENT,
        "title": "Do better",
        "description": "Decided at the review.",
        "owner": owner,
        "due_date": days(due_in),
        **fields,
    }
    return workflow.RecordDecision(actor, data=data).execute()


def complete(actor, decision, outcome="Done as decided."):
    return workflow.CompleteDecision(actor, fresh(decision), data={"outcome": outcome}).execute()


# -- people and reviews of this file's own -------------------------------------------------
@pytest.fixture
def review(quality_manager, top_manager):
    return plan_review(quality_manager, top_manager)


@pytest.fixture
def packed(review, quality_manager, django_capture_on_commit_callbacks):
    return generate_pack(quality_manager, review, django_capture_on_commit_callbacks)


@pytest.fixture
def commented(packed, quality_manager):
    comment_all(quality_manager, packed)
    return fresh(packed)


@pytest.fixture
def held(commented, quality_manager, top_manager):
    return hold(quality_manager, commented, [top_manager])


@pytest.fixture
def decision(held, quality_manager, process_owner):
    """A decision carried out by Owen Owner, a process owner."""
    return record_decision(quality_manager, held, process_owner, title="Add a second supplier")


@pytest.fixture
def signed(held, decision, top_manager):
    return sign(top_manager, held)


@pytest.fixture
def other_owner(db):
    return PersonFactory(full_name="Olga Other", roles=[RoleCode.PROCESS_OWNER])


@pytest.fixture
def second_top(db):
    return PersonFactory(full_name="Tim Top", roles=[RoleCode.TOP_MANAGEMENT])


# ============================================================================================
# 1. Planning the review
# ============================================================================================
class TestPlanning:
    def test_the_real_action_plans_a_review_with_its_chair_and_period(self, review, top_manager):
        review = fresh(review)
        assert review.reference.startswith("MR")
        assert review.status == ManagementReview.Status.PLANNED
        assert (review.chair, review.period_start, review.period_end) == (
            top_manager,
            days(-365),
            today(),
        )
        assert review.pack_generated_at is None

    def test_the_web_form_plans_a_review_with_its_attendees(
        self, client_for, quality_manager, top_manager, process_owner
    ):
        data = review_form(top_manager, attendees=[top_manager.pk, process_owner.pk])

        response = client_for(quality_manager).post(f"{REVIEWS}new/", data)

        review = ManagementReview.objects.get()
        assert response.status_code == 302
        assert response["Location"] == page_of(review)
        assert review.title == "Management review 2025"
        assert set(review.attendees.all()) == {top_manager, process_owner}

    def test_the_api_plans_a_review(self, api_for, quality_manager, top_manager):
        response = api_for(quality_manager).post(API_REVIEWS, review_body(top_manager))

        assert response.status_code == 201, response.content
        body = response.json()
        assert body["status"] == "planned"
        assert body["chair"] == top_manager.pk
        assert ManagementReview.objects.get().reference == body["reference"]

    def test_a_chair_outside_top_management_is_refused_naming_the_chair(
        self, quality_manager, process_owner
    ):
        error = refused(lambda: plan_review(quality_manager, process_owner), InvalidInput)
        assert error.errors == {"chair": ["Owen Owner is not in top management."]}
        assert not ManagementReview.objects.exists()

    def test_the_web_form_refuses_a_chair_outside_top_management(self, client_for, quality_manager):
        response = client_for(quality_manager).post(f"{REVIEWS}new/", review_form(quality_manager))

        assert response.status_code == 422
        assert response.context["form"].errors["chair"] == [
            "Quinn Quality is not in top management."
        ]
        assert not ManagementReview.objects.exists()

    def test_a_period_ending_before_it_starts_is_refused_on_its_end(
        self, quality_manager, top_manager
    ):
        error = refused(
            lambda: plan_review(
                quality_manager, top_manager, period_start=today(), period_end=days(-1)
            ),
            InvalidInput,
        )
        assert error.errors == {"period_end": ["The period ends before it starts."]}

    def test_the_web_form_refuses_a_period_of_more_than_two_years(
        self, client_for, quality_manager, top_manager
    ):
        data = review_form(top_manager, period_start=days(-800).isoformat())

        response = client_for(quality_manager).post(f"{REVIEWS}new/", data)

        assert response.status_code == 422
        assert response.context["form"].errors["period_end"] == [
            "A review covers at most two years."
        ]

    def test_a_period_of_exactly_two_years_is_accepted(self, quality_manager, top_manager):
        review = plan_review(quality_manager, top_manager, period_start=days(-731))
        assert (review.period_end - review.period_start).days == 731

    @pytest.mark.parametrize(
        "outsider",
        [
            {"full_name": "Ian Inactive", "is_active": False},
            {
                "full_name": "Gus Guest",
                "access_expires_at": datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC),
            },
            {"full_name": "Rita Registrar", "roles": [RoleCode.EXTERNAL_AUDITOR]},
        ],
        ids=["inactive", "time-boxed guest", "external auditor only"],
    )
    def test_an_attendee_who_is_not_of_the_organisation_is_refused_naming_the_attendees(
        self, quality_manager, top_manager, outsider
    ):
        person = PersonFactory(**outsider)

        error = refused(
            lambda: plan_review(quality_manager, top_manager, attendees=[top_manager, person]),
            InvalidInput,
        )

        assert error.errors == {
            "attendees": [f"Not a person of the organisation: {outsider['full_name']}."]
        }
        assert not ManagementReview.objects.exists()

    def test_an_external_auditor_who_also_works_here_may_attend(self, quality_manager, top_manager):
        both = PersonFactory(
            full_name="Eva Both", roles=[RoleCode.EXTERNAL_AUDITOR, RoleCode.EMPLOYEE]
        )
        review = plan_review(quality_manager, top_manager, attendees=[both])
        assert list(review.attendees.all()) == [both]

    def test_the_web_form_refuses_a_time_boxed_guest_as_attendee(
        self, client_for, quality_manager, top_manager
    ):
        guest = PersonFactory(
            full_name="Gus Guest",
            access_expires_at=datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC),
        )
        data = review_form(top_manager, attendees=[top_manager.pk, guest.pk])

        response = client_for(quality_manager).post(f"{REVIEWS}new/", data)

        assert response.status_code == 422
        assert response.context["form"].errors["attendees"] == [
            "Not a person of the organisation: Gus Guest."
        ]
        assert not ManagementReview.objects.exists()

    def test_the_api_refuses_an_external_auditor_as_attendee_naming_the_attendees(
        self, api_for, quality_manager, top_manager, external_auditor
    ):
        body = review_body(top_manager, attendees=[external_auditor.pk])

        response = api_for(quality_manager).post(API_REVIEWS, body)

        assert response.status_code == 422
        assert response.json()["errors"] == {
            "attendees": ["Not a person of the organisation: Rex Registrar."]
        }
        assert not ManagementReview.objects.exists()

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"period_end": "not a date"}, "period_end"),
            ({"period_start": "2025-02-30"}, "period_start"),
            ({"chair": 999999}, "chair"),
            ({"chair": "Tess"}, "chair"),
            ({"attendees": [999999]}, "attendees"),
            ({"attendees": "everyone"}, "attendees"),
            ({"planned_date": None}, "planned_date"),
            ({"status": "signed"}, "status"),
            ({"signed_on": "2025-01-01"}, "signed_on"),
        ],
    )
    def test_the_api_answers_bad_input_with_a_4xx_naming_the_field(
        self, api_for, quality_manager, top_manager, changes, field
    ):
        response = api_for(quality_manager).post(API_REVIEWS, review_body(top_manager, **changes))

        assert 400 <= response.status_code < 500, response.content
        assert field in response.json()["errors"]
        assert not ManagementReview.objects.exists()


# ============================================================================================
# 2. The input pack, generated as a job
# ============================================================================================
class TestPackGeneration:
    def test_it_runs_as_a_review_pack_job_that_finishes_every_step(self, packed):
        job = job_of(packed)
        assert job.kind == "review-pack"
        assert job.state == Job.State.SUCCEEDED
        assert (job.done, job.total) == (len(Topic) + 1, len(Topic) + 1)
        assert job.summary["review"] == packed.reference
        assert job.summary["inputs"] == len(Topic)
        assert packed.pack_generated_at is not None
        assert list(packed.inputs.values_list("topic", flat=True)) == list(Topic.values)

    def test_it_is_refused_while_a_pack_job_is_queued(self, review, quality_manager):
        queued = start_pack(quality_manager, review)
        assert job_of(queued).state == Job.State.QUEUED

        error = refused(lambda: start_pack(quality_manager, queued))

        assert error.message == "The pack is being generated already: wait for it to finish."
        assert Job.objects.filter(kind="review-pack").count() == 1

    def test_it_is_refused_while_a_pack_job_is_running(self, review, quality_manager):
        job = job_of(start_pack(quality_manager, review))
        Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, done=3, total=13)

        error = refused(lambda: start_pack(quality_manager, review))

        assert "being generated already" in error.message

    def test_it_may_run_again_once_the_job_has_finished(
        self, packed, quality_manager, django_capture_on_commit_callbacks
    ):
        first = packed.pack_job_id
        again = generate_pack(quality_manager, packed, django_capture_on_commit_callbacks)
        assert again.pack_job_id != first
        assert job_of(again).state == Job.State.SUCCEEDED

    def test_it_is_refused_on_a_cancelled_review(self, review, quality_manager):
        workflow.CancelReview(quality_manager, review, reason="Merged with Q3 review.").execute()

        error = refused(lambda: start_pack(quality_manager, review))

        assert error.message == (
            f"{review.reference} is cancelled: its pack is kept as it was reviewed."
        )
        assert job_of(review) is None

    def test_it_is_refused_once_the_minutes_are_signed(self, signed, quality_manager):
        job = signed.pack_job_id

        error = refused(lambda: start_pack(quality_manager, signed))

        assert error.message == (
            f"{signed.reference} is minutes signed: its pack is kept as it was reviewed."
        )
        assert fresh(signed).pack_job_id == job

    def test_regenerating_keeps_comments_and_acknowledgements(
        self, packed, quality_manager, django_capture_on_commit_callbacks
    ):
        context = input_on(packed, Topic.CONTEXT)
        assert context.data_missing  # no issue recorded (4.1)
        comment(quality_manager, context, "We must record our issues.")
        comment(quality_manager, input_on(packed, Topic.NONCONFORMITIES), "Too many on line 2.")

        generate_pack(quality_manager, packed, django_capture_on_commit_callbacks)

        kept = input_on(packed, Topic.CONTEXT)
        assert kept.comment == "We must record our issues."
        assert kept.missing_acknowledged is True
        assert kept.status == ReviewInput.Status.COMMENTED
        nonconformities = input_on(packed, Topic.NONCONFORMITIES)
        assert (nonconformities.comment, nonconformities.status) == (
            "Too many on line 2.",
            ReviewInput.Status.COMMENTED,
        )
        assert packed.inputs.count() == len(Topic)

    def test_an_input_whose_figures_changed_asks_for_its_comment_to_be_confirmed(
        self, commented, quality_manager, top_manager, django_capture_on_commit_callbacks
    ):
        bulk_ncs(3)
        generate_pack(quality_manager, commented, django_capture_on_commit_callbacks)
        changed = input_on(commented, Topic.NONCONFORMITIES)
        review = hold(quality_manager, commented, [top_manager])

        error = refused(lambda: sign(top_manager, review))

        assert changed.comment == "Reviewed."
        assert changed.status == ReviewInput.Status.TO_REVIEW
        assert input_on(commented, Topic.AUDITS).status == ReviewInput.Status.COMMENTED
        assert error.message == (
            "Every input needs management's comment before signing: "
            f"“{Topic.NONCONFORMITIES.label}” changed when the pack was generated again: "
            "confirm the comment."
        )
        comment(quality_manager, changed, "Reviewed: three more on line 2.")
        assert sign(top_manager, review).status == ManagementReview.Status.SIGNED

    def test_the_review_page_shows_the_stored_pack_without_reading_the_registers(
        self, client_for, packed, quality_manager, django_capture_on_commit_callbacks
    ):
        stored = input_on(packed, Topic.NONCONFORMITIES).summary
        assert stored.startswith("0 nonconformities reported")
        client = client_for(quality_manager)
        url = page_of(packed)
        client.get(url)  # warm the per-process caches (content types)
        few, _ = count_queries(client, url)

        bulk_ncs(30)
        many, sql = count_queries(client, url)

        assert many == few, f"{few} queries before, {many} after 30 more NCs:\n" + "\n".join(sql)
        assert not [q for q in sql if "improvement_nonconformity" in q]
        html = client.get(url).content.decode()
        assert stored in html
        assert "30 nonconformities reported" not in html
        generate_pack(quality_manager, packed, django_capture_on_commit_callbacks)
        assert "30 nonconformities reported" in client.get(url).content.decode()

    def test_the_page_of_a_commented_pack_runs_few_queries(
        self, client_for, held, quality_manager, django_assert_max_num_queries
    ):
        client = client_for(quality_manager)
        client.get(page_of(held))  # warm the per-process caches
        with django_assert_max_num_queries(30):
            html = client.get(page_of(held)).content.decode()
        assert f"{len(Topic)} of {len(Topic)} inputs ready to sign" in html

    def test_the_api_starts_the_job(self, api_for, review, top_manager):
        response = api_do(api_for(top_manager), review, "generate-pack")

        assert response.status_code == 200, response.content
        assert job_of(review).kind == "review-pack"


class TestPackStatus:
    def url(self, review):
        return reverse("reviews:pack_status", args=[review.reference])

    def test_while_the_job_runs_it_answers_the_progress_fragment(
        self, client_for, review, quality_manager
    ):
        job = job_of(start_pack(quality_manager, review))
        Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, done=4, total=13)

        response = client_for(quality_manager).get(self.url(review), headers=HX)

        assert response.status_code == 200
        html = response.content.decode()
        assert f'hx-get="{self.url(review)}"' in html
        assert "4 of 13 steps" in html
        assert "HX-Refresh" not in response

    def test_while_the_job_is_queued_it_says_it_waits_for_the_worker(
        self, client_for, review, quality_manager
    ):
        start_pack(quality_manager, review)

        response = client_for(quality_manager).get(self.url(review), headers=HX)

        assert response.status_code == 200
        assert "Waiting for the worker" in response.content.decode()

    def test_once_the_job_is_done_it_asks_the_page_to_reload(
        self, client_for, packed, quality_manager
    ):
        response = client_for(quality_manager).get(self.url(packed), headers=HX)

        assert response.status_code == 204
        assert response["HX-Refresh"] == "true"

    def test_the_review_page_shows_the_progress_while_the_job_runs(
        self, client_for, review, quality_manager
    ):
        start_pack(quality_manager, review)

        html = client_for(quality_manager).get(page_of(review)).content.decode()

        assert "Generating the input pack" in html
        assert self.url(review) in html

    def test_an_employee_may_not_poll_it(self, client_for, review, quality_manager, employee):
        start_pack(quality_manager, review)
        assert client_for(employee).get(self.url(review), headers=HX).status_code == 403


# ============================================================================================
# 3. Management's comments on the inputs
# ============================================================================================
class TestCommenting:
    def test_the_web_form_comments_an_input_and_marks_it_commented(
        self, client_for, packed, top_manager
    ):
        item = input_on(packed, Topic.CONTEXT)
        data = form_data(
            ReviewInputRegister,
            item,
            comment="No issues recorded: the context is next year's first task.",
            missing_acknowledged=True,
        )

        response = client_for(top_manager).post(page_of(item, "edit"), data)

        assert response.status_code == 302
        item = fresh(item)
        assert item.comment == "No issues recorded: the context is next year's first task."
        assert item.status == ReviewInput.Status.COMMENTED
        assert item.missing_acknowledged is True

    def test_the_web_form_refuses_a_stale_version(
        self, client_for, packed, top_manager, quality_manager
    ):
        item = input_on(packed, Topic.AUDITS)
        opened = form_data(ReviewInputRegister, item, comment="Audits went well.")
        comment(quality_manager, item, "Two majors at Leeds.")

        response = client_for(top_manager).post(page_of(item, "edit"), opened)

        assert response.status_code == 409
        assert "Your edit was not saved" in response.content.decode()
        assert fresh(item).comment == "Two majors at Leeds."

    def test_the_api_comments_an_input_with_if_match(self, api_for, packed, quality_manager):
        item = input_on(packed, Topic.AUDITS)

        response = api_for(quality_manager).patch(
            api_of(item), {"comment": "Programme on track."}, **{"If-Match": item.etag}
        )

        assert response.status_code == 200, response.content
        assert response.json()["status"] == "commented"
        assert response["ETag"] == fresh(item).etag
        assert fresh(item).comment == "Programme on track."

    def test_the_api_refuses_a_stale_etag_with_412(self, api_for, packed, quality_manager):
        item = input_on(packed, Topic.AUDITS)
        stale = item.etag
        comment(quality_manager, item, "Two majors at Leeds.")

        response = api_for(quality_manager).patch(
            api_of(item), {"comment": "Fine."}, **{"If-Match": stale}
        )

        assert response.status_code == 412
        assert "was not saved" in response.json()["detail"]
        assert fresh(item).comment == "Two majors at Leeds."

    def test_the_api_asks_for_if_match(self, api_for, packed, quality_manager):
        item = input_on(packed, Topic.AUDITS)
        response = api_for(quality_manager).patch(api_of(item), {"comment": "Fine."})
        assert response.status_code == 428
        assert fresh(item).comment == ""

    def test_emptying_the_comment_puts_the_input_back_to_review(self, packed, quality_manager):
        item = comment(quality_manager, input_on(packed, Topic.AUDITS))
        assert item.status == ReviewInput.Status.COMMENTED

        item = comment(quality_manager, item, "   ")

        assert item.status == ReviewInput.Status.TO_REVIEW

    def test_acknowledging_missing_data_is_cleared_when_no_data_is_missing(
        self, packed, quality_manager
    ):
        item = input_on(packed, Topic.NONCONFORMITIES)
        assert not item.data_missing

        item = comment(quality_manager, item, missing_acknowledged=True)

        assert fresh(item).missing_acknowledged is False

    @pytest.mark.parametrize(
        ("persona", "allowed"),
        [
            ("top_manager", True),
            ("quality_manager", True),
            ("process_owner", False),
            ("internal_auditor", False),
            ("external_auditor", False),
            ("employee", False),
        ],
        indirect=["persona"],
    )
    def test_only_management_and_the_quality_team_comment(
        self, client_for, api_for, packed, persona, allowed
    ):
        item = input_on(packed, Topic.AUDITS)
        data = form_data(ReviewInputRegister, item, comment="By the web.")

        web = client_for(persona).post(page_of(item, "edit"), data)
        api = api_for(persona).patch(
            api_of(item), {"comment": "By the API."}, **{"If-Match": fresh(item).etag}
        )

        if allowed:
            assert (web.status_code, api.status_code) == (302, 200)
            assert fresh(item).comment == "By the API."
        else:
            assert (web.status_code, api.status_code) == (403, 403)
            assert fresh(item).comment == ""

    def test_nobody_types_an_input_in_by_hand(self, api_for, client_for, packed, quality_manager):
        count = ReviewInput.objects.count()
        body = {"comment": "A thirteenth input."}

        api = api_for(quality_manager).post(API_INPUTS, body)
        web = client_for(quality_manager).get(f"{INPUTS}new/")
        action = refused(
            lambda: NotWrittenByHand(
                quality_manager, data={"review": packed, "title": "Extra"}
            ).execute()
        )

        assert api.status_code == 403
        assert web.status_code == 403
        assert isinstance(action, ActionRefused)
        assert ReviewInput.objects.count() == count


# ============================================================================================
# 4. The meeting
# ============================================================================================
class TestHoldMeeting:
    def test_it_is_refused_before_the_pack_exists(self, review, quality_manager, top_manager):
        error = refused(lambda: hold(quality_manager, review, [top_manager]))

        assert error.message == "Generate the input pack first: the meeting reviews it."
        assert fresh(review).status == ManagementReview.Status.PLANNED

    def test_it_is_refused_without_a_member_of_top_management_naming_the_attendees(
        self, packed, quality_manager, process_owner
    ):
        error = refused(lambda: hold(quality_manager, packed, [quality_manager, process_owner]))

        assert error.errors == {
            "attendees": ["No member of top management is among the attendees."]
        }
        review = fresh(packed)
        assert (review.status, review.held_on) == (ManagementReview.Status.PLANNED, None)
        assert not review.attendees.exists()

    def test_it_records_the_day_and_the_attendees(
        self, packed, quality_manager, top_manager, process_owner
    ):
        review = hold(quality_manager, packed, [top_manager, process_owner], held_on=days(-1))

        review = fresh(review)
        assert review.status == ManagementReview.Status.HELD
        assert review.held_on == days(-1)
        assert set(review.attendees.all()) == {top_manager, process_owner}

    def test_a_meeting_held_tomorrow_is_refused_naming_the_day(
        self, packed, quality_manager, top_manager
    ):
        error = refused(
            lambda: hold(quality_manager, packed, [top_manager], held_on=days(1)), InvalidInput
        )
        assert error.errors == {"held_on": ["The meeting cannot have been held in the future."]}
        assert fresh(packed).status == ManagementReview.Status.PLANNED

    def test_an_attendee_from_outside_the_organisation_is_refused(
        self, packed, quality_manager, top_manager, external_auditor
    ):
        error = refused(
            lambda: hold(quality_manager, packed, [top_manager, external_auditor]), InvalidInput
        )
        assert error.errors == {"attendees": ["Not a person of the organisation: Rex Registrar."]}
        assert fresh(packed).status == ManagementReview.Status.PLANNED

    def test_it_is_refused_when_the_period_changed_after_the_pack_was_generated(
        self, packed, quality_manager, top_manager
    ):
        UpdateRecord(quality_manager, fresh(packed), data={"period_start": days(-200)}).execute()

        error = refused(lambda: hold(quality_manager, packed, [top_manager]))

        assert error.message == (
            "The period changed after the pack was generated: generate it again."
        )
        assert fresh(packed).status == ManagementReview.Status.PLANNED

    def test_the_web_form_records_the_meeting(
        self, client_for, packed, quality_manager, top_manager, internal_auditor
    ):
        response = do(
            client_for(quality_manager),
            packed,
            "hold-meeting",
            held_on=today().isoformat(),
            attendees=[top_manager.pk, internal_auditor.pk],
        )

        assert response.status_code == 302
        review = fresh(packed)
        assert review.status == ManagementReview.Status.HELD
        assert set(review.attendees.all()) == {top_manager, internal_auditor}

    def test_the_web_form_names_the_attendees_when_top_management_is_absent(
        self, client_for, packed, quality_manager
    ):
        response = do(
            client_for(quality_manager),
            packed,
            "hold-meeting",
            held_on=today().isoformat(),
            attendees=[quality_manager.pk],
        )

        assert "No member of top management is among the attendees." in messages_of(response)
        assert fresh(packed).status == ManagementReview.Status.PLANNED

    def test_the_api_records_the_meeting(self, api_for, packed, top_manager):
        response = api_do(
            api_for(top_manager),
            packed,
            "hold-meeting",
            held_on=today().isoformat(),
            attendees=[top_manager.pk],
        )

        assert response.status_code == 200, response.content
        assert response.json()["status"] == "held"
        assert response.json()["attendees"] == [top_manager.pk]

    def test_the_api_refuses_it_without_top_management_with_409_naming_the_attendees(
        self, api_for, packed, quality_manager
    ):
        response = api_do(
            api_for(quality_manager),
            packed,
            "hold-meeting",
            held_on=today().isoformat(),
            attendees=[quality_manager.pk],
        )

        assert response.status_code == 409
        assert "attendees" in response.json()["errors"]


# ============================================================================================
# 5. Decisions (9.3.3)
# ============================================================================================
class TestDecisions:
    def test_a_decision_is_recorded_while_the_review_is_held(
        self, held, quality_manager, process_owner
    ):
        decision = record_decision(quality_manager, held, process_owner, due_in=60)

        decision = fresh(decision)
        assert decision.reference.startswith("MRD")
        assert (decision.status, decision.owner, decision.due_date) == (
            ReviewDecision.Status.OPEN,
            process_owner,
            days(60),
        )

    def test_it_is_refused_while_the_review_is_only_planned(
        self, packed, quality_manager, process_owner
    ):
        data = {
            "review": packed,
            "kind": "improvement",
            "title": "Too early",
            "description": "Not decided yet.",
            "owner": process_owner,
            "due_date": days(30),
        }
        expected = {
            "review": [
                f"{packed.reference} is planned: decisions are recorded once the meeting is "
                "held and until the minutes are signed."
            ]
        }

        by_register = refused(
            lambda: workflow.RecordDecision(quality_manager, data=data).execute(), InvalidInput
        )
        by_plain_create = refused(
            lambda: CreateRecord(quality_manager, ReviewDecision, data=data).execute(),
            InvalidInput,
        )

        assert by_register.errors == by_plain_create.errors == expected
        assert not ReviewDecision.objects.exists()

    def test_it_is_refused_once_the_minutes_are_signed(
        self, signed, quality_manager, process_owner
    ):
        error = refused(
            lambda: record_decision(quality_manager, signed, process_owner, title="Late"),
            InvalidInput,
        )

        assert error.errors["review"] == [
            f"{signed.reference} is minutes signed: decisions are recorded once the meeting is "
            "held and until the minutes are signed."
        ]
        assert ReviewDecision.objects.count() == 1

    def test_a_decision_is_not_moved_into_signed_minutes(
        self,
        signed,
        quality_manager,
        process_owner,
        top_manager,
        django_capture_on_commit_callbacks,
    ):
        other = plan_review(quality_manager, top_manager, title="Extra review")
        other = generate_pack(quality_manager, other, django_capture_on_commit_callbacks)
        comment_all(quality_manager, other)
        other = hold(quality_manager, other, [top_manager])
        moving = record_decision(quality_manager, other, process_owner, title="Moving")

        error = refused(
            lambda: UpdateRecord(quality_manager, fresh(moving), data={"review": signed}).execute(),
            InvalidInput,
        )

        assert error.errors == {"review": ["A decision stays with the review that took it."]}
        assert fresh(moving).review == other
        (signature,) = signatures_for(fresh(signed))
        assert signature_holds(signature, fresh(signed))

    def test_owner_and_due_date_are_required_naming_each(self, held, quality_manager):
        error = refused(
            lambda: record_decision(quality_manager, held, None, due_date=None), InvalidInput
        )
        assert error.errors == {
            "owner": ["Name who carries the decision out."],
            "due_date": ["Give the date it is due."],
        }

    def test_the_web_form_records_a_decision_and_names_a_missing_owner(
        self, client_for, held, quality_manager, process_owner
    ):
        client = client_for(quality_manager)
        data = form_data(
            ReviewDecisionRegister,
            review=held.pk,
            kind="resources",
            title="Hire a metrologist",
            description="The lab is short of one person.",
            due_date=days(90).isoformat(),
        )

        missing = client.post(f"{DECISIONS}new/", {**data, "owner": ""})
        made = client.post(f"{DECISIONS}new/", {**data, "owner": process_owner.pk})

        assert missing.status_code == 422
        assert missing.context["form"].errors["owner"] == ["Name who carries the decision out."]
        assert made.status_code == 302
        decision = ReviewDecision.objects.get()
        assert (decision.review, decision.kind) == (held, "resources")

    def test_the_api_refuses_a_decision_on_a_planned_review(
        self, api_for, packed, quality_manager, process_owner
    ):
        body = {
            "review": packed.pk,
            "kind": "improvement",
            "title": "Too early",
            "description": "Not decided yet.",
            "owner": process_owner.pk,
            "due_date": days(30).isoformat(),
        }

        response = api_for(quality_manager).post(API_DECISIONS, body)

        assert response.status_code == 422
        assert response.json()["errors"] == {
            "review": [
                f"{packed.reference} is planned: decisions are recorded once the meeting is "
                "held and until the minutes are signed."
            ]
        }
        assert not ReviewDecision.objects.exists()

    def test_its_owner_completes_it_with_the_outcome_once_the_minutes_are_signed(
        self, client_for, signed, decision, process_owner
    ):
        response = do(
            client_for(process_owner), decision, "complete", outcome="Second supplier approved."
        )

        assert response.status_code == 302
        done = fresh(decision)
        assert done.status == ReviewDecision.Status.DONE
        assert done.outcome == "Second supplier approved."
        assert done.completed_on == today()

    def test_the_api_lets_its_owner_complete_it(self, api_for, signed, decision, process_owner):
        response = api_do(api_for(process_owner), decision, "complete", outcome="Done.")

        assert response.status_code == 200, response.content
        assert response.json()["status"] == "done"

    def test_another_process_owner_cannot_complete_it(
        self, api_for, client_for, signed, decision, other_owner
    ):
        web = do(client_for(other_owner), decision, "complete", outcome="Not mine.")
        api = api_do(api_for(other_owner), decision, "complete", outcome="Not mine.")

        assert f"Only {decision.reference}'s owner or the quality team" in messages_of(web)
        assert api.status_code == 403
        assert fresh(decision).status == ReviewDecision.Status.OPEN

    def test_the_quality_manager_may_complete_someone_elses_decision(
        self, signed, decision, quality_manager
    ):
        assert complete(quality_manager, decision).status == ReviewDecision.Status.DONE

    @pytest.mark.parametrize("step", ["complete", "cancel"])
    def test_completing_or_cancelling_is_refused_before_the_minutes_are_signed(
        self, held, decision, process_owner, quality_manager, step
    ):
        action = {"complete": workflow.CompleteDecision, "cancel": workflow.CancelDecision}[step]

        error = refused(
            lambda: action(
                quality_manager, fresh(decision), data={"outcome": "x"}, reason="Not needed."
            ).execute()
        )

        assert error.message == (
            f"{held.reference}'s minutes are not signed yet: the decision is carried out once "
            "they are."
        )
        assert fresh(decision).status == ReviewDecision.Status.OPEN

    def test_cancelling_needs_a_reason(self, signed, decision, process_owner):
        error = refused(
            lambda: workflow.CancelDecision(process_owner, fresh(decision)).execute(), InvalidInput
        )
        assert error.errors == {"reason": ["Give a reason."]}

    def test_cancelling_with_a_reason_keeps_it_as_the_outcome(
        self, signed, decision, process_owner
    ):
        workflow.CancelDecision(
            process_owner, fresh(decision), reason="Supplier went bust."
        ).execute()

        cancelled = fresh(decision)
        assert cancelled.status == ReviewDecision.Status.CANCELLED
        assert cancelled.outcome == "Cancelled: Supplier went bust."

    def test_after_signing_its_fields_are_not_edited_but_it_is_completed(
        self, api_for, signed, decision, quality_manager
    ):
        error = refused(
            lambda: UpdateRecord(
                quality_manager, fresh(decision), data={"due_date": days(365)}
            ).execute()
        )
        api = api_for(quality_manager).patch(
            api_of(decision), {"title": "Something else"}, **{"If-Match": fresh(decision).etag}
        )
        done = complete(quality_manager, decision)

        assert error.message == (
            f"{decision.reference} was decided in {signed.reference}'s signed minutes: "
            "complete or cancel it instead."
        )
        assert api.status_code == 409
        assert (done.status, done.title, done.due_date) == (
            ReviewDecision.Status.DONE,
            "Add a second supplier",
            days(30),
        )

    def test_completing_a_decision_leaves_the_chairs_signature_holding(
        self, signed, decision, process_owner
    ):
        complete(process_owner, decision)

        (signature,) = signatures_for(fresh(signed))
        assert signature_holds(signature, fresh(signed))


# ============================================================================================
# 6. Signing the minutes
# ============================================================================================
class TestSignMinutes:
    def test_the_chair_signs_and_the_review_is_locked_with_a_signature_that_holds(
        self, signed, top_manager
    ):
        review = fresh(signed)
        assert review.status == ManagementReview.Status.SIGNED
        assert review.signed_on == today()
        assert review.is_locked
        (signature,) = signatures_for(review)
        assert (signature.signer, signature.meaning) == (top_manager, "approved")
        assert signature.record_version == review.version
        assert signature_holds(signature, review)

    def test_only_the_chair_signs(self, held, quality_manager, second_top):
        for person in (quality_manager, second_top):
            error = refused(lambda person=person: sign(person, held), NotPermitted)
            assert error.message == "Only the chair signs the minutes."
        assert fresh(held).status == ManagementReview.Status.HELD
        assert not Signature.objects.exists()

    def test_a_wrong_password_is_refused_naming_the_password(self, held, top_manager):
        error = refused(lambda: sign(top_manager, held, password="guess"), InvalidInput)

        assert error.errors == {"password": ["The password is not correct."]}
        assert fresh(held).status == ManagementReview.Status.HELD
        assert not Signature.objects.exists()

    def test_it_is_refused_while_an_input_has_no_comment_naming_it(
        self, commented, quality_manager, top_manager
    ):
        comment(quality_manager, input_on(commented, Topic.AUDITS), "")
        review = hold(quality_manager, commented, [top_manager])

        error = refused(lambda: sign(top_manager, review))

        assert error.message == (
            "Every input needs management's comment before signing: "
            f"“{Topic.AUDITS.label}” has no comment from management."
        )
        assert fresh(review).status == ManagementReview.Status.HELD

    def test_it_is_refused_while_missing_data_is_not_acknowledged_naming_the_input(
        self, commented, quality_manager, top_manager
    ):
        item = input_on(commented, Topic.CONTEXT)
        assert item.data_missing
        comment(quality_manager, item, "Noted.", missing_acknowledged=False)
        review = hold(quality_manager, commented, [top_manager])

        error = refused(lambda: sign(top_manager, review))

        assert error.message == (
            "Every input needs management's comment before signing: "
            f"“{Topic.CONTEXT.label}” has missing data that management has not acknowledged."
        )
        assert fresh(review).status == ManagementReview.Status.HELD

    def test_it_is_refused_while_the_pack_is_being_regenerated(
        self, held, quality_manager, top_manager
    ):
        start_pack(quality_manager, held)  # queued: the worker has not run it yet

        error = refused(lambda: sign(top_manager, held))

        assert error.message == "The pack is being regenerated: sign once it has finished."
        assert fresh(held).status == ManagementReview.Status.HELD

    def test_it_is_refused_once_top_management_was_edited_out_of_the_attendees(
        self, held, quality_manager, top_manager
    ):
        UpdateRecord(quality_manager, fresh(held), data={"attendees": [quality_manager]}).execute()

        error = refused(lambda: sign(top_manager, held))

        assert error.errors == {
            "attendees": ["No member of top management is among the attendees."]
        }
        assert fresh(held).status == ManagementReview.Status.HELD

    def test_the_web_form_names_the_password_when_it_is_wrong(self, client_for, held, top_manager):
        response = do(
            client_for(top_manager),
            held,
            "sign-minutes",
            password="guess",
            minutes="Discussed.",
            conclusions="Effective.",
        )

        assert "The password is not correct." in messages_of(response)
        assert fresh(held).status == ManagementReview.Status.HELD

    def test_the_web_form_signs(self, client_for, held, top_manager):
        response = do(
            client_for(top_manager),
            held,
            "sign-minutes",
            password=PASSWORD,
            minutes="Every input reviewed.",
            conclusions="Suitable, adequate and effective.",
        )

        assert response.status_code == 302
        review = fresh(held)
        assert review.status == ManagementReview.Status.SIGNED
        assert review.conclusions == "Suitable, adequate and effective."

    def test_the_api_refuses_another_signer_with_403(self, api_for, held, quality_manager):
        response = api_do(
            api_for(quality_manager),
            held,
            "sign-minutes",
            password=PASSWORD,
            minutes="x",
            conclusions="y",
        )
        assert response.status_code == 403
        assert response.json()["detail"] == "Only the chair signs the minutes."

    def test_decision_owners_and_attendees_are_told(
        self, commented, quality_manager, top_manager, process_owner, internal_auditor
    ):
        review = hold(quality_manager, commented, [top_manager, internal_auditor])
        decision = record_decision(
            quality_manager, review, process_owner, title="Add a second supplier"
        )

        sign(top_manager, review)

        decided = Notification.objects.get(recipient_person=process_owner)
        assert decided.title == (
            f"Management review decision: {decision.reference} Add a second supplier"
        )
        assert decided.due_date == days(30)
        told = set(
            Notification.objects.filter(
                title=f"Management review minutes signed: {review.reference}"
            ).values_list("recipient_person__full_name", flat=True)
        )
        assert told == {"Tess Top", "Ada Auditor"}


class TestLockedAfterSigning:
    LOCKED = "minutes are signed: the review is locked."

    def test_the_edit_page_sends_back_to_the_review_saying_it_is_locked(
        self, client_for, signed, quality_manager
    ):
        response = client_for(quality_manager).get(page_of(signed, "edit"))

        assert response["Location"] == page_of(signed)
        assert f"{signed.reference}'s {self.LOCKED}" in messages_of(response)

    def test_a_web_edit_is_refused_saying_it_is_locked(self, client_for, signed, quality_manager):
        data = form_data(ManagementReviewRegister, fresh(signed), title="Rewritten")

        response = client_for(quality_manager).post(page_of(signed, "edit"), data)

        assert response.status_code == 409
        assert self.LOCKED in messages_of(response)
        assert fresh(signed).title == "Management review"

    def test_an_api_edit_is_refused_saying_it_is_locked(self, api_for, signed, top_manager):
        response = api_for(top_manager).patch(
            api_of(signed), {"conclusions": "Changed."}, **{"If-Match": fresh(signed).etag}
        )

        assert response.status_code == 409
        assert response.json()["detail"] == f"{signed.reference}'s {self.LOCKED}"
        assert fresh(signed).conclusions == "The QMS is suitable, adequate and effective."

    def test_an_input_is_no_longer_commented(self, api_for, signed, quality_manager):
        item = input_on(signed, Topic.AUDITS)

        error = refused(lambda: comment(quality_manager, item, "Afterthought."))
        api = api_for(quality_manager).patch(
            api_of(item), {"comment": "Afterthought."}, **{"If-Match": item.etag}
        )

        assert error.message == (
            f"{signed.reference} is locked: its inputs can no longer be changed."
        )
        assert api.status_code == 409
        assert fresh(item).comment == "Reviewed."

    def test_signed_minutes_are_not_archived(self, client_for, signed, quality_manager):
        error = refused(
            lambda: ArchiveRecord(quality_manager, fresh(signed), reason="Tidy up").execute()
        )
        web = client_for(quality_manager).post(page_of(signed, "archive"), {"reason": "Tidy up"})

        assert error.message == (
            "Signed minutes are a record to retain (9.3.3): they are not archived."
        )
        assert "Signed minutes are a record to retain" in messages_of(web)
        assert fresh(signed).archived_at is None

    def test_no_file_is_attached_to_signed_minutes(self, signed, quality_manager):
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("late.txt", b"an afterthought")
        error = refused(
            lambda: AttachFile(quality_manager, fresh(signed), data={"file": upload}).execute()
        )

        assert error.message == f"{signed.reference}'s {self.LOCKED}"
        assert not fresh(signed).attachments.exists()


# ============================================================================================
# 7. Cancelling a review
# ============================================================================================
class TestCancelReview:
    def test_it_needs_a_reason(self, review, quality_manager):
        error = refused(
            lambda: workflow.CancelReview(quality_manager, review).execute(), InvalidInput
        )
        assert error.errors == {"reason": ["Give a reason."]}
        assert fresh(review).status == ManagementReview.Status.PLANNED

    def test_it_keeps_the_reason_and_locks_the_review(self, review, quality_manager):
        workflow.CancelReview(quality_manager, review, reason="Merged with Q3 review.").execute()

        review = fresh(review)
        assert (review.status, review.cancel_reason) == ("cancelled", "Merged with Q3 review.")
        error = refused(
            lambda: UpdateRecord(quality_manager, fresh(review), data={"title": "x"}).execute()
        )
        assert error.message == f"{review.reference} was cancelled."

    def test_it_is_refused_once_decisions_are_recorded(self, held, decision, quality_manager):
        error = refused(
            lambda: workflow.CancelReview(
                quality_manager, held, reason="Changed our minds"
            ).execute()
        )

        assert error.message == (
            "Decisions are recorded for this review: cancel or move them first."
        )
        assert fresh(held).status == ManagementReview.Status.HELD

    def test_the_web_form_asks_for_the_reason(self, client_for, review, quality_manager):
        response = do(client_for(quality_manager), review, "cancel", reason="")

        assert "A reason is required." in messages_of(response)
        assert fresh(review).status == ManagementReview.Status.PLANNED

    def test_signed_minutes_are_not_cancelled(self, signed, quality_manager):
        error = refused(
            lambda: workflow.CancelReview(quality_manager, signed, reason="Oops").execute()
        )
        assert "does not apply now" in error.message
        assert fresh(signed).status == ManagementReview.Status.SIGNED


# ============================================================================================
# 8. Previous actions at the next review
# ============================================================================================
class TestPreviousActions:
    @pytest.fixture
    def first(self, held, quality_manager, process_owner, top_manager):
        """A signed review with three decisions: one done, one open and overdue, one open."""
        done = record_decision(quality_manager, held, process_owner, title="Second supplier")
        late = record_decision(
            quality_manager, held, process_owner, title="Retrain buyers", due_in=-5
        )
        still = record_decision(quality_manager, held, process_owner, title="New gauge", due_in=60)
        sign(top_manager, held)
        complete(process_owner, done, "Approved Acme Ltd.")
        return {"review": fresh(held), "done": done, "late": late, "open": still}

    def next_review(self, quality_manager, top_manager, capture, **fields):
        fields = {"planned_date": days(40), "title": "Next review", **fields}
        review = plan_review(quality_manager, top_manager, **fields)
        return generate_pack(quality_manager, review, capture)

    def test_the_next_review_counts_the_previous_decisions(
        self, first, quality_manager, top_manager, django_capture_on_commit_callbacks
    ):
        review = self.next_review(
            quality_manager,
            top_manager,
            django_capture_on_commit_callbacks,
            period_start=days(-10),
        )

        item = input_on(review, Topic.PREVIOUS_ACTIONS)
        assert not item.data_missing
        assert dict(item.figures) == {
            "Followed": 3,
            "Done": 1,
            "Done late": 0,
            "Open": 2,
            "Overdue": 1,
        }
        assert item.summary == (
            "Of 3 actions from earlier reviews followed in this period, 1 was done (0 late), "
            "2 are still open (1 overdue) and 0 cancelled."
        )

    def test_its_details_name_each_decision_of_the_earlier_review(
        self, first, quality_manager, top_manager, django_capture_on_commit_callbacks
    ):
        review = self.next_review(
            quality_manager,
            top_manager,
            django_capture_on_commit_callbacks,
            period_start=days(-10),
        )

        details = input_on(review, Topic.PREVIOUS_ACTIONS).details
        references = [reference for _, reference in details]
        assert sorted(references) == sorted(
            first[key].reference for key in ("done", "late", "open")
        )
        done_line = next(text for text, ref in details if ref == first["done"].reference)
        assert first["review"].reference in done_line
        assert f"done on {today():%Y-%m-%d}: Approved Acme Ltd." in done_line

    def test_a_decision_completed_before_the_next_period_began_is_not_followed_again(
        self, first, quality_manager, top_manager, django_capture_on_commit_callbacks
    ):
        review = self.next_review(
            quality_manager,
            top_manager,
            django_capture_on_commit_callbacks,
            planned_date=days(400),
            period_start=days(1),
            period_end=days(300),
        )

        item = input_on(review, Topic.PREVIOUS_ACTIONS)
        assert dict(item.figures)["Followed"] == 2
        assert dict(item.figures)["Done"] == 0
        assert first["done"].reference not in [ref for _, ref in item.details]

    def test_the_next_reviews_page_lists_them(
        self,
        client_for,
        first,
        quality_manager,
        top_manager,
        django_capture_on_commit_callbacks,
    ):
        review = self.next_review(
            quality_manager,
            top_manager,
            django_capture_on_commit_callbacks,
            period_start=days(-10),
        )

        html = client_for(top_manager).get(page_of(review)).content.decode()

        assert first["late"].reference in html
        assert "<dt>Overdue</dt><dd>1</dd>" in html


# ============================================================================================
# 9. Who sees what, and who may do what
# ============================================================================================
# What each persona gets on each page: readers of the review read everything; an employee
# reads only the decision register (a decision someone owns is theirs); nobody reads nothing.
PAGE_ANSWERS = {
    **{
        name: dict.fromkeys(("review list", "review", "PDF", "DOCX", "input", "decisions"), 200)
        for name in READERS
    },
    "employee": {
        "review list": 403,
        "review": 403,
        "PDF": 403,
        "DOCX": 403,
        "input": 403,
        "decisions": 200,
    },
    "nobody": dict.fromkeys(("review list", "review", "PDF", "DOCX", "input", "decisions"), 403),
}


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_each_role_reads_the_review_pages_or_is_refused(
    client_for, request, persona, signed, decision
):
    pages = {
        "review list": REVIEWS,
        "review": page_of(signed),
        "PDF": reverse("reviews:minutes_pdf", args=[signed.reference]),
        "DOCX": reverse("reviews:minutes_docx", args=[signed.reference]),
        "input": page_of(input_on(signed, Topic.AUDITS)),
        "decisions": DECISIONS,
    }
    client = client_for(persona)

    answers = {label: client.get(url) for label, url in pages.items()}

    expected = PAGE_ANSWERS[request.node.callspec.params["persona"]]
    assert {label: r.status_code for label, r in answers.items()} == expected
    if expected["review"] == 200:
        assert signed.reference in answers["review list"].content.decode()
        assert decision.reference in answers["decisions"].content.decode()
        assert answers["PDF"]["Content-Type"] == "application/pdf"
        assert answers["PDF"].getvalue().startswith(b"%PDF")
        assert answers["DOCX"].getvalue().startswith(b"PK")


def test_an_employee_reads_and_completes_a_decision_they_own(
    client_for, commented, quality_manager, top_manager, employee
):
    review = hold(quality_manager, commented, [top_manager])
    own = record_decision(quality_manager, review, employee, title="Label the racks")
    sign(top_manager, review)
    client = client_for(employee)

    listed = client.get(DECISIONS).content.decode()
    page = client.get(page_of(own))
    done = do(client, own, "complete", outcome="Racks labelled.")

    assert own.reference in listed
    assert page.status_code == 200
    assert done.status_code == 302
    assert fresh(own).status == ReviewDecision.Status.DONE


def test_an_employee_does_not_read_the_decisions_of_others(client_for, signed, decision, employee):
    client = client_for(employee)

    listed = client.get(DECISIONS).content.decode()
    page = client.get(page_of(decision))

    assert decision.reference not in listed
    assert page.status_code in (403, 404)


def test_signed_out_visitors_are_sent_to_sign_in(client, signed):
    for url in (
        REVIEWS,
        page_of(signed),
        reverse("reviews:minutes_pdf", args=[signed.reference]),
        reverse("reviews:pack_status", args=[signed.reference]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login/" in response["Location"]


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_only_management_starts_the_pack_from_the_page(client_for, request, persona, review):
    name = request.node.callspec.params["persona"]

    response = do(client_for(persona), review, "generate-pack")

    if name in MANAGERS:
        assert response.status_code == 302
        assert job_of(review).kind == "review-pack"
    else:
        assert response.status_code in (302, 403)
        assert job_of(review) is None
        if response.status_code == 302:
            assert "You do not have the right to generate the input pack." in messages_of(response)


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_only_management_records_the_meeting_through_the_api(
    api_for, request, persona, packed, top_manager
):
    name = request.node.callspec.params["persona"]

    response = api_do(
        api_for(persona),
        packed,
        "hold-meeting",
        held_on=today().isoformat(),
        attendees=[top_manager.pk],
    )

    assert response.status_code == (200 if name in MANAGERS else 403)
    expected = "held" if name in MANAGERS else "planned"
    assert fresh(packed).status == expected


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_only_management_plans_a_review(api_for, client_for, request, persona, top_manager):
    name = request.node.callspec.params["persona"]

    api = api_for(persona).post(API_REVIEWS, review_body(top_manager))
    web = client_for(persona).post(f"{REVIEWS}new/", review_form(top_manager))

    if name in MANAGERS:
        assert (api.status_code, web.status_code) == (201, 302)
        assert ManagementReview.objects.count() == 2
    else:
        assert (api.status_code, web.status_code) == (403, 403)
        assert not ManagementReview.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_only_management_cancels_a_review(api_for, request, persona, review):
    name = request.node.callspec.params["persona"]

    response = api_do(api_for(persona), review, "cancel", reason="Merged with Q3.")

    allowed = name in MANAGERS
    assert response.status_code == (200 if allowed else 403)
    assert fresh(review).status == ("cancelled" if allowed else "planned")


def test_the_chair_alone_is_offered_signing_on_the_page(
    client_for, held, top_manager, quality_manager
):
    chair_page = client_for(top_manager).get(page_of(held)).content.decode()
    other_page = client_for(quality_manager).get(page_of(held)).content.decode()

    assert "do/sign-minutes/" in chair_page
    assert "do/sign-minutes/" not in other_page
    assert "Only the chair signs the minutes." in other_page
