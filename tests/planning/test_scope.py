"""4.3: the scope of the QMS and the requirements judged not applicable, which then read
"not applicable" on the readiness page instead of being checked."""

import pytest

from norma.core.actions import ArchiveRecord, CreateRecord, InvalidInput, UpdateRecord
from norma.planning.models import NonApplicableRequirement, QmsScope
from norma.standards.models import Clause
from norma.standards.readiness import Status, evaluate
from tests.documents.test_distribution_and_retention import bring_into_force
from tests.factories import make_document

NEW = "/planning/requirements-judged-not-applicable/new/"


def clause(ref):
    return Clause.objects.get(standard__slug="iso9001-2015", ref=ref)


def judge(actor, ref, why="Nothing is designed here: parts are made to customers' drawings."):
    data = {"title": f"{ref} does not apply", "clause": clause(ref), "justification": why}
    return CreateRecord(actor, NonApplicableRequirement, data=data).execute()


def rows(person) -> dict:
    return {row.clause.ref: row for row in evaluate(person).rows}


def test_a_judged_clause_and_those_under_it_read_not_applicable_with_the_reason(
    quality_manager, top_manager
):
    judged = judge(top_manager, "8.3")
    report = rows(quality_manager)
    for ref in ("8.3", "8.3.1", "8.3.6"):
        assert report[ref].status == Status.NOT_APPLICABLE, ref
        [result] = report[ref].results
        assert judged.reference in result.sentence
        assert "customers' drawings" in result.sentence
    assert report["8"].status != Status.NOT_APPLICABLE  # the rest of 8 still applies
    assert report["8.4"].status != Status.NOT_APPLICABLE


def test_a_not_applicable_clause_is_left_out_of_the_score(quality_manager, top_manager):
    before = evaluate(quality_manager)
    judge(top_manager, "8.5.5")
    after = evaluate(quality_manager)
    assert after.counts()["not_applicable"] == before.counts()["not_applicable"] + 1
    assert len(after.assessed) == len(before.assessed)


def test_archiving_the_judgement_makes_the_clause_apply_again(quality_manager, top_manager):
    judged = judge(top_manager, "8.5.5")
    ArchiveRecord(quality_manager, judged, reason="We now service what we sell.").execute()
    assert rows(quality_manager)["8.5.5"].status != Status.NOT_APPLICABLE
    judge(top_manager, "8.5.5")  # and it can be judged again later
    assert rows(quality_manager)["8.5.5"].status == Status.NOT_APPLICABLE


@pytest.mark.parametrize("ref", ["4.4", "5.2", "6.1", "9.2", "10.2"])
def test_only_requirements_of_clauses_7_and_8_can_be_judged_not_applicable(top_manager, ref):
    with pytest.raises(InvalidInput) as refused:
        judge(top_manager, ref)
    assert "only requirements of clauses 7 and 8" in refused.value.errors["clause"][0]
    assert not NonApplicableRequirement.objects.exists()


def test_a_clause_is_judged_not_applicable_once(top_manager):
    judge(top_manager, "8.5.5")
    with pytest.raises(InvalidInput) as refused:
        judge(top_manager, "8.5.5")
    assert refused.value.errors["clause"] == ["8.5.5 is already judged not applicable."]


def test_the_form_and_the_api_refuse_without_a_justification(top_manager, client_for, api_for):
    data = {"title": "No servicing", "clause": str(clause("8.5.5").pk), "justification": ""}
    response = client_for(top_manager).post(NEW, data)
    assert response.status_code == 422
    assert "justification" in response.context["form"].errors
    refused = api_for(top_manager).post(
        "/api/v1/planning/requirements-judged-not-applicable/",
        {"title": "No servicing", "clause": clause("4.4").pk, "justification": "None."},
    )
    assert refused.status_code == 422
    assert "clause" in refused.json()["errors"]
    assert not NonApplicableRequirement.objects.exists()


@pytest.mark.parametrize("persona", ["process_owner", "employee", "external_auditor"])
def test_only_top_management_and_the_quality_manager_judge(persona, request, client_for):
    person = request.getfixturevalue(persona)
    data = {"title": "No servicing", "clause": str(clause("8.5.5").pk), "justification": "x"}
    assert client_for(person).post(NEW, data).status_code == 403
    assert not NonApplicableRequirement.objects.exists()


def test_4_3_follows_the_scope_and_its_statement(
    quality_manager, top_manager, process_owner, leeds
):
    def check():
        row = rows(quality_manager)["4.3"]
        planning = [
            r for r in row.results if "scope SCP-" in r.sentence or "not recorded" in r.sentence
        ]
        return planning[0].status, planning[0].sentence

    assert check() == (Status.MISSING, "The scope of the QMS is not recorded.")
    scope = CreateRecord(
        top_manager, QmsScope, data={"title": "Scope", "products_services": "Machined parts"}
    ).execute()
    status, sentence = check()
    assert status == Status.PARTLY_MET
    assert "it names no site; it is not linked to its controlled statement" in sentence
    statement = make_document(process_owner, title="Scope statement", document_type="form")
    UpdateRecord(
        top_manager, scope, data={"covered_sites": [leeds], "statement": statement}
    ).execute()
    status, sentence = check()
    assert status == Status.PARTLY_MET
    assert f"its statement {statement.reference} is not in force" in sentence
    bring_into_force(statement, process_owner, quality_manager)
    judge(top_manager, "8.5.5")
    status, sentence = check()
    assert status == Status.MET
    assert f"rests on {statement.reference}, in force; 1 requirement is judged" in sentence
