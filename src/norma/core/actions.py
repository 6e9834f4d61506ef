"""Actions: the one write path for every state change.

Views, the API and the CLI build an Action and call `execute()`; `check()` holds the rules
(permission, scope, state, separation of duties) so all three behave the same.
"""

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from norma.core.changelog import history_for, record_change, snapshot
from norma.core.context import acting_as, current_actor
from norma.core.events import publish


class ActionRefused(Exception):
    """The action may not happen; `message` says why in words a user understands."""

    status_code = 409

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotPermitted(ActionRefused):
    status_code = 403


class NotFound(ActionRefused):
    """What the action names does not exist (or is outside the person's view)."""

    status_code = 404


class InvalidInput(ActionRefused):
    status_code = 422

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> "InvalidInput":
        errors = getattr(error, "message_dict", None) or {"__all__": error.messages}
        return cls("Some fields are not valid.", errors)


class StaleEdit(ActionRefused):
    """Someone saved the record after this edit began; nothing was overwritten."""

    status_code = 412

    def __init__(self, obj, expected_version: int):
        self.obj = obj
        self.changes = [
            entry
            for entry in history_for(obj)
            if (entry.after or {}).get("version", 0) > expected_version
        ]
        who = ", ".join(sorted({e.actor_name for e in self.changes})) or "someone"
        fields = sorted({name for e in self.changes for name, _, _ in e.changed_fields()})
        fields = [f for f in fields if f != "version"]
        super().__init__(
            f"{obj.reference if hasattr(obj, 'reference') else obj} was changed by {who} "
            f"since you opened it (version {expected_version} → {obj.version}"
            + (f"; changed: {', '.join(fields)}" if fields else "")
            + "). Your edit was not saved: review the current values and try again."
        )


class Action:
    """Base class: subclasses set `code`, `label`, `permission` and implement `apply()`."""

    code: ClassVar[str]
    label: ClassVar[str]
    permission: ClassVar[str | None] = None
    # Generic actions name a verb instead: the permission is then `<app>.<verb>_<model>`.
    permission_verb: ClassVar[str | None] = None
    reason_required: ClassVar[bool] = False
    # False for actions that have a form of their own rather than a button on the record's page.
    offered: ClassVar[bool] = True
    # Fields of the record the action asks for (a verifier, a disposition): a form on the
    # record's page and the same names in the API, validated by the model's own rules.
    fields: ClassVar[tuple[str, ...]] = ()
    optional_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, actor, obj=None, *, data=None, reason: str = "", expected_version=None):
        self.actor = actor
        self.obj = obj
        if self.permission_verb:
            meta = obj._meta
            self.permission = f"{meta.app_label}.{self.permission_verb}_{meta.model_name}"
        self.data = data or {}
        self.reason = (reason or "").strip()
        self.expected_version = expected_version

    # -- rules ---------------------------------------------------------------
    def check(self):
        """Raise ActionRefused unless the actor may do this to this object now."""
        if not (self.actor and self.actor.is_authenticated and self.actor.is_active):
            raise NotPermitted("You must be signed in.")
        if self.permission and not self.actor.has_perm(self.permission):
            raise NotPermitted(f"You do not have the right to {self.label.lower()}.")
        if self.obj is not None and self.obj.pk and not self.actor.scope.allows(self.obj):
            raise NotPermitted(f"{self.obj} is outside the sites or departments you work in.")
        if self.reason_required and not self.reason:
            raise InvalidInput("A reason is required.", {"reason": ["Give a reason."]})
        self.check_rules()

    def check_rules(self):
        """State and separation-of-duties rules of the concrete action."""

    @classmethod
    def asks_for(cls) -> tuple[str, ...]:
        return (*cls.fields, *cls.optional_fields)

    def form(self, data=None):
        """The form for the fields the action asks for, bound to `data` when given."""
        from norma.core.action_forms import form_class

        return form_class(type(self), type(self.obj))(
            data, instance=self.obj, person=self.actor, auto_id=f"{self.code}-%s"
        )

    def set_fields(self):
        """Validate the fields the action asks for and set them on the record (not saved);
        InvalidInput names each field that is wrong."""
        from django.forms.models import model_to_dict

        # An optional field left out keeps its value (the API sends only what changes; the
        # page's form sends every field, an unticked box as an empty value).
        absent = [name for name in self.optional_fields if name not in self.data]
        form = self.form({**model_to_dict(self.obj, fields=absent), **self.data})
        if not form.is_valid():
            errors = {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
            raise InvalidInput("Some fields are not valid.", errors)
        return form.cleaned_data

    def is_allowed(self) -> bool:
        try:
            self.check()
        except ActionRefused:
            return False
        return True

    # -- doing it ------------------------------------------------------------
    def apply(self):
        raise NotImplementedError

    def logged_values(self, before: dict | None) -> tuple[dict | None, dict]:
        """What the change log keeps: the record before and after, unless overridden."""
        return before, snapshot(self.obj)

    def after_commit(self):
        """Work to start once the change is committed (notifications, tasks)."""

    def execute(self):
        request_id = self._request_id()
        with acting_as(self.actor, request_id=request_id), transaction.atomic():
            existing = self.obj is not None and self.obj.pk is not None
            if existing:
                self.obj = type(self.obj).objects.select_for_update().get(pk=self.obj.pk)
                expected = self._expected_version()
                if expected is not None and self.obj.version != expected:
                    raise StaleEdit(self.obj, expected)
            self.check()
            before = snapshot(self.obj) if existing else None
            result = self.apply()
            if not self.actor.scope.allows(self.obj):
                # Checked again after the write: nobody moves a record outside their own scope.
                raise NotPermitted(
                    "You can only place records in the sites and departments you work in."
                )
            before, after = self.logged_values(before)
            entry = record_change(
                self.obj, self.code, before=before, after=after, reason=self.reason
            )
            obj = self.obj
            transaction.on_commit(lambda: publish(entry, obj))
            transaction.on_commit(self.after_commit)
        return result

    def save(self, obj):
        """Validate and save, bumping the version of an existing record."""
        try:
            obj.full_clean(exclude=self.unvalidated_fields(obj))
        except ValidationError as error:
            raise InvalidInput.from_validation_error(error) from None
        if obj.pk is not None and hasattr(obj, "version"):
            obj.version += 1
        obj.save()
        return obj

    def change_related(self, obj, change, code: str):
        """Change another record as part of this action (the instrument a calibration
        moves): re-read under a lock, so a concurrent edit is neither lost nor overwritten,
        then saved with its own version and change-log entry. Returns the changed record."""
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        before = snapshot(obj)
        change(obj)
        self.save(obj)
        record_change(obj, code, before=before, after=snapshot(obj), reason=self.reason)
        return obj

    def unvalidated_fields(self, obj) -> list[str]:
        return ["reference"] if hasattr(obj, "reference") and not obj.reference else []

    def _expected_version(self) -> int | None:
        if self.expected_version is None:
            return None
        try:
            return int(self.expected_version)
        except (TypeError, ValueError):
            raise InvalidInput(
                "The form does not say which version it was opened at; reload the page.",
                {"version": ["Not a version number."]},
            ) from None

    @staticmethod
    def _request_id():
        try:
            return current_actor().request_id
        except Exception:
            return None


class CreateRecord(Action):
    """Create a record from cleaned data; reference code and creator are set by the server."""

    code = "create"
    label = "Create"
    permission_verb = "add"

    def __init__(self, actor, model, **kwargs):
        super().__init__(actor, model(), **kwargs)

    def apply(self):
        many = _assign(self.obj, self.data)
        if hasattr(self.obj, "created_by_id"):
            self.obj.created_by = self.actor
        if hasattr(self.obj, "assign_reference"):
            self.obj.assign_reference()
        self.save(self.obj)
        _assign_many(self.obj, many)
        return self.obj


class UpdateRecord(Action):
    """Edit a record's fields; refused when stale or when the record is archived."""

    code = "update"
    label = "Edit"
    permission_verb = "change"

    def check_rules(self):
        if refusal := self.obj.edit_refusal() or self.obj.edit_refusal_for(self.actor):
            raise ActionRefused(refusal)

    def apply(self):
        many = _assign(self.obj, self.data)
        self.save(self.obj)
        _assign_many(self.obj, many)
        return self.obj


class ArchiveRecord(Action):
    """Records are not deleted: they are archived with a reason and stay readable."""

    code = "archive"
    label = "Archive"
    permission_verb = "delete"
    reason_required = True

    def check_rules(self):
        if self.obj.is_archived:
            raise ActionRefused(f"{self.obj.reference} is already archived.")
        if refusal := self.obj.archive_refusal() or self.obj.edit_refusal_for(self.actor):
            raise ActionRefused(refusal)

    def apply(self):
        self.obj.archived_at = timezone.now()
        self.obj.archive_reason = self.reason
        self.save(self.obj)
        self.obj.after_archive(self)
        return self.obj


# Set by the server and the workflow, never by the data of a create or an edit.
SERVER_CONTROLLED = {
    "id",
    "reference",
    "status",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "archived_at",
    "archive_reason",
}


def _assign(obj, data: dict) -> dict:
    """Set plain fields on obj; return the many-to-many values to set after saving."""
    refused = sorted(set(data) & SERVER_CONTROLLED)
    if refused:
        raise InvalidInput(
            "Some fields are set by Norma itself and cannot be written.",
            {name: ["This field is set by Norma, not by an edit."] for name in refused},
        )
    many = {}
    m2m_names = {f.name for f in obj._meta.many_to_many}
    for name, value in data.items():
        if name in m2m_names:
            many[name] = value
        else:
            setattr(obj, name, value)
    return many


def _assign_many(obj, many: dict):
    try:
        for name, value in many.items():
            if hasattr(obj, "clean_many"):  # rules on links, which full_clean() cannot see
                obj.clean_many(name, value)
            getattr(obj, name).set(value)
        if hasattr(obj, "clean_links"):  # rules across links, once all of them are set
            obj.clean_links()
    except ValidationError as error:
        raise InvalidInput.from_validation_error(error) from None


class Transition(Action):
    """A step of a record's workflow: allowed from `sources`, it asks for its `fields`,
    checks `check_step()`, then moves the record to `target`."""

    sources: ClassVar[tuple[str, ...]]
    target: ClassVar[str]

    def check_rules(self):
        if self.obj.is_archived:
            raise ActionRefused(f"{self.obj.reference} is archived.")
        if self.obj.status not in self.sources:
            status = self.obj.get_status_display().lower()
            raise ActionRefused(
                f"{self.obj.reference} is {status}: “{self.label}” does not apply now."
            )
        self.check_step()

    def check_step(self):
        """What else must be true before the step."""

    def apply(self):
        cleaned = self.set_fields() if self.asks_for() else {}
        self.prepare()
        self.obj.status = self.target
        self.save(self.obj)
        many = {f.name for f in self.obj._meta.many_to_many} & set(cleaned)
        if many:  # the step's own links (attendees); the record's others were checked before
            _assign_many(self.obj, {name: cleaned[name] for name in many})
        return self.obj

    def prepare(self):
        """Changes the step makes to the record besides its status (dates, who did it)."""


class AttachFile(Action):
    """Attach a file to a record; the file's SHA-256 goes into the change log."""

    code = "attach"
    label = "Attach a file"
    permission_verb = "change"

    def check_rules(self):
        if refusal := self.obj.attach_refusal():
            raise ActionRefused(refusal)

    def apply(self):
        from norma.core.attachments import store_attachment

        if "file" not in self.data:
            raise InvalidInput("Choose a file.", {"file": ["Choose a file."]})
        self.attachment = store_attachment(self.obj, self.data["file"], self.actor)
        return self.attachment

    def logged_values(self, before):
        a = self.attachment
        return None, {"attachment": a.filename, "size": a.size, "sha256": a.sha256}


class AddComment(Action):
    """Anyone who may read a record may comment on it; comments are never edited."""

    code = "comment"
    label = "Comment"
    permission_verb = "view"

    def apply(self):
        from django.contrib.contenttypes.models import ContentType

        from norma.core.models import Comment

        text = (self.data.get("text") or "").strip()
        if not text:
            raise InvalidInput("Write a comment first.", {"text": ["This field is required."]})
        if len(text) > 10000:
            raise InvalidInput("The comment is too long.", {"text": ["At most 10,000 characters."]})
        self.comment = Comment.objects.create(
            content_type=ContentType.objects.get_for_model(self.obj),
            object_id=str(self.obj.pk),
            author=self.actor,
            author_name=self.actor.full_name,
            text=text,
        )
        return self.comment

    def logged_values(self, before):
        return None, {"comment": self.comment.text}
