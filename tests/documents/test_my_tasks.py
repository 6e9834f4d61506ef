"""What document control asks of each person on "My tasks": sign, read, review periodically."""

from norma.core.models import RoleCode
from norma.documents.actions import (
    AcknowledgeRevision,
    ApproveRevision,
    Distribute,
    EditDraft,
    ReviewRevision,
    StartRevision,
    SubmitRevision,
)
from norma.documents.recipients import recipients_of
from tests.factories import PASSWORD, PersonFactory, make_document
from tests.kit import count_queries

SIGN = {"password": PASSWORD}


def submitted(author, title="Control of records"):
    document = make_document(author, title=title)
    StartRevision(author, document).execute()
    EditDraft(author, document, data={"body": "# Records\n\nKeep them."}).execute()
    SubmitRevision(author, document).execute()
    return document


def tasks(client, person):
    response = client(person).get("/")
    return {
        (task.reference, task.kind)
        for task in [*response.context["overdue"], *response.context["upcoming"]]
    }


def test_a_revision_waiting_for_my_review_is_on_my_tasks_and_leaves_once_signed(
    client_for, top_manager, process_owner, quality_manager
):
    document = submitted(top_manager)
    assert (document.reference, "Review") in tasks(client_for, process_owner)
    assert (document.reference, "Approve") not in tasks(client_for, quality_manager)

    ReviewRevision(process_owner, document, data=SIGN).execute()

    assert (document.reference, "Review") not in tasks(client_for, process_owner)
    assert (document.reference, "Approve") in tasks(client_for, quality_manager)
    ApproveRevision(quality_manager, document, data=SIGN).execute()
    assert not {t for t in tasks(client_for, quality_manager) if t[1] == "Approve"}


def test_the_author_is_not_asked_to_sign_their_own_revision(client_for, quality_manager):
    colleague = PersonFactory(full_name="Rita Reviewer", roles=[RoleCode.PROCESS_OWNER])
    document = submitted(colleague)
    assert (document.reference, "Review") not in tasks(client_for, colleague)


def test_an_employee_is_never_asked_to_sign(client_for, top_manager, employee):
    submitted(top_manager)
    assert not {t for t in tasks(client_for, employee) if t[1] in ("Review", "Approve")}


def test_the_home_page_costs_the_same_with_many_revisions_waiting(
    client_for, top_manager, process_owner
):
    submitted(top_manager, "First")
    client = client_for(process_owner)
    client.get("/")
    few, _ = count_queries(client, "/")
    for n in range(5):
        submitted(top_manager, f"More {n}")
    many, sql = count_queries(client, "/")
    assert many == few, "\n".join(sql)
    assert len({t for t in tasks(client_for, process_owner) if t[1] == "Review"}) == 6


def test_people_without_the_right_to_read_documents_are_not_counted_as_readers(
    quality_manager, top_manager, process_owner
):
    document = submitted(top_manager)
    ReviewRevision(process_owner, document, data=SIGN).execute()
    ApproveRevision(quality_manager, document, data=SIGN).execute()
    reader = PersonFactory(full_name="Ann Reader", roles=[RoleCode.EMPLOYEE])
    no_role = PersonFactory(full_name="No Rights", department=reader.department)
    for person in (reader, no_role):
        Distribute(quality_manager, document, data={"person": person.pk}).execute()

    assert set(recipients_of(document)) == {reader}
    AcknowledgeRevision(reader, document).execute()
