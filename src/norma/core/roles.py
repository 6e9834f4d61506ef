"""The built-in roles and the rights each one carries.

Rights are Django permissions matched by pattern ("app.codename", with * wildcards) against
Norma's own apps. `norma migrate` keeps the groups in step with this table.
"""

from fnmatch import fnmatch

from django.apps import apps as global_apps

from norma.core.models.people import RoleCode

# Reading every register, but not other people's jobs, tokens or the integration settings.
READ_ALL = [
    "*.view_*",
    "!jobs.view_job",
    "!core.view_apitoken",
    "!webhooks.*",
    "!dataio.*",
    "!notifications.*",
]

# Context, interested parties, the climate decision, the scope and the QMS roles are top
# management's to set (4.1, 4.2, 4.3, 5.3);
# process owners manage the risks of their processes and the actions on them (6.1).
CONTEXT_MODELS = [
    "contextissue",
    "climatedecision",
    "interestedparty",
    "partyrequirement",
    "qmsscope",
    "nonapplicablerequirement",
    "qmsrole",
]
RISK_RIGHTS = [
    "planning.add_risk",
    "planning.change_risk",
    "planning.add_riskaction",
    "planning.change_riskaction",
]
# KPIs are the process owners' to define and measure; objectives are top management's (6.2).
KPI_RIGHTS = ["planning.add_kpi", "planning.change_kpi", "planning.add_measurement"]
OBJECTIVE_RIGHTS = ["planning.add_objective", "planning.change_objective"]
# Changes to the QMS: process owners propose them, top management approves them (6.3).
CHANGE_RIGHTS = ["planning.add_plannedchange", "planning.change_plannedchange"]
# Managers record their people's training and skills, assign courses and judge whether
# training worked (7.2); job roles, courses, plans and audit experience are the quality team's.
TRAINING_RIGHTS = [
    *[
        f"people.{verb}_{model}"
        for verb in ("add", "change")
        for model in ("trainingrecord", "assessment", "trainingassignment")
    ],
    "people.evaluate_trainingrecord",
]

# Everyone reports problems and suggests improvements (10.2, 10.3); process owners and top
# management analyse nonconformities and carry out the actions; the quality team triages
# and cancels; auditors and top management verify that fixes worked; top management decides
# which improvements are taken up.
REPORTING_RIGHTS = ["improvement.add_nonconformity", "improvement.add_improvement"]
NONCONFORMITY_RIGHTS = [
    *REPORTING_RIGHTS,
    "improvement.change_nonconformity",
    "improvement.dispose_nonconformity",
    "improvement.add_correctiveaction",
    "improvement.change_correctiveaction",
    "improvement.change_improvement",
]

# Process owners keep their equipment calibrated, evaluate the suppliers they buy from and
# answer their customers (7.1.5, 8.4, 8.2.1); approving or disqualifying a supplier is the
# quality team's and top management's, and the scorecard's weights the quality team's. Anyone
# who takes a customer's call logs the complaint or the compliment.
FEEDBACK_RIGHTS = ["operations.add_complaint", "operations.add_compliment"]
OPERATIONS_RIGHTS = [
    *FEEDBACK_RIGHTS,
    *[
        f"operations.{verb}_{model}"
        for verb in ("add", "change")
        for model in (
            "instrument",
            "calibration",
            "supplier",
            "supplierevaluation",
            "suppliercertificate",
            "scar",
            "customer",
            "complaint",
            "compliment",
            "survey",
        )
    ],
]

# Top management holds the management review, comments on its inputs and takes its decisions
# (9.3); whoever owns a decision reports it done.
REVIEW_RIGHTS = [
    "reviews.add_managementreview",
    "reviews.change_managementreview",
    "reviews.change_reviewinput",
    "reviews.add_reviewdecision",
    "reviews.change_reviewdecision",
]

# Internal auditors plan and carry out audits: the audit, its checklist, interviews and
# findings (9.2.2). The programme is the quality team's; top management approves it.
AUDIT_RIGHTS = [
    f"audits.{verb}_{model}"
    for verb in ("add", "change")
    for model in ("audit", "checklistitem", "interview", "finding")
]

# Top management may run the gap analysis with the quality team (deciding to certify is theirs).
GAP_RIGHTS = [
    "certification.add_gapassessment",
    "certification.change_gapassessment",
    "certification.change_gapanswer",
    "certification.add_gapaction",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    RoleCode.QUALITY_MANAGER: ["*"],
    RoleCode.TOP_MANAGEMENT: [
        *READ_ALL,
        "planning.approve_process",
        *[f"planning.{verb}_{model}" for verb in ("add", "change") for model in CONTEXT_MODELS],
        *RISK_RIGHTS,
        *KPI_RIGHTS,
        *OBJECTIVE_RIGHTS,
        *CHANGE_RIGHTS,
        "planning.approve_plannedchange",
        *TRAINING_RIGHTS,
        "documents.add_document",
        "documents.change_document",
        "documents.approve_document",
        "documents.obsolete_document",
        *NONCONFORMITY_RIGHTS,
        "improvement.verify_nonconformity",
        "improvement.decide_improvement",
        *OPERATIONS_RIGHTS,
        "operations.approve_supplier",
        "audits.approve_auditprogramme",
        *REVIEW_RIGHTS,
        *GAP_RIGHTS,
    ],
    RoleCode.PROCESS_OWNER: [
        *READ_ALL,
        "planning.add_process",
        "planning.change_process",
        *RISK_RIGHTS,
        *KPI_RIGHTS,
        *CHANGE_RIGHTS,
        *TRAINING_RIGHTS,
        "documents.add_document",
        "documents.change_document",
        "documents.approve_document",
        *NONCONFORMITY_RIGHTS,
        *OPERATIONS_RIGHTS,
    ],
    RoleCode.INTERNAL_AUDITOR: [
        *READ_ALL,
        *REPORTING_RIGHTS,
        "improvement.verify_nonconformity",
        *AUDIT_RIGHTS,
    ],
    RoleCode.EMPLOYEE: [
        *READ_ALL,
        "!core.view_changelogentry",
        # Management review minutes are for management and the QMS team; a decision someone
        # owns is theirs to read.
        "!reviews.view_managementreview",
        "!reviews.view_reviewinput",
        # The registrar's contract, costs and certificate cycle, and the gap analysis, are
        # the management's; a gap action someone owns is theirs to read.
        *(
            f"!certification.view_{model}"
            for model in (
                "certificationbody",
                "certificationcycle",
                "externalaudit",
                "externalfinding",
                "gapassessment",
                "gapanswer",
                "evidencepack",
                "evidencesample",
                "registraraccess",
            )
        ),
        *REPORTING_RIGHTS,
        *FEEDBACK_RIGHTS,
    ],
    # The registrar sees the evidence, read-only (competence records included, which they
    # sample), and nothing about the platform.
    RoleCode.EXTERNAL_AUDITOR: [
        "standards.view_*",
        "planning.view_*",
        "people.view_*",
        "documents.view_document",
        "improvement.view_*",
        "operations.view_*",
        "audits.view_*",
        "reviews.view_*",
        "certification.view_certificationcycle",
        "certification.view_externalaudit",
        "certification.view_externalfinding",
    ],
}


def norma_app_labels() -> list[str]:
    return [c.label for c in global_apps.get_app_configs() if c.name.startswith("norma.")]


def permissions_for(role_code: str, candidates: list[str]) -> list[str]:
    """The 'app.codename' strings a role gets; patterns starting with ! take rights away."""
    patterns = ROLE_PERMISSIONS[role_code]
    granted = {c for c in candidates if any(fnmatch(c, p) for p in patterns if p[0] != "!")}
    return sorted(c for c in granted if not any(fnmatch(c, p[1:]) for p in patterns if p[0] == "!"))


def sync_roles(sender=None, apps=global_apps, using="default", **kwargs):
    """Create or update one group per built-in role with exactly the rights in the table.

    Runs after the last of Norma's apps has migrated, when every permission exists.
    """
    labels = norma_app_labels()
    if sender is not None and sender.label != labels[-1]:
        return
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("core", "Role")
    permissions = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.using(using)
        .select_related("content_type")
        .filter(content_type__app_label__in=labels)
    }
    for code, label in RoleCode.choices:
        group, _ = Group.objects.using(using).get_or_create(name=label)
        Role.objects.using(using).get_or_create(code=code, defaults={"group": group})
        wanted = permissions_for(code, list(permissions))
        group.permissions.set([permissions[name] for name in wanted])
