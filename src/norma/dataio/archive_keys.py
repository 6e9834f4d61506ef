"""Natural keys and row conversion: how the archive names related rows and writes values.

People are named by email, sites by code, departments by [name, site code], clauses by key
(`iso9001-2015:8.5`), standards by slug, role groups by name, permissions by [app, codename],
content types by [app, model] and every register's records by their reference. A relation to any
other model is refused at export time rather than written in a form import could not resolve.
"""

import base64
import datetime
import decimal
import uuid

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models.fields.files import FieldFile

from norma.core.models import Department, Person, Record, Site
from norma.dataio.archive_manifest import ArchiveError
from norma.standards.models import Clause, Standard

KEY_LOOKUPS = {
    Person: ("email",),
    Site: ("code",),
    Department: ("name", "site__code"),
    Clause: ("key",),
    Standard: ("slug",),
    Group: ("name",),
    Permission: ("content_type__app_label", "codename"),
    ContentType: ("app_label", "model"),
}
# Rows every migrated instance already has (standards library, role groups, permissions).
TARGET_PROVIDED = (Clause, Standard, Group, Permission, ContentType)


def key_lookups(model) -> tuple[str, ...] | None:
    if model in KEY_LOOKUPS:
        return KEY_LOOKUPS[model]
    if issubclass(model, Record):
        return ("reference",)
    if model in settings_models():
        return (model.archive_key,)
    if model in carried_models():
        return ("id",)  # rows with no natural key keep their ids on import
    return None


def settings_models() -> list[type]:
    from norma.dataio.archive_format import settings_sections

    return [model for _, model in settings_sections()]


def carried_models() -> list[type]:
    from norma.dataio.archive_format import sections

    return [model for _, model in sections()]


def target_provided() -> tuple[type, ...]:
    """Models whose rows the target instance already has when the archive's rows go in."""
    return (*TARGET_PROVIDED, *settings_models())


def _pack(values):
    return values[0] if len(values) == 1 else list(values)


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


class KeyIndex:
    """Primary key <-> natural key for each model, read once per model.

    On export every model is read from the database. On import the models the archive carries
    are filled from the archive's rows (`add`), the others (`TARGET_PROVIDED`) from the database.
    """

    def __init__(self):
        self._by_pk: dict = {}
        self._by_key: dict = {}

    def _load(self, model):
        if model in self._by_pk:
            return
        lookups = key_lookups(model)
        if lookups is None:
            raise ArchiveError(
                f"Rows of {model._meta.label} have no natural key in the archive format; "
                "add one in norma/dataio/archive_keys.py."
            )
        self._by_pk[model], self._by_key[model] = {}, {}
        for pk, *values in model._base_manager.values_list("pk", *lookups).iterator():
            self.add(model, _pack(values), pk)

    def fill(self, model):
        """Mark `model` as filled by `add` only: it is never read from the database."""
        self._by_pk.setdefault(model, {})
        self._by_key.setdefault(model, {})

    def add(self, model, key, pk):
        self._by_pk.setdefault(model, {})[pk] = key
        self._by_key.setdefault(model, {})[_hashable(key)] = pk

    def key(self, model, pk):
        self._load(model)
        try:
            return self._by_pk[model][pk]
        except KeyError:
            raise ArchiveError(
                f"{model._meta.label} #{pk} is referred to but does not exist."
            ) from None

    def pk(self, model, key, where: str):
        self._load(model)
        found = self._by_key[model].get(_hashable(key))
        if found is None:
            raise ArchiveError(
                f"{where}: {model._meta.verbose_name} {key!r} is neither in the archive nor in "
                "this instance."
            )
        return found


def generic_fk(model) -> GenericForeignKey | None:
    return next((f for f in model._meta.private_fields if isinstance(f, GenericForeignKey)), None)


def plain(value):
    """A field value as JSON: times in UTC ISO 8601, decimals and UUIDs as text, files by name."""
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.timedelta):
        from django.utils.duration import duration_iso_string

        return duration_iso_string(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    raise ArchiveError(f"Cannot write a value of type {type(value).__name__} to the archive.")


def m2m_map(field) -> dict:
    """{source pk: [target pk, ...]} for one many-to-many field, in one query."""
    through = field.remote_field.through
    source = through._meta.get_field(field.m2m_field_name()).attname
    target = through._meta.get_field(field.m2m_reverse_field_name()).attname
    result: dict = {}
    for src, dst in through._base_manager.values_list(source, target).iterator():
        result.setdefault(src, []).append(dst)
    return result


def dump_rows(model, keys: KeyIndex) -> tuple[list[dict], list[tuple]]:
    """Every row of `model` as a JSON-ready dict, ordered by primary key; and its file fields.

    Relations become natural keys; a generic relation (content type and object id) becomes
    `content_type` [app, model] and `object`, the natural key of the object it points at.
    """
    gfk = generic_fk(model)
    m2m = {field.name: (field, m2m_map(field)) for field in model._meta.many_to_many}
    rows, files = [], []
    for obj in model._base_manager.order_by("pk").iterator(chunk_size=2000):
        row = {}
        for field in model._meta.concrete_fields:
            if gfk is not None and field.name == gfk.fk_field:
                row["object"] = _generic_key(obj, gfk, keys)
            elif field.is_relation:
                pk = getattr(obj, field.attname)
                row[field.name] = None if pk is None else keys.key(field.related_model, pk)
            else:
                value = field.value_from_object(obj)
                row[field.name] = plain(value)
                if isinstance(value, FieldFile) and value.name:
                    files.append((field, value.name, obj))
        for name, (field, mapping) in m2m.items():
            related = [keys.key(field.related_model, pk) for pk in mapping.get(obj.pk, [])]
            row[name] = sorted(related, key=repr)
        rows.append(row)
    return rows, files


def _generic_key(obj, gfk, keys: KeyIndex):
    """The natural key of the object a generic relation points at; None when it is unset."""
    ct_id = getattr(obj, gfk.ct_field + "_id")
    if ct_id is None:
        return None
    target = ContentType.objects.get_for_id(ct_id).model_class()
    return keys.key(target, target._meta.pk.to_python(getattr(obj, gfk.fk_field)))


def load_row(model, row: dict, keys: KeyIndex, where: str):
    """An unsaved instance of `model` from an archive row; relations resolved to primary keys."""
    gfk = generic_fk(model)
    known = {f.name for f in model._meta.concrete_fields} | {
        f.name for f in model._meta.many_to_many
    }
    if gfk is not None:
        known = (known - {gfk.fk_field}) | {"object"}
    if unknown := sorted(set(row) - known):
        raise ArchiveError(
            f"{where}: fields {', '.join(unknown)} are unknown to this Norma version; import "
            "with the version that wrote the archive, or a newer one."
        )
    obj = model()
    for field in model._meta.concrete_fields:
        try:
            value = _field_value(field, gfk, row, keys, where)
        except (ValidationError, ValueError, TypeError, KeyError, LookupError) as error:
            raise ArchiveError(f"{where}: {field.name} cannot be read ({error}).") from None
        setattr(obj, field.attname, value)
    return obj


def _field_value(field, gfk, row: dict, keys: KeyIndex, where: str):
    if gfk is not None and field.name == gfk.fk_field:
        if row[gfk.ct_field] is None:  # an optional link, such as a record's origin
            return ""
        app, name = row[gfk.ct_field]
        target = ContentType.objects.get_by_natural_key(app, name).model_class()
        return str(keys.pk(target, row["object"], where))
    if field.name not in row:
        return field.get_default()
    if field.is_relation:
        key = row[field.name]
        return None if key is None else keys.pk(field.related_model, key, where)
    if field.get_internal_type() == "BinaryField" and row[field.name] is not None:
        return base64.b64decode(row[field.name])
    return field.to_python(row[field.name])


def m2m_links(model, row: dict, pk, keys: KeyIndex, where: str) -> dict:
    """{field name: [target pk, ...]} for the archive row's many-to-many values."""
    return {
        field.name: [keys.pk(field.related_model, k, where) for k in row.get(field.name, [])]
        for field in model._meta.many_to_many
    }
