"""Records sampled as evidence, named by their reference codes ("NC-2026-0004, QP-001").

A reference names its register by its prefix (NC-, CAL-); a document's number follows its
type's scheme, so what no prefix claims is looked up among the documents.
"""

import re

from norma.core.registers import registry

SPLIT = re.compile(r"[\s,;]+")


def references_in(text: str) -> list[str]:
    return list(dict.fromkeys(token.upper() for token in SPLIT.split(text or "") if token))


def _by_prefix() -> dict[str, list]:
    found: dict[str, list] = {}
    for register in registry:
        prefix = getattr(register.model, "reference_prefix", None)
        found.setdefault(prefix, []).append(register)
    return found


def _registers_for(reference: str) -> list:
    prefixes = _by_prefix()
    claimed = prefixes.get(reference.split("-", 1)[0])
    if claimed and re.fullmatch(r"[A-Z]+-\d{4}-\d+", reference):
        return claimed
    return [r for r in registry if r.model._meta.label == "documents.Document"]


def resolve(text: str, person=None) -> list[tuple[str, object, object]]:
    """(reference, register, record or None) for each reference in `text`; the record is
    None when it does not exist or, given a person, when they may not read it."""
    found = []
    for reference in references_in(text):
        record, where = None, None
        for register in _registers_for(reference):
            rows = register.model.objects.filter(reference=reference)
            if person is not None:
                if not person.has_perm(register.permission("view")):
                    continue
                rows = rows.visible_to(person)
            record = rows.first()
            if record is not None:
                where = register
                break
        found.append((reference, where, record))
    return found


def unknown_references(text: str, person=None) -> list[str]:
    """References that name no record (that `person` may read, when given)."""
    return [reference for reference, _, record in resolve(text, person) if record is None]
