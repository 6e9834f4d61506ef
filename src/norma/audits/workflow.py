"""One audit from plan to follow-up: the plan sent, the checklist generated, the documents
reviewed, the opening and closing meetings, the report signed and locked, the audit closed
once its findings are followed up, a follow-up audit scheduled, and cancellation."""

from django.db.models import Q
from django.utils import timezone

from norma.audits import notices
from norma.audits.checklist import generate_checklist
from norma.audits.models import Audit, Finding, Grade
from norma.core.actions import Action, ActionRefused, InvalidInput, NotPermitted, Transition
from norma.core.changelog import record_change, snapshot
from norma.core.models import RoleCode, SignatureMeaning
from norma.core.signatures import add_signature, confirm_identity
from norma.documents.models import Revision
from norma.improvement.models import Nonconformity
from norma.people.models import AuditExperience

S = Audit.Status


def references(rows, most: int = 10) -> str:
    """The first reference codes of `rows`, for a refusal that names what is in the way."""
    return ", ".join(rows.values_list("reference", flat=True)[:most])


class AuditStep(Transition):
    """A step of the audit, taken by its auditors (or by whoever runs the programme)."""

    permission = "audits.change_audit"

    def check_step(self):
        if self.obj.edit_refusal_for(self.actor):
            raise NotPermitted(f"Only {self.obj.reference}'s audit team can {self.label.lower()}.")
        self.check_audit()

    def check_audit(self):
        """What else must be true of the audit."""


class SendPlan(AuditStep):
    """Send the audit plan to the auditees and the team: an email with a calendar
    invitation, and a notification in Norma."""

    code = "send-plan"
    label = "Send the audit plan"
    sources = (S.PLANNED, S.IN_PROGRESS)
    fields = ("start_date", "end_date", "agenda")

    def check_audit(self):
        if not self.obj.auditees.exists():
            raise ActionRefused("Name the auditees first: the plan is sent to them.")

    def apply(self):
        target = self.obj.status
        self.set_fields()
        self.obj.plan_sent_at = timezone.now()
        self.obj.status = target
        self.save(self.obj)
        self.attendees = notices.auditees_and_team(self.obj)
        notices.notify(
            self.obj,
            self.attendees,
            f"Audit plan: {self.obj.reference} {self.obj.title}",
            f"Internal audit from {self.obj.start_date:%Y-%m-%d}. Open it for the agenda.",
            key=f"plan-{self.obj.version}",
        )
        return self.obj

    def after_commit(self):
        notices.send_plan(self.obj, self.attendees)


class GenerateChecklist(AuditStep):
    """Add the audit questions of the clauses in scope and questions about the processes'
    documents, KPIs and risks; what is already on the checklist is not added again."""

    code = "generate-checklist"
    label = "Generate the checklist"
    sources = (S.PLANNED, S.IN_PROGRESS)

    def check_audit(self):
        if not (self.obj.clauses.exists() or self.obj.processes.exists()):
            raise ActionRefused("Put clauses or processes in the audit's scope first.")

    def apply(self):
        self.added = generate_checklist(self.obj, owner=self.actor)
        if not self.added and self.obj.checklist.exists():
            raise ActionRefused("Every question for this scope is on the checklist already.")
        if not self.added:
            raise ActionRefused(
                "Nothing to ask: the clauses in scope have no audit questions, and the "
                "processes no documents in force, KPIs or open risks. Add questions of your own."
            )
        return self.save(self.obj)

    def logged_values(self, before):
        return None, {"checklist_items_added": len(self.added)}


class ReviewDocuments(AuditStep):
    """Record the document review done before the audit: which documents, at which of their
    effective revisions, and what it found."""

    code = "review-documents"
    label = "Record the document review"
    sources = (S.PLANNED, S.IN_PROGRESS)
    fields = ("reviewed_documents", "document_review_notes")

    def apply(self):
        target = self.obj.status
        cleaned = self.set_fields()
        documents = list(cleaned["reviewed_documents"])
        effective = {
            r.document_id: r
            for r in Revision.objects.filter(
                document__in=documents, status=Revision.Status.EFFECTIVE
            )
        }
        missing = [d.reference for d in documents if d.pk not in effective]
        if missing:
            raise InvalidInput(
                "Only documents in force are reviewed.",
                {"reviewed_documents": [f"No effective revision: {', '.join(missing)}."]},
            )
        self.obj.reviewed_revisions = [
            {
                "document": d.reference,
                "title": d.title,
                "revision": effective[d.pk].label,
                "effective_date": str(effective[d.pk].effective_date or ""),
            }
            for d in documents
        ]
        self.obj.status = target
        self.save(self.obj)
        self.obj.reviewed_documents.set(documents)
        return self.obj


class HoldOpeningMeeting(AuditStep):
    """The opening meeting starts the audit on site."""

    code = "open"
    label = "Record the opening meeting"
    sources = (S.PLANNED,)
    target = S.IN_PROGRESS
    fields = ("opening_meeting_at", "opening_attendees")

    def check_audit(self):
        if not self.obj.owner_id:
            raise ActionRefused("Name the lead auditor first.")


class HoldClosingMeeting(AuditStep):
    """The closing meeting presents the findings; the report is written next."""

    code = "close-fieldwork"
    label = "Record the closing meeting"
    sources = (S.IN_PROGRESS,)
    target = S.REPORTING
    fields = ("closing_meeting_at", "closing_attendees")

    def check_audit(self):
        if not self.obj.checklist.live().exclude(result="not_audited").exists():
            raise ActionRefused("Nothing on the checklist has been audited yet.")


class SignReport(AuditStep):
    """The lead auditor signs the report: it is locked, distributed to top management and
    the auditees, and each auditor's experience is counted (9.2.2, 7.2)."""

    code = "sign-report"
    label = "Sign the report"
    needs_signature = True
    sources = (S.REPORTING,)
    target = S.REPORTED
    fields = ("conclusions", "fulfilment")
    optional_fields = ("strengths", "weaknesses", "improvement_areas", "diverging_opinions")

    def check_audit(self):
        if self.obj.owner_id != self.actor.pk:
            raise NotPermitted("Only the lead auditor signs the report.")
        drafts = self.obj.findings.live().filter(status=Finding.Status.DRAFT)
        if drafts.exists():
            raise ActionRefused(
                f"Issue or withdraw the draft findings before signing: {references(drafts)}."
            )
        unrecorded = self.obj.checklist.live().filter(
            result__in=(Grade.MAJOR, Grade.MINOR), findings__isnull=True
        )
        if unrecorded.exists():
            raise ActionRefused(
                "Checklist items graded as nonconformities have no finding yet: "
                f"{references(unrecorded)}. Record the findings (or change the results) "
                "before signing."
            )

    def prepare(self):
        self.check_fulfilment()
        confirm_identity(self.actor, self.data.get("password", ""), self.data.get("otp_token", ""))
        self.obj.reported_on = timezone.localdate()
        self.obj.distributed_to = notices.distribution(self.obj)

    def apply(self):
        super().apply()
        add_signature(self.obj, self.actor, SignatureMeaning.AUTHORED, self.reason)
        self.count_experience()
        notices.notify(
            self.obj,
            list(self.obj.auditees.all()),
            f"Audit report signed: {self.obj.reference} {self.obj.title}",
            f"{self.obj.get_fulfilment_display()}. Acknowledge the findings addressed to you.",
            key="report",
            roles=[RoleCode.TOP_MANAGEMENT],
        )
        return self.obj

    def check_fulfilment(self):
        """The degree of fulfilment stated agrees with the nonconformities found."""
        issued = self.obj.findings.live().exclude(status=Finding.Status.WITHDRAWN)
        grades = set(issued.values_list("grade", flat=True))
        full = self.obj.fulfilment == Audit.Fulfilment.FULL
        if full and grades & {Grade.MAJOR, Grade.MINOR}:
            raise InvalidInput(
                "The conclusion does not match the findings.",
                {"fulfilment": ["Nonconformities were found: the criteria are not fully met."]},
            )

    def count_experience(self):
        """One counted audit for each auditor, in the role they had."""
        audit = self.obj
        closed = audit.closing_meeting_at
        day = (closed and timezone.localdate(closed)) or audit.end_date
        day = min(day or timezone.localdate(), timezone.localdate())
        process = audit.processes.order_by("pk").first()
        lead_role = (
            AuditExperience.Role.LEAD_SUPERVISED
            if audit.supervisor_id
            else AuditExperience.Role.LEAD
        )
        team_role = AuditExperience.Role.TEAM_MEMBER
        for person in audit.auditors:
            experience = AuditExperience(
                title=f"{audit.reference} {audit.title}"[:250],
                auditor=person,
                owner=person,
                role=lead_role if person.pk == audit.owner_id else team_role,
                supervisor=audit.supervisor if person.pk == audit.owner_id else None,
                audited_on=day,
                audited_process=process,
                site=audit.site,
                created_by=self.actor,
            )
            experience.assign_reference()
            self.save(experience)
            record_change(experience, "create", after=snapshot(experience))


def open_follow_up(audit):
    """Findings whose follow-up is not done: nonconformities not closed, findings not
    acknowledged."""
    findings = audit.findings.live().exclude(status=Finding.Status.WITHDRAWN)
    unanswered = Q(status=Finding.Status.ISSUED)
    not_fixed = Q(grade__in=(Grade.MAJOR, Grade.MINOR)) & ~Q(
        nonconformity__status__in=(Nonconformity.Status.CLOSED, Nonconformity.Status.CANCELLED)
    )
    return findings.filter(unanswered | not_fixed)


class CloseAudit(AuditStep):
    """Close the audit once every finding is acknowledged and every nonconformity it
    opened is verified effective and closed."""

    code = "close"
    label = "Close: follow-up done"
    sources = (S.REPORTED,)
    target = S.CLOSED

    def check_step(self):  # whoever runs the programme also closes audits
        if self.obj.edit_refusal_for(self.actor):
            raise NotPermitted(f"Only {self.obj.reference}'s audit team can close it.")
        still_open = open_follow_up(self.obj)
        if still_open.exists():
            raise ActionRefused(f"Follow-up is not done for {references(still_open)}.")


class CancelAudit(AuditStep):
    """Cancel the audit; when its plan was sent, the invitation is withdrawn."""

    code = "cancel"
    label = "Cancel the audit"
    reason_required = True
    sources = (S.PLANNED, S.IN_PROGRESS)
    target = S.CANCELLED

    def apply(self):
        super().apply()
        self.attendees = notices.auditees_and_team(self.obj) if self.obj.plan_sent_at else []
        if self.attendees:
            notices.notify(
                self.obj,
                self.attendees,
                f"Audit cancelled: {self.obj.reference} {self.obj.title}",
                self.reason,
                key="cancelled",
            )
        return self.obj

    def after_commit(self):
        if self.attendees:
            notices.send_cancellation(self.obj, self.attendees, self.reason)


class ScheduleFollowUp(Action):
    """Plan a follow-up audit of the findings still open: their processes and clauses in
    scope, one checklist question per finding."""

    code = "schedule-follow-up"
    label = "Schedule a follow-up audit"
    permission = "audits.add_audit"

    def check_rules(self):
        if self.obj.status not in (S.REPORTED, S.CLOSED):
            raise ActionRefused("A follow-up is scheduled once the report is signed.")
        if not open_follow_up(self.obj).exists():
            raise ActionRefused(f"{self.obj.reference} has no finding left to follow up.")

    def apply(self):
        from norma.audits.cloning import follow_up_audit

        self.follow_up = follow_up_audit(self, self.obj, list(open_follow_up(self.obj)))
        return self.obj

    def logged_values(self, before):
        return None, {"follow_up": self.follow_up.reference}


AUDIT_ACTIONS = [
    SendPlan,
    GenerateChecklist,
    ReviewDocuments,
    HoldOpeningMeeting,
    HoldClosingMeeting,
    SignReport,
    CloseAudit,
    ScheduleFollowUp,
    CancelAudit,
]
