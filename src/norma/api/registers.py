"""API endpoints generated from each register declaration.

Input is validated twice over: by a typed schema (types, unknown fields) and then by the
register's own ModelForm, so the web and the API give the same field messages.
"""

import datetime
import math
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import ConfigDict, create_model

from norma.core.actions import (
    ArchiveRecord,
    CreateRecord,
    InvalidInput,
    UpdateRecord,
)
from norma.core.changelog import history_for

MAX_PAGE_SIZE = 200
SERVER_FIELDS = ["status", "version", "created_at", "updated_at", "archived_at", "archive_reason"]


def _python_type(field):
    if field.choices and not field.is_relation:
        values = [value for value, _ in field.flatchoices]
        if field.blank and "" not in values:
            values.append("")  # an optional choice left empty
        return Literal[tuple(values)]
    if isinstance(field, models.ManyToManyField):
        return list[str] if _by_key(field) else list[int]
    if isinstance(field, models.ForeignKey):
        return int
    if isinstance(field, models.DateTimeField):
        return datetime.datetime
    if isinstance(field, models.DateField):
        return datetime.date
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, models.IntegerField):
        return int
    if isinstance(field, models.DecimalField):
        return float  # a JSON number; the form keeps the field's own digits
    return str


def _by_key(field) -> bool:
    """Linked records named by a key of their own (clauses), rather than by id."""
    return any(f.name == "key" for f in field.related_model._meta.concrete_fields)


class StrictSchema(Schema):
    """Input schemas refuse fields they do not know, so a typo is never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class FileIn(StrictSchema):
    """A file sent with a record, as JSON: its name and its bytes in base64."""

    filename: str = Field(..., min_length=1, max_length=255)
    content_base64: str


def _uploaded(name: str, value: dict):
    import base64
    import binascii

    from django.core.files.uploadedfile import SimpleUploadedFile

    try:
        content = base64.b64decode(value["content_base64"], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "A file is not valid base64.", {name: ["content_base64 is not valid base64."]}
        ) from None
    return SimpleUploadedFile(value["filename"], content)


class ArchiveIn(StrictSchema):
    reason: str = Field(..., min_length=1, max_length=2000)


class ActionIn(StrictSchema):
    reason: str = ""
    password: str = ""
    otp_token: str = ""


class HistoryOut(Schema):
    id: int
    timestamp: datetime.datetime
    actor_name: str
    action: str
    before: dict | None
    after: dict | None
    reason: str


def _action_fields(register) -> list[str]:
    """Fields that only actions write (a verifier, a disposition): read with the record, and
    accepted by the action endpoint."""
    names = [name for action in register.actions for name in action.asks_for()]
    return [name for name in dict.fromkeys(names) if name not in register.form_fields]


def _shown_fields(register) -> list[str]:
    """What the API reads: what the form writes, what the server sets, what the actions ask
    for, and whatever else the record's page shows (a computed score, a linked nonconformity)."""
    names = [
        *register.form_fields,
        *SERVER_FIELDS,
        *_action_fields(register),
        *register.fields_for_detail(),
    ]
    return list(dict.fromkeys(names))


def _schemas(register):
    meta = register.model._meta
    name = register.model.__name__
    out_fields = {"reference": (str, ...), "title": (str, ...)}
    in_fields = {}
    for field_name in _shown_fields(register):
        field = meta.get_field(field_name)
        kind = _python_type(field)
        out_fields.setdefault(field_name, (kind | None, None))
        if field_name in register.form_fields:
            in_fields[field_name] = (kind | None, None)
    action_fields = {
        field_name: (_python_type(meta.get_field(field_name)) | None, None)
        for action in register.actions
        for field_name in action.asks_for()
    }
    action_schema = create_model(f"{name}ActionIn", __base__=ActionIn, **action_fields)
    out_schema = create_model(f"{name}Out", __base__=Schema, **out_fields)
    in_schema = create_model(f"{name}In", __base__=StrictSchema, **in_fields)
    files = {field_name: (FileIn | None, None) for field_name in register.upload_fields}
    create_schema = create_model(f"{name}CreateIn", __base__=in_schema, **files)
    page_schema = create_model(
        f"{name}Page",
        __base__=Schema,
        count=(int, ...),
        page=(int, ...),
        pages=(int, ...),
        results=(list[out_schema], ...),
    )
    return out_schema, in_schema, create_schema, page_schema, action_schema


def to_api(register, obj) -> dict:
    data = {"reference": obj.reference, "title": obj.title}
    for field_name in _shown_fields(register):
        field = obj._meta.get_field(field_name)
        if isinstance(field, models.ManyToManyField):
            # Clauses by their key (iso9001-2015:4.4), other records (people, sites) by id.
            items = getattr(obj, field_name).all()
            by_key = _by_key(field)
            data[field_name] = [item.key if by_key else item.pk for item in items]
        elif isinstance(field, models.ForeignKey):
            data[field_name] = getattr(obj, field.attname)
        else:
            data[field_name] = getattr(obj, field_name)
    return data


def _form_data(register, payload: dict, instance=None) -> dict:
    """Turn API input (plus current values when patching) into form data."""
    data = {}
    if instance is not None:
        current = to_api(register, instance)
        data.update({k: current[k] for k in register.form_fields})
    else:  # a new record takes the model's defaults for what is not sent, as the page does
        meta = register.model._meta
        for name in register.form_fields:
            field = meta.get_field(name)
            if name not in payload and not field.many_to_many and field.has_default():
                data[name] = field.get_default()
    data.update(payload)
    as_form = {key: _form_value(value) for key, value in data.items()}
    if instance is not None:
        as_form["version"] = str(instance.version)
    return as_form


def _form_value(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _validated(register, person, payload: dict, instance=None) -> dict:
    form = register.form_class()(
        _form_data(register, payload, instance), instance=instance, person=person
    )
    if not form.is_valid():
        errors = {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
        raise InvalidInput("Some fields are not valid.", errors)
    return {name: form.cleaned_data[name] for name in register.form_fields}


def expected_version(request) -> int:
    """API writes to an existing record must carry the ETag they read (If-Match)."""
    header = request.headers.get("If-Match")
    if not header:
        raise HttpError(428, "Send the record's ETag in an If-Match header (read it with GET).")
    try:
        return int(header.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise HttpError(412, "If-Match does not hold a valid ETag for this record.") from None


def build_router(register) -> Router:
    out_schema, in_schema, create_schema, page_schema, action_schema = _schemas(register)
    router = Router(tags=[register.title()])
    name = register.model_name()

    def require(request, verb):
        if not request.user.has_perm(register.permission(verb)):
            raise PermissionDenied(f"You do not have the right to {verb} {register.slug()}.")

    many = [f.name for f in register.model._meta.many_to_many if f.name in register.form_fields]

    def fetch(request, reference):
        queryset = register.queryset_for(request.user).prefetch_related(*many)
        return get_object_or_404(queryset, reference=reference)

    def answer(request, response, reference):
        """The record as it now is, with its ETag for the next write."""
        obj = fetch(request, reference)
        response["ETag"] = obj.etag
        return to_api(register, obj)

    @router.get("/", response=page_schema, operation_id=f"{name}_list")
    def list_records(request, q: str = "", page: int = 1, page_size: int = 50):
        require(request, "view")
        from norma.core.views.registers import FilteredRecords

        records = FilteredRecords(register, request)
        if records.filterset.errors:
            errors = {k: list(v) for k, v in records.filterset.errors.items()}
            raise InvalidInput("Some filters are not valid.", errors)
        page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        count = records.queryset.count()
        pages = max(1, math.ceil(count / page_size))
        page = max(1, min(page, pages))
        rows = records.queryset.prefetch_related(*many)[(page - 1) * page_size : page * page_size]
        return {
            "count": count,
            "page": page,
            "pages": pages,
            "results": [to_api(register, obj) for obj in rows],
        }

    @router.post("/", response={201: out_schema}, operation_id=f"{name}_create")
    def create_record(request, response: HttpResponse, payload: create_schema):
        require(request, "add")
        given = payload.model_dump(exclude_unset=True)
        files = {k: given.pop(k) for k in register.upload_fields if given.get(k) is not None}
        data = _validated(register, request.user, given)
        data.update({k: _uploaded(k, value) for k, value in files.items()})
        create = register.create_action or CreateRecord
        obj = create(request.user, register.model, data=data).execute()
        return Status(201, answer(request, response, obj.reference))

    @router.get("/{reference}", response=out_schema, operation_id=f"{name}_read")
    def read_record(request, response: HttpResponse, reference: str):
        require(request, "view")
        return answer(request, response, reference)

    @router.patch("/{reference}", response=out_schema, operation_id=f"{name}_update")
    def update_record(request, response: HttpResponse, reference: str, payload: in_schema):
        require(request, "change")
        version = expected_version(request)
        obj = fetch(request, reference)
        data = _validated(register, request.user, payload.model_dump(exclude_unset=True), obj)
        UpdateRecord(request.user, obj, data=data, expected_version=version).execute()
        return answer(request, response, reference)

    @router.post("/{reference}/archive", response=out_schema, operation_id=f"{name}_archive")
    def archive_record(request, response: HttpResponse, reference: str, payload: ArchiveIn):
        version = expected_version(request)
        obj = fetch(request, reference)
        ArchiveRecord(request.user, obj, reason=payload.reason, expected_version=version).execute()
        return answer(request, response, reference)

    @router.post("/{reference}/actions/{code}", response=out_schema, operation_id=f"{name}_action")
    def run_action(
        request, response: HttpResponse, reference: str, code: str, payload: action_schema
    ):
        action_class = register.action(code)
        if action_class is None:
            raise HttpError(404, f"{register.title()} have no action '{code}'.")
        if not action_class.offered:
            raise HttpError(404, f"'{code}' has an endpoint of its own; see the API schema.")
        version = expected_version(request)
        obj = fetch(request, reference)
        action_class(
            request.user,
            obj,
            data={k: _form_value(v) for k, v in payload.model_dump(exclude_unset=True).items()},
            reason=payload.reason,
            expected_version=version,
        ).execute()
        return answer(request, response, reference)

    @router.get("/{reference}/history", response=list[HistoryOut], operation_id=f"{name}_history")
    def record_history(request, reference: str):
        require(request, "view")
        return list(history_for(fetch(request, reference))[:500])

    return router
