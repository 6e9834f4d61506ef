from norma.core.models.attachments import Attachment, Comment
from norma.core.models.changelog import ChangeLogEntry
from norma.core.models.organisation import Department, Organisation, Site
from norma.core.models.people import Person, Role, RoleCode
from norma.core.models.records import Record, RecordQuerySet, Sequence, next_reference
from norma.core.models.signatures import Signature, SignatureMeaning
from norma.core.models.tokens import ApiToken

__all__ = [
    "ApiToken",
    "Attachment",
    "ChangeLogEntry",
    "Comment",
    "Department",
    "Organisation",
    "Person",
    "Record",
    "RecordQuerySet",
    "Role",
    "RoleCode",
    "Sequence",
    "Signature",
    "SignatureMeaning",
    "Site",
    "next_reference",
]
