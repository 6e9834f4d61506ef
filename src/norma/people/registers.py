"""The people registers: job roles and their requirements, courses, training records, plans,
assignments, competence assessments and audit experience."""

from norma.core.models import RoleCode
from norma.core.registers import Register, Reminder, registry
from norma.people import actions
from norma.people.models import (
    Assessment,
    AuditExperience,
    Course,
    JobRole,
    Requirement,
    TrainingAssignment,
    TrainingPlan,
    TrainingRecord,
)

NAV = "People and competence"


@registry.register
class CourseRegister(Register):
    """7.2 b: the training on offer, internal and external."""

    model = Course
    nav_group = NAV
    description = "Courses, internal and external: provider, duration, validity, cost, documents."
    list_columns = [
        "reference",
        "title",
        "delivery",
        "provider",
        "validity_months",
        "qualifies",
        "status",
    ]
    filter_fields = ["status", "delivery", "qualifies", "owner"]
    search_fields = ["reference", "title", "provider"]
    form_fields = [
        "title",
        "delivery",
        "provider",
        "duration_hours",
        "validity_months",
        "cost",
        "max_score",
        "pass_score",
        "evaluate_after_days",
        "qualifies",
        "documents",
        "owner",
        "clauses",
    ]
    clause_refs = ["7.2"]
    actions = [actions.RetireCourse]


@registry.register
class JobRoleRegister(Register):
    """7.1.2, 7.2: the jobs people hold, and through their requirements what each needs."""

    model = JobRole
    nav_group = NAV
    description = "The jobs in the organisation, who holds them and the competence they need."
    list_columns = ["reference", "title", "department", "owner", "in_scope", "status"]
    filter_fields = ["status", "in_scope", "site", "department", "owner"]
    search_fields = ["reference", "title", "purpose"]
    form_fields = ["title", "purpose", "holders", "in_scope", "owner", "site", "department"]
    detail_fields = ["purpose", "in_scope", "site", "department", "holders"]
    detail_template = "people/jobrole_detail.html"
    clause_refs = ["7.1.2", "7.2"]
    actions = [actions.RetireJobRole]
    nav_links = [
        ("Competence matrix", "people:matrix", "people.view_trainingrecord"),
        ("Awareness", "people:awareness", "people.view_trainingrecord"),
        ("My team", "people:team", None),
        ("Qualified auditors", "people:auditors", "people.view_auditexperience"),
    ]

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        requirements = RequirementRegister.queryset_for(person).filter(job_role=obj)
        return {"requirements": requirements.select_related("course").order_by("kind", "title")}


@registry.register
class RequirementRegister(Register):
    """7.2 a: what a job role needs, at which level."""

    model = Requirement
    nav_group = NAV
    description = "Education, courses, experience and skills each job role needs."
    list_columns = ["reference", "title", "job_role", "kind", "level", "course", "status"]
    filter_fields = ["status", "kind", "job_role", "course"]
    search_fields = ["reference", "title"]
    form_fields = ["job_role", "kind", "title", "course", "level"]
    select_related = ["owner", "site", "department", "job_role", "course"]
    clause_refs = ["7.2"]
    actions = [actions.DropRequirement]


@registry.register
class TrainingRecordRegister(Register):
    """7.2 d: evidence of training; its effectiveness judged by the trainee's manager."""

    model = TrainingRecord
    nav_group = NAV
    description = "Who was trained on what, when, with which result, until when it is valid."
    list_columns = [
        "reference",
        "person",
        "course",
        "completed_on",
        "result",
        "expires_on",
        "status",
        "due_date",
    ]
    filter_fields = ["status", "result", "course", "site", "department"]
    search_fields = ["reference", "title", "trainer"]
    form_fields = ["person", "course", "completed_on", "result", "score", "trainer", "expires_on"]
    detail_fields = [
        "person",
        "course",
        "completed_on",
        "result",
        "score",
        "trainer",
        "expires_on",
        "owner",
        "due_date",
        "evaluation",
    ]
    select_related = ["owner", "site", "department", "person", "course"]
    clause_refs = ["7.2"]
    actions = [actions.JudgeEffective, actions.JudgeNotEffective]
    reminders = [
        Reminder(
            date_field="due_date",
            lead_days=(7, 1),
            to_owner=True,
            label="effectiveness check due",
            skip_statuses=(TrainingRecord.Status.EFFECTIVE, TrainingRecord.Status.NOT_EFFECTIVE),
        )
    ]
    task_label = "Judge whether training worked"
    searched_everywhere_by_reference = True  # 200,000 rows; the list searches them all


@registry.register
class TrainingPlanRegister(Register):
    """7.2 c: a course to be taken by roles, departments or people by a date."""

    model = TrainingPlan
    nav_group = NAV
    description = "Courses planned for job roles, departments or people, with a date."
    list_columns = ["reference", "title", "course", "owner", "status", "due_date"]
    filter_fields = ["status", "course", "owner"]
    search_fields = ["reference", "title"]
    form_fields = [
        "title",
        "course",
        "job_roles",
        "departments_trained",
        "people",
        "due_date",
        "owner",
    ]
    select_related = ["owner", "site", "department", "course"]
    clause_refs = ["7.2"]
    actions = [actions.IssuePlan]


@registry.register
class TrainingAssignmentRegister(Register):
    """7.2 c: one person to take one course by a date; done when the training is recorded."""

    model = TrainingAssignment
    nav_group = NAV
    description = "Training each person has to take, why, and by when."
    list_columns = ["reference", "person", "course", "reason", "status", "due_date"]
    filter_fields = ["status", "reason", "course", "site", "department"]
    search_fields = ["reference", "title", "cause"]
    form_fields = ["person", "course", "reason", "cause", "due_date"]
    detail_fields = [
        "person",
        "course",
        "reason",
        "cause",
        "assigned_on",
        "due_date",
        "training_record",
    ]
    select_related = ["owner", "site", "department", "person", "course"]
    clause_refs = ["7.2"]
    actions = [actions.CancelAssignment]
    reminders = [
        Reminder(
            date_field="due_date",
            lead_days=(7, 1),
            to_owner=True,
            to_roles=(RoleCode.QUALITY_MANAGER,),
            label="training due",
            skip_statuses=(TrainingAssignment.Status.DONE, TrainingAssignment.Status.CANCELLED),
        )
    ]
    task_label = "Training to take"


@registry.register
class AssessmentRegister(Register):
    """7.2 d: evidence of education, experience and skills, at a level."""

    model = Assessment
    nav_group = NAV
    description = "Education, experience and skills judged, at a level, with the evidence."
    list_columns = ["reference", "person", "requirement", "level", "assessed_on", "valid_until"]
    filter_fields = ["status", "level", "site", "department"]
    search_fields = ["reference", "title", "basis"]
    form_fields = ["person", "requirement", "level", "assessed_on", "valid_until", "basis", "owner"]
    select_related = ["owner", "site", "department", "person", "requirement"]
    clause_refs = ["7.2"]


@registry.register
class AuditExperienceRegister(Register):
    """9.2.2: the audits each auditor took part in, which auditor qualification counts."""

    model = AuditExperience
    nav_group = NAV
    description = "Audits people took part in, and in which role: the basis of qualification."
    list_columns = ["reference", "title", "auditor", "role", "audited_on", "status"]
    filter_fields = ["status", "role", "auditor"]
    search_fields = ["reference", "title"]
    form_fields = ["title", "auditor", "role", "audited_on", "audited_process", "supervisor"]
    select_related = ["owner", "site", "department", "auditor"]
    clause_refs = ["7.2", "9.2.2"]
