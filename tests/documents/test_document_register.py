"""The document register through the register kit: pages, rights, scope, exports, queries."""

from norma.documents.registers import DocumentRegister
from tests.conftest import PERSONAS
from tests.factories import bulk_documents, document_type, make_document
from tests.kit import RegisterKit


class TypeId:
    """A document type's id as the form sends it, read when the request is built."""

    def __init__(self, code):
        self.code = code

    def __str__(self):
        return str(document_type(self.code).pk)


class TestDocumentRegister(RegisterKit):
    register = DocumentRegister
    make_record = staticmethod(make_document)
    bulk_records = staticmethod(bulk_documents)
    create_data = {
        "title": "Control of records",
        "document_type": TypeId("procedure"),
        "review_months": "12",
    }
    edit_data = {"title": "Control of records and retention", "review_months": "24"}
    invalid_data = {"title": "", "review_months": "-3"}
    viewers = [p for p in PERSONAS if p != "nobody"]
    adders = ["quality_manager", "top_manager", "process_owner"]
    editors = ["quality_manager", "top_manager", "process_owner"]
    archivers = ["quality_manager"]
