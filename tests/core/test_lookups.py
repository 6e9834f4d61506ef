"""Link fields to large tables: past NORMA_SELECT_LIMIT rows a form asks for a reference (or a
person's e-mail) with suggestions, instead of listing every record; the page sends the key,
the API the id, and both are checked against what the person may link to."""

import re

import pytest

from norma.core.lookups import LookupChoiceField, MultipleLookupChoiceField
from norma.operations.models import Instrument
from norma.operations.registers import CalibrationRegister, SupplierRegister
from tests.factories import PersonFactory
from tests.operations.helpers import bulk_instruments, make_instrument

NEW_CALIBRATION = "/operations/calibrations/new/"


@pytest.fixture
def few_options(settings):
    settings.NORMA_SELECT_LIMIT = 3


def calibration_data(instrument_value) -> dict:
    return {
        "instrument": instrument_value,
        "title": "Annual",
        "performed_on": "2026-01-05",
        "performed_by": "Lab",
        "result": "in_tolerance",
    }


class TestWhenAFieldBecomesALookup:
    def test_a_small_table_stays_a_list(self, db, process_owner):
        make_instrument(process_owner)
        form = CalibrationRegister.form_class()(person=process_owner)
        assert not isinstance(form.fields["instrument"], LookupChoiceField)

    def test_a_large_table_becomes_a_typed_reference(self, few_options, process_owner):
        bulk_instruments(5)
        form = CalibrationRegister.form_class()(person=process_owner)
        assert isinstance(form.fields["instrument"], LookupChoiceField)
        assert form.fields["instrument"].required

    def test_people_are_typed_by_e_mail(self, few_options, process_owner):
        PersonFactory.create_batch(4)
        form = SupplierRegister.form_class()(person=process_owner)
        assert isinstance(form.fields["owner"], LookupChoiceField)


class TestThePage:
    def test_the_page_shows_a_text_box_with_suggestions_not_options(
        self, few_options, client_for, process_owner
    ):
        bulk_instruments(5)
        instrument = Instrument.objects.first()
        html = (
            client_for(process_owner)
            .get(f"{NEW_CALIBRATION}?instrument={instrument.pk}")
            .content.decode()
        )
        box = re.search(r'<input[^>]*name="instrument"[^>]*>', html).group(0)
        assert f'value="{instrument.reference}"' in box  # the id in the link, shown as its key
        assert 'list="id_instrument-suggestions"' in box
        assert 'hx-get="/lookup/operations.instrument/"' in box
        assert '<datalist id="id_instrument-suggestions">' in html
        assert "<option" not in html.split('name="instrument"')[1].split("</datalist>")[0]

    def test_a_reference_is_saved_as_the_link(self, few_options, client_for, process_owner):
        bulk_instruments(5)
        instrument = Instrument.objects.first()
        response = client_for(process_owner).post(
            NEW_CALIBRATION, calibration_data(instrument.reference)
        )
        assert response.status_code == 302
        assert instrument.calibrations.count() == 1

    def test_an_unknown_reference_is_refused_by_name(self, few_options, client_for, process_owner):
        bulk_instruments(5)
        response = client_for(process_owner).post(NEW_CALIBRATION, calibration_data("EQ-NOPE"))
        assert response.status_code == 422
        assert "Nothing you may link to is called “EQ-NOPE”" in response.content.decode()

    def test_a_record_outside_the_persons_sites_cannot_be_linked(
        self, few_options, client_for, process_owner, leeds, porto
    ):
        bulk_instruments(5, site=porto)
        limited = PersonFactory(site=leeds, roles=["process_owner"])
        limited.scope_sites.set([leeds])
        elsewhere = Instrument.objects.first()
        response = client_for(limited).post(NEW_CALIBRATION, calibration_data(elsewhere.reference))
        assert response.status_code == 422
        assert not elsewhere.calibrations.exists()


class TestTheApi:
    def test_the_api_links_by_id_as_before(self, few_options, api_for, process_owner):
        bulk_instruments(5)
        instrument = Instrument.objects.first()
        response = api_for(process_owner).post(
            "/api/v1/operations/calibrations/",
            {**calibration_data(instrument.pk), "instrument": instrument.pk},
        )
        assert response.status_code == 201, response.content
        assert response.json()["instrument"] == instrument.pk


class TestSuggestions:
    def url(self, label, **query):
        from urllib.parse import urlencode

        return f"/lookup/{label}/?{urlencode(query)}"

    def test_suggestions_match_the_typed_text(self, client_for, process_owner):
        bulk_instruments(30)
        wanted = Instrument.objects.order_by("pk")[7]
        html = (
            client_for(process_owner)
            .get(self.url("operations.instrument", instrument=wanted.reference))
            .content.decode()
        )
        assert html == (
            f'<option value="{wanted.reference}">{wanted.reference} — {wanted.title}</option>'
        )

    def test_at_most_twenty_suggestions(self, client_for, process_owner):
        bulk_instruments(30)
        html = client_for(process_owner).get(self.url("operations.instrument", q="")).content
        assert html.decode().count("<option") == 20

    def test_the_last_of_several_references_is_completed(self, client_for, process_owner):
        bulk_instruments(3)
        first, second = Instrument.objects.order_by("pk")[:2]
        typed = f"{first.reference}, {second.reference}"
        html = client_for(process_owner).get(self.url("operations.instrument", x=typed))
        assert f'value="{first.reference}, {second.reference}"' in html.content.decode()

    def test_only_records_the_person_may_read(self, client_for, process_owner, leeds, porto):
        bulk_instruments(3, site=porto)
        limited = PersonFactory(site=leeds, roles=["process_owner"])
        limited.scope_sites.set([leeds])
        html = client_for(limited).get(self.url("operations.instrument", q="")).content.decode()
        assert "<option" not in html

    def test_people_by_name_or_e_mail(self, client_for, process_owner):
        PersonFactory(full_name="Zoë Zimmer", email="zoe.zimmer@example.com")
        html = client_for(process_owner).get(self.url("core.person", owner="zimm")).content
        assert 'value="zoe.zimmer@example.com"' in html.decode()

    def test_without_the_right_to_read_the_register(self, client_for, external_auditor):
        response = client_for(external_auditor).get(self.url("core.person", q="a"))
        assert response.status_code == 403

    @pytest.mark.parametrize("label", ["core.changelogentry", "nope.model", "garbage"])
    def test_only_registers_and_people(self, client_for, quality_manager, label):
        assert client_for(quality_manager).get(self.url(label, q="a")).status_code == 404

    def test_signed_out(self, client):
        response = client.get(self.url("operations.instrument", q="a"), secure=True)
        assert response.status_code == 302


def test_many_lookup_accepts_references_or_ids(few_options, process_owner):
    bulk_instruments(5)
    field = MultipleLookupChoiceField(Instrument.objects.all())
    first, second = Instrument.objects.order_by("pk")[:2]
    chosen = field.clean([first.reference, str(second.pk)])
    assert set(chosen) == {first, second}
    assert field.widget.value_from_datadict(
        {"x": f"{first.reference}, {second.reference}"}, {}, "x"
    ) == [first.reference, second.reference]
