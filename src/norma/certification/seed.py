"""Demo data for certification, made by the real actions: the registrar chosen, and the first
certification cycle under way: stage 1 held five weeks ago, stage 2 over since yesterday and
waiting for the quality manager to record it and the registrar's findings; an evidence pack
for stage 2 defined with the auditor's sample, ready to build."""

from datetime import timedelta

from django.utils import timezone

from norma.certification import workflow
from norma.certification.models import (
    CertificationBody,
    CertificationCycle,
    EvidencePack,
    EvidenceSample,
    ExternalAudit,
)
from norma.core.actions import CreateRecord


def seed_demo(org):
    amira = org.person("Amira Haddad")
    today = timezone.localdate()
    registrar = CreateRecord(
        amira,
        CertificationBody,
        data={
            "title": "Pennine Assurance Ltd",
            "accreditation_body": "UKAS",
            "accreditation_number": "0123",
            "accreditation_scope": "ISO 9001: IAF codes 17 (basic metals and fabricated metal "
            "products) and 18 (machinery and equipment).",
            "accreditation_expiry": today + timedelta(days=600),
            "contacts": "Client manager: Ruth Ellis, ruth.ellis@pennine-assurance.example",
            "major_response_days": 30,
            "minor_response_days": 90,
            "owner": amira,
        },
    ).execute()
    stage_1 = today - timedelta(days=35)
    stage_2 = today - timedelta(days=3)
    cycle = CreateRecord(
        amira,
        CertificationCycle,
        data={
            "title": "ISO 9001 initial certification",
            "certification_body": registrar,
            "scope": org.organisation.scope_statement,
            "sites": list(org.sites.values()),
            "central_site": org.sites["leeds"],
            "personnel": 140,
            "day_rate": 1150,
            "stage_1_date": stage_1,
            "stage_2_date": stage_2 + timedelta(days=2),  # its last day: yesterday
            "owner": amira,
        },
    ).execute()
    for kind, title, start, days, team in (
        ("stage_1", "Stage 1: documentation and readiness", stage_1, 1, "Ruth Ellis (lead)"),
        (
            "stage_2",
            "Stage 2: implementation and effectiveness",
            stage_2,
            3,
            "Ruth Ellis (lead), Marco Reis",
        ),
    ):
        audit = CreateRecord(
            amira,
            ExternalAudit,
            data={
                "title": title,
                "cycle": cycle,
                "kind": kind,
                "start_date": start,
                "end_date": start + timedelta(days=days - 1),
                "auditors": team,
                "audit_days": 6.5 if kind == "stage_2" else 1.5,
                "owner": amira,
            },
        ).execute()
        if kind == "stage_1":
            summary = (
                "Documentation adequate. Concern: the internal audit of the Porto plant is not "
                "yet reported; close it before stage 2."
            )
            workflow.HoldAudit(amira, audit, data={"summary": summary}).execute()

    pack = CreateRecord(
        amira,
        EvidencePack,
        data={
            "title": "Evidence for stage 2",
            "period_start": today - timedelta(days=365),
            "period_end": today,
            "external_audit": audit,
            "owner": amira,
        },
    ).execute()
    CreateRecord(
        amira,
        EvidenceSample,
        data={
            "pack": pack,
            "title": "Five corrective actions done this year",
            "register_label": "improvement.correctiveaction",
            "filters": "status=done",
            "date_field": "completed_on",
            "date_from": today.replace(month=1, day=1),
            "size": 5,
            "owner": amira,
        },
    ).execute()
