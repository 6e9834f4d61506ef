"""Recording a KPI's measurements, and reading where KPIs and objectives stand."""

import datetime
from decimal import Decimal, InvalidOperation

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from norma.core.actions import Action, ActionRefused, InvalidInput
from norma.planning.models import Kpi, Measurement

MAX_DIGITS = 10  # before the decimal point, as the column holds (14 digits, 4 after it)


def parse_value(raw) -> Decimal:
    """A measured value: a finite number the column can hold, or InvalidInput naming it."""
    text = str(raw).strip()
    if "," in text:  # 1,5 or 1,000? Ambiguous in a record that must not be misread.
        message = f"'{text}': write decimals with a point (1.5) and no thousands separator."
        raise InvalidInput("The value is not a number.", {"value": [message]})
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        message = f"'{text}' is not a number."
        raise InvalidInput("The value is not a number.", {"value": [message]}) from None
    if not value.is_finite() or abs(value) >= Decimal(10) ** MAX_DIGITS:
        raise InvalidInput("The value is out of range.", {"value": ["Give a finite number."]})
    return value.quantize(Decimal("0.0001"))


def parse_moment(raw) -> datetime.datetime:
    if not raw:
        return timezone.now()
    try:
        moment = raw if isinstance(raw, datetime.datetime) else parse_datetime(str(raw))
        if moment is None:
            day = datetime.date.fromisoformat(str(raw))
            moment = datetime.datetime.combine(day, datetime.time())
    except ValueError:
        message = f"'{raw}' is not a date or time (YYYY-MM-DD or ISO 8601)."
        raise InvalidInput("The time is not valid.", {"measured_at": [message]}) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now() + datetime.timedelta(days=1):
        raise InvalidInput("The time is in the future.", {"measured_at": ["Not in the future."]})
    return moment


class RecordMeasurement(Action):
    """Add a result to a KPI (by hand, from an import or pushed through the API); the next
    measurement falls due one period after the latest."""

    code = "measure"
    label = "Record a measurement"
    permission = "planning.add_measurement"
    offered = False  # the KPI page has its own form

    def check_rules(self):
        if self.obj.is_archived or self.obj.status != Kpi.Status.ACTIVE:
            raise ActionRefused(f"{self.obj.reference} is no longer measured.")

    def clean_data(self):
        """The value, its time and unit; InvalidInput naming the field, before anything is
        written (the whole action is one transaction)."""
        unit = str(self.data.get("unit") or "").strip()
        if unit and unit != self.obj.unit:
            raise InvalidInput(
                "The unit does not match the KPI.",
                {"unit": [f"{self.obj.reference} is measured in {self.obj.unit}, not {unit}."]},
            )
        self.value = parse_value(self.data.get("value", ""))
        self.measured_at = parse_moment(self.data.get("measured_at"))
        self.note = str(self.data.get("note") or "")[:500]
        source = self.data.get("source") or Measurement.Source.MANUAL
        self.source = source if source in Measurement.Source.values else Measurement.Source.MANUAL

    def apply(self):
        self.clean_data()
        self.measurement = Measurement.objects.create(
            kpi=self.obj,
            measured_at=self.measured_at,
            value=self.value,
            source=self.source,
            note=self.note,
            entered_by=self.actor,
        )
        return self.next_due_from_latest()

    def next_due_from_latest(self):
        """The next result falls due one period after the latest, whatever order they came."""
        latest = self.obj.measurements.order_by("-measured_at").values("measured_at").first()
        self.obj.due_date = self.obj.next_due(timezone.localdate(latest["measured_at"]))
        return self.save(self.obj)

    def logged_values(self, before):
        values = {
            "measured_at": self.measured_at.isoformat(),
            "value": str(self.value),
            "unit": self.obj.unit,
            "source": self.source,
            "note": self.note,
            "due_date": self.obj.due_date.isoformat(),
        }
        return {"due_date": before.get("due_date")} if before else None, values


def latest_value(kpi_field: str = "pk"):
    """The latest measured value of the KPI at `kpi_field`, as a subquery (no query per row)."""
    return Subquery(
        Measurement.objects.filter(kpi=OuterRef(kpi_field))
        .order_by("-measured_at", "-pk")
        .values("value")[:1]
    )


def series(kpi: Kpi, since: datetime.datetime | None = None) -> list[tuple]:
    """(measured_at, value) of a KPI, oldest first, in one query."""
    rows = kpi.measurements.all()
    if since is not None:
        rows = rows.filter(measured_at__gte=since)
    return list(rows.order_by("measured_at", "pk").values_list("measured_at", "value"))


DATE_HEADERS = {"measured_at", "measured at", "measured on", "date"}
MAX_IMPORTED = 10_000  # read and written in the request; larger histories: the API, in batches
ERRORS_SHOWN = 20


def columns(header: list) -> dict[str, int]:
    """Where the date, value and note columns are, or InvalidInput naming what is missing."""
    names = [str(h or "").strip().lower() for h in header]
    found = {
        "measured_at": next((i for i, n in enumerate(names) if n in DATE_HEADERS), None),
        "value": next((i for i, n in enumerate(names) if n == "value"), None),
        "note": next((i for i, n in enumerate(names) if n == "note"), None),
    }
    if found["measured_at"] is None or found["value"] is None:
        message = "The first row needs a 'date' (or 'measured_at') column and a 'value' column."
        raise InvalidInput("The file's columns are not recognised.", {"file": [message]})
    return found


class ImportMeasurements(RecordMeasurement):
    """Results from a CSV or XLSX file: every row is checked first, and either all are kept
    or none (one transaction; the errors name their rows)."""

    code = "import-results"
    label = "Import results"

    def clean_data(self):
        table = self.data["table"]
        if table.total > MAX_IMPORTED:
            message = f"At most {MAX_IMPORTED:,} results per file; this one has {table.total:,}."
            raise InvalidInput("The file is too long.", {"file": [message]})
        where = columns(table.header)
        self.rows, problems = [], []
        for number, cells in table.rows():

            def cell(name, cells=cells):
                index = where[name]
                return cells[index] if index is not None and index < len(cells) else ""

            try:
                self.rows.append(
                    (
                        parse_moment(cell("measured_at")),
                        parse_value(cell("value")),
                        str(cell("note") or "")[:500],
                    )
                )
            except InvalidInput as refused:
                problems.append(
                    f"Row {number}: " + " ".join(m for ms in refused.errors.values() for m in ms)
                )
        if problems:
            shown = problems[:ERRORS_SHOWN]
            if len(problems) > ERRORS_SHOWN:
                shown.append(f"… and {len(problems) - ERRORS_SHOWN} more rows.")
            raise InvalidInput(
                f"{len(problems)} rows cannot be read; nothing was imported.", {"file": shown}
            )
        if not self.rows:
            raise InvalidInput(
                "The file holds no results.", {"file": ["No rows below the header."]}
            )

    def apply(self):
        self.clean_data()
        Measurement.objects.bulk_create(
            Measurement(
                kpi=self.obj,
                measured_at=moment,
                value=value,
                note=note,
                source=Measurement.Source.IMPORT,
                entered_by=self.actor,
            )
            for moment, value, note in self.rows
        )
        return self.next_due_from_latest()

    def logged_values(self, before):
        moments = sorted(moment for moment, _, _ in self.rows)
        values = {
            "imported": len(self.rows),
            "from": moments[0].isoformat(),
            "to": moments[-1].isoformat(),
            "file": self.data.get("file_name", ""),
            "due_date": self.obj.due_date.isoformat(),
        }
        return {"due_date": before.get("due_date")} if before else None, values
