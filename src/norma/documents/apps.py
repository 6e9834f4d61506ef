from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "norma.documents"
    label = "documents"
    verbose_name = "Documents"
    # The export archive carries these tables besides the register (norma/dataio).
    archive_models = [
        "documents.Revision",
        "documents.RevisionDecision",
        "documents.Distribution",
        "documents.Acknowledgement",
        "documents.Disposal",
        "documents.DocumentText",
    ]
    archive_settings = ["documents.DocumentType"]

    def ready(self):
        from norma.documents import registers  # noqa: F401  (registers declare themselves)
