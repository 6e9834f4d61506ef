"""The certification rules a cycle's record can break, flagged on its page (ISO/IEC 17021-1):
a stage 2 major not verified before the decision, or within six months of stage 2; a calendar
year without surveillance; a recertification major not verified before expiry."""

import datetime
from dataclasses import dataclass

from norma.certification import rules
from norma.certification.models import CertificationCycle, ExternalAudit, ExternalFinding

STAGE_2_VERIFY_MONTHS = 6


@dataclass(frozen=True)
class Flag:
    text: str
    tone: str  # bad: a rule is broken; warn: one will be unless something is done


def _held(audits, *kinds):
    return [a for a in audits if a.status == ExternalAudit.Status.HELD and a.kind in kinds]


def unverified_majors(findings, kind: str) -> list[ExternalFinding]:
    return [
        f
        for f in findings
        if f.grade == ExternalFinding.Grade.MAJOR
        and f.status == ExternalFinding.Status.OPEN
        and f.external_audit.kind == kind
    ]


def stage_2_deadline(audits) -> datetime.date | None:
    """Six months from the last day of stage 2: a major still unverified then means another
    stage 2."""
    ends = [a.end_date for a in _held(audits, "stage_2")]
    return rules.add_months(max(ends), STAGE_2_VERIFY_MONTHS) if ends else None


def cycle_flags(
    cycle: CertificationCycle, audits: list, findings: list, today: datetime.date
) -> list[Flag]:
    flags = []
    majors = unverified_majors(findings, "stage_2")
    deadline = stage_2_deadline(audits)
    if majors and deadline:
        names = ", ".join(f.reference for f in majors)
        if today > deadline:
            flags.append(
                Flag(
                    f"Major nonconformity {names} from stage 2 was not verified within six "
                    f"months ({deadline:%-d %B %Y}): stage 2 must be repeated before the "
                    "certification decision.",
                    "bad",
                )
            )
        elif cycle.decision_date is None:
            flags.append(
                Flag(
                    f"Major nonconformity {names} from stage 2 must be verified by the registrar "
                    f"before the certification decision, and by {deadline:%-d %B %Y} or stage "
                    "2 is repeated.",
                    "warn",
                )
            )
    if cycle.decision_date and cycle.expiry_date:
        audited = {a.end_date.year for a in _held(audits, "surveillance", "recertification")}
        for year in range(cycle.decision_date.year + 1, min(today.year, cycle.expiry_date.year)):
            if year not in audited:
                flags.append(Flag(f"No surveillance audit was held in {year}.", "bad"))
    recert = unverified_majors(findings, "recertification")
    # The recertification audit belongs to the renewing cycle; the certificate it must save
    # is the one being renewed (or this one, when its own audits are recorded here).
    previous = cycle.previous_cycle if cycle.previous_cycle_id else None
    expiry = previous.expiry_date if previous else cycle.expiry_date
    if recert and expiry:
        names = ", ".join(f.reference for f in recert)
        late = today > expiry
        flags.append(
            Flag(
                f"Major nonconformity {names} from the recertification audit "
                + ("was not verified before" if late else "must be verified before")
                + f" the certificate expires ({expiry:%-d %B %Y}).",
                "bad" if late else "warn",
            )
        )
    return flags
