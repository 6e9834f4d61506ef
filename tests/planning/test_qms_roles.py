"""5.3: QMS roles with responsibilities and authorities, who holds them, and the
responsibility matrix (one role accountable per process)."""

import pytest

from norma.core.actions import InvalidInput, UpdateRecord
from norma.planning.models import QmsRole
from norma.planning.registers import QmsRoleRegister
from norma.standards.readiness import Status, evaluate
from tests.conftest import PERSONAS
from tests.factories import (
    PersonFactory,
    bulk_planning_records,
    make_planning_record,
    make_process,
)
from tests.kit import RegisterKit, count_queries

MATRIX = "/planning/responsibility-matrix/"
ROLE = {"duties": "Runs the audit programme.", "authorities": "May stop an audit."}
make_role = make_planning_record(QmsRole, ROLE)


class TestQmsRoleRegister(RegisterKit):
    register = QmsRoleRegister
    make_record = staticmethod(make_role)
    bulk_records = staticmethod(bulk_planning_records(QmsRole, "ROL", ROLE))
    create_data = {"title": "Internal audit lead", **ROLE}
    edit_data = {"title": "Lead auditor", "authorities": "May extend an audit."}
    invalid_data = {"duties": "", "authorities": ""}
    viewers = [p for p in PERSONAS if p != "nobody"]
    adders = ["quality_manager", "top_manager"]
    editors = ["quality_manager", "top_manager"]
    archivers = ["quality_manager"]


def check_5_3(person):
    row = next(r for r in evaluate(person).rows if r.clause.ref == "5.3")
    return next(r for r in row.results if "role" in r.sentence.lower())


def test_one_role_is_accountable_for_a_process(top_manager, quality_manager):
    sales = make_process(quality_manager, title="Sales")
    make_role(top_manager, title="Commercial lead", accountable_for=[sales])
    with pytest.raises(InvalidInput) as refused:
        make_role(top_manager, title="Sales manager", accountable_for=[sales])
    assert "already accountable for" in refused.value.errors["accountable_for"][0]
    assert "Commercial lead" in refused.value.errors["accountable_for"][0]
    assert QmsRole.objects.count() == 1


def test_a_role_may_stay_accountable_when_it_is_edited(top_manager, quality_manager):
    sales = make_process(quality_manager, title="Sales")
    role = make_role(top_manager, title="Commercial lead", accountable_for=[sales])
    UpdateRecord(
        top_manager, role, data={"title": "Sales lead", "accountable_for": [sales]}
    ).execute()
    assert list(QmsRole.objects.get(pk=role.pk).accountable_for.all()) == [sales]


def test_the_matrix_shows_the_letters_and_processes_nobody_is_accountable_for(
    top_manager, employee, client_for, quality_manager
):
    sales, audit = (
        make_process(quality_manager, title="Sales"),
        make_process(quality_manager, title="Audit"),
    )
    make_role(top_manager, title="Commercial lead", accountable_for=[sales], informed_of=[audit])
    make_role(top_manager, title="Quality lead", responsible_for=[sales], consulted_on=[audit])
    page = client_for(employee).get(MATRIX).content.decode()
    rows = {
        title: page.split(f">{title}</a>", 1)[1].split("</tr>", 1)[0]
        for title in ("Sales", "Audit")
    }
    assert "no one accountable" not in rows["Sales"]
    assert rows["Sales"].count('class="letters">A<') == 1
    assert rows["Sales"].count('class="letters">R<') == 1
    assert "no one accountable" in rows["Audit"]
    assert 'class="letters">I<' in rows["Audit"] and 'class="letters">C<' in rows["Audit"]


def test_the_matrix_runs_the_same_queries_for_few_and_many_roles(
    top_manager, client_for, quality_manager
):
    processes = [make_process(quality_manager, title=f"Process {i}") for i in range(6)]
    make_role(top_manager, title="Role 0", responsible_for=processes[:2])
    client = client_for(top_manager)
    few, _ = count_queries(client, MATRIX)
    for i in range(1, 8):
        make_role(top_manager, title=f"Role {i}", informed_of=processes, consulted_on=processes[:3])
    many, queries = count_queries(client, MATRIX)
    assert few == many, queries


@pytest.mark.parametrize("persona, allowed", [("nobody", False), ("external_auditor", True)])
def test_who_may_see_the_matrix(persona, allowed, request, client_for):
    status = client_for(request.getfixturevalue(persona)).get(MATRIX).status_code
    assert status == (200 if allowed else 403)


def test_the_process_page_and_turtle_show_the_roles_with_their_letters(
    top_manager, client_for, quality_manager
):
    sales = make_process(quality_manager, title="Sales")
    holder = PersonFactory(full_name="Priya Seller")
    make_role(top_manager, title="Commercial lead", accountable_for=[sales], holders=[holder])
    client = client_for(top_manager)
    page = client.get(f"/planning/processes/{sales.reference}/").content.decode()
    assert "Commercial lead" in page and "Priya Seller" in page
    turtle = client.get(f"/planning/processes/{sales.reference}/turtle/").content.decode()
    assert '<span class="badge">A</span>' in turtle and "Commercial lead" in turtle


def test_5_3_needs_roles_held_by_someone_and_an_accountable_role_per_process(
    top_manager, quality_manager
):
    assert check_5_3(quality_manager).status == Status.MISSING
    sales = make_process(quality_manager, title="Sales")
    role = make_role(top_manager, title="Commercial lead")
    result = check_5_3(quality_manager)
    assert result.status == Status.PARTLY_MET
    assert result.sentence == "1 role is held by nobody; 1 process has no role accountable."
    leaver = PersonFactory(full_name="Left Already", is_active=False)
    UpdateRecord(
        top_manager, role, data={"holders": [leaver], "accountable_for": [sales]}
    ).execute()
    assert check_5_3(quality_manager).sentence == "1 role is held by nobody."
    UpdateRecord(top_manager, role, data={"holders": [top_manager]}).execute()
    assert check_5_3(quality_manager).status == Status.MET
