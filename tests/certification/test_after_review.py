"""What the code review of the certification app changed, pinned: who may download and
build an evidence pack and what an all-clauses pack leaves out, a pack edited or failed after
it was built; a registrar's auditor given several accesses, the invitation sent again or lost
to a mail server, the guest's own layout; findings, held audits and closed cycles kept as
recorded, archived records no longer counting; the audit time and site sampling rules; the
certification decision of an initial and a renewed cycle; the guided gap page refusing bad
action fields; and a cancelled stage 1 audit on the cockpit.

Unless a test says otherwise, Quinn Quality (the quality manager) does the work; the helpers
come from the certification tests this file sits beside.
"""

import datetime
import logging
import random
import smtplib
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from norma.certification import cockpit, evidence, rules, workflow
from norma.certification.access import ResendInvitation, RevokeRegistrarAccess
from norma.certification.models import (
    CertificationCycle,
    EvidencePack,
    ExternalFinding,
    GapAction,
    GapAnswer,
    RegistrarAccess,
)
from norma.certification.packs import BuildEvidencePack
from norma.core.actions import (
    ArchiveRecord,
    InvalidInput,
    NotPermitted,
    UpdateRecord,
)
from norma.core.changelog import history_for
from norma.core.models import Person, RoleCode
from tests.certification.test_evidence_and_access import (
    ACCESS,
    GUEST_EMAIL,
    GUEST_HOME,
    NEW_PASSWORD,
    PACKS,
    add_sample,
    attach,
    build,
    grant,
    guest_client,
    new_pack,
    set_password,
    sign_in,
    signed_in,
)
from tests.certification.test_findings_and_cockpit import record_finding, verify
from tests.certification.test_gap_analysis import answer_of, assess_url, post_answer, start
from tests.certification.test_registers import (
    add_audit,
    add_body,
    certified_on,
    decide,
    fresh,
    held_audit,
    hold,
    page_text,
    plan_cycle,
    plan_renewal,
    refused,
    renew,
)
from tests.factories import PersonFactory

D = datetime.date
A = GapAnswer.Answer
OTHER_GUEST_EMAIL = "otto@registrar.example"


# -- small helpers ------------------------------------------------------------------------
def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


def end_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


def download_url(pack) -> str:
    return reverse("certification:pack_download", args=[pack.reference])


def guest_pack_url(pack) -> str:
    return reverse("certification:guest_pack", args=[pack.reference])


def zip_names(pack) -> list[str]:
    with zipfile.ZipFile(Path(fresh(pack).file.path)) as zf:
        return zf.namelist()


def zip_member(pack, name) -> bytes:
    with zipfile.ZipFile(Path(fresh(pack).file.path)) as zf:
        return zf.read(name)


def served(response) -> bytes:
    return b"".join(response.streaming_content)


def edit(actor, record, **data):
    return UpdateRecord(actor, fresh(record), data=data).execute()


def archive(actor, record, reason="Entered by mistake"):
    return ArchiveRecord(actor, fresh(record), reason=reason).execute()


def revoke(actor, access, reason="Audit finished"):
    return RevokeRegistrarAccess(actor, fresh(access), reason=reason).execute()


def cancel(actor, audit, reason="The registrar moved the audit"):
    return workflow.CancelAudit(actor, fresh(audit), reason=reason).execute()


def time_boxed_person(name="Gina Guest") -> Person:
    """A time-boxed account, as a registrar's guest has."""
    return PersonFactory(full_name=name, access_expires_at=timezone.now() + datetime.timedelta(14))


class BrokenMailServer(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPException("421 Service not available")


BROKEN_MAIL = f"{__name__}.BrokenMailServer"


# -- fixtures ------------------------------------------------------------------------------
@pytest.fixture
def pack(quality_manager):
    return new_pack(quality_manager)


@pytest.fixture
def built(quality_manager, django_capture_on_commit_callbacks):
    return build(quality_manager, new_pack(quality_manager), django_capture_on_commit_callbacks)


@pytest.fixture
def body(quality_manager):
    return add_body(quality_manager)


@pytest.fixture
def cycle(quality_manager, body):
    """Planned: stage 1 on 15 January 2024, stage 2 ending 28 February 2024."""
    return plan_cycle(quality_manager, body)


@pytest.fixture
def stage_2(quality_manager, cycle):
    """Stage 1 and stage 2 held on the cycle's dates."""
    return held_audit(quality_manager, cycle, "stage_2", D(2024, 2, 28))


@pytest.fixture
def major(quality_manager, stage_2):
    return record_finding(quality_manager, stage_2, "major")


@pytest.fixture
def recent_audit(quality_manager, body):
    """A stage 2 held three days ago, in a cycle of its own."""
    return held_audit(quality_manager, plan_cycle(quality_manager, body), "stage_2", days(-3))


@pytest.fixture
def leeds_quality_manager(leeds):
    return PersonFactory(
        full_name="Lena Leeds", roles=[RoleCode.QUALITY_MANAGER], scope_sites=[leeds]
    )


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


# == 1. evidence packs ====================================================================
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("quality_manager", 200),
        ("top_manager", 403),
        ("process_owner", 403),
        ("internal_auditor", 403),
    ],
    indirect=["persona"],
)
def test_only_those_who_may_change_packs_download_the_zip(client_for, persona, status, built):
    assert client_for(persona).get(download_url(built)).status_code == status


def test_a_quality_manager_limited_to_one_site_cannot_build_a_pack(leeds_quality_manager, pack):
    error = refused(lambda: BuildEvidencePack(leeds_quality_manager, fresh(pack)).execute())

    assert isinstance(error, NotPermitted)
    assert "sees every site" in error.message
    assert fresh(pack).status == EvidencePack.Status.DRAFT
    assert fresh(pack).build_job_id is None


def test_a_quality_manager_limited_to_one_site_cannot_download_a_pack_of_every_site(
    client_for, leeds_quality_manager, built
):
    assert client_for(leeds_quality_manager).get(download_url(built)).status_code == 403


@pytest.fixture
def everything_pack(quality_manager, recent_audit, capture):
    """An all-clauses pack built while the registrar's own dealings are all on record: a
    finding, a gap assessment, a guest's access and a sample."""
    record_finding(quality_manager, recent_audit, "minor")
    start(quality_manager)
    grant(quality_manager, capture, external_audit=recent_audit)
    pack = new_pack(quality_manager, title="Everything", external_audit=recent_audit)
    add_sample(quality_manager, pack)
    return build(quality_manager, pack, capture)


NOT_EVIDENCE = [
    "evidencepack",
    "evidencesample",
    "registraraccess",
    "gapassessment",
    "gapanswer",
    "gapaction",
    "certificationbody",
    "certificationcycle",
]


@pytest.mark.parametrize("model", NOT_EVIDENCE)
def test_an_all_clauses_pack_leaves_out_the_registrars_own_dealings(everything_pack, model):
    assert everything_pack.status == EvidencePack.Status.BUILT
    names = zip_names(everything_pack)
    assert [n for n in names if n.startswith(f"data/certification.{model}.")] == []


def test_an_all_clauses_pack_holds_the_registrars_audits_and_findings(
    everything_pack, recent_audit
):
    names = zip_names(everything_pack)
    assert {"data/certification.externalaudit.json", "data/certification.externalaudit.csv"} <= (
        set(names)
    )
    assert "data/certification.externalfinding.json" in names
    assert recent_audit.reference in zip_member(
        everything_pack, "data/certification.externalaudit.json"
    ).decode("utf-8")


def test_an_all_clauses_pack_never_names_the_registrars_guest(everything_pack):
    with zipfile.ZipFile(Path(everything_pack.file.path)) as zf:
        holding = [n for n in zf.namelist() if GUEST_EMAIL.encode() in zf.read(n)]
    assert holding == []


@pytest.mark.parametrize("field", ["title", "period_start", "period_end"])
def test_editing_a_built_pack_sets_it_back_to_draft(quality_manager, built, field):
    change = {"title": "Evidence for surveillance 1", "period_start": days(-100)}
    change["period_end"] = days(-1)

    edited = edit(quality_manager, built, **{field: change[field]})

    assert edited.status == EvidencePack.Status.DRAFT
    assert fresh(built).file  # the last ZIP is kept, but no longer served


def test_an_edited_pack_asks_to_be_built_again_and_its_last_zip_is_not_served(
    client_for, quality_manager, built
):
    edit(quality_manager, built, title="Evidence for surveillance 1")
    client = client_for(quality_manager)

    page = client.get(f"{PACKS}{built.reference}/")

    assert "build it again" in page_text(page)
    assert download_url(built) not in page.content.decode()
    assert client.get(download_url(built)).status_code == 404


def test_the_guest_of_an_edited_pack_no_longer_gets_its_last_zip(quality_manager, built, capture):
    access = grant(quality_manager, capture, evidence_pack=built)
    client = guest_client(access)
    assert client.get(guest_pack_url(built)).status_code == 200

    edit(quality_manager, built, period_start=days(-100))

    assert "not built yet" in client.get(GUEST_HOME).content.decode()
    assert client.get(guest_pack_url(built)).status_code == 404


REAL_WRITE_CONTENTS = evidence.write_contents


@pytest.fixture
def failed_rebuild(quality_manager, built, capture, monkeypatch):
    """A built pack whose second build fails half way (the disk filled up)."""

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(evidence, "write_contents", broken)
    return build(quality_manager, built, capture)


def test_a_failed_build_leaves_the_pack_failed_with_the_error(failed_rebuild):
    assert failed_rebuild.status == EvidencePack.Status.FAILED
    assert "No space left on device" in failed_rebuild.build_error


def test_a_failed_build_is_logged_on_the_pack(failed_rebuild):
    entry = history_for(failed_rebuild).filter(action="build-failed").get()
    assert entry.before["status"] == EvidencePack.Status.BUILDING
    assert entry.after["status"] == EvidencePack.Status.FAILED
    assert "No space left on device" in entry.after["build_error"]


def test_after_a_failed_build_the_last_zip_is_still_downloaded(
    client_for, quality_manager, built, failed_rebuild
):
    client = client_for(quality_manager)

    response = client.get(download_url(failed_rebuild))
    page = client.get(f"{PACKS}{failed_rebuild.reference}/")

    assert response.status_code == 200
    assert served(response) == Path(built.file.path).read_bytes()
    assert failed_rebuild.file_sha256 == built.file_sha256
    assert "could not be built" in page_text(page)
    assert "Download the last ZIP" in page_text(page)


def test_a_build_after_a_failed_one_clears_the_error(
    quality_manager, failed_rebuild, capture, monkeypatch
):
    monkeypatch.setattr(evidence, "write_contents", REAL_WRITE_CONTENTS)

    again = build(quality_manager, failed_rebuild, capture)

    assert again.status == EvidencePack.Status.BUILT
    assert again.build_error == ""


# == 2. registrar access ==================================================================
@pytest.fixture
def two_accesses(quality_manager, built, recent_audit, capture):
    """The same auditor given the pack for a fortnight, then the audit for a month."""
    first = grant(quality_manager, capture, evidence_pack=built, expires_on=days(14))
    second = grant(
        quality_manager,
        capture,
        title="Surveillance lead auditor",
        external_audit=recent_audit,
        expires_on=days(30),
    )
    return first, second


def test_a_second_access_for_the_same_email_reuses_the_guest_account(two_accesses):
    first, second = two_accesses
    assert Person.objects.filter(email__iexact=GUEST_EMAIL).count() == 1
    assert fresh(first).guest_id == fresh(second).guest_id


def test_the_guest_signs_in_until_the_later_expiry(two_accesses):
    first, _second = two_accesses
    assert fresh(first).guest.access_expires_at == end_of(days(30))


def test_a_shorter_second_access_does_not_cut_the_first_one_short(
    quality_manager, built, recent_audit, capture
):
    first = grant(quality_manager, capture, evidence_pack=built, expires_on=days(30))
    grant(quality_manager, capture, external_audit=recent_audit, expires_on=days(7))
    assert fresh(first).guest.access_expires_at == end_of(days(30))


def test_the_guests_page_shows_both_accesses_until_the_later_expiry(
    two_accesses, built, recent_audit
):
    page = guest_client(two_accesses[0]).get(GUEST_HOME)

    assert page.status_code == 200
    text = page_text(page)
    assert built.reference in text
    assert recent_audit.reference in text
    assert f"until {days(30):%-d %B %Y}" in text


def test_revoking_one_access_leaves_the_other_working(
    quality_manager, two_accesses, built, recent_audit
):
    pack_access, audit_access = two_accesses
    client = guest_client(pack_access)

    revoke(quality_manager, pack_access)

    page = client.get(GUEST_HOME)
    assert page.status_code == 200
    assert recent_audit.reference in page_text(page)
    assert built.reference not in page_text(page)
    assert client.get(guest_pack_url(built)).status_code == 404
    assert fresh(audit_access).guest.access_expires_at == end_of(days(30))


def test_revoking_the_longer_access_brings_the_sign_in_limit_back(quality_manager, two_accesses):
    pack_access, audit_access = two_accesses
    revoke(quality_manager, audit_access)
    assert fresh(pack_access).guest.access_expires_at == end_of(days(14))


def test_revoking_the_last_access_ends_signing_in(quality_manager, two_accesses):
    set_password(two_accesses[0])
    assert signed_in(sign_in(GUEST_EMAIL, NEW_PASSWORD))

    revoke(quality_manager, two_accesses[0])
    assert signed_in(sign_in(GUEST_EMAIL, NEW_PASSWORD))
    revoke(quality_manager, two_accesses[1])

    assert not signed_in(sign_in(GUEST_EMAIL, NEW_PASSWORD))


def test_an_email_of_someone_in_the_organisation_is_refused_naming_guest_email(
    quality_manager, employee, pack, capture
):
    error = refused(
        lambda: grant(quality_manager, capture, evidence_pack=pack, guest_email=employee.email)
    )

    assert "guest_email" in error.errors
    assert not RegistrarAccess.objects.exists()
    assert fresh(employee).access_expires_at is None
    assert mail.outbox == []


def test_the_guests_email_cannot_be_changed_once_invited(quality_manager, built, capture):
    access = grant(quality_manager, capture, evidence_pack=built)

    error = refused(lambda: edit(quality_manager, access, guest_email=OTHER_GUEST_EMAIL))

    assert isinstance(error, InvalidInput)
    assert "guest_email" in error.errors
    assert fresh(access).guest_email == GUEST_EMAIL
    assert not Person.objects.filter(email=OTHER_GUEST_EMAIL).exists()


def test_sending_the_invitation_again_sends_one_more_email(quality_manager, built, capture):
    access = grant(quality_manager, capture, evidence_pack=built)
    assert len(mail.outbox) == 1

    with capture(execute=True):
        ResendInvitation(quality_manager, fresh(access)).execute()

    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == [GUEST_EMAIL]
    assert "/account/set-password/" in mail.outbox[1].body


def test_the_invitation_of_a_revoked_access_is_not_sent_again(quality_manager, built, capture):
    access = grant(quality_manager, capture, evidence_pack=built)
    revoke(quality_manager, access)

    def resend():
        with capture(execute=True):
            ResendInvitation(quality_manager, fresh(access)).execute()

    error = refused(resend)

    assert "grant a new access" in error.message
    assert len(mail.outbox) == 1


def test_a_mail_server_error_does_not_fail_the_grant(
    client_for, quality_manager, recent_audit, capture, settings, caplog
):
    settings.EMAIL_BACKEND = BROKEN_MAIL
    form = {
        "title": "Stage 2 lead auditor",
        "guest_name": "Gina Guest",
        "guest_email": GUEST_EMAIL,
        "external_audit": recent_audit.pk,
        "expires_on": days(30).isoformat(),
    }

    with caplog.at_level(logging.ERROR), capture(execute=True):
        response = client_for(quality_manager).post(f"{ACCESS}new/", form)

    assert response.status_code == 302
    access = RegistrarAccess.objects.get()
    assert access.guest.email == GUEST_EMAIL
    assert "could not be sent" in caplog.text
    assert mail.outbox == []


def test_a_mail_server_error_does_not_fail_sending_again_from_the_page(
    client_for, quality_manager, built, capture, settings
):
    access = grant(quality_manager, capture, evidence_pack=built)
    settings.EMAIL_BACKEND = BROKEN_MAIL

    with capture(execute=True):
        response = client_for(quality_manager).post(
            f"{ACCESS}{access.reference}/do/resend/", {"version": fresh(access).version}
        )

    assert response.status_code == 302
    assert history_for(access).filter(action="resend").exists()


def test_the_guests_page_has_none_of_the_organisations_navigation(two_accesses):
    page = guest_client(two_accesses[0]).get(GUEST_HOME).content.decode()

    assert 'class="sidebar"' not in page
    assert 'role="search"' not in page
    assert f'href="{reverse("jobs:list")}"' not in page
    assert f'href="{reverse("password_change")}"' not in page
    assert "Sign out" in page


def test_a_page_refused_to_the_guest_keeps_the_guest_layout(two_accesses):
    response = guest_client(two_accesses[0]).get(PACKS)

    assert response.status_code == 403
    page = response.content.decode()
    assert 'class="sidebar"' not in page
    assert f'href="{reverse("jobs:list")}"' not in page


def test_a_guest_opening_the_site_root_is_sent_to_their_own_page(two_accesses):
    response = guest_client(two_accesses[1]).get("/")
    assert (response.status_code, response["Location"]) == (302, GUEST_HOME)


# == 3. findings ==========================================================================
def test_a_findings_grade_is_fixed_once_recorded(quality_manager, major):
    error = refused(lambda: edit(quality_manager, major, grade="minor"), InvalidInput)

    assert list(error.errors) == ["grade"]
    assert fresh(major).grade == ExternalFinding.Grade.MAJOR


def test_a_findings_audit_is_fixed_once_recorded(quality_manager, cycle, major):
    stage_1 = fresh(cycle).external_audits.get(kind="stage_1")

    error = refused(lambda: edit(quality_manager, major, external_audit=stage_1), InvalidInput)

    assert list(error.errors) == ["external_audit"]
    assert fresh(major).external_audit.kind == "stage_2"


def test_a_verified_finding_refuses_edits(quality_manager, major):
    verify(quality_manager, major, D(2024, 3, 15))

    error = refused(lambda: edit(quality_manager, major, statement="Rewritten afterwards."))

    assert "verified by the registrar" in error.message
    assert fresh(major).statement.startswith("Competence of two CNC operators")


def test_an_archived_major_no_longer_holds_up_the_decision(quality_manager, cycle, major):
    assert "not verified" in refused(lambda: decide(quality_manager, cycle, D(2024, 3, 10))).message

    archive(quality_manager, major, reason="Entered twice")
    decided = decide(quality_manager, cycle, D(2024, 3, 10))

    assert decided.status == CertificationCycle.Status.CERTIFIED


def test_an_archived_surveillance_no_longer_counts_for_the_schedule(quality_manager, body):
    certified = certified_on(quality_manager, body, D(2024, 3, 10))
    surveillance = held_audit(quality_manager, certified, "surveillance", D(2025, 2, 10))
    assert fresh(certified).due_date == D(2026, 12, 31)

    archive(quality_manager, surveillance)

    assert fresh(certified).due_date == D(2025, 3, 10)


# == 4. external audits ===================================================================
@pytest.mark.parametrize("ending", ["held", "cancelled"])
def test_a_held_or_cancelled_audit_is_kept_as_it_was(quality_manager, cycle, ending):
    audit = add_audit(quality_manager, cycle, "stage_1", D(2024, 1, 15))
    if ending == "held":
        hold(quality_manager, audit)
    else:
        cancel(quality_manager, audit)

    error = refused(lambda: edit(quality_manager, audit, summary="Rewritten afterwards."))

    assert "its record is kept as it was" in error.message
    assert fresh(audit).summary == ""


def test_files_can_still_be_attached_to_a_held_audit(quality_manager, stage_2):
    attach(quality_manager, stage_2, name="stage-2-report.pdf")

    assert [a.filename for a in fresh(stage_2).attachments.all()] == ["stage-2-report.pdf"]


def test_a_closed_cycle_refuses_edits(quality_manager, cycle):
    workflow.CloseCycle(quality_manager, fresh(cycle), reason="Certification given up").execute()

    error = refused(lambda: edit(quality_manager, cycle, personnel=150))

    assert "is closed" in error.message
    assert fresh(cycle).personnel == 140


# == 5. rules =============================================================================
@pytest.mark.parametrize("top", [top for top, _days in rules.QMS_TABLE])
def test_a_30_percent_reduction_keeps_every_audit_at_or_above_70_percent(top):
    table = rules.table_days(top)
    floor = table * Fraction(70, 100)

    time = rules.audit_time(top, reduction_pct=30)

    assert time.initial_days >= floor
    assert time.surveillance_days >= floor * Fraction(1, 3)
    assert time.recertification_days >= floor * Fraction(2, 3)


SITES = [f"S{n}" for n in range(10)]


@pytest.mark.parametrize("seed", range(5))
def test_every_site_chosen_on_risk_is_kept_and_the_sample_grows(seed):
    chosen = SITES[:5]

    picked = rules.pick_sites(SITES, 3, chosen=chosen, rng=random.Random(seed))

    assert set(chosen) <= set(picked)
    assert len(picked) == 5 + 1  # a quarter of 3, rounded up, still drawn at random
    assert len(set(picked)) == len(picked)


def test_a_chosen_site_not_in_the_list_is_ignored():
    picked = rules.pick_sites(SITES, 3, chosen=["Elsewhere"], rng=random.Random(1))

    assert "Elsewhere" not in picked
    assert len(picked) == 3
    assert set(picked) <= set(SITES)


def test_a_sample_never_exceeds_the_list_of_sites():
    sites = SITES[:4]

    picked = rules.pick_sites(sites, 3, chosen=[*sites, sites[0]], rng=random.Random(1))

    assert sorted(picked) == sorted(sites)


# == 6. the certification decision ========================================================
def test_an_initial_decision_with_no_audit_held_names_stage_1_and_stage_2(quality_manager, cycle):
    error = refused(lambda: decide(quality_manager, cycle, D(2024, 3, 10)))

    assert "stage 1 and stage 2" in error.message
    assert fresh(cycle).status == CertificationCycle.Status.PLANNED


def test_an_initial_decision_with_only_stage_1_held_names_stage_2(quality_manager, cycle):
    hold(quality_manager, add_audit(quality_manager, cycle, "stage_1", D(2024, 1, 15)))

    error = refused(lambda: decide(quality_manager, cycle, D(2024, 3, 10)))

    assert "stage 2" in error.message
    assert "stage 1" not in error.message


@pytest.fixture
def expired(quality_manager, body):
    """Certified on 10 March 2023: expired on 9 March 2026, restorable until 9 September."""
    return certified_on(quality_manager, body, D(2023, 3, 10))


@pytest.mark.parametrize("decision", [D(2026, 4, 15), D(2026, 9, 9)], ids=["april", "last-day"])
def test_a_renewal_within_six_months_of_expiry_keeps_the_original_dates(
    quality_manager, body, expired, decision
):
    renewal = renew(quality_manager, body, expired, decision)

    assert fresh(renewal).expiry_date == D(2029, 3, 9)
    assert fresh(renewal).decision_date == decision


def test_a_renewal_closes_the_cycle_it_renews_with_a_logged_close(quality_manager, body, expired):
    renew(quality_manager, body, expired, D(2026, 4, 15))

    assert fresh(expired).status == CertificationCycle.Status.CLOSED
    entry = history_for(expired).filter(action="close").get()
    assert entry.after["status"] == CertificationCycle.Status.CLOSED


def test_beyond_six_months_a_recertification_audit_alone_is_refused(quality_manager, body, expired):
    error = refused(lambda: renew(quality_manager, body, expired, D(2026, 9, 10)))

    assert "a stage 2 audit is needed" in error.message
    assert fresh(expired).status == CertificationCycle.Status.CERTIFIED
    assert not CertificationCycle.objects.filter(status=CertificationCycle.Status.CLOSED).exists()


def test_beyond_six_months_a_stage_2_gives_the_renewal_its_own_dates(
    quality_manager, body, expired
):
    renewal = plan_renewal(quality_manager, body, expired)
    held_audit(quality_manager, renewal, "stage_2", D(2026, 9, 20))

    decide(quality_manager, renewal, D(2026, 10, 1), number="Q-again")

    assert fresh(renewal).expiry_date == D(2029, 9, 30)
    assert fresh(expired).status == CertificationCycle.Status.CLOSED


# == 7. the guided gap page ===============================================================
@pytest.fixture
def assessment(quality_manager):
    return start(quality_manager)


@pytest.fixture
def qm_client(client_for, quality_manager):
    return client_for(quality_manager)


def post_gap_with_action(client, assessment, **action):
    fields = {
        "notes": "No training matrix.",
        "action_title": "Build the training matrix",
        "action_owner": "",
        "action_due_date": days(30).isoformat(),
        **action,
    }
    return post_answer(client, assessment, "7.2", A.GAP, **fields)


def nothing_saved(assessment) -> bool:
    kept = answer_of(assessment, "7.2")
    return kept.answer == A.UNANSWERED and kept.notes == "" and not GapAction.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("action_owner", "abc", "Owner: Choose the owner from the list."),
        ("action_owner", "guest", "Owner: Choose the owner from the list."),
        ("action_due_date", "2026-02-30", "Due date: Enter a valid date."),
    ],
    ids=["owner-not-a-number", "owner-a-guest", "due-date-30-february"],
)
def test_a_bad_action_field_is_refused_with_a_message_and_saves_nothing(
    qm_client, process_owner, assessment, field, value, message
):
    action = {"action_owner": process_owner.pk, field: value}
    if value == "guest":
        action[field] = time_boxed_person().pk

    response = post_gap_with_action(qm_client, assessment, **action)

    assert response.status_code == 422
    assert message in page_text(response)
    assert nothing_saved(assessment)


def test_an_action_owner_number_too_large_for_the_database_is_refused_not_a_crash(
    qm_client, assessment
):
    response = post_gap_with_action(qm_client, assessment, action_owner="9" * 30)

    assert response.status_code == 422
    assert nothing_saved(assessment)


def test_a_post_without_version_is_refused_and_saves_nothing(qm_client, process_owner, assessment):
    response = post_gap_with_action(
        qm_client, assessment, version="", action_owner=process_owner.pk
    )

    assert response.status_code == 422
    assert "does not say which version" in page_text(response)
    assert nothing_saved(assessment)


def test_a_post_with_a_version_that_is_not_a_number_says_why(qm_client, assessment):
    response = post_answer(qm_client, assessment, "7.2", A.CONFORM, version="abc")

    assert response.status_code == 422
    assert "version" in page_text(response).lower()


def test_the_owner_list_leaves_out_time_boxed_accounts(
    qm_client, quality_manager, process_owner, assessment
):
    guest = time_boxed_person()

    page = qm_client.get(assess_url(assessment, "7.2")).content.decode()

    assert f'<option value="{process_owner.pk}"' in page
    assert f'<option value="{guest.pk}"' not in page
    assert "Gina Guest" not in page


# == 8. the cockpit =======================================================================
def stage_1_milestone(person) -> cockpit.Milestone:
    return next(m for m in cockpit.roadmap(person) if m.title == "Stage 1 audit")


def test_a_cancelled_stage_1_audit_leaves_the_milestone_not_started(quality_manager, cycle):
    audit = add_audit(quality_manager, cycle, "stage_1", D(2024, 1, 15))
    assert stage_1_milestone(quality_manager).state == cockpit.STARTED

    cancel(quality_manager, audit)

    milestone = stage_1_milestone(quality_manager)
    assert (milestone.state, milestone.sentence) == (cockpit.NOT_STARTED, "Not planned yet.")


def test_the_cockpit_page_does_not_show_a_cancelled_stage_1_as_planned(
    client_for, quality_manager, cycle
):
    cancel(quality_manager, add_audit(quality_manager, cycle, "stage_1", D(2024, 1, 15)))

    text = page_text(client_for(quality_manager).get("/certification/"))

    assert "Stage 1 audit Not planned yet." in text
