"""The three improvement registers (nonconformities, corrective actions, improvements) through
the register kit, and the pages around them: the short report form anyone can use, the
"Report a problem" link, a nonconformity's page (stepper, fishbone, 8D, 5 Whys, alike, origin,
action forms), "My tasks", the improvement workflow and the CSV export.

Unless a test says otherwise, Quinn Quality triages, Owen Owner (a process owner) owns the
nonconformity and its actions, and Ada Auditor (an internal auditor) verifies the fix.
"""

import datetime
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from norma.core.actions import ActionRefused, CreateRecord, InvalidInput
from norma.core.context import acting_as
from norma.core.models import Attachment, ChangeLogEntry
from norma.core.models.records import reserve_references
from norma.improvement import actions as steps
from norma.improvement.analysis import AddCause
from norma.improvement.models import CorrectiveAction, Improvement, Nonconformity
from norma.improvement.registers import (
    CorrectiveActionRegister,
    ImprovementRegister,
    NonconformityRegister,
)
from norma.planning.models import Kpi
from tests.conftest import PERSONAS
from tests.factories import PASSWORD, PersonFactory, make_planning_record, make_process
from tests.improvement.helpers import add_action, bulk_ncs, fresh, make_nc, walk
from tests.kit import RegisterKit, count_queries, form_data

EVERYONE = [p for p in PERSONAS if p != "nobody"]
REPORTERS = ["quality_manager", "top_manager", "process_owner", "internal_auditor", "employee"]
NC_MANAGERS = ["quality_manager", "top_manager", "process_owner"]
QUALITY_TEAM = ["quality_manager"]

NCS = "/improvement/nonconformities/"
ACTIONS = "/improvement/corrective-actions/"
IMPROVEMENTS = "/improvement/improvements/"
REPORT = "/improvement/report/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

make_kpi = make_planning_record(
    Kpi,
    {
        "title": "Scrap rate",
        "unit": "%",
        "frequency": "monthly",
        "direction": "lower",
        "target": Decimal("2"),
    },
)


def today() -> datetime.date:
    return timezone.localdate()


def days_from_now(days: int) -> datetime.date:
    return today() + timedelta(days=days)


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def do(client, record, code, **fields):
    """POST an action's form on the record's page, as the browser sends it."""
    url = f"{record_url(record)}do/{code}/"
    return client.post(url, {"version": record.version, **fields}, follow=True)


def select_options(html: str, name: str) -> set[int]:
    """The record ids a <select> on the page offers."""
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select, f"no <select> named {name}"
    return {int(v) for v in re.findall(r'<option value="(\d+)"', select.group(0))}


def record_url(record) -> str:
    base = {Nonconformity: NCS, CorrectiveAction: ACTIONS, Improvement: IMPROVEMENTS}
    return f"{base[type(record)]}{record.reference}/"


# -- makers: every record through the real actions -----------------------------------------
def corrective_action_for_the_kit(actor, title="Sort batch 12", site=None, owner=None, **fields):
    """An action on a fresh nonconformity at the kit's site (the action is placed there)."""
    nc = make_nc(actor, site=site)
    return add_action(actor, nc, kind="correction", owner=owner, title=title, **fields)


def make_improvement(actor, **fields) -> Improvement:
    data = {"title": "Kanban cards for the stores", "description": "Fewer stock-outs", **fields}
    return CreateRecord(actor, Improvement, data=data).execute()


# -- bulk rows for the query counts at 1,000 -------------------------------------------------
def bulk_corrective_actions(count: int, site=None, **fields):
    (nc,) = bulk_ncs(1, site=site)
    with acting_as(name="test bulk"):
        references = reserve_references(CorrectiveAction.reference_prefix, count)
        return CorrectiveAction.objects.bulk_create(
            CorrectiveAction(
                reference=ref,
                title=f"Bulk action {i}",
                nonconformity=nc,
                kind=CorrectiveAction.Kind.CORRECTIVE,
                status=CorrectiveAction.Status.OPEN,
                due_date=days_from_now(i % 90),
                site=site,
                **fields,
            )
            for i, ref in enumerate(references)
        )


def bulk_improvements(count: int, **fields):
    with acting_as(name="test bulk"):
        references = reserve_references(Improvement.reference_prefix, count)
        return Improvement.objects.bulk_create(
            Improvement(
                reference=ref,
                title=f"Bulk idea {i}",
                description="Bulk",
                status=Improvement.Status.PROPOSED,
                due_date=days_from_now(i % 90),
                **fields,
            )
            for i, ref in enumerate(references)
        )


# -- the three registers through the kit -----------------------------------------------------
class TestNonconformityRegister(RegisterKit):
    register = NonconformityRegister
    make_record = staticmethod(make_nc)
    bulk_records = staticmethod(bulk_ncs)
    viewers = EVERYONE
    adders = REPORTERS
    editors = NC_MANAGERS
    archivers = QUALITY_TEAM

    @pytest.fixture
    def archivable(self, record, quality_manager):
        """An open nonconformity is cancelled, with a signed reason, not archived."""
        return steps.CancelNonconformity(
            quality_manager, record, reason="Duplicate", data={"password": PASSWORD}
        ).execute()

    def test_an_open_nonconformity_is_cancelled_not_archived(
        self, client_for, quality_manager, record
    ):
        response = client_for(quality_manager).post(
            self.url("archive", record), {"reason": "Not needed"}, follow=True
        )
        assert "still open: cancel it" in response.content.decode()
        assert not fresh(record).is_archived

    @property
    def create_data(self):
        return {
            "title": "Housings scratched at packing",
            "source": "customer_complaint",
            "kind": "output",
            "severity": "major",
            "description": "Customer found 40 scratched housings in lot 7.",
            "product": "Housing H-20",
            "quantity_affected": "40",
            "due_date": days_from_now(7).isoformat(),
        }

    @property
    def edit_data(self):
        return {"title": "Bores oversize on batches 12 and 13", "severity": "major"}

    @property
    def invalid_data(self):
        return {"detected_on": days_from_now(1).isoformat()}  # not detected tomorrow


class TestCorrectiveActionRegister(RegisterKit):
    register = CorrectiveActionRegister
    make_record = staticmethod(corrective_action_for_the_kit)
    bulk_records = staticmethod(bulk_corrective_actions)
    edit_data = {"title": "Sort and re-measure batch 12", "description": "100 % inspection"}
    viewers = EVERYONE
    adders = NC_MANAGERS
    editors = NC_MANAGERS
    archivers = QUALITY_TEAM

    @pytest.fixture
    def archivable(self, record):
        """An open action is cancelled, with a reason, not archived."""
        return steps.CancelCorrectiveAction(record.owner, record, reason="Not needed").execute()

    @property
    def invalid_data(self):
        return {"due_date": days_from_now(-1).isoformat()}  # not due before it is planned

    @property
    def create_data(self):
        """Names an open nonconformity; made once per test, on first use."""
        if "_create_data" not in self.__dict__:
            reporter = PersonFactory(full_name="Kit Reporter", roles=["employee"])
            self._create_data = {
                "nonconformity": make_nc(reporter, title="Gauge out of calibration").pk,
                "kind": "containment",
                "title": "Quarantine parts measured with gauge G-4",
                "owner": PersonFactory(full_name="Kit Owner").pk,
                "due_date": days_from_now(3).isoformat(),
            }
        return self._create_data

    def test_corrective_action_form_offers_only_open_nonconformities(
        self, client_for, quality_manager, process_owner, internal_auditor
    ):
        still_open = make_nc(quality_manager, title="Still open")
        closed = walk(
            make_nc(quality_manager, title="Fixed already"),
            "closed",
            triager=quality_manager,
            owner=process_owner,
            verifier=internal_auditor,
        )
        cancelled = make_nc(quality_manager, title="A duplicate")
        steps.CancelNonconformity(
            quality_manager, cancelled, reason="Duplicate", data={"password": PASSWORD}
        ).execute()

        form = page(client_for(quality_manager), f"{ACTIONS}new/")

        offered = select_options(form, "nonconformity")
        assert still_open.pk in offered
        assert closed.pk not in offered
        assert cancelled.pk not in offered

    @pytest.mark.parametrize("status", ["closed", "cancelled"])
    def test_action_on_a_closed_or_cancelled_nonconformity_is_refused(
        self, client_for, quality_manager, process_owner, internal_auditor, status
    ):
        nc = make_nc(quality_manager)
        if status == "closed":
            nc = walk(
                nc,
                "closed",
                triager=quality_manager,
                owner=process_owner,
                verifier=internal_auditor,
            )
        else:
            steps.CancelNonconformity(
                quality_manager, nc, reason="Duplicate", data={"password": PASSWORD}
            ).execute()
        before = CorrectiveAction.objects.count()
        data = form_data(self.register, **{**self.create_data, "nonconformity": nc.pk})

        response = client_for(quality_manager).post(f"{ACTIONS}new/", data)

        assert response.status_code == 422
        assert "nonconformity" in response.context["form"].errors
        assert CorrectiveAction.objects.count() == before
        with pytest.raises(InvalidInput) as refused:  # nor through the action itself
            add_action(quality_manager, fresh(nc))
        assert f"{nc.reference} is no longer open." in refused.value.errors["nonconformity"]

    def test_corrective_action_form_offers_only_nonconformities_in_my_sites(
        self, client_for, quality_manager, leeds, porto
    ):
        here = make_nc(quality_manager, title="Burr on Leeds housings", site=leeds)
        there = make_nc(quality_manager, title="Porto furnace overheated", site=porto)
        planner = PersonFactory(roles=["process_owner"], scope_sites=[leeds])

        form = page(client_for(planner), f"{ACTIONS}new/")

        assert select_options(form, "nonconformity") == {here.pk}
        assert "Porto furnace overheated" not in form
        assert there.reference not in form

    def test_action_is_placed_where_its_nonconformity_is(self, quality_manager, leeds):
        nc = make_nc(quality_manager, site=leeds)
        action = add_action(quality_manager, nc)
        assert action.site == leeds


class TestImprovementRegister(RegisterKit):
    register = ImprovementRegister
    make_record = staticmethod(make_improvement)
    bulk_records = staticmethod(bulk_improvements)
    create_data = {
        "title": "Shadow boards at the lathes",
        "source": "employee",
        "description": "Tools go missing between shifts.",
        "expected_benefit": "Ten minutes a shift",
    }
    edit_data = {"title": "Shadow boards at every machine", "expected_benefit": "Half an hour"}
    invalid_data = {"description": ""}  # an idea says what it is
    viewers = EVERYONE
    adders = REPORTERS
    editors = NC_MANAGERS
    archivers = QUALITY_TEAM


# -- the short report form ---------------------------------------------------------------
def report(client, url=REPORT, **typed):
    """Open the report form and send it as the browser would: what it opens with (the
    source and site chosen for the reporter), plus what the reporter typed or chose."""
    form = client.get(url).context["form"]
    body = {name: form[name].value() for name in form.fields if name != "photo"}
    body = {name: "" if value is None else value for name, value in body.items()}
    return client.post(url, {**body, **typed})


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_every_employee_may_report_a_problem(client_for, persona, request):
    name = request.node.callspec.params["persona"]
    response = client_for(persona).get(REPORT)
    assert response.status_code == (200 if name in REPORTERS else 403)


@pytest.mark.parametrize("persona_name", ["external_auditor", "nobody"])
def test_who_may_not_report_cannot_post_a_report_either(client_for, request, persona_name):
    person = request.getfixturevalue(persona_name)
    response = client_for(person).post(REPORT, {"title": "Sneaky report"})
    assert response.status_code == 403
    assert not Nonconformity.objects.exists()


def test_a_title_is_enough_to_report_a_problem(client_for, employee, leeds):
    employee.site = leeds
    employee.save()
    client = client_for(employee)

    response = report(client, title="Coolant leaking at lathe 3")

    nc = Nonconformity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{NCS}{nc.reference}/"
    assert nc.title == "Coolant leaking at lathe 3"
    assert nc.description == "Coolant leaking at lathe 3"
    assert nc.status == Nonconformity.Status.REPORTED
    assert nc.source == "process"
    assert nc.detected_by == employee
    assert nc.detected_on == today()
    assert nc.site == leeds
    entry = ChangeLogEntry.objects.get(
        object_type="improvement.nonconformity", object_id=str(nc.pk)
    )
    assert entry.action == "report"
    assert entry.actor_id == employee.pk
    assert entry.after["reference"] == nc.reference
    landed = page(client, response["Location"])
    assert f"{nc.reference} reported: the quality team will triage it." in landed


def test_report_keeps_what_the_reporter_says(client_for, employee, leeds, porto):
    employee.site = leeds
    employee.save()

    report(
        client_for(employee),
        title="Wrong label on boxes",
        description="Label says 20 pcs, box holds 25.",
        source="output",
        kind="output",
        product="Box B-25",
        site=porto.pk,
    )

    nc = Nonconformity.objects.get()
    assert (nc.description, nc.source, nc.kind, nc.product) == (
        "Label says 20 pcs, box holds 25.",
        "output",
        "output",
        "Box B-25",
    )
    assert nc.site == porto


def test_report_without_a_title_is_refused(client_for, employee):
    response = report(client_for(employee), title="", description="Something")
    assert response.status_code == 422
    assert "title" in response.context["form"].errors
    assert not Nonconformity.objects.exists()


def test_report_with_the_site_cleared_is_placed_at_the_reporters_site(client_for, employee, leeds):
    employee.site = leeds
    employee.save()
    report(client_for(employee), title="Oil on the floor", site="")
    assert Nonconformity.objects.get().site == leeds


def test_report_page_starts_at_the_reporters_site(client_for, employee, leeds):
    employee.site = leeds
    employee.save()
    form = client_for(employee).get(REPORT).context["form"]
    assert form["site"].value() == leeds.pk


def test_photo_sent_with_a_report_is_attached_to_it(client_for, employee):
    photo = SimpleUploadedFile("crack.png", PNG, content_type="image/png")

    report(client_for(employee), title="Crack in casting", photo=photo)

    nc = Nonconformity.objects.get()
    attachment = Attachment.objects.get(object_id=str(nc.pk))
    assert attachment.content_type.model_class() is Nonconformity
    assert attachment.filename == "crack.png"
    assert attachment.size == len(PNG)
    assert attachment.uploaded_by == employee
    assert "crack.png" in page(client_for(employee), f"{NCS}{nc.reference}/")


def test_report_with_a_file_of_a_refused_type_creates_nothing(client_for, employee):
    program = SimpleUploadedFile("photo.exe", b"MZ\x90\x00", content_type="image/png")

    response = report(client_for(employee), title="Crack in casting", photo=program)

    assert response.status_code == 422
    assert "Files of type &#x27;.exe&#x27; are not accepted" in response.content.decode()
    assert not Nonconformity.objects.exists()
    assert not Attachment.objects.exists()


def test_report_made_from_a_kpi_links_back_to_it(client_for, process_owner, employee):
    kpi = make_kpi(process_owner)
    url = f"{REPORT}?origin=planning.kpi:{kpi.reference}"
    client = client_for(employee)
    assert f"Raised from <strong>{kpi}</strong>" in page(client, url)

    report(client, url, title="Scrap rate above target")

    nc = Nonconformity.objects.get()
    assert nc.origin == kpi
    nc_page = page(client, f"{NCS}{nc.reference}/")
    assert f'Raised from <a href="/planning/kpis/{kpi.reference}/">{kpi}</a>' in nc_page


def test_origin_the_reporter_cannot_read_is_ignored(client_for, process_owner, leeds, porto):
    kpi = make_kpi(process_owner, site=porto)
    reporter = PersonFactory(roles=["employee"], site=leeds, scope_sites=[leeds])
    url = f"{REPORT}?origin=planning.kpi:{kpi.reference}"
    client = client_for(reporter)
    assert kpi.reference not in page(client, url)

    report(client, url, title="Scrap rate above target")

    nc = Nonconformity.objects.get()
    assert nc.origin_type_id is None
    assert nc.origin_id == ""


def test_nonconformity_page_does_not_name_an_origin_the_reader_cannot_read(
    client_for, process_owner, quality_manager, leeds, porto
):
    kpi = make_kpi(process_owner, title="Porto furnace uptime", site=porto)
    nc = steps.raise_nonconformity(
        quality_manager,
        kpi,
        title="Uptime below target",
        description="Uptime below target",
        source="process",
        site=leeds,
    )
    reader = PersonFactory(roles=["employee"], scope_sites=[leeds])
    client = client_for(reader)
    assert client.get(f"/planning/kpis/{kpi.reference}/").status_code == 404

    html = page(client, f"{NCS}{nc.reference}/")

    assert "Porto furnace uptime" not in html
    assert kpi.reference not in html


@pytest.mark.parametrize("origin", ["planning.kpi:KPI-1999-0001", "nothing.here:X", "garbage"])
def test_origin_that_names_nothing_is_ignored(client_for, employee, origin):
    report(client_for(employee), f"{REPORT}?origin={origin}", title="Scrap rate high")
    assert Nonconformity.objects.get().origin_type_id is None


def test_reporter_who_may_not_read_nonconformities_goes_home(client_for, db):
    """Someone given only the right to report (a contractor) is not sent to a page they
    cannot open."""
    contractor = PersonFactory(full_name="Carl Contractor")
    contractor.user_permissions.add(Permission.objects.get(codename="add_nonconformity"))

    response = report(client_for(contractor), title="Door left open")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert Nonconformity.objects.get().detected_by == contractor


# -- "Report a problem" in the top bar -------------------------------------------------------
REPORT_LINK = f'<a class="report-link" href="{REPORT}">Report a problem</a>'
SOME_PAGES = ["/", NCS, IMPROVEMENTS, "/planning/kpis/", "/improvement/dashboard/"]


@pytest.mark.parametrize("url", SOME_PAGES)
@pytest.mark.parametrize("persona", ["employee", "internal_auditor"], indirect=True)
def test_report_link_is_in_the_top_bar_of_every_page(client_for, persona, url):
    assert REPORT_LINK in page(client_for(persona), url)


def test_report_link_is_on_a_nonconformity_page_too(client_for, employee):
    nc = make_nc(employee)
    assert REPORT_LINK in page(client_for(employee), f"{NCS}{nc.reference}/")


@pytest.mark.parametrize("url", SOME_PAGES)
def test_external_auditor_sees_no_report_link(client_for, external_auditor, url):
    assert REPORT not in page(client_for(external_auditor), url)


# -- a nonconformity's page ------------------------------------------------------------------
@pytest.fixture
def owned_nc(quality_manager, process_owner):
    """Reported by Quinn Quality, triaged, and owned by Owen Owner."""
    nc = make_nc(quality_manager)
    return walk(nc, "containment", triager=quality_manager, owner=process_owner)


def detail(client, nc) -> str:
    return page(client, f"{NCS}{nc.reference}/")


def stepper(html: str) -> str:
    return re.search(r'<ol class="stepper".*?</ol>', html, re.S).group(0)


@pytest.mark.parametrize(
    ("to", "current", "done"),
    [
        ("reported", "Reported", []),
        ("analysis", "Root-cause analysis", ["Reported", "Containment"]),
        ("verification", "Effectiveness check", ["Action plan", "Implementation"]),
        ("closed", "Closed", ["Effectiveness check"]),
    ],
)
def test_stepper_marks_the_current_step(
    client_for, quality_manager, process_owner, internal_auditor, to, current, done
):
    nc = walk(
        make_nc(quality_manager),
        to,
        triager=quality_manager,
        owner=process_owner,
        verifier=internal_auditor,
    )

    steps_shown = stepper(detail(client_for(internal_auditor), nc))

    assert f'<li class="current" aria-current="step">{current}</li>' in steps_shown
    assert steps_shown.count('aria-current="step"') == 1
    for label in done:
        assert f'<li class="done">{label}</li>' in steps_shown
    assert "Cancelled" not in steps_shown


def test_fishbone_shows_the_causes_on_their_bones_escaped(
    client_for, owned_nc, quality_manager, process_owner, employee
):
    nc = walk(owned_nc, "analysis", triager=None, owner=process_owner, method="ishikawa")
    for category, statement in [
        ("machine", "Spindle bearing worn"),
        ("method", "<script>alert(1)</script>"),
    ]:
        data = {"statement": statement, "category": category}
        AddCause(process_owner, fresh(nc), data=data).execute()

    html = detail(client_for(employee), nc)

    fishbone = re.search(r'<div class="fishbone">(.*?)</div>', html, re.S).group(1)
    assert "<svg" in fishbone
    assert "chart-fishbone" in fishbone
    assert "Spindle bearing worn" in fishbone
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fishbone
    assert "<script>alert" not in html
    whys = walk(make_nc(employee), "analysis", triager=quality_manager, owner=process_owner)
    assert "chart-fishbone" not in detail(client_for(employee), whys)  # 5 Whys: no fishbone


def test_eight_d_page_shows_every_discipline(client_for, owned_nc, process_owner, employee):
    nc = walk(owned_nc, "analysis", triager=None, owner=process_owner, method="eight_d")

    html = detail(client_for(employee), nc)

    for label in [
        "D0 Prepare and plan, emergency response",
        "D4 Find and verify the root cause and the escape point",
        "D7 Prevent recurrence",
        "D8 Recognise the team and close",
    ]:
        assert label in html
    assert 'action="' + f"{NCS}{nc.reference}/do/eight-d/" not in html  # employee reads only
    owner_page = detail(client_for(process_owner), nc)
    assert owner_page.count(f'action="{NCS}{nc.reference}/do/eight-d/"') == 8  # D0 to D7


def test_five_whys_chain_is_shown_in_order(client_for, owned_nc, process_owner, employee):
    nc = walk(owned_nc, "analysis", triager=None, owner=process_owner)
    chain = ["Bore gauge read wrong", "Gauge not calibrated", "Calibration plan misses gauges"]
    for statement in chain:
        AddCause(process_owner, fresh(nc), data={"statement": statement}).execute()

    html = detail(client_for(employee), nc)

    why_chain = re.search(r'<ol class="why-chain">(.*?)</ol>', html, re.S).group(1)
    shown = [why_chain.index(statement) for statement in chain]
    assert shown == sorted(shown)
    assert why_chain.count("<strong>Why?</strong>") == 3


def test_alike_lists_nonconformities_of_the_same_process(
    client_for, quality_manager, process_owner, employee
):
    press = make_process(process_owner, title="Pressing")
    paint = make_process(process_owner, title="Painting")
    earlier = make_nc(employee, title="Press die cracked", process=press)
    unrelated = make_nc(employee, title="Paint runs", process=paint)
    nc = make_nc(employee, title="Press stroke too short", process=press)

    html = detail(client_for(employee), nc)

    alike = re.search(r"<h3>Alike nonconformities</h3>(.*?)</section>", html, re.S).group(1)
    assert earlier.reference in alike
    assert unrelated.reference not in alike
    assert nc.reference not in alike


def test_alike_leaves_out_nonconformities_outside_my_sites(
    client_for, process_owner, employee, leeds, porto
):
    press = make_process(process_owner, title="Pressing")
    there = make_nc(employee, title="Press die cracked in Porto", process=press, site=porto)
    nc = make_nc(employee, title="Press stroke too short", process=press, site=leeds)
    reader = PersonFactory(roles=["employee"], scope_sites=[leeds])

    assert there.reference not in detail(client_for(reader), nc)
    assert there.reference in detail(client_for(employee), nc)


def test_action_forms_with_their_fields_are_offered_only_to_who_may_act(
    client_for, owned_nc, process_owner, employee, external_auditor
):
    nc = walk(owned_nc, "implementation", triager=None, owner=process_owner)
    for action in nc.actions.filter(kind="corrective"):
        steps.CompleteCorrectiveAction(process_owner, action, data={"evidence": "Done"}).execute()
    label = "Actions implemented: plan the effectiveness check"
    form = f'action="{NCS}{nc.reference}/do/implemented/"'

    owner_page = detail(client_for(process_owner), nc)

    assert f"<summary>{label}</summary>" in owner_page
    assert form in owner_page
    assert re.search(r'<label for="implemented-verifier">Verifier\b', owner_page)
    assert re.search(r'<label for="implemented-verification_due">Verify on\b', owner_page)
    assert re.search(r'<label for="implemented-verification_criteria">Effectiveness', owner_page)
    for reader in (employee, external_auditor):
        page_of_reader = detail(client_for(reader), nc)
        assert label not in page_of_reader
        assert "/do/" not in page_of_reader


@pytest.mark.parametrize("method", ["five_whys", "ishikawa"])
def test_owner_may_verify_mark_or_remove_a_cause_on_the_page(
    client_for, owned_nc, process_owner, method
):
    nc = walk(owned_nc, "analysis", triager=None, owner=process_owner, method=method)
    data = {"statement": "Spindle bearing worn", "category": "machine"}
    AddCause(process_owner, fresh(nc), data=data).execute()

    html = detail(client_for(process_owner), nc)

    assert f'action="{NCS}{nc.reference}/do/change-cause/"' in html
    assert f'action="{NCS}{nc.reference}/do/remove-cause/"' in html
    assert "Mark as root cause" in html


def test_analysis_forms_are_offered_only_to_who_may_analyse(
    client_for, owned_nc, process_owner, employee
):
    nc = walk(owned_nc, "analysis", triager=None, owner=process_owner)
    add_cause = f'action="{NCS}{nc.reference}/do/add-cause/"'
    assert add_cause in detail(client_for(process_owner), nc)
    assert add_cause not in detail(client_for(employee), nc)


def test_add_action_links_name_the_nonconformity_for_who_may_add_actions(
    client_for, owned_nc, process_owner, employee
):
    link = f"{ACTIONS}new/?nonconformity={owned_nc.pk}&amp;kind=containment"
    assert link in detail(client_for(process_owner), owned_nc)
    assert link not in detail(client_for(employee), owned_nc)
    form = client_for(process_owner).get(f"{ACTIONS}new/?nonconformity={owned_nc.pk}")
    assert form.context["form"]["nonconformity"].value() == str(owned_nc.pk)


def test_detail_query_count_does_not_grow_with_causes_and_actions(
    client_for, owned_nc, process_owner, internal_auditor
):
    nc = walk(owned_nc, "analysis", triager=None, owner=process_owner, method="ishikawa")
    client = client_for(internal_auditor)
    url = f"{NCS}{nc.reference}/"

    def grow(count):
        for _ in range(count):
            n = fresh(nc).causes.count()
            AddCause(
                process_owner,
                fresh(nc),
                data={"statement": f"Cause {n}", "category": "method", "evidence": "Seen"},
            ).execute()
            add_action(process_owner, fresh(nc), kind="correction", owner=PersonFactory())

    grow(1)
    client.get(url)
    small, _ = count_queries(client, url)
    grow(6)
    large, sql = count_queries(client, url)

    assert large == small, "\n".join(sql)
    html = detail(client, nc)
    assert "Cause 6" in html  # the seven causes and actions are all shown
    assert html.count(f'href="{ACTIONS}CAR-') == 8  # one containment from the walk


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_closed_or_cancelled_nonconformity_cannot_be_edited(
    client_for, api_for, quality_manager, process_owner, internal_auditor, status
):
    nc = make_nc(quality_manager)
    if status == "closed":
        nc = walk(
            nc, "closed", triager=quality_manager, owner=process_owner, verifier=internal_auditor
        )
    else:
        steps.CancelNonconformity(
            quality_manager, nc, reason="Duplicate", data={"password": PASSWORD}
        ).execute()
    nc = fresh(nc)
    version = nc.version
    client = client_for(quality_manager)

    opened = client.get(f"{NCS}{nc.reference}/edit/", follow=True)
    assert opened.redirect_chain[-1][0] == f"{NCS}{nc.reference}/"
    assert f"{nc.reference} is {status}: it is a record now." in opened.content.decode()
    assert f'href="{NCS}{nc.reference}/edit/"' not in opened.content.decode()

    data = form_data(NonconformityRegister, nc, title="Rewritten afterwards")
    assert client.post(f"{NCS}{nc.reference}/edit/", data).status_code == 409
    api = api_for(quality_manager)
    response = api.patch(
        f"/api/v1/improvement/nonconformities/{nc.reference}",
        {"title": "Rewritten afterwards"},
        **{"If-Match": nc.etag},
    )
    assert response.status_code == 409
    nc = fresh(nc)
    assert nc.title == "Bores oversize on batch 12"
    assert nc.version == version


# -- "My tasks" ------------------------------------------------------------------------------
def tasks(client) -> str:
    """The rows of the home page's task lists."""
    html = page(client, "/")
    return "".join(re.findall(r"<tbody>(.*?)</tbody>", html, re.S))


def task_row(html: str, reference: str) -> str:
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", html, re.S) if reference in row]
    assert len(rows) == 1, f"{reference} is listed {len(rows)} times"
    return rows[0]


def test_owner_sees_the_nonconformity_with_its_next_step_due(
    client_for, quality_manager, process_owner, employee
):
    nc = make_nc(employee)
    due = days_from_now(5)
    steps.Triage(
        quality_manager,
        nc,
        data={"owner": process_owner.pk, "kind": "process", "severity": "major", "due_date": due},
    ).execute()

    row = task_row(tasks(client_for(process_owner)), nc.reference)

    assert due.isoformat() in row
    assert "Take a nonconformity to its next step" in row
    assert "Containment" in row
    assert nc.reference not in tasks(client_for(employee))  # the reporter does not own it


def test_owner_of_an_open_action_sees_it_until_it_is_done_or_cancelled(
    client_for, owned_nc, process_owner, top_manager
):
    done = add_action(process_owner, owned_nc, kind="containment", owner=top_manager, days=3)
    dropped = add_action(process_owner, owned_nc, kind="correction", owner=top_manager, days=4)
    client = client_for(top_manager)
    before = tasks(client)
    assert days_from_now(3).isoformat() in task_row(before, done.reference)
    assert "Carry out an action on a nonconformity" in task_row(before, dropped.reference)

    steps.CompleteCorrectiveAction(top_manager, done, data={"evidence": "Sorted"}).execute()
    steps.CancelCorrectiveAction(process_owner, dropped, reason="Not needed").execute()

    after = tasks(client)
    assert done.reference not in after
    assert dropped.reference not in after


def test_named_verifier_is_asked_to_verify_until_the_nonconformity_is_closed(
    client_for, quality_manager, process_owner, internal_auditor, top_manager
):
    nc = walk(
        make_nc(quality_manager),
        "verification",
        triager=quality_manager,
        owner=process_owner,
        verifier=internal_auditor,
    )
    row = task_row(tasks(client_for(internal_auditor)), nc.reference)
    assert "Verify that a fix worked" in row
    assert nc.verification_due.isoformat() in row
    assert "Effectiveness check" in row
    assert nc.reference in tasks(client_for(process_owner))  # its owner waits on the check
    assert nc.reference not in tasks(client_for(top_manager))  # may verify, but is not named

    walk(nc, "closed", triager=quality_manager, owner=process_owner, verifier=internal_auditor)

    assert nc.reference not in tasks(client_for(internal_auditor))
    assert nc.reference not in tasks(client_for(process_owner))


def test_cancelled_nonconformity_leaves_its_owners_tasks(
    client_for, quality_manager, process_owner, employee
):
    nc = make_nc(employee)
    data = {"owner": process_owner.pk, "kind": "system", "severity": "minor"}
    steps.Triage(quality_manager, nc, data={**data, "due_date": days_from_now(2)}).execute()
    action = add_action(process_owner, fresh(nc), kind="containment", owner=process_owner)
    assert nc.reference in tasks(client_for(process_owner))

    steps.CancelNonconformity(
        quality_manager, fresh(nc), reason="Not a nonconformity", data={"password": PASSWORD}
    ).execute()

    after = tasks(client_for(process_owner))
    assert nc.reference not in after
    assert action.reference not in after  # its open actions were cancelled with it


# -- improvements: proposed, decided, implemented (10.3) -----------------------------------
@pytest.fixture
def idea(employee):
    """Proposed by Eve Employee."""
    return make_improvement(employee, title="Label the gauges with their next calibration")


def test_employee_proposes_an_improvement(client_for, employee):
    data = form_data(ImprovementRegister, **TestImprovementRegister.create_data)

    response = client_for(employee).post(f"{IMPROVEMENTS}new/", data)

    proposed = Improvement.objects.get()
    assert response.status_code == 302
    assert proposed.status == Improvement.Status.PROPOSED
    assert proposed.created_by == employee
    assert proposed.title == "Shadow boards at the lathes"


@pytest.mark.parametrize("persona", ["top_manager", "quality_manager"], indirect=True)
def test_top_management_or_quality_manager_take_an_idea_up(client_for, persona, idea, employee):
    due = days_from_now(60)

    response = do(
        client_for(persona),
        idea,
        "accept",
        reason="Cheap, and saves a search each shift",
        owner=employee.pk,
        due_date=due.isoformat(),
    )

    assert response.status_code == 200
    idea.refresh_from_db()
    assert idea.status == Improvement.Status.ACCEPTED
    assert (idea.owner, idea.due_date) == (employee, due)
    assert idea.evaluation == "Cheap, and saves a search each shift"
    assert idea.decided_on == today()
    entry = ChangeLogEntry.objects.get(object_id=str(idea.pk), action="accept")
    assert entry.actor_id == persona.pk


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("reason", "A reason is required."),
        ("owner", "Owner: This field is required."),
        ("due_date", "Due date: This field is required."),
    ],
)
def test_taking_an_idea_up_needs_a_reason_an_owner_and_a_date(
    client_for, top_manager, idea, employee, missing, message
):
    fields = {
        "reason": "Worth it",
        "owner": employee.pk,
        "due_date": days_from_now(30).isoformat(),
    }
    fields[missing] = ""

    response = do(client_for(top_manager), idea, "accept", **fields)

    assert message in messages_of(response)
    idea.refresh_from_db()
    assert idea.status == Improvement.Status.PROPOSED
    assert (idea.owner, idea.due_date, idea.version) == (None, None, 1)


@pytest.mark.parametrize("persona", ["top_manager", "quality_manager"], indirect=True)
def test_an_idea_not_taken_up_keeps_the_reason(client_for, persona, idea):
    do(client_for(persona), idea, "reject", reason="Gauges are tagged already")

    idea.refresh_from_db()
    assert idea.status == Improvement.Status.REJECTED
    assert idea.evaluation == "Gauges are tagged already"
    assert idea.decided_on == today()


def test_an_idea_is_not_rejected_without_a_reason(client_for, top_manager, idea):
    response = do(client_for(top_manager), idea, "reject", reason=" ")
    assert "A reason is required." in messages_of(response)
    idea.refresh_from_db()
    assert idea.status == Improvement.Status.PROPOSED


@pytest.mark.parametrize(
    "persona", ["process_owner", "internal_auditor", "employee"], indirect=True
)
def test_others_cannot_decide_an_idea(client_for, persona, idea, employee):
    client = client_for(persona)
    accepted = do(
        client,
        idea,
        "accept",
        reason="Let us",
        owner=employee.pk,
        due_date=days_from_now(30).isoformat(),
    )
    rejected = do(client, idea, "reject", reason="Let us not")

    assert "You do not have the right to take it up." in messages_of(accepted)
    assert "You do not have the right to" in messages_of(rejected)
    idea.refresh_from_db()
    assert idea.status == Improvement.Status.PROPOSED
    assert not ChangeLogEntry.objects.filter(
        object_id=str(idea.pk), action__in=["accept", "reject"]
    ).exists()
    assert f'action="{IMPROVEMENTS}{idea.reference}/do/accept/"' not in page(
        client, record_url(idea)
    )


def test_decided_idea_cannot_be_decided_again(top_manager, quality_manager, idea):
    steps.RejectImprovement(top_manager, idea, reason="Not now").execute()
    with pytest.raises(ActionRefused, match="has been decided already"):
        steps.AcceptImprovement(
            quality_manager,
            fresh_idea(idea),
            reason="After all",
            data={"owner": quality_manager.pk, "due_date": days_from_now(9)},
        ).execute()


def fresh_idea(idea) -> Improvement:
    return Improvement.objects.get(pk=idea.pk)


def take_up(idea, decider, owner) -> Improvement:
    data = {"owner": owner.pk, "due_date": days_from_now(30)}
    return steps.AcceptImprovement(decider, idea, reason="Worth it", data=data).execute()


def test_owner_completes_an_idea_with_the_benefit_it_brought(
    client_for, top_manager, employee, idea
):
    idea = take_up(idea, top_manager, employee)

    do(client_for(employee), idea, "done", realised_benefit="No gauge used out of date since")

    idea.refresh_from_db()
    assert idea.status == Improvement.Status.DONE
    assert idea.realised_benefit == "No gauge used out of date since"
    assert idea.implemented_on == today()
    assert idea.due_date is None
    assert idea.reference not in tasks(client_for(employee))


def test_idea_is_not_completed_without_its_benefit(client_for, top_manager, employee, idea):
    idea = take_up(idea, top_manager, employee)

    response = do(client_for(employee), idea, "done", realised_benefit="  ")

    assert "Realised benefit: This field is required." in messages_of(response)
    idea.refresh_from_db()
    assert idea.status == Improvement.Status.ACCEPTED
    assert idea.implemented_on is None


def test_only_its_owner_or_a_manager_completes_an_idea(client_for, top_manager, employee, idea):
    idea = take_up(idea, top_manager, employee)
    colleague = PersonFactory(roles=["employee"])

    response = do(client_for(colleague), idea, "done", realised_benefit="Claimed")

    assert f"Only {employee} or the quality team may do this." in messages_of(response)
    idea.refresh_from_db()
    assert idea.status == Improvement.Status.ACCEPTED


def test_idea_not_taken_up_cannot_be_completed(quality_manager, idea):
    with pytest.raises(ActionRefused, match="Only an improvement that was taken up"):
        steps.CompleteImprovement(
            quality_manager, idea, data={"realised_benefit": "Did it anyway"}
        ).execute()
    assert fresh_idea(idea).status == Improvement.Status.PROPOSED


def test_owner_sees_the_idea_taken_up_in_my_tasks(client_for, top_manager, employee, idea):
    idea = take_up(idea, top_manager, employee)
    row = task_row(tasks(client_for(employee)), idea.reference)
    assert "Implement an improvement" in row
    assert idea.due_date.isoformat() in row


def test_improvement_list_filters_by_status(client_for, top_manager, employee, idea):
    accepted = take_up(make_improvement(employee, title="Second idea"), top_manager, employee)
    rejected = make_improvement(employee, title="Third idea")
    steps.RejectImprovement(top_manager, rejected, reason="No").execute()
    client = client_for(employee)

    shown = {
        status: page(client, f"{IMPROVEMENTS}?status={status}")
        for status in ("proposed", "accepted", "rejected")
    }

    assert idea.reference in shown["proposed"]
    assert accepted.reference not in shown["proposed"]
    assert accepted.reference in shown["accepted"]
    assert idea.reference not in shown["accepted"]
    assert rejected.reference in shown["rejected"]
    assert rejected.reference not in shown["proposed"] + shown["accepted"]


# -- exports ---------------------------------------------------------------------------------
def test_nonconformity_export_lists_each_with_its_status(
    client_for, quality_manager, process_owner, employee
):
    reported = make_nc(employee, title="Oil on the floor")
    triaged = walk(make_nc(employee), "containment", triager=quality_manager, owner=process_owner)

    response = client_for(employee).get(f"{NCS}export/?format=csv")

    body = b"".join(response.streaming_content).decode()
    lines = body.splitlines()
    assert len(lines) == 3  # the header and two rows
    assert "Reference" in lines[0]
    assert next(line for line in lines if reported.reference in line).count("Reported") == 1
    assert "Containment" in next(line for line in lines if triaged.reference in line)
