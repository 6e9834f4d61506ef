"""`norma demo` data and `norma seed`: realistic, logged, and every printed login works."""

import pytest
from django.core.management import call_command
from django.test import Client

from norma.core.changelog import verify_chain
from norma.core.models import Person, RoleCode, Site
from norma.core.seeding import DEMO_PASSWORD, seed_demo
from norma.planning.models import Process, Risk, RiskAction


@pytest.fixture
def demo_logins(db):
    return seed_demo()


def test_demo_has_two_sites_about_25_people_and_every_role(demo_logins):
    assert Site.objects.count() == 2
    assert 20 <= Person.objects.count() <= 30
    assert [role for role, _ in demo_logins] == [label for _, label in RoleCode.choices]


def test_every_printed_demo_login_signs_in(demo_logins):
    for _, email in demo_logins:
        client = Client()
        response = client.post("/login/", {"username": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert client.get("/").status_code == 200, email


def test_demo_has_processes_approved_by_signature_and_an_intact_change_log(demo_logins):
    approved = Process.objects.filter(status=Process.Status.APPROVED)
    assert approved.count() >= 3
    assert Process.objects.filter(status=Process.Status.DRAFT).exists()
    assert verify_chain().intact


def test_demo_prints_one_login_per_role(db, capsys):
    call_command("demo_data")
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out
    for _, label in RoleCode.choices:
        assert label in out


def test_seed_small_builds_people_and_processes_with_a_log(db, capsys):
    call_command("seed", "--scale", "small", "--seed", "3")
    out = capsys.readouterr().out
    assert "people: 100" in out
    assert Person.objects.count() == 100
    assert Process.objects.count() == 4  # 200 at the large scale, one per 25 people
    assert Risk.objects.count() == 200  # two per person
    assert RiskAction.objects.count() == 67  # one risk in three
    report = verify_chain()
    assert report.intact and report.checked >= 100 + 4 + 200 + 67
