"""The demo shows the people app at work: a matrix with real gaps and expiring certificates,
a course re-assigned by a new revision, qualified auditors, and awareness below target."""

import pytest
from django.core.management import call_command

from norma.core.models import Person
from norma.core.seeding import seed_demo
from norma.people import auditors, competence
from norma.people.competence import State
from norma.people.models import TrainingAssignment, TrainingRecord
from norma.standards.readiness import Status, evaluate


@pytest.fixture
def demo(db):
    seed_demo()
    return Person.objects.get(full_name="Amira Haddad")


def test_the_demo_matrix_has_every_state(demo):
    counts = competence.matrix(competence.staff()).counts()
    assert all(counts[state] >= 1 for state in State.values), counts
    assert counts[State.MISSING] >= 5


def test_the_demo_revision_reassigned_the_set_up_course(demo):
    again = TrainingAssignment.objects.filter(reason=TrainingAssignment.Reason.REVISION)
    assert set(again.values_list("person__full_name", flat=True)) == {
        "Liam Murphy",
        "Pedro Alves",
        "Ethan Hughes",
    }
    assert TrainingRecord.objects.filter(status=TrainingRecord.Status.RECORDED).exists()


def test_the_demo_has_a_lead_an_internal_auditor_and_one_in_training(demo):
    levels = {q.person.full_name: q.level for q in auditors.qualifications()}
    assert levels == {
        "Owen Price": auditors.LEAD,
        "Tom Fletcher": auditors.INTERNAL,
        "Inês Moreira": auditors.IN_TRAINING,
    }


def test_the_demo_readiness_shows_people_checks(demo):
    rows = {r.clause.ref: r for r in evaluate(demo).rows}
    assert rows["7.1.2"].status == Status.MET
    assert rows["7.2"].status == Status.PARTLY_MET  # gaps without training assigned
    assert rows["7.3"].status == Status.PARTLY_MET  # 17 of 23 acknowledged, target 90 %
    assert rows["9.2.2"].status in (Status.MET, Status.PARTLY_MET)


def test_the_demo_pages_render(demo, client):
    client.force_login(demo)
    for path in (
        "/people/competence-matrix/",
        "/people/awareness/",
        "/people/qualified-auditors/",
        "/people/my-team/",
        f"/people/profile/{Person.objects.get(full_name='Pedro Alves').pk}/",
    ):
        assert client.get(path).status_code == 200, path
    call_command("check")
