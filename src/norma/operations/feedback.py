"""Customer feedback (8.2.1, 9.1.2): complaints answered on time and, when justified, taken
into the nonconformity workflow; survey responses entered or imported, with CSAT and NPS."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone

from norma.core.actions import Action, ActionRefused, CreateRecord, InvalidInput, Transition
from norma.improvement.models import Nonconformity, Source
from norma.operations.linking import RaiseLinkedNonconformity
from norma.operations.models import Complaint, Customer, Survey, SurveyResponse

CMP = Complaint.Status


class LogComplaint(CreateRecord):
    """A complaint, due for an answer within the days its severity allows unless given."""

    label = "Log a complaint"

    def __init__(self, actor, model=Complaint, **kwargs):
        super().__init__(actor, model, **kwargs)

    def apply(self):
        received = self.data.get("received_on") or timezone.localdate()
        severity = self.data.get("severity") or Complaint.Severity.MINOR
        if not self.data.get("due_date"):
            days = settings.NORMA_COMPLAINT_RESPONSE_DAYS.get(severity, 10)
            self.data["due_date"] = received + timedelta(days=days)
        if self.data.get("site") is None and self.actor.site_id:
            self.data["site"] = self.actor.site
        return super().apply()


class RaiseComplaintNonconformity(RaiseLinkedNonconformity):
    """The complaint as a nonconformity, linked both ways."""

    open_statuses = (CMP.OPEN, CMP.RESPONDED)

    def nonconformity_fields(self) -> dict:
        major = self.obj.severity in (Complaint.Severity.CRITICAL, Complaint.Severity.MAJOR)
        return {
            "title": f"Complaint from {self.obj.customer.title}: {self.obj.title}",
            "description": self.obj.description,
            "source": Source.CUSTOMER_COMPLAINT,
            "product": self.obj.product,
            "severity": Nonconformity.Severity.MAJOR if major else Nonconformity.Severity.MINOR,
        }


class SendResponse(Transition):
    code = "respond"
    label = "Record the response sent"
    permission = "operations.change_complaint"
    sources = (CMP.OPEN,)
    target = CMP.RESPONDED
    fields = ("investigation", "justified", "response")
    optional_fields = ("response_sent_on",)

    def prepare(self):
        self.obj.response_sent_on = self.obj.response_sent_on or timezone.localdate()


class CloseComplaint(Transition):
    """A justified complaint is a nonconformity: it closes only once one is raised."""

    code = "close"
    label = "Close"
    permission = "operations.change_complaint"
    sources = (CMP.RESPONDED,)
    target = CMP.CLOSED

    def check_step(self):
        if self.obj.justified is None:
            raise ActionRefused(f"Say whether {self.obj.reference} was justified first.")
        if self.obj.justified and not self.obj.nonconformity_id:
            raise ActionRefused(
                f"{self.obj.reference} was found justified: raise its nonconformity first."
            )


class WithdrawComplaint(Transition):
    code = "withdraw"
    label = "Withdrawn by the customer"
    permission = "operations.change_complaint"
    reason_required = True
    sources = (CMP.OPEN,)
    target = CMP.WITHDRAWN


def satisfaction(responses) -> dict:
    """Response count, CSAT (% of 4 and 5 of those who scored satisfaction) and NPS (% of
    promoters less % of detractors, of those who scored the recommendation), in one query."""
    counts = responses.aggregate(
        total=Count("pk"),
        scored=Count("pk", filter=Q(satisfaction__isnull=False)),
        satisfied=Count("pk", filter=Q(satisfaction__gte=4)),
        rated=Count("pk", filter=Q(recommend__isnull=False)),
        promoters=Count("pk", filter=Q(recommend__gte=9)),
        detractors=Count("pk", filter=Q(recommend__lte=6)),
    )
    tenth = Decimal("0.1")
    csat = nps = None
    if counts["scored"]:
        csat = (Decimal(100 * counts["satisfied"]) / counts["scored"]).quantize(tenth)
    if counts["rated"]:
        net = counts["promoters"] - counts["detractors"]
        nps = (Decimal(100 * net) / counts["rated"]).quantize(tenth)
    return {"response_count": counts["total"], "csat": csat, "nps": nps}


class AddSurveyResponses(Action):
    """Enter one response, or import many (CSV with satisfaction, recommend, customer,
    comment): every row is checked before any is stored, the figures are recomputed, and an
    imported file is kept with the survey."""

    code = "add-responses"
    label = "Add responses"
    permission = "operations.change_survey"
    offered = False  # the survey page has its own form and import

    def check_rules(self):
        if self.obj.is_archived or self.obj.status != Survey.Status.OPEN:
            raise ActionRefused(f"{self.obj.reference} is closed: no more responses.")

    def apply(self):
        from norma.core.attachments import store_attachment

        upload = self.data.get("file")
        rows = self.data.get("rows")
        if rows is None:
            rows = read_csv(upload) if upload is not None else [self.data]
        self.numbered = upload is not None or "rows" in self.data
        if len(rows) > settings.NORMA_IMPORT_MAX_ROWS:
            message = f"At most {settings.NORMA_IMPORT_MAX_ROWS} responses at once."
            raise InvalidInput(message, {"file": [message]})
        self.customers = CustomerNames(self.actor, [row.get("customer") for row in rows])
        responses = [self.response(number, row) for number, row in enumerate(rows, start=1)]
        if not responses:
            raise InvalidInput("There are no responses to add.", {"file": ["No rows."]})
        SurveyResponse.objects.bulk_create(responses)
        self.added = len(responses)
        for name, value in satisfaction(self.obj.responses.all()).items():
            setattr(self.obj, name, value)
        survey = self.save(self.obj)
        if upload is not None:
            upload.seek(0)
            store_attachment(survey, upload, self.actor)  # the source of the figures
        return survey

    def response(self, number, row) -> SurveyResponse:
        where = f"Row {number}: " if self.numbered else ""
        try:
            response = SurveyResponse(
                survey=self.obj,
                satisfaction=score(row.get("satisfaction"), "satisfaction"),
                recommend=score(row.get("recommend"), "recommend"),
                comment=str(row.get("comment") or "").strip()[:5000],
                customer=self.customers.get(row.get("customer")),
            )
            response.full_clean(exclude=["survey"])
        except ValidationError as error:
            errors = getattr(error, "message_dict", {"__all__": error.messages})
            raise InvalidInput.from_validation_error(
                ValidationError({k: [f"{where}{m}" for m in v] for k, v in errors.items()})
            ) from None
        return response

    def logged_values(self, before):
        before, after = super().logged_values(before)
        after["responses_added"] = self.added
        return before, after


def score(value, field):
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValidationError({field: f"'{value}' is not a whole number."}) from None


class CustomerNames:
    """Customers named by reference or exact name, among those the person may read, found
    in one query; an unknown or ambiguous name is refused, never guessed or created."""

    def __init__(self, person, names):
        wanted = {str(n).strip() for n in names if n not in (None, "") and not hasattr(n, "pk")}
        found = Customer.objects.visible_to(person).live()
        found = found.filter(Q(reference__in=wanted) | Q(title__in=wanted)) if wanted else []
        self.by_name: dict[str, list] = {}
        for customer in found:
            for key in {customer.reference, customer.title}:
                self.by_name.setdefault(key, []).append(customer)

    def get(self, value):
        if value in (None, "") or hasattr(value, "pk"):
            return value or None
        text = str(value).strip()
        matches = self.by_name.get(text, [])
        if not matches:
            raise ValidationError({"customer": f"No customer you may see is called '{text}'."})
        if len(matches) > 1:
            raise ValidationError(
                {"customer": f"Several customers are called '{text}': give the reference."}
            )
        return matches[0]


def read_csv(upload) -> list[dict]:
    from norma.core.attachments import check_upload

    data = upload.read()
    check_upload(upload.name, data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text.", {"file": ["Not UTF-8 text."]}) from None
    try:
        reader = csv.DictReader(io.StringIO(text))
        names = {name.strip().lower() for name in reader.fieldnames or []}
        if not names & {"satisfaction", "recommend"}:
            message = "The file needs a 'satisfaction' or a 'recommend' column."
            raise InvalidInput(message, {"file": [message]})
        return [{k.strip().lower(): v for k, v in row.items() if k} for row in reader]
    except csv.Error as error:
        message = f"The file is not valid CSV (line {reader.reader.line_num}): {error}."
        raise InvalidInput(message, {"file": [message]}) from None


class CloseSurvey(Transition):
    code = "close"
    label = "Close and keep the results"
    permission = "operations.change_survey"
    sources = (Survey.Status.OPEN,)
    target = Survey.Status.CLOSED
    optional_fields = ("conclusions", "closed_on")

    def check_step(self):
        if not self.obj.responses.exists():
            raise ActionRefused(f"{self.obj.reference} has no responses yet.")

    def prepare(self):
        self.obj.closed_on = self.obj.closed_on or timezone.localdate()


COMPLAINT_ACTIONS = [RaiseComplaintNonconformity, SendResponse, CloseComplaint, WithdrawComplaint]
