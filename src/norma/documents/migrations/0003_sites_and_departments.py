"""A document applies at any number of sites and departments, not one of each."""

from django.db import migrations, models


def copy_places(apps, schema_editor):
    Document = apps.get_model("documents", "Document")
    for name in ("site", "department"):
        links = getattr(Document, f"{name}s").through
        rows = Document.objects.filter(**{f"{name}__isnull": False}).values_list(
            "pk", f"{name}_id"
        )
        links.objects.bulk_create(
            [links(document_id=pk, **{f"{name}_id": target}) for pk, target in rows],
            batch_size=1000,
        )


def copy_back(apps, schema_editor):
    """Going back keeps one place of each kind: the first by id."""
    Document = apps.get_model("documents", "Document")
    for name in ("site", "department"):
        links = getattr(Document, f"{name}s").through
        for link in links.objects.order_by("-pk"):
            Document.objects.filter(pk=link.document_id).update(
                **{f"{name}_id": getattr(link, f"{name}_id")}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_changelog_append_only"),
        ("documents", "0002_document_types_and_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="departments",
            field=models.ManyToManyField(
                blank=True,
                help_text="Where it applies; empty: the whole organisation.",
                related_name="documents",
                to="core.department",
            ),
        ),
        migrations.AddField(
            model_name="document",
            name="sites",
            field=models.ManyToManyField(
                blank=True,
                help_text="Where it applies; empty: the whole organisation.",
                related_name="documents",
                to="core.site",
            ),
        ),
        migrations.RunPython(copy_places, copy_back),
        migrations.RemoveField(model_name="document", name="department"),
        migrations.RemoveField(model_name="document", name="site"),
    ]
