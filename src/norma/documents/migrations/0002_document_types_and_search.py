"""The built-in document types, and the full-text index beside DocumentText.

SQLite: an FTS5 table over documents_documenttext, kept in step by triggers.
PostgreSQL: a GIN index on the expression the search query uses.
"""

from django.db import migrations

TYPES = [
    # code, name, prefix, style, review months, reviewer role, approver role, record, years
    ("policy", "Policy", "POL", "letters", 12, "quality_manager", "top_management", False, 10),
    ("manual", "Manual", "QM", "letters", 24, "quality_manager", "top_management", False, 10),
    ("procedure", "Procedure", "QP", "letters", 24, "process_owner", "quality_manager", False, 5),
    ("work-instruction", "Work instruction", "WI", "letters", 24, "process_owner",
     "quality_manager", False, 5),
    ("form", "Form or template", "FRM", "numbers", 36, "", "quality_manager", False, 5),
    ("plan", "Plan", "PLN", "letters", 12, "quality_manager", "top_management", False, 5),
    ("specification", "Specification", "SPC", "letters", 24, "process_owner", "quality_manager",
     False, 10),
    ("external", "External document", "EXT", "numbers", 12, "", "quality_manager", False, 3),
    ("record", "Record", "REC", "numbers", 0, "", "quality_manager", True, 5),
]

SQLITE = [
    "CREATE VIRTUAL TABLE documents_fts USING fts5(title, body, obsolete UNINDEXED, "
    "content='documents_documenttext', content_rowid='document_id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents_documenttext BEGIN "
    "INSERT INTO documents_fts(rowid, title, body, obsolete) "
    "VALUES (new.document_id, new.title, new.body, new.obsolete); "
    "END",
    "CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents_documenttext BEGIN "
    "INSERT INTO documents_fts(documents_fts, rowid, title, body, obsolete) "
    "VALUES ('delete', old.document_id, old.title, old.body, old.obsolete); END",
    "CREATE TRIGGER documents_fts_update AFTER UPDATE ON documents_documenttext BEGIN "
    "INSERT INTO documents_fts(documents_fts, rowid, title, body, obsolete) "
    "VALUES ('delete', old.document_id, old.title, old.body, old.obsolete); "
    "INSERT INTO documents_fts(rowid, title, body, obsolete) "
    "VALUES (new.document_id, new.title, new.body, new.obsolete); "
    "END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS documents_fts_update",
    "DROP TRIGGER IF EXISTS documents_fts_delete",
    "DROP TRIGGER IF EXISTS documents_fts_insert",
    "DROP TABLE IF EXISTS documents_fts",
]
# Must be the very expression search.PG_VECTOR uses, or the index is not used. Titles weigh
# more than text (A over B); hyphens split reference numbers (QP-001 -> qp, 001).
PG_VECTOR = (
    "(setweight(to_tsvector('english', translate(title, '-', ' ')), 'A') "
    "|| setweight(to_tsvector('english', body), 'B'))"
)
POSTGRESQL = [
    f"CREATE INDEX documents_text_search ON documents_documenttext USING GIN ({PG_VECTOR})",
]
POSTGRESQL_REVERSE = ["DROP INDEX IF EXISTS documents_text_search"]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql)

    return run


def add_types(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    for code, name, prefix, style, months, reviewer, approver, record, years in TYPES:
        DocumentType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "number_prefix": prefix,
                "revision_style": style,
                "review_months": months,
                "reviewer_role": reviewer,
                "approver_role": approver,
                "is_record": record,
                "retention_years": years,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [
        migrations.RunPython(add_types, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        ),
    ]
