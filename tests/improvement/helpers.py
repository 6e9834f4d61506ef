"""Nonconformities for tests, taken through the workflow by the real actions.

`make_nc(actor)` reports one; `walk(nc, to="verification", ...)` takes it step by step to a
status, as the people who would do each step; `bulk_ncs(n)` writes many at once for query
counts and dashboards (no actions: only rows).
"""

import datetime
from datetime import timedelta

from django.utils import timezone

from norma.core.actions import CreateRecord
from norma.core.context import acting_as
from norma.core.models import next_reference
from norma.improvement import actions as steps
from norma.improvement.analysis import AddCause, RecordEightDStep
from norma.improvement.models import CorrectiveAction, Nonconformity
from tests.factories import PASSWORD

ORDER = ["reported", "containment", "analysis", "action_plan", "implementation", "verification"]


def make_nc(actor, **fields) -> Nonconformity:
    data = {"title": "Bores oversize on batch 12", "source": "process", **fields}
    data.setdefault("description", data["title"])
    return steps.ReportNonconformity(actor, data=data).execute()


def add_action(actor, nc, kind="corrective", owner=None, days=14, **fields):
    data = {
        "nonconformity": nc,
        "kind": kind,
        "title": f"{kind} action",
        "owner": owner or actor,
        "due_date": timezone.localdate() + timedelta(days=days),
        **fields,
    }
    return CreateRecord(actor, CorrectiveAction, data=data).execute()


def fresh(nc) -> Nonconformity:
    return Nonconformity.objects.get(pk=nc.pk)


def walk(nc, to, *, triager, owner, action_owner=None, verifier=None, method="five_whys"):
    """Take `nc` to the status `to` (one of ORDER, or "closed"), each step by whoever does it:
    the triager (a quality manager) triages; the owner contains, analyses and plans; the action
    owner does the corrective action; the verifier checks it (and closes it, with a signature).
    """
    action_owner = action_owner or owner
    target = ORDER.index(to) if to in ORDER else len(ORDER)
    nc = fresh(nc)

    def run(action_class, actor, reason="", **data):
        return action_class(actor, fresh(nc), data=data, reason=reason).execute()

    if target >= 1 and nc.status == "reported":
        nc = run(steps.Triage, triager, owner=owner.pk, kind="process", severity="minor")
    if target >= 2 and nc.status == "containment":
        add_action(owner, nc, kind="containment", owner=owner)
        nc = run(steps.StartAnalysis, owner, method=method)
    if target >= 3 and nc.status == "analysis":
        if method == "eight_d":
            for discipline in range(5):
                nc = run(RecordEightDStep, owner, discipline=discipline, notes="Done", done="1")
        category = "method" if method != "five_whys" else ""
        nc = run(
            AddCause, owner, statement="No check", category=category, verified="1", is_root="1"
        )
        nc = run(steps.CompleteAnalysis, owner, elsewhere="Checked the other site: not there.")
    if target >= 4 and nc.status == "action_plan":
        add_action(owner, nc, owner=action_owner, days=30)
        nc = run(steps.StartImplementation, owner)
    if target >= 5 and nc.status == "implementation":
        # Every action of the round is finished before the fix is checked (containment too).
        for action in nc.actions.filter(status="open", analysis_round=nc.analysis_round):
            steps.CompleteCorrectiveAction(
                action.owner, action, data={"evidence": "Procedure updated"}
            ).execute()
        nc = run(
            steps.MarkImplemented,
            owner,
            verification_criteria="No repeat in three months",
            verification_due=(timezone.localdate() + timedelta(days=30)).isoformat(),
            verifier=verifier.pk,
        )
    if target >= 6 and nc.status == "verification":
        if method == "eight_d":
            for discipline in range(5, 8):
                nc = run(RecordEightDStep, owner, discipline=discipline, notes="Done", done="1")
        nc = run(
            steps.VerifyEffective, verifier, reason="Sampled 20 parts: all good", password=PASSWORD
        )
    return fresh(nc)


def bulk_ncs(count: int, **fields) -> list[Nonconformity]:
    """Rows only, for query counts and dashboards."""
    today = timezone.localdate()
    with acting_as(name="test bulk"):
        rows = [
            Nonconformity(
                reference=next_reference("NC"),
                title=f"Bulk nonconformity {i}",
                description="Bulk",
                source="process",
                kind="process",
                status="analysis",
                detected_on=today - datetime.timedelta(days=i % 300),
                **fields,
            )
            for i in range(count)
        ]
        return Nonconformity.objects.bulk_create(rows)
