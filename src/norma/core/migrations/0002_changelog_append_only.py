"""Make the change log append-only in the database itself: UPDATE and DELETE are refused."""

from django.db import migrations

MESSAGE = "the change log is append-only"

SQLITE = [
    f"CREATE TRIGGER core_changelog_no_update BEFORE UPDATE ON core_changelogentry "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    f"CREATE TRIGGER core_changelog_no_delete BEFORE DELETE ON core_changelogentry "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS core_changelog_no_update;",
    "DROP TRIGGER IF EXISTS core_changelog_no_delete;",
]
POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION core_changelog_refuse() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;""",
    "CREATE TRIGGER core_changelog_no_change BEFORE UPDATE OR DELETE ON core_changelogentry "
    "FOR EACH ROW EXECUTE FUNCTION core_changelog_refuse();",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS core_changelog_no_change ON core_changelogentry;",
    "DROP FUNCTION IF EXISTS core_changelog_refuse();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        )
    ]
