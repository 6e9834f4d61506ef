from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "norma.people"
    label = "people"
    verbose_name = "People and competence"

    def ready(self):
        from norma.documents.workflow import revision_took_effect
        from norma.people import imports, registers  # noqa: F401  (they declare themselves)

        revision_took_effect.connect(retrain_on_new_revision, dispatch_uid="people.retrain")


def retrain_on_new_revision(sender, document, revision, **kwargs):
    from norma.people.assigning import reassign_after_revision

    reassign_after_revision(document, revision)
