"""Monitoring and measuring equipment (ISO 9001 7.1.5): the instrument and calibration
registers through the register kit, recording a calibration with its certificate (web form
and API), what a result does to its instrument (due date, out of service, suspect results),
the nonconformity and impact assessment after an out-of-tolerance result, the instrument's
own actions, its calibration status, the calibration-due reminders, the 7.1.5 readiness check
and the instrument's page with its calibration history.

Unless a test says otherwise, Quinn Quality registers the instruments, Owen Owner (a process
owner) records calibrations, and instruments are calibrated in house (no certificate needed);
`certified()` makes one calibrated by an external laboratory, which needs its certificate.
"""

import base64
import datetime
import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import slugify

from norma.core.actions import ActionRefused, ArchiveRecord, InvalidInput, UpdateRecord
from norma.core.context import acting_as
from norma.core.models import Attachment, ChangeLogEntry, RoleCode
from norma.core.models.records import reserve_references
from norma.documents.models import add_months
from norma.improvement.models import Nonconformity
from norma.notifications.models import Notification, NotificationKind
from norma.notifications.reminders import create_reminders
from norma.operations import equipment
from norma.operations.models import Calibration, Instrument
from norma.operations.readiness import equipment_calibrated
from norma.operations.registers import CalibrationRegister, InstrumentRegister
from norma.standards.readiness import Status, registered_checks
from tests.conftest import PERSONAS
from tests.factories import PersonFactory
from tests.kit import RegisterKit, count_queries, form_data
from tests.operations.helpers import (
    PDF,
    bulk_instruments,
    calibrate,
    days_ago,
    fresh,
    make_instrument,
    pdf,
    today,
)

EVERYONE = [p for p in PERSONAS if p != "nobody"]  # every role reads the equipment registers
KEEPERS = ["quality_manager", "top_manager", "process_owner"]  # OPERATIONS_RIGHTS
QUALITY_TEAM = ["quality_manager"]  # archiving
READ_ONLY = ["internal_auditor", "employee", "external_auditor"]

INSTRUMENTS = "/operations/measuring-instruments/"
CALIBRATIONS = "/operations/calibrations/"
API_INSTRUMENTS = "/api/v1/operations/measuring-instruments/"
API_CALIBRATIONS = "/api/v1/operations/calibrations/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def days_from_now(days: int) -> datetime.date:
    return today() + timedelta(days=days)


# -- makers ------------------------------------------------------------------------------------
def certified(actor, **fields) -> Instrument:
    """An instrument calibrated by an external laboratory: each result needs its certificate."""
    return make_instrument(actor, method="external", **fields)


def calibration_for_the_kit(actor, title="Annual calibration", site=None, owner=None, **fields):
    """A calibration of a fresh instrument at the kit's site. The instrument carries the same
    title: the calibration list names the instrument, not the calibration's own title."""
    instrument = make_instrument(actor, title=title, site=site, owner=owner)
    return calibrate(actor, instrument, title=title, site=site, owner=owner, **fields)


def bulk_calibrations(count: int, instrument=None, **fields) -> list[Calibration]:
    """Many calibration rows at once (no actions), of one instrument made for them if none
    is given; each newer than the last."""
    if instrument is None:
        bulk_instruments(1, **fields)
        instrument = Instrument.objects.order_by("-id").first()
    with acting_as(name="test bulk"):
        references = reserve_references(Calibration.reference_prefix, count, width=6)
        return Calibration.objects.bulk_create(
            Calibration(
                reference=ref,
                title=f"Bulk calibration {i}",
                instrument=instrument,
                performed_on=days_ago(count - i + 2),
                performed_by=f"Lab {i % 5}",
                result=Calibration.Result.IN_TOLERANCE,
                status=Calibration.Status.RECORDED,
                next_due=days_from_now(i % 300),
                certificate_number=f"C-{i}",
                **fields,
            )
            for i, ref in enumerate(references)
        )


def bulk_certificates(calibrations, person):
    """One certificate row per calibration (bulk: the page's reads, not the file, matter)."""
    kind = ContentType.objects.get_for_model(Calibration)
    Attachment.objects.bulk_create(
        Attachment(
            content_type=kind,
            object_id=str(c.pk),
            file=f"attachments/bulk/{c.pk}",
            filename=f"{c.reference}.pdf",
            content_type_name="application/pdf",
            size=len(PDF),
            sha256=hashlib.sha256(PDF).hexdigest(),
            uploaded_by=person,
            uploaded_at=timezone.now(),
        )
        for c in calibrations
    )


# -- helpers -----------------------------------------------------------------------------------
def url_of(record, suffix="") -> str:
    base = INSTRUMENTS if isinstance(record, Instrument) else CALIBRATIONS
    return f"{base}{record.reference}/{suffix}"


def api_url_of(record, suffix="") -> str:
    base = API_INSTRUMENTS if isinstance(record, Instrument) else API_CALIBRATIONS
    return f"{base}{record.reference}{suffix}"


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def do(client, record, code, **fields):
    """POST an action's form on the record's page, as the browser sends it."""
    return client.post(url_of(record, f"do/{code}/"), {"version": record.version, **fields})


def api_do(api, record, code, **payload):
    return api.post(api_url_of(record, f"/actions/{code}"), payload, **{"If-Match": record.etag})


def log_of(record, action=None):
    entries = ChangeLogEntry.objects.filter(
        object_type=record._meta.label_lower, object_id=str(record.pk)
    )
    return entries.filter(action=action) if action else entries


def certificates_of(calibration):
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(Calibration),
        object_id=str(calibration.pk),
    )


def calibration_form(of, **changes) -> dict:
    """The "Record a calibration" form as a person fills it in."""
    typed = {
        "instrument": of.pk,
        "title": "Annual calibration",
        "performed_on": days_ago(1).isoformat(),
        "performed_by": "Northern Calibration Services",
        "result": "in_tolerance",
    }
    return form_data(CalibrationRegister, **{**typed, **changes})


def calibration_json(instrument, **changes) -> dict:
    return {
        "instrument": instrument.pk,
        "title": "Annual calibration",
        "performed_on": days_ago(1).isoformat(),
        "performed_by": "Northern Calibration Services",
        "result": "in_tolerance",
        **changes,
    }


def as_base64(name: str, content: bytes) -> dict:
    return {"filename": name, "content_base64": base64.b64encode(content).decode()}


def row_of(html: str, reference: str) -> str:
    """The table row of the page that links to `reference`."""
    found = re.search(
        rf"<tr[^>]*>(?:(?!</tr>).)*{re.escape(reference)}(?:(?!</tr>).)*</tr>", html, re.S
    )
    assert found, f"no row for {reference}"
    return found.group(0)


def due_in(actor, instrument, days: int) -> Instrument:
    """Calibrate `instrument` so that its next calibration falls due `days` from today."""
    calibrate(actor, instrument, on=add_months(days_from_now(days), -instrument.interval_months))
    instrument = fresh(instrument)
    assert instrument.due_date == days_from_now(days)
    return instrument


def registered(instrument, on: datetime.date):
    """Back-date when the instrument was registered (what an out-of-tolerance first result
    looks back to)."""
    moment = timezone.make_aware(datetime.datetime.combine(on, datetime.time(12)))
    Instrument.objects.filter(pk=instrument.pk).update(created_at=moment)


def found_out_of_tolerance(actor, instrument, on=None, **fields) -> Calibration:
    return calibrate(actor, instrument, on=on or days_ago(1), result="out_of_tolerance", **fields)


# -- shared records ----------------------------------------------------------------------------
@pytest.fixture
def micrometer(quality_manager, process_owner) -> Instrument:
    """In house, every 12 months, owned by Owen Owner."""
    return make_instrument(quality_manager, asset_tag="MIC-0001", owner=process_owner)


@pytest.fixture
def balance(quality_manager, process_owner) -> Instrument:
    """Calibrated by an external laboratory every 6 months: results need a certificate."""
    return certified(
        quality_manager,
        title="Analytical balance",
        asset_tag="BAL-0001",
        equipment_type="Balance",
        interval_months=6,
        owner=process_owner,
    )


@pytest.fixture
def unfit(micrometer, process_owner) -> Calibration:
    """The micrometer, good a year ago, found out of tolerance yesterday and not adjusted."""
    calibrate(process_owner, micrometer, on=days_ago(365))
    return found_out_of_tolerance(process_owner, fresh(micrometer))


# == the two registers through the kit ==========================================================
class TestInstrumentRegister(RegisterKit):
    register = InstrumentRegister
    make_record = staticmethod(make_instrument)
    bulk_records = staticmethod(bulk_instruments)
    create_data = {
        "title": "Torque wrench, 20–100 Nm",
        "asset_tag": "TW-0003",
        "equipment_type": "Torque wrench",
        "interval_months": "6",
        "method": "verification",
        "traceability": "national",
    }
    edit_data = {"title": "Torque wrench, line 2", "location": "Assembly line 2"}
    invalid_data = {"interval_months": "0"}  # at least one month between calibrations
    viewers = EVERYONE
    adders = KEEPERS
    editors = KEEPERS
    archivers = QUALITY_TEAM

    @pytest.fixture
    def archivable(self, record, quality_manager):
        """An instrument in service is retired, with a reason, before it is archived."""
        return equipment.RetireInstrument(quality_manager, record, reason="Scrapped").execute()

    def test_an_instrument_in_service_is_retired_not_archived(
        self, client_for, quality_manager, record
    ):
        response = client_for(quality_manager).post(
            self.url("archive", record), {"reason": "Not needed"}, follow=True
        )
        assert f"{record.reference} is in service: retire it, with a reason, first." in (
            response.content.decode()
        )
        assert not fresh(record).is_archived
        assert not self.log_entries(record, "archive").exists()

    def test_an_instrument_out_of_service_may_be_archived(self, quality_manager, record):
        equipment.TakeOutOfService(quality_manager, record, reason="Dropped").execute()
        ArchiveRecord(quality_manager, fresh(record), reason="Written off").execute()
        assert fresh(record).is_archived

    def test_asset_tags_are_unique(self, client_for, quality_manager, record):
        data = form_data(self.register, **{**self.create_data, "asset_tag": record.asset_tag})
        response = client_for(quality_manager).post(self.url("create"), data)
        assert response.status_code == 422
        assert "asset_tag" in response.context["form"].errors
        assert Instrument.objects.count() == 1

    def test_last_calibrated_on_is_not_typed_in(self, client_for, quality_manager, record):
        """Only calibrations set them: the form does not even offer them."""
        form = client_for(quality_manager).get(self.url("edit", record)).context["form"]
        assert not {"last_calibrated_on", "due_date", "status"} & set(form.fields)


class TestCalibrationRegister(RegisterKit):
    register = CalibrationRegister
    make_record = staticmethod(calibration_for_the_kit)
    bulk_records = staticmethod(bulk_calibrations)
    viewers = EVERYONE
    adders = KEEPERS
    editors = KEEPERS  # who hold the change right: still, nobody edits a calibration
    archivers = QUALITY_TEAM

    @property
    def create_data(self):
        """Names an in-house instrument; made once per test, on first use."""
        if "_create_data" not in self.__dict__:
            keeper = PersonFactory(full_name="Kit Keeper", roles=[RoleCode.QUALITY_MANAGER])
            self._create_data = {
                "instrument": make_instrument(keeper, asset_tag="KIT-0001").pk,
                "title": "Six-monthly verification",
                "performed_on": days_ago(3).isoformat(),
                "performed_by": "Ian In-house",
                "result": "in_tolerance",
            }
        return self._create_data

    @property
    def invalid_data(self):
        return {"performed_on": days_from_now(1).isoformat()}  # not done tomorrow

    edit_data = {"performed_by": "Someone else", "notes": "Corrected afterwards"}

    # -- the kit's edit tests, for a record that is never edited after it is made --------
    @pytest.mark.parametrize("persona_name", PERSONAS)
    def test_edit_needs_the_change_right(self, client_for, persona_named, record, persona_name):
        """Without the right: 403. With it: the edit page sends back to the calibration,
        and a posted edit is refused; a calibration is corrected by recording a new one."""
        client = client_for(persona_named(persona_name))
        opened = client.get(self.url("edit", record))
        posted = client.post(
            self.url("edit", record), form_data(self.register, record, **self.edit_data)
        )
        if persona_name in self.editors:
            assert opened.status_code == 302
            assert opened["Location"] == self.url("detail", record)
            assert posted.status_code == 409
            assert "is a calibration record: record a new one to correct it." in (
                messages_of(posted)
            )
        else:
            assert (opened.status_code, posted.status_code) == (403, 403)
        record = fresh(record)
        assert (record.version, record.performed_by) == (1, "Northern Calibration Services")

    def test_edit_changes_the_record(self, client_for, persona_named, record):
        """Overrides the kit: the edit page says why there is no edit."""
        response = client_for(persona_named(self.editors[0])).get(
            self.url("edit", record), follow=True
        )
        assert response.redirect_chain[-1][0] == self.url("detail", record)
        assert (
            f"{record.reference} is a calibration record: record a new one to correct it."
            in response.content.decode()
        )
        assert f'href="{self.url("edit", record)}"' not in response.content.decode()

    def test_stale_edit_is_refused_naming_who_changed_what(self, persona_named, record, api_for):
        """Overrides the kit: no edit can be current, through the API either."""
        api = api_for(persona_named(self.editors[0]))
        response = api.patch(
            f"{API_CALIBRATIONS}{record.reference}", {"notes": "Later"}, **{"If-Match": '"1"'}
        )
        assert response.status_code == 409
        assert "record a new one to correct it" in response.json()["detail"]
        assert fresh(record).notes == ""

    def test_edit_writes_a_change_log_entry_with_before_and_after(self, persona_named, record):
        """Overrides the kit: a refused edit writes nothing, not even through the action."""
        with pytest.raises(ActionRefused, match="record a new one to correct it"):
            UpdateRecord(
                persona_named(self.editors[0]), record, data={"result": "out_of_tolerance"}
            ).execute()
        assert fresh(record).result == "in_tolerance"
        assert not self.log_entries(record, "update").exists()

    def test_csv_export_neutralises_spreadsheet_formulas(self, client_for, persona_named):
        """Overrides the kit: the export has no title column; who did it is typed text."""
        calibration_for_the_kit(persona_named(self.adders[0]), performed_by="=HYPERLINK(evil)")
        response = client_for(persona_named(self.viewers[0])).get(
            self.url("export") + "?format=csv"
        )
        body = b"".join(response.streaming_content).decode()
        assert "'=HYPERLINK(evil)" in body
        assert ",=HYPERLINK" not in body

    def test_a_calibration_with_its_impact_open_is_not_archived(self, quality_manager, unfit):
        with pytest.raises(ActionRefused, match="impact assessment is still open"):
            ArchiveRecord(quality_manager, unfit, reason="Tidy up").execute()
        assert not fresh(unfit).is_archived

    def test_the_calibration_form_offers_only_instruments_in_my_sites(
        self, client_for, quality_manager, leeds, porto
    ):
        here = make_instrument(quality_manager, title="Leeds gauge", site=leeds)
        there = make_instrument(quality_manager, title="Porto gauge", site=porto)
        keeper = PersonFactory(roles=[RoleCode.PROCESS_OWNER], scope_sites=[leeds])
        client = client_for(keeper)

        form = client.get(self.url("create")).context["form"]
        offered = set(form.fields["instrument"].queryset.values_list("pk", flat=True))
        response = client.post(self.url("create"), calibration_form(there))

        assert offered == {here.pk}
        assert response.status_code == 422
        assert "instrument" in response.context["form"].errors
        assert not Calibration.objects.exists()

    def test_a_calibration_is_placed_where_its_instrument_is(
        self, quality_manager, process_owner, leeds, porto
    ):
        instrument = make_instrument(quality_manager, site=leeds, owner=process_owner)
        calibration = calibrate(quality_manager, instrument, site=porto)
        assert (calibration.site, calibration.owner) == (leeds, process_owner)


# == recording a calibration: web form and API ==================================================
class TestRecordingACalibration:
    @pytest.mark.parametrize("persona", PERSONAS, indirect=True)
    def test_only_who_keeps_the_equipment_records_a_calibration_on_the_web(
        self, client_for, persona, micrometer, request
    ):
        allowed = request.node.callspec.params["persona"] in KEEPERS
        response = client_for(persona).post(f"{CALIBRATIONS}new/", calibration_form(micrometer))
        assert response.status_code == (302 if allowed else 403)
        assert Calibration.objects.count() == (1 if allowed else 0)
        assert fresh(micrometer).last_calibrated_on == (days_ago(1) if allowed else None)

    @pytest.mark.parametrize("persona", PERSONAS, indirect=True)
    def test_only_who_keeps_the_equipment_records_a_calibration_through_the_api(
        self, api_for, persona, micrometer, request
    ):
        allowed = request.node.callspec.params["persona"] in KEEPERS
        response = api_for(persona).post(API_CALIBRATIONS, calibration_json(micrometer))
        assert response.status_code == (201 if allowed else 403)
        assert Calibration.objects.count() == (1 if allowed else 0)
        assert fresh(micrometer).version == (2 if allowed else 1)

    def test_web_form_stores_the_certificate_and_logs_its_sha256(
        self, client_for, process_owner, balance
    ):
        response = client_for(process_owner).post(
            f"{CALIBRATIONS}new/",
            calibration_form(
                balance, certificate=pdf("BAL-0001 cert 2291.pdf"), certificate_number="2291"
            ),
        )

        calibration = Calibration.objects.get()
        assert response.status_code == 302
        assert response["Location"] == url_of(calibration)
        stored = certificates_of(calibration).get()
        assert stored.filename == "BAL-0001 cert 2291.pdf"
        assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
        assert stored.size == len(PDF)
        assert stored.uploaded_by == process_owner
        assert stored.file.read() == PDF
        entry = log_of(calibration, "create").get()
        assert entry.after["certificate"] == {
            "name": "BAL-0001 cert 2291.pdf",
            "sha256": hashlib.sha256(PDF).hexdigest(),
        }
        assert entry.actor_id == process_owner.pk

    def test_api_stores_the_base64_certificate_and_logs_its_sha256(
        self, api_for, process_owner, balance
    ):
        response = api_for(process_owner).post(
            API_CALIBRATIONS,
            calibration_json(balance, certificate=as_base64("cert.pdf", PDF)),
        )

        assert response.status_code == 201
        calibration = Calibration.objects.get(reference=response.json()["reference"])
        assert response["ETag"] == '"1"'
        stored = certificates_of(calibration).get()
        assert (stored.filename, stored.sha256) == ("cert.pdf", hashlib.sha256(PDF).hexdigest())
        assert log_of(calibration, "create").get().after["certificate"]["sha256"] == stored.sha256

    def test_the_api_shows_what_the_calibration_set(self, api_for, external_auditor, unfit):
        api = api_for(external_auditor)
        calibration = api.get(api_url_of(unfit)).json()
        instrument = api.get(api_url_of(unfit.instrument)).json()
        assert calibration["status"] == "impact_open"
        assert calibration["suspect_since"] == days_ago(365).isoformat()
        assert (calibration["next_due"], calibration["nonconformity"]) == (None, None)
        assert instrument["last_calibrated_on"] == days_ago(1).isoformat()
        assert (instrument["status"], instrument["due_date"]) == ("out_of_service", None)

    def test_an_in_house_calibration_needs_no_certificate(
        self, client_for, process_owner, micrometer
    ):
        response = client_for(process_owner).post(
            f"{CALIBRATIONS}new/", calibration_form(micrometer)
        )
        calibration = Calibration.objects.get()
        assert response.status_code == 302
        assert not certificates_of(calibration).exists()
        assert "certificate" not in log_of(calibration, "create").get().after

    def test_an_external_result_without_its_certificate_is_refused_on_the_web(
        self, client_for, process_owner, balance
    ):
        response = client_for(process_owner).post(f"{CALIBRATIONS}new/", calibration_form(balance))

        assert response.status_code == 422
        errors = response.context["form"].errors
        assert errors["certificate"] == [
            "Calibration by an external laboratory needs its certificate: attach the file."
        ]
        assert "needs its certificate: attach the file." in response.content.decode()
        self.assert_nothing_stored(balance)

    def test_an_external_result_without_its_certificate_is_refused_by_the_api(
        self, api_for, process_owner, balance
    ):
        response = api_for(process_owner).post(API_CALIBRATIONS, calibration_json(balance))

        assert response.status_code == 422
        assert "certificate" in response.json()["errors"]
        assert "needs its certificate" in response.json()["errors"]["certificate"][0]
        self.assert_nothing_stored(balance)

    @staticmethod
    def assert_nothing_stored(instrument):
        assert not Calibration.objects.exists()
        assert not Attachment.objects.exists()
        assert not ChangeLogEntry.objects.filter(object_type="operations.calibration").exists()
        instrument = fresh(instrument)
        assert (instrument.version, instrument.last_calibrated_on, instrument.due_date) == (
            1,
            None,
            None,
        )
        assert instrument.status == Instrument.Status.IN_SERVICE

    def test_a_calibration_dated_in_the_future_is_refused_on_the_web(
        self, client_for, process_owner, micrometer
    ):
        data = calibration_form(micrometer, performed_on=days_from_now(1).isoformat())
        response = client_for(process_owner).post(f"{CALIBRATIONS}new/", data)
        assert response.status_code == 422
        assert response.context["form"].errors["performed_on"] == [
            "A calibration cannot be recorded before it is done."
        ]
        assert not Calibration.objects.exists()
        assert fresh(micrometer).due_date is None

    def test_a_calibration_dated_in_the_future_is_refused_by_the_api(
        self, api_for, process_owner, micrometer
    ):
        data = calibration_json(micrometer, performed_on=days_from_now(1).isoformat())
        response = api_for(process_owner).post(API_CALIBRATIONS, data)
        assert response.status_code == 422
        assert response.json()["errors"]["performed_on"] == [
            "A calibration cannot be recorded before it is done."
        ]
        assert not Calibration.objects.exists()

    def test_a_calibration_done_today_is_accepted(self, process_owner, micrometer):
        calibration = calibrate(process_owner, micrometer, on=today())
        assert calibration.next_due == add_months(today(), 12)

    def test_an_instrument_in_tolerance_is_not_adjusted(self, api_for, process_owner, micrometer):
        response = api_for(process_owner).post(
            API_CALIBRATIONS, calibration_json(micrometer, adjusted=True)
        )
        assert response.status_code == 422
        assert response.json()["errors"]["adjusted"] == [
            "Only an instrument found out of tolerance is adjusted into it."
        ]
        assert not Calibration.objects.exists()

    @pytest.mark.parametrize(
        "content_base64",
        ["not base64 at all!", "JVBERi0", "%PDF-1.4"],
        ids=["text", "padding", "raw"],
    )
    def test_bad_base64_is_refused_naming_the_certificate(
        self, api_for, process_owner, balance, content_base64
    ):
        data = calibration_json(
            balance, certificate={"filename": "cert.pdf", "content_base64": content_base64}
        )
        response = api_for(process_owner).post(API_CALIBRATIONS, data)
        assert response.status_code == 422
        assert response.json()["errors"] == {"certificate": ["content_base64 is not valid base64."]}
        self.assert_nothing_stored(balance)

    @pytest.mark.parametrize(
        "certificate",
        [
            {"filename": "cert.pdf"},
            {"filename": "", "content_base64": "JVBERi0xLjQK"},
            {"filename": "cert.pdf", "content_base64": "JVBERi0xLjQK", "url": "http://x"},
            "JVBERi0xLjQK",
        ],
        ids=["no-content", "no-name", "unknown-key", "bare-string"],
    )
    def test_a_malformed_certificate_object_is_refused(
        self, api_for, process_owner, balance, certificate
    ):
        data = calibration_json(balance, certificate=certificate)
        response = api_for(process_owner).post(API_CALIBRATIONS, data)
        assert response.status_code == 422
        assert any(key.startswith("certificate") for key in response.json()["errors"])
        self.assert_nothing_stored(balance)

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            ("certificate.exe", b"MZ\x90\x00", "Files of type '.exe' are not accepted."),
            ("certificate.html", b"<html>", "Files of type '.html' are not accepted."),
            ("certificate.pdf", b"MZ\x90\x00 not a pdf", "The file's content is not a .pdf file."),
            ("certificate.pdf", b"", "The submitted file is empty."),
        ],
        ids=["exe", "html", "disguised", "empty"],
    )
    def test_a_certificate_of_the_wrong_type_is_refused_on_the_web(
        self, client_for, process_owner, balance, name, content, message
    ):
        upload = SimpleUploadedFile(name, content, content_type="application/pdf")
        response = client_for(process_owner).post(
            f"{CALIBRATIONS}new/", calibration_form(balance, certificate=upload)
        )
        assert response.status_code == 422
        assert escape(message) in response.content.decode()
        self.assert_nothing_stored(balance)

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            ("certificate.exe", b"MZ\x90\x00", "Files of type '.exe' are not accepted."),
            ("certificate.pdf", PNG, "The file's content is not a .pdf file."),
            ("certificate.png", PDF, "The file's content is not a .png file."),
        ],
        ids=["exe", "png-as-pdf", "pdf-as-png"],
    )
    def test_a_certificate_of_the_wrong_type_is_refused_by_the_api(
        self, api_for, process_owner, balance, name, content, message
    ):
        data = calibration_json(balance, certificate=as_base64(name, content))
        response = api_for(process_owner).post(API_CALIBRATIONS, data)
        assert response.status_code == 422
        assert message in str(response.json()["errors"])
        self.assert_nothing_stored(balance)

    @pytest.mark.parametrize("channel", ["web", "api"])
    def test_a_certificate_of_the_wrong_type_is_refused_naming_the_certificate_field(
        self, client_for, api_for, process_owner, balance, channel
    ):
        if channel == "web":
            upload = SimpleUploadedFile("certificate.exe", b"MZ\x90\x00")
            response = client_for(process_owner).post(
                f"{CALIBRATIONS}new/", calibration_form(balance, certificate=upload)
            )
            errors = response.context["form"].errors
        else:
            data = calibration_json(balance, certificate=as_base64("c.exe", b"MZ\x90\x00"))
            errors = api_for(process_owner).post(API_CALIBRATIONS, data).json()["errors"]
        assert errors["certificate"][0].startswith("Files of type '.exe' are not accepted.")
        assert not Calibration.objects.exists()

    def test_an_optional_certificate_of_the_wrong_type_is_refused_too(
        self, api_for, process_owner, micrometer
    ):
        data = calibration_json(micrometer, certificate=as_base64("notes.exe", b"MZ\x90\x00"))
        response = api_for(process_owner).post(API_CALIBRATIONS, data)
        assert response.status_code == 422
        self.assert_nothing_stored(micrometer)

    def test_an_unknown_result_is_refused_naming_the_field(
        self, api_for, process_owner, micrometer
    ):
        response = api_for(process_owner).post(
            API_CALIBRATIONS, calibration_json(micrometer, result="roughly_fine")
        )
        assert response.status_code == 422
        assert "result" in response.json()["errors"]
        assert not Calibration.objects.exists()

    @pytest.mark.parametrize("field", ["instrument", "performed_on", "performed_by", "result"])
    def test_a_calibration_without_what_it_needs_is_refused_naming_the_field(
        self, client_for, process_owner, micrometer, field
    ):
        response = client_for(process_owner).post(
            f"{CALIBRATIONS}new/", calibration_form(micrometer, **{field: ""})
        )
        assert response.status_code == 422
        assert field in response.context["form"].errors
        assert not Calibration.objects.exists()

    def test_status_and_next_due_cannot_be_sent(self, api_for, process_owner, micrometer):
        data = calibration_json(micrometer, status="impact_assessed", next_due="2099-01-01")
        response = api_for(process_owner).post(API_CALIBRATIONS, data)
        assert response.status_code == 422
        assert {"status", "next_due"} <= set(response.json()["errors"])
        assert not Calibration.objects.exists()

    def test_a_retired_instrument_refuses_calibrations(
        self, client_for, api_for, quality_manager, process_owner, micrometer
    ):
        equipment.RetireInstrument(quality_manager, micrometer, reason="Worn out").execute()

        web = client_for(process_owner).post(f"{CALIBRATIONS}new/", calibration_form(micrometer))
        api = api_for(process_owner).post(API_CALIBRATIONS, calibration_json(micrometer))

        assert web.status_code == 422
        assert web.context["form"].errors["instrument"] == ["It is retired."]
        assert api.status_code == 422
        assert api.json()["errors"] == {"instrument": ["It is retired."]}
        assert f"{micrometer.reference} is retired." == api.json()["detail"]
        assert not Calibration.objects.exists()
        assert fresh(micrometer).status == Instrument.Status.RETIRED

    def test_a_calibration_of_an_instrument_outside_my_sites_is_refused(
        self, quality_manager, leeds, porto
    ):
        there = make_instrument(quality_manager, site=porto)
        keeper = PersonFactory(roles=[RoleCode.PROCESS_OWNER], scope_sites=[leeds])
        with pytest.raises(ActionRefused, match="outside the sites or departments you work in"):
            calibrate(keeper, there)
        assert not Calibration.objects.exists()
        assert fresh(there).version == 1

    def test_an_archived_instrument_refuses_calibrations(self, quality_manager, micrometer):
        equipment.TakeOutOfService(quality_manager, micrometer, reason="Broken").execute()
        ArchiveRecord(quality_manager, fresh(micrometer), reason="Written off").execute()
        with pytest.raises(ActionRefused):
            calibrate(quality_manager, fresh(micrometer))
        assert not Calibration.objects.exists()
        assert fresh(micrometer).status == Instrument.Status.OUT_OF_SERVICE  # not back in use


# == what a calibration does to its instrument ===================================================
class TestDueDates:
    def test_the_newest_calibration_sets_the_due_date_and_last_calibrated_on(
        self, process_owner, micrometer
    ):
        performed = days_ago(10)
        calibration = calibrate(process_owner, micrometer, on=performed)

        micrometer = fresh(micrometer)
        assert calibration.next_due == add_months(performed, 12)
        assert micrometer.due_date == add_months(performed, 12)
        assert micrometer.last_calibrated_on == performed
        assert micrometer.status == Instrument.Status.IN_SERVICE
        assert calibration.status == Calibration.Status.RECORDED
        assert calibration.suspect_since is None

    def test_the_interval_in_months_is_the_instruments_own(self, process_owner, balance):
        performed = datetime.date(today().year - 1, 8, 31)
        calibrate(process_owner, balance, on=performed)
        assert fresh(balance).due_date == datetime.date(
            today().year, 2, 28 if today().year % 4 else 29
        )

    def test_the_instrument_logs_what_the_calibration_changed(self, process_owner, micrometer):
        calibration = calibrate(process_owner, micrometer, on=days_ago(5))

        entries = log_of(micrometer).order_by("id")
        assert entries.count() == 2  # registered, then moved by the calibration
        moved = entries.last()
        assert moved.actor_id == process_owner.pk
        changed = {name: (was, now) for name, was, now in moved.changed_fields()}
        assert changed["due_date"] == (None, add_months(days_ago(5), 12).isoformat())
        assert changed["last_calibrated_on"] == (None, days_ago(5).isoformat())
        assert changed["version"] == (1, 2)
        assert moved.action == "calibrated"
        assert log_of(calibration, "create").get().actor_id == moved.actor_id
        assert fresh(micrometer).version == 2

    def test_the_instruments_history_names_the_move_a_calibration(
        self, client_for, external_auditor, process_owner, micrometer
    ):
        calibrate(process_owner, micrometer)
        assert list(log_of(micrometer).order_by("id").values_list("action", flat=True)) == [
            "create",
            "calibrated",
        ]
        history = page(client_for(external_auditor), url_of(micrometer, "history/"))
        assert "<strong>calibrated</strong> by Owen Owner" in history

    def test_a_newer_calibration_moves_the_due_date_on(self, process_owner, micrometer):
        calibrate(process_owner, micrometer, on=days_ago(400))
        assert fresh(micrometer).is_overdue
        calibrate(process_owner, fresh(micrometer), on=days_ago(2))
        micrometer = fresh(micrometer)
        assert micrometer.due_date == add_months(days_ago(2), 12)
        assert micrometer.last_calibrated_on == days_ago(2)
        assert not micrometer.is_overdue

    def test_an_older_calibration_entered_late_does_not_move_the_instrument(
        self, process_owner, micrometer
    ):
        calibrate(process_owner, micrometer, on=days_ago(10))
        before = fresh(micrometer)

        late = calibrate(process_owner, before, on=days_ago(200))

        after = fresh(micrometer)
        assert (after.due_date, after.last_calibrated_on, after.version) == (
            before.due_date,
            before.last_calibrated_on,
            before.version,
        )
        assert late.next_due == add_months(days_ago(200), 12)  # its own result is kept
        assert log_of(micrometer).count() == 2

    def test_an_older_out_of_tolerance_result_entered_late_leaves_the_instrument_in_service(
        self, process_owner, micrometer
    ):
        calibrate(process_owner, micrometer, on=days_ago(10))
        late = found_out_of_tolerance(process_owner, fresh(micrometer), on=days_ago(200))
        assert fresh(micrometer).status == Instrument.Status.IN_SERVICE
        assert fresh(micrometer).last_calibrated_on == days_ago(10)
        assert late.status == Calibration.Status.IMPACT_OPEN  # still assessed


class TestOutOfTolerance:
    def test_out_of_tolerance_and_not_adjusted_takes_the_instrument_out_of_service(
        self, unfit, micrometer
    ):
        micrometer = fresh(micrometer)
        assert micrometer.status == Instrument.Status.OUT_OF_SERVICE
        assert micrometer.due_date is None  # nothing is due until it is fit again
        assert micrometer.last_calibrated_on == days_ago(1)
        assert micrometer.calibration == "Out of service"
        assert unfit.status == Calibration.Status.IMPACT_OPEN
        assert unfit.next_due is None
        assert unfit.suspect_since == days_ago(365)
        assert unfit.due_date == days_from_now(equipment.IMPACT_DAYS)  # to assess the impact

    def test_results_are_suspect_since_the_last_in_tolerance_calibration(
        self, process_owner, micrometer
    ):
        calibrate(process_owner, micrometer, on=days_ago(700))
        calibrate(process_owner, fresh(micrometer), on=days_ago(300))
        calibrate(process_owner, fresh(micrometer), on=days_ago(100), title="Interim check")
        unfit = found_out_of_tolerance(process_owner, fresh(micrometer), on=days_ago(5))
        assert unfit.suspect_since == days_ago(100)

    def test_later_calibrations_do_not_count_as_the_last_good_one(self, process_owner, micrometer):
        """An out-of-tolerance result entered late looks back from its own date."""
        calibrate(process_owner, micrometer, on=days_ago(400))
        calibrate(process_owner, fresh(micrometer), on=days_ago(10))
        late = found_out_of_tolerance(process_owner, fresh(micrometer), on=days_ago(200))
        assert late.suspect_since == days_ago(400)

    def test_a_first_calibration_out_of_tolerance_looks_back_to_the_registration(
        self, process_owner, micrometer
    ):
        registered(micrometer, days_ago(500))
        unfit = found_out_of_tolerance(process_owner, fresh(micrometer))
        assert unfit.suspect_since == days_ago(500)
        assert unfit.status == Calibration.Status.IMPACT_OPEN

    def test_another_instruments_calibrations_do_not_count(
        self, quality_manager, process_owner, micrometer
    ):
        registered(micrometer, days_ago(500))
        other = make_instrument(quality_manager, asset_tag="MIC-0099")
        calibrate(process_owner, other, on=days_ago(30))
        unfit = found_out_of_tolerance(process_owner, fresh(micrometer))
        assert unfit.suspect_since == days_ago(500)

    def test_adjusted_into_tolerance_stays_in_service_but_is_still_assessed(
        self, process_owner, micrometer
    ):
        calibrate(process_owner, micrometer, on=days_ago(365))
        adjusted = found_out_of_tolerance(process_owner, fresh(micrometer), adjusted=True)

        micrometer = fresh(micrometer)
        assert micrometer.status == Instrument.Status.IN_SERVICE
        assert micrometer.due_date == add_months(days_ago(1), 12)
        assert micrometer.calibration == "Calibrated"
        assert adjusted.next_due == add_months(days_ago(1), 12)
        assert adjusted.status == Calibration.Status.IMPACT_OPEN  # as found, it was wrong
        assert adjusted.suspect_since == days_ago(365)

    def test_an_adjusted_calibration_counts_as_the_last_good_one(self, process_owner, micrometer):
        calibrate(process_owner, micrometer, on=days_ago(700))
        found_out_of_tolerance(process_owner, fresh(micrometer), on=days_ago(300), adjusted=True)
        unfit = found_out_of_tolerance(process_owner, fresh(micrometer), on=days_ago(1))
        assert unfit.suspect_since == days_ago(300)

    def test_a_good_calibration_returns_an_out_of_service_instrument_to_service(
        self, process_owner, unfit, micrometer
    ):
        calibrate(process_owner, fresh(micrometer), on=today())

        micrometer = fresh(micrometer)
        assert micrometer.status == Instrument.Status.IN_SERVICE
        assert micrometer.due_date == add_months(today(), 12)
        moved = log_of(micrometer).order_by("id").last()
        assert ("status", "out_of_service", "in_service") in moved.changed_fields()

    def test_a_good_calibration_returns_an_instrument_taken_out_by_hand(
        self, quality_manager, process_owner, micrometer
    ):
        equipment.TakeOutOfService(quality_manager, micrometer, reason="Dropped").execute()
        calibrate(process_owner, fresh(micrometer))
        assert fresh(micrometer).status == Instrument.Status.IN_SERVICE

    def test_the_instrument_page_asks_for_the_impact_assessment(
        self, client_for, external_auditor, unfit, micrometer
    ):
        html = page(client_for(external_auditor), url_of(micrometer))
        assert (
            f"{unfit.reference}</a> found it out of tolerance on {days_ago(1).isoformat()}: the "
            f"results measured since {days_ago(365).isoformat()} need an impact assessment."
        ) in html
        assert "badge calibration-out-of-service" in html


# == the nonconformity and the impact assessment =================================================
class TestCalibrationNonconformity:
    def test_raising_it_links_a_process_nonconformity_to_the_calibration(
        self, quality_manager, process_owner, micrometer, unfit, leeds
    ):
        raised = equipment.RaiseCalibrationNonconformity(quality_manager, unfit).execute()

        nc = Nonconformity.objects.get()
        assert raised.nonconformity == nc
        assert fresh(unfit).nonconformity == nc
        assert fresh(unfit).status == Calibration.Status.IMPACT_OPEN  # still to be assessed
        assert nc.source == "process"
        assert nc.origin == fresh(unfit)
        assert nc.origin_type == ContentType.objects.get_for_model(Calibration)
        assert nc.origin_id == str(unfit.pk)
        assert nc.title == "MIC-0001 Outside micrometer found out of tolerance"
        assert f"since {days_ago(365).isoformat()}" in nc.description
        assert nc.detected_by == quality_manager
        assert log_of(unfit, "raise-nonconformity").get().actor_id == quality_manager.pk
        assert log_of(nc, "report").exists()

    def test_the_assessment_so_far_goes_into_the_nonconformity(self, quality_manager, unfit):
        Calibration.objects.filter(pk=unfit.pk).update(impact_assessment="Lots 40–44 suspect")
        equipment.RaiseCalibrationNonconformity(quality_manager, fresh(unfit)).execute()
        assert Nonconformity.objects.get().description.endswith("\n\nLots 40–44 suspect")

    def test_it_is_raised_only_once(self, client_for, quality_manager, unfit):
        client = client_for(quality_manager)
        first = do(client, unfit, "raise-nonconformity")
        second = do(client, fresh(unfit), "raise-nonconformity")

        assert first.status_code == second.status_code == 302
        assert f"{unfit.reference} already has its nonconformity." in messages_of(second)
        assert Nonconformity.objects.count() == 1
        assert log_of(unfit, "raise-nonconformity").count() == 1
        assert 'do/raise-nonconformity/"' not in page(client, url_of(unfit))

    def test_it_is_not_raised_for_a_calibration_in_tolerance(self, quality_manager, micrometer):
        good = calibrate(quality_manager, micrometer)
        with pytest.raises(ActionRefused, match=f"^{good.reference} is recorded.$"):
            equipment.RaiseCalibrationNonconformity(quality_manager, good).execute()
        assert not Nonconformity.objects.exists()

    def test_it_may_still_be_raised_once_the_impact_is_assessed(self, quality_manager, unfit):
        data = {"impact_assessment": "Re-measured; all good", "products_affected": "false"}
        equipment.AssessImpact(quality_manager, unfit, data=data).execute()
        equipment.RaiseCalibrationNonconformity(quality_manager, fresh(unfit)).execute()
        assert fresh(unfit).status == Calibration.Status.IMPACT_ASSESSED
        assert Nonconformity.objects.count() == 1

    @pytest.mark.parametrize("persona", PERSONAS, indirect=True)
    def test_who_may_raise_it_on_the_web(self, client_for, persona, unfit, request):
        name = request.node.callspec.params["persona"]
        response = do(client_for(persona), unfit, "raise-nonconformity")
        if name == "nobody":
            assert response.status_code == 403
        else:
            assert response.status_code == 302
        if name in KEEPERS:
            assert Nonconformity.objects.count() == 1
            assert fresh(unfit).nonconformity == Nonconformity.objects.get()
        else:
            assert not Nonconformity.objects.exists()
            assert fresh(unfit).nonconformity is None
            assert fresh(unfit).version == 1
        if name in READ_ONLY:  # auditors and employees report problems, but this link
            # changes the calibration, which is not theirs to change
            assert "You do not have the right to raise a nonconformity." in messages_of(response)

    @pytest.mark.parametrize("persona", PERSONAS, indirect=True)
    def test_who_may_raise_it_through_the_api(self, api_for, persona, unfit, request):
        name = request.node.callspec.params["persona"]
        response = api_do(api_for(persona), unfit, "raise-nonconformity")
        if name in KEEPERS:
            assert response.status_code == 200
            assert response.json()["status"] == "impact_open"
            assert response["ETag"] == '"2"'
            assert fresh(unfit).nonconformity_id == Nonconformity.objects.get().pk
        else:
            assert response.status_code == 403
            assert not Nonconformity.objects.exists()
            assert fresh(unfit).version == 1

    def test_the_api_needs_the_calibrations_etag(self, api_for, quality_manager, unfit):
        api = api_for(quality_manager)
        url = api_url_of(unfit, "/actions/raise-nonconformity")
        assert api.post(url, {}).status_code == 428
        assert api.post(url, {}, **{"If-Match": '"7"'}).status_code == 412
        assert not Nonconformity.objects.exists()


class TestImpactAssessment:
    def test_the_assessment_is_recorded_and_closes_the_open_impact(
        self, client_for, process_owner, unfit, micrometer
    ):
        response = do(
            client_for(process_owner),
            unfit,
            "assess-impact",
            impact_assessment="Lots 40–44 re-measured on the CMM: all in tolerance.",
            products_affected="false",
        )

        assert response.status_code == 302
        unfit = fresh(unfit)
        assert unfit.status == Calibration.Status.IMPACT_ASSESSED
        assert unfit.impact_assessment == "Lots 40–44 re-measured on the CMM: all in tolerance."
        assert unfit.products_affected is False
        entry = log_of(unfit, "assess-impact").get()
        assert entry.actor_id == process_owner.pk
        assert ("status", "impact_open", "impact_assessed") in entry.changed_fields()
        assert fresh(micrometer).status == Instrument.Status.OUT_OF_SERVICE  # still unfit
        assert "need an impact assessment" not in page(
            client_for(process_owner), url_of(micrometer)
        )

    @pytest.mark.parametrize("assessment", ["", "   "])
    def test_the_assessment_is_required(self, client_for, process_owner, unfit, assessment):
        response = do(
            client_for(process_owner),
            unfit,
            "assess-impact",
            impact_assessment=assessment,
            products_affected="false",
        )
        assert "Impact assessment: This field is required." in messages_of(response)
        assert fresh(unfit).status == Calibration.Status.IMPACT_OPEN
        assert not log_of(unfit, "assess-impact").exists()

    def test_the_api_names_the_missing_assessment(self, api_for, process_owner, unfit):
        response = api_do(api_for(process_owner), unfit, "assess-impact", products_affected=False)
        assert response.status_code == 422
        assert "impact_assessment" in response.json()["errors"]
        assert fresh(unfit).status == Calibration.Status.IMPACT_OPEN

    @pytest.mark.parametrize("affected", ["true", "True", "on", "1"])
    def test_affected_products_need_the_nonconformity_first(
        self, client_for, process_owner, unfit, affected
    ):
        response = do(
            client_for(process_owner),
            unfit,
            "assess-impact",
            impact_assessment="Lot 42 shipped oversize",
            products_affected=affected,
        )
        assert "raise a nonconformity for them first" in messages_of(response)
        unfit = fresh(unfit)
        assert unfit.status == Calibration.Status.IMPACT_OPEN
        assert (unfit.impact_assessment, unfit.products_affected, unfit.version) == ("", None, 1)

    def test_affected_products_are_refused_through_the_api_too(self, api_for, process_owner, unfit):
        response = api_do(
            api_for(process_owner),
            unfit,
            "assess-impact",
            impact_assessment="Lot 42 shipped oversize",
            products_affected=True,
        )
        assert response.status_code == 409
        assert "raise a nonconformity for them first" in response.json()["detail"]
        assert fresh(unfit).status == Calibration.Status.IMPACT_OPEN

    def test_affected_products_are_assessed_once_the_nonconformity_is_raised(
        self, api_for, process_owner, unfit
    ):
        api = api_for(process_owner)
        api_do(api, unfit, "raise-nonconformity")
        response = api_do(
            api,
            fresh(unfit),
            "assess-impact",
            impact_assessment="Lot 42 shipped oversize: recalled under the nonconformity",
            products_affected=True,
        )
        assert response.status_code == 200
        unfit = fresh(unfit)
        assert unfit.status == Calibration.Status.IMPACT_ASSESSED
        assert unfit.products_affected is True
        assert unfit.nonconformity is not None

    @pytest.mark.parametrize("answer", [None, "", "unknown"])
    def test_the_assessment_says_whether_products_were_affected(self, process_owner, unfit, answer):
        data = {"impact_assessment": "Looked at it"}
        if answer is not None:
            data["products_affected"] = answer
        with pytest.raises(InvalidInput) as refused:
            equipment.AssessImpact(process_owner, unfit, data=data).execute()
        assert "products_affected" in refused.value.errors
        assert fresh(unfit).status == Calibration.Status.IMPACT_OPEN

    def test_an_assessed_impact_is_not_assessed_again(self, quality_manager, unfit):
        data = {"impact_assessment": "None affected", "products_affected": "false"}
        equipment.AssessImpact(quality_manager, unfit, data=data).execute()
        with pytest.raises(ActionRefused, match="does not apply now"):
            equipment.AssessImpact(
                quality_manager, fresh(unfit), data={**data, "impact_assessment": "Changed"}
            ).execute()
        assert fresh(unfit).impact_assessment == "None affected"

    def test_a_calibration_in_tolerance_has_no_impact_to_assess(self, quality_manager, micrometer):
        good = calibrate(quality_manager, micrometer)
        with pytest.raises(ActionRefused, match="does not apply now"):
            equipment.AssessImpact(
                quality_manager, good, data={"impact_assessment": "x", "products_affected": "false"}
            ).execute()

    @pytest.mark.parametrize("persona", PERSONAS, indirect=True)
    def test_who_may_assess_the_impact_on_the_web(self, client_for, persona, unfit, request):
        name = request.node.callspec.params["persona"]
        response = do(
            client_for(persona),
            unfit,
            "assess-impact",
            impact_assessment="Checked",
            products_affected="false",
        )
        assert response.status_code == (403 if name == "nobody" else 302)
        expected = "impact_assessed" if name in KEEPERS else "impact_open"
        assert fresh(unfit).status == expected
        if name in READ_ONLY:
            assert "You do not have the right to record the impact assessment." in (
                messages_of(response)
            )

    @pytest.mark.parametrize("persona", PERSONAS, indirect=True)
    def test_who_may_assess_the_impact_through_the_api(self, api_for, persona, unfit, request):
        name = request.node.callspec.params["persona"]
        response = api_do(
            api_for(persona),
            unfit,
            "assess-impact",
            impact_assessment="Checked",
            products_affected=False,
        )
        assert response.status_code == (200 if name in KEEPERS else 403)
        expected = "impact_assessed" if name in KEEPERS else "impact_open"
        assert fresh(unfit).status == expected

    def test_the_assessment_form_is_offered_only_to_who_may_use_it(
        self, client_for, process_owner, employee, unfit
    ):
        assert 'do/assess-impact/"' in page(client_for(process_owner), url_of(unfit))
        assert 'do/assess-impact/"' not in page(client_for(employee), url_of(unfit))


# == the instrument's own actions ===============================================================
class TestInstrumentActions:
    def test_taking_it_out_of_service_needs_a_reason(self, client_for, process_owner, micrometer):
        client = client_for(process_owner)
        refused = do(client, micrometer, "out-of-service", reason="  ")
        assert "A reason is required." in messages_of(refused)
        assert fresh(micrometer).status == Instrument.Status.IN_SERVICE

        do(client, micrometer, "out-of-service", reason="Dropped on the floor")

        micrometer = fresh(micrometer)
        assert micrometer.status == Instrument.Status.OUT_OF_SERVICE
        assert micrometer.calibration == "Out of service"
        assert log_of(micrometer, "out-of-service").get().reason == "Dropped on the floor"

    def test_return_to_service_with_a_current_calibration(
        self, quality_manager, process_owner, micrometer
    ):
        calibrate(process_owner, micrometer)
        equipment.TakeOutOfService(
            quality_manager, fresh(micrometer), reason="Audit hold"
        ).execute()
        equipment.ReturnToService(quality_manager, fresh(micrometer)).execute()
        assert fresh(micrometer).status == Instrument.Status.IN_SERVICE
        assert log_of(micrometer, "return-to-service").exists()

    def test_return_to_service_is_refused_without_a_calibration(
        self, client_for, quality_manager, micrometer
    ):
        equipment.TakeOutOfService(quality_manager, micrometer, reason="Lost").execute()
        response = do(client_for(quality_manager), fresh(micrometer), "return-to-service")
        assert f"{micrometer.reference} has no current calibration: record one first." in (
            messages_of(response)
        )
        assert fresh(micrometer).status == Instrument.Status.OUT_OF_SERVICE

    def test_return_to_service_is_refused_when_the_calibration_is_overdue(
        self, quality_manager, process_owner, micrometer
    ):
        calibrate(process_owner, micrometer, on=days_ago(400))
        equipment.TakeOutOfService(quality_manager, fresh(micrometer), reason="Overdue").execute()
        with pytest.raises(ActionRefused, match="has no current calibration"):
            equipment.ReturnToService(quality_manager, fresh(micrometer)).execute()
        assert fresh(micrometer).status == Instrument.Status.OUT_OF_SERVICE

    def test_an_instrument_found_unfit_is_not_returned_to_service_by_hand(
        self, quality_manager, unfit, micrometer
    ):
        with pytest.raises(ActionRefused, match="has no current calibration"):
            equipment.ReturnToService(quality_manager, fresh(micrometer)).execute()

    def test_a_due_date_cannot_be_typed_in_to_return_an_unfit_instrument(
        self, client_for, api_for, process_owner, unfit, micrometer
    ):
        """Only a calibration sets the due date: neither the form nor the API takes one."""
        micrometer = fresh(micrometer)
        form = client_for(process_owner).get(url_of(micrometer, "edit/")).context["form"]
        patched = api_for(process_owner).patch(
            api_url_of(micrometer),
            {"due_date": days_from_now(300).isoformat()},
            **{"If-Match": micrometer.etag},
        )
        created = api_for(process_owner).post(
            API_INSTRUMENTS,
            {
                "title": "Caliper",
                "asset_tag": "CAL-9",
                "equipment_type": "Caliper",
                "interval_months": 12,
                "method": "internal",
                "traceability": "national",
                "due_date": days_from_now(300).isoformat(),
            },
        )

        assert "due_date" not in form.fields
        assert patched.status_code == created.status_code == 422
        assert patched.json()["errors"] == {"due_date": ["Unknown field."]}
        assert fresh(micrometer).due_date is None
        assert Instrument.objects.count() == 1
        with pytest.raises(ActionRefused, match="has no current calibration"):
            equipment.ReturnToService(process_owner, fresh(micrometer)).execute()

    def test_a_new_interval_moves_the_due_date(self, api_for, process_owner, micrometer):
        calibrate(process_owner, micrometer, on=days_ago(10))
        micrometer = fresh(micrometer)
        response = api_for(process_owner).patch(
            api_url_of(micrometer), {"interval_months": 3}, **{"If-Match": micrometer.etag}
        )
        assert response.status_code == 200
        assert response.json()["due_date"] == add_months(days_ago(10), 3).isoformat()
        assert fresh(micrometer).due_date == add_months(days_ago(10), 3)

    def test_retiring_needs_a_reason_and_clears_the_due_date(
        self, api_for, quality_manager, process_owner, micrometer
    ):
        calibrate(process_owner, micrometer)
        api = api_for(quality_manager)
        refused = api_do(api, fresh(micrometer), "retire")
        assert refused.status_code == 422
        assert refused.json()["errors"] == {"reason": ["Give a reason."]}

        response = api_do(api, fresh(micrometer), "retire", reason="Replaced by MIC-0002")

        assert response.status_code == 200
        assert response.json()["status"] == "retired"
        micrometer = fresh(micrometer)
        assert micrometer.status == Instrument.Status.RETIRED
        assert micrometer.due_date is None
        assert micrometer.calibration == "Retired"
        assert log_of(micrometer, "retire").get().reason == "Replaced by MIC-0002"

    def test_an_out_of_service_instrument_may_be_retired(self, quality_manager, unfit, micrometer):
        equipment.RetireInstrument(
            quality_manager, fresh(micrometer), reason="Beyond repair"
        ).execute()
        assert fresh(micrometer).status == Instrument.Status.RETIRED

    def test_a_retired_instrument_stays_retired(self, quality_manager, micrometer):
        equipment.RetireInstrument(quality_manager, micrometer, reason="Scrapped").execute()
        for action, kwargs in [
            (equipment.TakeOutOfService, {"reason": "x"}),
            (equipment.ReturnToService, {}),
            (equipment.RetireInstrument, {"reason": "again"}),
        ]:
            with pytest.raises(ActionRefused, match="does not apply now"):
                action(quality_manager, fresh(micrometer), **kwargs).execute()
        assert fresh(micrometer).status == Instrument.Status.RETIRED

    def test_the_record_a_calibration_link_is_gone_once_retired(
        self, client_for, quality_manager, micrometer
    ):
        client = client_for(quality_manager)
        link = f"{CALIBRATIONS}new/?instrument={micrometer.pk}"
        assert link in page(client, url_of(micrometer))
        equipment.RetireInstrument(quality_manager, micrometer, reason="Scrapped").execute()
        assert link not in page(client, url_of(micrometer))

    @pytest.mark.parametrize("persona", PERSONAS, indirect=True)
    @pytest.mark.parametrize(
        ("code", "reason", "after"),
        [("out-of-service", "Damaged", "out_of_service"), ("retire", "Obsolete", "retired")],
    )
    def test_who_may_change_an_instruments_status_on_the_web(
        self, client_for, persona, micrometer, code, reason, after, request
    ):
        name = request.node.callspec.params["persona"]
        response = do(client_for(persona), micrometer, code, reason=reason)
        assert response.status_code == (403 if name == "nobody" else 302)
        micrometer = fresh(micrometer)
        if name in KEEPERS:
            assert micrometer.status == after
        else:
            assert (micrometer.status, micrometer.version) == ("in_service", 1)
            assert not log_of(micrometer, code).exists()

    @pytest.mark.parametrize("persona", PERSONAS, indirect=True)
    def test_who_may_change_an_instruments_status_through_the_api(
        self, api_for, persona, quality_manager, process_owner, micrometer, request
    ):
        name = request.node.callspec.params["persona"]
        calibrate(process_owner, micrometer)
        equipment.TakeOutOfService(quality_manager, fresh(micrometer), reason="Hold").execute()
        response = api_do(api_for(persona), fresh(micrometer), "return-to-service")
        assert response.status_code == (200 if name in KEEPERS else 403)
        expected = "in_service" if name in KEEPERS else "out_of_service"
        assert fresh(micrometer).status == expected

    def test_the_page_offers_only_the_actions_that_apply(
        self, client_for, process_owner, employee, micrometer
    ):
        html = page(client_for(process_owner), url_of(micrometer))
        assert 'do/out-of-service/"' in html
        assert 'do/retire/"' in html
        assert 'do/return-to-service/"' not in html
        assert 'do/out-of-service/"' not in page(client_for(employee), url_of(micrometer))


# == the calibration status, as the list and the page show it ==================================
class TestCalibrationStatus:
    @pytest.fixture
    def fleet(self, quality_manager, process_owner):
        """One instrument in each calibration status."""
        made = {}

        def add(label, **fields):
            made[label] = make_instrument(quality_manager, title=f"{label} gauge", **fields)
            return made[label]

        calibrate(process_owner, add("Calibrated"), on=days_ago(30))
        calibrate(process_owner, add("Due soon"), on=days_ago(350))
        calibrate(process_owner, add("Overdue"), on=days_ago(400))
        add("Not calibrated")
        equipment.TakeOutOfService(
            quality_manager, add("Out of service"), reason="Damaged"
        ).execute()
        equipment.RetireInstrument(quality_manager, add("Retired"), reason="Old").execute()
        return {label: fresh(instrument) for label, instrument in made.items()}

    def test_each_instrument_reads_its_status(self, fleet):
        assert {label: i.calibration for label, i in fleet.items()} == {
            label: label for label in fleet
        }

    def test_due_soon_starts_at_the_configured_window(self, settings):
        instrument = Instrument(status=Instrument.Status.IN_SERVICE, due_date=days_from_now(30))
        assert instrument.calibration == "Due soon"
        settings.NORMA_CALIBRATION_DUE_SOON_DAYS = 29
        assert instrument.calibration == "Calibrated"
        instrument.due_date = today()
        assert instrument.calibration == "Due soon"  # due today is not yet overdue
        instrument.due_date = days_ago(1)
        assert instrument.calibration == "Overdue"

    def test_the_list_shows_each_status(self, client_for, external_auditor, fleet):
        html = page(client_for(external_auditor), INSTRUMENTS)
        for label, instrument in fleet.items():
            if label == "Retired":
                continue
            badge = f'<span class="badge calibration-{slugify(label)}">{label}</span>'
            assert badge in row_of(html, instrument.reference), label
        overdue = row_of(html, fleet["Overdue"].reference)
        assert 'class="date overdue"' in overdue
        assert 'class="date overdue"' not in row_of(html, fleet["Calibrated"].reference)

    def test_the_list_filters_by_status(self, client_for, external_auditor, fleet):
        html = page(client_for(external_auditor), f"{INSTRUMENTS}?status=out_of_service")
        assert fleet["Out of service"].reference in html
        assert fleet["Calibrated"].reference not in html

    @pytest.mark.parametrize(
        ("label", "badge", "sentence"),
        [
            ("Calibrated", "calibration-calibrated", "Next in-house calibration due on"),
            ("Due soon", "calibration-due-soon", "Next in-house calibration due on"),
            ("Overdue", "calibration-overdue", "Next in-house calibration due on"),
            (
                "Not calibrated",
                "calibration-not-calibrated",
                "No calibration recorded yet: it should not be used",
            ),
            ("Out of service", "calibration-out-of-service", ""),
            ("Retired", "calibration-retired", ""),
        ],
    )
    def test_the_page_shows_the_status(
        self, client_for, external_auditor, fleet, label, badge, sentence
    ):
        html = page(client_for(external_auditor), url_of(fleet[label]))
        assert f'<span class="badge {badge}">{label}</span>' in html
        assert sentence in html
        if fleet[label].due_date:
            assert fleet[label].due_date.isoformat() in html

    def test_the_csv_export_carries_the_status(self, client_for, quality_manager, fleet):
        response = client_for(quality_manager).get(f"{INSTRUMENTS}export/?format=csv")
        body = b"".join(response.streaming_content).decode()
        line = next(line for line in body.splitlines() if fleet["Overdue"].reference in line)
        assert "Overdue" in line


class TestTraceability:
    def form(self, **changes):
        return form_data(
            InstrumentRegister,
            title="Reference block set",
            asset_tag="GB-0001",
            equipment_type="Gauge blocks",
            interval_months="24",
            method="verification",
            **changes,
        )

    @pytest.mark.parametrize("basis", ["", "   "])
    def test_a_recorded_basis_is_required_without_a_national_standard_on_the_web(
        self, client_for, quality_manager, basis
    ):
        response = client_for(quality_manager).post(
            f"{INSTRUMENTS}new/", self.form(traceability="recorded", traceability_basis=basis)
        )
        assert response.status_code == 422
        assert response.context["form"].errors["traceability_basis"] == [
            "Record the basis used for calibration or verification when no national "
            "standard exists (7.1.5.2 a)."
        ]
        assert not Instrument.objects.exists()

    def test_a_recorded_basis_is_required_through_the_api(self, api_for, quality_manager):
        data = {
            "title": "Go/no-go gauge",
            "asset_tag": "GNG-1",
            "equipment_type": "Gauge",
            "interval_months": 12,
            "method": "verification",
            "traceability": "recorded",
        }
        response = api_for(quality_manager).post(API_INSTRUMENTS, data)
        assert response.status_code == 422
        assert "traceability_basis" in response.json()["errors"]
        assert not Instrument.objects.exists()
        data["traceability_basis"] = "Master gauge GNG-M kept in the metrology room"
        assert api_for(quality_manager).post(API_INSTRUMENTS, data).status_code == 201

    def test_the_basis_is_kept_and_shown(self, client_for, quality_manager):
        response = client_for(quality_manager).post(
            f"{INSTRUMENTS}new/",
            self.form(traceability="recorded", traceability_basis="Customer master part MP-7"),
        )
        instrument = Instrument.objects.get()
        assert response.status_code == 302
        assert instrument.traceability_basis == "Customer master part MP-7"
        assert "Customer master part MP-7" in page(client_for(quality_manager), url_of(instrument))

    def test_a_national_standard_needs_no_written_basis(self, client_for, quality_manager):
        response = client_for(quality_manager).post(
            f"{INSTRUMENTS}new/", self.form(traceability="national")
        )
        assert response.status_code == 302

    @pytest.mark.parametrize("interval", ["0", "121", "-1", "twelve"])
    def test_the_interval_is_one_to_120_months(self, api_for, quality_manager, interval):
        data = {
            "title": "Caliper",
            "asset_tag": "CAL-1",
            "equipment_type": "Caliper",
            "interval_months": interval,
            "method": "internal",
            "traceability": "national",
        }
        response = api_for(quality_manager).post(API_INSTRUMENTS, data)
        assert response.status_code == 422
        assert any("interval_months" in key for key in response.json()["errors"])
        assert not Instrument.objects.exists()


# == reminders of calibrations coming due =======================================================
class TestReminders:
    def test_the_owner_is_reminded_when_a_calibration_comes_due(self, process_owner, micrometer):
        instrument = due_in(process_owner, micrometer, 7)

        assert create_reminders() == 1

        reminder = Notification.objects.get()
        assert reminder.recipient_person == process_owner
        assert reminder.kind == NotificationKind.DUE
        assert reminder.reference == instrument.reference
        assert reminder.object_type == "operations.instrument"
        assert reminder.link == url_of(instrument)
        assert reminder.message == f"Calibration due in 7 days ({days_from_now(7).isoformat()})."
        assert create_reminders() == 0  # not twice on the same day

    def test_the_30_and_7_day_lead_times_remind_once_each(self, process_owner, micrometer):
        due_in(process_owner, micrometer, 30)
        assert create_reminders(days_from_now(-1)) == 0  # 31 days out
        assert create_reminders(today()) == 1
        assert create_reminders(days_from_now(10)) == 0  # 20 days out: still the 30-day one
        assert create_reminders(days_from_now(23)) == 1  # 7 days out
        assert create_reminders(days_from_now(30)) == 0  # due today: in the 7-day window

    def test_an_overdue_calibration_is_reminded_once(self, process_owner, micrometer):
        calibrate(process_owner, micrometer, on=days_ago(400))
        due = add_months(days_ago(400), 12)
        assert create_reminders() == 1
        overdue = Notification.objects.get()
        assert overdue.kind == NotificationKind.OVERDUE
        assert overdue.message.startswith(f"Overdue: calibration due {due.isoformat()}")
        assert create_reminders(days_from_now(1)) == 0

    def test_a_calibration_stops_the_reminders(self, process_owner, micrometer):
        instrument = due_in(process_owner, micrometer, 5)
        assert create_reminders() == 1
        calibrate(process_owner, instrument, on=today())
        assert create_reminders() == 0
        assert create_reminders(add_months(today(), 12) - timedelta(days=7)) == 1  # the next one

    def test_retired_and_archived_instruments_do_not_remind(self, quality_manager, process_owner):
        retired = due_in(process_owner, make_instrument(quality_manager, owner=process_owner), 3)
        equipment.RetireInstrument(quality_manager, retired, reason="Scrapped").execute()
        Instrument.objects.filter(pk=retired.pk).update(due_date=days_from_now(3))  # left over
        archived = due_in(process_owner, make_instrument(quality_manager, owner=process_owner), 3)
        equipment.TakeOutOfService(quality_manager, archived, reason="Lost").execute()
        ArchiveRecord(quality_manager, fresh(archived), reason="Written off").execute()
        assert create_reminders() == 0

    def test_an_instrument_found_unfit_has_nothing_due_but_its_impact_assessment(
        self, unfit, micrometer, process_owner
    ):
        assert create_reminders() == 1
        reminder = Notification.objects.get()
        assert reminder.object_type == "operations.calibration"
        assert reminder.reference == unfit.reference
        assert reminder.recipient_person == process_owner  # the instrument's owner
        assert reminder.message == (
            f"Impact assessment due in 14 days ({days_from_now(14).isoformat()})."
        )
        assert not Notification.objects.filter(object_type="operations.instrument").exists()

    def test_an_assessed_impact_stops_reminding(self, unfit, process_owner):
        data = {"impact_assessment": "Nothing affected", "products_affected": "false"}
        equipment.AssessImpact(process_owner, unfit, data=data).execute()
        assert fresh(unfit).due_date is None
        assert create_reminders(days_from_now(14)) == 0

    def test_an_instrument_registered_without_an_owner_reminds_who_registered_it(
        self, quality_manager
    ):
        instrument = make_instrument(quality_manager, owner=None)
        assert instrument.owner == quality_manager
        due_in(quality_manager, instrument, 7)
        assert create_reminders() == 1
        assert Notification.objects.get().recipient_person == quality_manager


# == readiness: 7.1.5 ===========================================================================
class TestReadiness:
    def test_the_check_is_registered_for_7_1_5(self):
        assert equipment_calibrated in registered_checks()["7.1.5"]

    def test_missing_without_any_instrument_in_service(self, quality_manager):
        result = equipment_calibrated(quality_manager)
        assert result.status == Status.MISSING
        assert result.sentence.startswith("No measuring instrument in service is recorded")
        assert result.evidence[0].url == f"{INSTRUMENTS}?status=in_service&sort=due_date"

    def test_instruments_out_of_service_retired_or_archived_do_not_count(
        self, quality_manager, process_owner
    ):
        equipment.TakeOutOfService(
            quality_manager, make_instrument(quality_manager), reason="Hold"
        ).execute()
        equipment.RetireInstrument(
            quality_manager, make_instrument(quality_manager), reason="Old"
        ).execute()
        archived = make_instrument(quality_manager)
        Instrument.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
        assert equipment_calibrated(quality_manager).status == Status.MISSING

    def test_partly_met_naming_the_instrument_past_its_calibration(
        self, quality_manager, process_owner
    ):
        good = make_instrument(quality_manager, title="Good")
        calibrate(process_owner, good)
        late = make_instrument(quality_manager, title="Late")
        calibrate(process_owner, late, on=days_ago(400))

        result = equipment_calibrated(quality_manager)

        assert result.status == Status.PARTLY_MET
        assert result.sentence == (
            "1 instrument in service is past its calibration or never calibrated: "
            f"{late.reference}."
        )
        assert good.reference not in result.sentence

    def test_partly_met_naming_the_instrument_never_calibrated(
        self, quality_manager, process_owner
    ):
        calibrate(process_owner, make_instrument(quality_manager))
        never = make_instrument(quality_manager)
        result = equipment_calibrated(quality_manager)
        assert result.status == Status.PARTLY_MET
        assert never.reference in result.sentence

    def test_partly_met_counts_every_late_instrument(self, quality_manager, process_owner):
        late = [make_instrument(quality_manager) for _ in range(3)]
        result = equipment_calibrated(quality_manager)
        assert result.sentence.startswith(
            "3 instruments in service are past their calibration or never calibrated: "
        )
        assert all(i.reference in result.sentence for i in late)

    def test_partly_met_naming_an_instrument_without_its_traceability_basis(
        self, quality_manager, process_owner, micrometer
    ):
        calibrate(process_owner, micrometer)
        Instrument.objects.filter(pk=micrometer.pk).update(traceability="recorded")  # imported
        result = equipment_calibrated(quality_manager)
        assert result.status == Status.PARTLY_MET
        assert result.sentence == (
            f"1 instrument has no recorded traceability basis: {micrometer.reference}."
        )

    def test_met_once_every_instrument_in_service_is_calibrated(
        self, quality_manager, process_owner, unfit
    ):
        for n in range(2):
            calibrate(process_owner, make_instrument(quality_manager, title=f"Gauge {n}"))
        result = equipment_calibrated(quality_manager)
        assert result.status == Status.MET
        assert result.sentence == (
            "2 instruments in service are calibrated within their intervals, each traceable."
        )

    def test_partly_met_naming_an_impact_assessment_left_overdue(
        self, quality_manager, process_owner, unfit
    ):
        calibrate(process_owner, make_instrument(quality_manager, title="Spare micrometer"))
        assert equipment_calibrated(quality_manager).status == Status.MET  # 14 days to assess

        Calibration.objects.filter(pk=unfit.pk).update(due_date=days_ago(1))
        result = equipment_calibrated(quality_manager)

        assert result.status == Status.PARTLY_MET
        assert result.sentence == (
            f"1 out-of-tolerance result has an overdue impact assessment: {unfit.reference}."
        )
        data = {"impact_assessment": "Nothing affected", "products_affected": "false"}
        equipment.AssessImpact(process_owner, fresh(unfit), data=data).execute()
        assert equipment_calibrated(quality_manager).status == Status.MET

    def test_met_again_once_the_late_instrument_is_calibrated(
        self, quality_manager, process_owner, micrometer
    ):
        assert equipment_calibrated(quality_manager).status == Status.PARTLY_MET
        calibrate(process_owner, micrometer)
        assert equipment_calibrated(quality_manager).status == Status.MET

    def test_a_reader_limited_to_one_site_is_not_told_other_sites_references(
        self, quality_manager, leeds, porto
    ):
        there = make_instrument(quality_manager, site=porto)
        reader = PersonFactory(roles=[RoleCode.QUALITY_MANAGER], scope_sites=[leeds])
        result = equipment_calibrated(reader)
        assert result.status == Status.PARTLY_MET
        assert there.reference not in result.sentence
        assert "at sites outside yours" in result.sentence


# == the instrument's page: its calibration history ============================================
class TestInstrumentPage:
    def test_the_history_lists_each_calibration_with_its_certificate(
        self, client_for, external_auditor, process_owner, balance
    ):
        first = calibrate(process_owner, balance, on=days_ago(200), certificate_number="C-1")
        second = calibrate(
            process_owner,
            fresh(balance),
            on=days_ago(20),
            certificate=pdf("second.pdf"),
            certificate_number="C-2",
        )

        html = page(client_for(external_auditor), url_of(balance))

        history = html.split("Calibrations and verifications")[1]
        assert history.index(second.reference) < history.index(first.reference)  # newest first
        row = row_of(history, second.reference)
        assert "C-2" in row
        stored = certificates_of(second).get()
        assert f'href="{reverse("core:attachment_download", args=[stored.pk])}"' in row
        assert "second.pdf" in row  # the certificate's file is named
        earlier = certificates_of(first).get()  # the helper attaches certificate.pdf
        assert f'href="{reverse("core:attachment_download", args=[earlier.pk])}"' in row_of(
            history, first.reference
        )
        assert f'/attachments/{earlier.pk}/"' not in row
        assert days_ago(20).isoformat() in row
        assert add_months(days_ago(20), 6).isoformat() in row
        assert "Northern Calibration Services" in row
        assert "In tolerance" in row

    def test_the_certificate_link_downloads_the_file(
        self, client_for, external_auditor, process_owner, balance
    ):
        calibration = calibrate(process_owner, balance)
        stored = certificates_of(calibration).get()
        response = client_for(external_auditor).get(
            reverse("core:attachment_download", args=[stored.pk])
        )
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF

    def test_out_of_tolerance_and_adjusted_rows_say_so(
        self, client_for, quality_manager, process_owner, micrometer
    ):
        adjusted = found_out_of_tolerance(process_owner, micrometer, adjusted=True)
        row = row_of(page(client_for(quality_manager), url_of(micrometer)), adjusted.reference)
        assert "Out of tolerance" in row
        assert "adjusted" in row
        assert "impact" in row.lower()  # still to assess
        good = calibrate(process_owner, fresh(micrometer), on=today())
        row = row_of(page(client_for(quality_manager), url_of(micrometer)), good.reference)
        assert "adjusted" not in row
        assert "impact" not in row.lower()

    def test_without_calibrations_the_page_says_so(
        self, client_for, process_owner, employee, micrometer
    ):
        keeper = page(client_for(process_owner), url_of(micrometer))
        reader = page(client_for(employee), url_of(micrometer))
        assert f"No calibration has been recorded for {micrometer.reference} yet." in keeper
        assert "the next due date follows from the 12-month interval" in keeper
        assert f"{CALIBRATIONS}new/?instrument={micrometer.pk}" in keeper
        assert f"{CALIBRATIONS}new/?instrument={micrometer.pk}" not in reader
        assert "the next due date follows" not in reader

    def test_the_record_a_calibration_link_names_the_instrument(
        self, client_for, process_owner, micrometer
    ):
        form = (
            client_for(process_owner)
            .get(f"{CALIBRATIONS}new/?instrument={micrometer.pk}")
            .context["form"]
        )
        assert str(form["instrument"].value()) == str(micrometer.pk)

    def test_a_calibration_page_has_no_edit_button(
        self, client_for, quality_manager, process_owner, micrometer
    ):
        calibration = calibrate(process_owner, micrometer)
        html = page(client_for(quality_manager), url_of(calibration))
        assert f'href="{url_of(calibration, "edit/")}"' not in html
        assert micrometer.reference in html

    def test_the_page_reads_the_same_queries_whatever_the_number_of_calibrations(
        self, client_for, quality_manager, process_owner, balance
    ):
        for days in (300, 100):
            calibrate(process_owner, fresh(balance), on=days_ago(days))
        client = client_for(quality_manager)
        url = url_of(balance)
        client.get(url)  # warm per-process caches before counting
        few, _ = count_queries(client, url)

        bulk_certificates(bulk_calibrations(200, instrument=balance), quality_manager)

        many, sql = count_queries(client, url)
        assert Calibration.objects.filter(instrument=balance).count() == 202
        assert many == few, "\n".join(sql)
        html = page(client, url)
        assert html.count('href="/attachments/') >= 24
