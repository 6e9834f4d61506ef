"""Generic register pages, driven by a Register declaration (see core/registers.py)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.text import capfirst
from django.views import View

from norma.core import exports
from norma.core.actions import (
    ActionRefused,
    AddComment,
    ArchiveRecord,
    AttachFile,
    CreateRecord,
    InvalidInput,
    NotPermitted,
    StaleEdit,
    UpdateRecord,
)
from norma.core.changelog import history_for
from norma.core.htmx import render_page
from norma.core.signatures import signatures_with_status


class RegisterView(LoginRequiredMixin, View):
    register = None
    verb = "view"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(
            self.register.permission(self.verb)
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, reference):
        # Scope is applied in the queryset: a record outside it is simply not found.
        records = self.register.queryset_for(self.request.user)
        return get_object_or_404(
            records.prefetch_related(*self.register.prefetch_for_detail()), reference=reference
        )

    def context(self, **extra):
        urls = {
            role: reverse(self.register.url_name(role)) for role in ("list", "export", "create")
        }
        return {
            "register": self.register,
            "model_meta": self.register.model._meta,
            "urls": urls,
            **extra,
        }

    def detail_url(self, obj):
        return reverse(self.register.url_name("detail"), args=[obj.reference])


class FilteredRecords:
    """The list's queryset with the request's filters, search, archive toggle and sort."""

    def __init__(self, register, request):
        self.register = register
        params = request.GET
        queryset = register.queryset_for(request.user)
        self.show_archived = params.get("archived") == "1"
        if not self.show_archived:
            queryset = queryset.live()
        self.filterset = register.filter_class()(params, queryset=queryset, request=request)
        queryset = self.filterset.qs if self.filterset.is_valid() else queryset.none()
        self.search = params.get("q", "")
        queryset = register.search(queryset, self.search)
        sort = params.get("sort", "")
        self.sort = sort if sort.lstrip("-") in register.sortable() else "-id"
        self.queryset = queryset.order_by(self.sort, "-id")


class RecordList(RegisterView):
    def get(self, request):
        records = FilteredRecords(self.register, request)
        many = {f.name for f in self.register.model._meta.many_to_many}
        shown = records.queryset.prefetch_related(*(many & set(self.register.list_columns)))
        page = Paginator(shown, self.register.paginate_by).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return render_page(
            request,
            "core/register_list.html",
            self.context(
                records=records,
                page=page,
                query=query.urlencode(),
                columns=self.register.list_columns,
                can_create=request.user.has_perm(self.register.permission("add")),
            ),
            fragment="core/_register_rows.html",
        )


class RecordExport(RegisterView):
    def get(self, request):
        records = FilteredRecords(self.register, request)
        columns = self.register.columns_for_export()
        name = self.register.slug()
        many = {f.name for f in self.register.model._meta.many_to_many} & set(columns)
        rows = records.queryset.prefetch_related(*many).iterator(chunk_size=2000)
        if request.GET.get("format") == "xlsx":
            return exports.xlsx_response(name, self.register.model, columns, rows)
        return exports.csv_response(name, self.register.model, columns, rows)


class RecordDetail(RegisterView):
    def get(self, request, reference):
        obj = self.get_object(reference)
        actions, blocked = available_actions(self.register, request.user, obj)
        signatures = signatures_with_status(obj)
        return render_page(
            request,
            self.register.detail_template,
            self.context(
                **self.register.detail_context(obj, request.user),
                obj=obj,
                fields=[obj._meta.get_field(f) for f in self.register.fields_for_detail()],
                clauses=obj.clauses.all(),
                attachments=obj.attachments.select_related("uploaded_by"),
                comments=obj.comments.all(),
                signatures=signatures,
                actions=actions,
                action_codes={action.code for action in actions},
                blocked_actions=blocked,
                can_edit=UpdateRecord(request.user, obj).is_allowed(),
                can_archive=ArchiveRecord(request.user, obj, reason="-").is_allowed(),
                can_attach=AttachFile(request.user, obj).is_allowed(),
            ),
        )


def available_actions(register, person, obj):
    """Actions the person may take now, and those a rule such as separation of duties blocks.

    Actions for another state, or outside the person's rights, are not shown at all.
    """
    allowed, blocked = [], []
    for action_class in register.actions:
        if not action_class.offered:
            continue
        # The form asks for the reason; a placeholder lets the check judge everything else.
        action = action_class(person, obj, reason="-" if action_class.reason_required else "")
        if action.permission and not person.has_perm(action.permission):
            continue
        try:
            action.check()
        except NotPermitted as refused:
            blocked.append((action, refused.message))
        except ActionRefused:
            continue
        else:
            allowed.append(action)
    return allowed, blocked


class RecordHistory(RegisterView):
    def get(self, request, reference):
        obj = self.get_object(reference)
        return render_page(
            request,
            "core/register_history.html",
            self.context(obj=obj, entries=history_for(obj)[:200]),
            fragment="core/_history.html",
        )


class RecordFormView(RegisterView):
    template = "core/register_form.html"

    def render_form(self, form, obj=None, stale=None, status=200):
        return render_page(
            self.request,
            self.template,
            self.context(form=form, obj=obj, stale=stale),
            status=status,
        )

    def run(self, action, form, obj=None):
        try:
            saved = action.execute()
        except StaleEdit as refused:
            return self.render_form(form, obj, stale=refused, status=409)
        except InvalidInput as refused:
            for field, errors in refused.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            return self.render_form(form, obj, status=422)
        except ActionRefused as refused:
            messages.error(self.request, refused.message)
            return self.render_form(form, obj, status=refused.status_code)
        messages.success(self.request, f"{saved.reference} saved.")
        return redirect(self.detail_url(saved))


class RecordCreate(RecordFormView):
    verb = "add"

    def get(self, request):
        # A link may fill in fields ("add an action" on a risk names the risk).
        initial = {k: v for k, v in request.GET.items() if k in self.register.form_fields}
        return self.render_form(self.register.form_class()(initial=initial, person=request.user))

    def post(self, request):
        form = self.register.form_class()(request.POST, request.FILES, person=request.user)
        if not form.is_valid():
            return self.render_form(form, status=422)
        create = self.register.create_action or CreateRecord
        action = create(request.user, self.register.model, data=form.changed_data_for_action())
        return self.run(action, form)


class RecordEdit(RecordFormView):
    verb = "change"

    def get(self, request, reference):
        obj = self.get_object(reference)
        if refusal := obj.edit_refusal():
            messages.error(request, refusal)
            return redirect(self.detail_url(obj))
        return self.render_form(self.register.form_class()(instance=obj, person=request.user), obj)

    def post(self, request, reference):
        obj = self.get_object(reference)
        form = self.register.form_class()(request.POST, instance=obj, person=request.user)
        if not form.is_valid():
            return self.render_form(form, obj, status=422)
        action = UpdateRecord(
            request.user,
            obj,
            data=form.changed_data_for_action(),
            expected_version=form.cleaned_data["version"],
        )
        return self.run(action, form, obj)


class RecordPost(RegisterView):
    """Base for small POST-only actions on one record that return to its page."""

    verb = "view"

    def post(self, request, reference, **kwargs):
        obj = self.get_object(reference)
        try:
            self.make_action(request, obj, **kwargs).execute()
        except ActionRefused as refused:
            messages.error(request, f"{refused.message} {named_errors(obj, refused)}".strip())
        else:
            messages.success(request, self.done_message(obj))
        return redirect(self.detail_url(obj))

    def done_message(self, obj):
        return "Done."


def named_errors(obj, refused) -> str:
    """Field errors in a sentence that names each field ("Verifier: this field is required")."""
    names = {
        f.name: str(f.verbose_name) for f in obj._meta.get_fields() if hasattr(f, "verbose_name")
    }
    return "; ".join(
        f"{capfirst(names[name])}: {error}" if name in names else error
        for name, errors in refused.errors.items()
        for error in errors
    )


class RecordArchive(RecordPost):
    verb = "delete"

    def make_action(self, request, obj):
        return ArchiveRecord(request.user, obj, reason=request.POST.get("reason", ""))

    def done_message(self, obj):
        return f"{obj.reference} archived."


class RecordAttach(RecordPost):
    def make_action(self, request, obj):
        data = {"file": request.FILES["file"]} if "file" in request.FILES else {}
        return AttachFile(request.user, obj, data=data)

    def done_message(self, obj):
        return "File attached."


class RecordComment(RecordPost):
    def make_action(self, request, obj):
        return AddComment(request.user, obj, data={"text": request.POST.get("text", "")})

    def done_message(self, obj):
        return "Comment added."


class RecordAction(RecordPost):
    def make_action(self, request, obj, code):
        action_class = self.register.action(code)
        if action_class is None:
            raise Http404("No such action.")
        many = {f.name for f in obj._meta.many_to_many} & set(action_class.asks_for())
        data = {k: request.POST.getlist(k) if k in many else v for k, v in request.POST.items()}
        return action_class(
            request.user,
            obj,
            data=data,
            reason=request.POST.get("reason", ""),
            expected_version=request.POST.get("version") or None,
        )

    def done_message(self, obj):
        return f"{obj.reference}: done."
