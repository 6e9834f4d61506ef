"""Keeping measuring equipment fit for use (7.1.5): recording calibrations, which move the
instrument's next due date and take it out of service when it is found unfit, assessing
what an out-of-tolerance result did to earlier measurements, and raising the nonconformity."""

from datetime import timedelta

from django.db.models import Max, Q
from django.utils import timezone

from norma.core.actions import (
    ActionRefused,
    CreateRecord,
    InvalidInput,
    NotPermitted,
    Transition,
)
from norma.documents.models import add_months
from norma.improvement.models import Source
from norma.operations.linking import RaiseLinkedNonconformity
from norma.operations.models import Calibration, Instrument

EQ = Instrument.Status
CAL = Calibration.Status
IMPACT_DAYS = 14  # to assess what an out-of-tolerance result did to earlier measurements


class RecordCalibration(CreateRecord):
    """A calibration or verification, with its certificate where the method requires one.
    The newest result sets the instrument's next due date, or takes it out of service."""

    label = "Record a calibration"

    def __init__(self, actor, model=Calibration, **kwargs):
        super().__init__(actor, model, **kwargs)

    def apply(self):
        from norma.core.attachments import check_upload, store_attachment

        certificate = self.data.pop("certificate", None)
        instrument = self.data.get("instrument")
        if instrument is not None:
            # Locked: two results recorded at once cannot leave the older one in charge.
            instrument = Instrument.objects.select_for_update().get(pk=instrument.pk)
            self.data["instrument"] = instrument
            self.check_instrument(instrument, certificate)
        if certificate is not None:
            check_upload(certificate.name, certificate.read(), field="certificate")
            certificate.seek(0)
        calibration = super().apply()
        self.after_calibration(calibration, instrument)
        # The file is written last, when nothing else can refuse the calibration.
        self.certificate = (
            store_attachment(calibration, certificate, self.actor) if certificate else None
        )
        return calibration

    def check_instrument(self, instrument, certificate):
        if not self.actor.scope.allows(instrument):
            raise NotPermitted(f"{instrument} is outside the sites or departments you work in.")
        if instrument.status == EQ.RETIRED or instrument.is_archived:
            state = "archived" if instrument.is_archived else "retired"
            raise InvalidInput(
                f"{instrument.reference} is {state}.", {"instrument": [f"It is {state}."]}
            )
        if instrument.certificate_required and certificate is None:
            message = f"{instrument.get_method_display()} needs its certificate: attach the file."
            raise InvalidInput(message, {"certificate": [message]})

    def after_calibration(self, calibration, instrument):
        good = not calibration.out_of_tolerance or calibration.adjusted
        if calibration.out_of_tolerance:
            calibration.suspect_since = self.last_good(calibration, instrument)
            calibration.status = CAL.IMPACT_OPEN
            calibration.due_date = timezone.localdate() + timedelta(days=IMPACT_DAYS)
        if good:
            calibration.next_due = add_months(calibration.performed_on, instrument.interval_months)
        calibration.save(update_fields=["suspect_since", "status", "next_due", "due_date"])
        if (
            instrument.last_calibrated_on
            and calibration.performed_on < instrument.last_calibrated_on
        ):
            return  # an older record entered late: the instrument keeps its newest result

        def move(instrument):
            instrument.last_calibrated_on = calibration.performed_on
            instrument.due_date = calibration.next_due
            instrument.status = EQ.IN_SERVICE if good else EQ.OUT_OF_SERVICE

        self.change_related(instrument, move, "calibrated")

    @staticmethod
    def last_good(calibration, instrument):
        """Since when results may be wrong: the last calibration that left the instrument in
        tolerance (adjusted counts), or else the day it was registered."""
        earlier = instrument.calibrations.exclude(pk=calibration.pk).filter(
            Q(result=Calibration.Result.IN_TOLERANCE) | Q(adjusted=True),
            performed_on__lte=calibration.performed_on,
        )
        last = earlier.aggregate(last=Max("performed_on"))["last"]
        return last or timezone.localtime(instrument.created_at).date()

    def logged_values(self, before):
        before, after = super().logged_values(before)
        if self.certificate:
            after["certificate"] = {
                "name": self.certificate.filename,
                "sha256": self.certificate.sha256,
            }
        return before, after


class RaiseCalibrationNonconformity(RaiseLinkedNonconformity):
    """The out-of-tolerance result as a nonconformity, linked to this calibration."""

    open_statuses = (CAL.IMPACT_OPEN, CAL.IMPACT_ASSESSED)

    def nonconformity_fields(self) -> dict:
        instrument, since = self.obj.instrument, self.obj.suspect_since
        return {
            "title": f"{instrument.asset_tag} {instrument.title} found out of tolerance",
            "description": (
                f"{self.obj.reference}, {self.obj.performed_on}: {instrument.title} "
                f"({instrument.asset_tag}) was out of tolerance. Results measured with it "
                + (f"since {since} " if since else "")
                + "may be wrong."
                + (f"\n\n{self.obj.impact_assessment}" if self.obj.impact_assessment else "")
            ),
            "source": Source.PROCESS,
            "process": instrument.process,
        }


class AssessImpact(Transition):
    """7.1.5.2: what the unfit instrument did to the results measured since it was last
    good; affected products need their nonconformity (8.7) before this is closed."""

    code = "assess-impact"
    label = "Record the impact assessment"
    permission = "operations.change_calibration"
    sources = (CAL.IMPACT_OPEN,)
    target = CAL.IMPACT_ASSESSED
    fields = ("impact_assessment", "products_affected")

    def prepare(self):
        self.obj.due_date = None

    def check_step(self):
        affected = self.data.get("products_affected") in (True, "True", "true", "on", "1")
        if affected and not self.obj.nonconformity_id:
            raise ActionRefused(
                "Results or products were affected: raise a nonconformity for them first, "
                "so what is done about them is tracked."
            )


class TakeOutOfService(Transition):
    code = "out-of-service"
    label = "Take out of service"
    permission = "operations.change_instrument"
    reason_required = True
    sources = (EQ.IN_SERVICE,)
    target = EQ.OUT_OF_SERVICE


class ReturnToService(Transition):
    """Only with a calibration that is still current."""

    code = "return-to-service"
    label = "Return to service"
    permission = "operations.change_instrument"
    sources = (EQ.OUT_OF_SERVICE,)
    target = EQ.IN_SERVICE

    def check_step(self):
        if self.obj.due_date is None or self.obj.is_overdue:
            raise ActionRefused(
                f"{self.obj.reference} has no current calibration: record one first."
            )


class RetireInstrument(Transition):
    code = "retire"
    label = "Retire"
    permission = "operations.change_instrument"
    reason_required = True
    sources = (EQ.IN_SERVICE, EQ.OUT_OF_SERVICE)
    target = EQ.RETIRED

    def prepare(self):
        self.obj.due_date = None  # nothing is due on a retired instrument


INSTRUMENT_ACTIONS = [TakeOutOfService, ReturnToService, RetireInstrument]
CALIBRATION_ACTIONS = [RaiseCalibrationNonconformity, AssessImpact]
