"""The admin site: organisation set-up only. Every save and delete is written to the change log.

QMS records are not edited here: their state changes go through Actions on their own pages.
"""

from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from norma.core.changelog import record_change, snapshot
from norma.core.models import ApiToken, ChangeLogEntry, Department, Organisation, Person, Role, Site


class LoggedAdmin(admin.ModelAdmin):
    """Saves and deletes made in the admin reach the change log like any other write."""

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
            super().save_model(request, obj, form, change)
            self._pending = (obj, before, "admin.change" if change else "admin.create")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj, before, action = self._pending
        record_change(obj, action, before=before, after=snapshot(obj))

    def delete_model(self, request, obj):
        with transaction.atomic():
            record_change(obj, "admin.delete", before=snapshot(obj))
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Organisation)
class OrganisationAdmin(LoggedAdmin):
    list_display = ["name"]


@admin.register(Site)
class SiteAdmin(LoggedAdmin):
    list_display = ["name", "code", "is_active"]
    search_fields = ["name", "code"]


@admin.register(Department)
class DepartmentAdmin(LoggedAdmin):
    list_display = ["name", "site", "is_active"]
    list_filter = ["site"]
    search_fields = ["name"]


@admin.register(Role)
class RoleAdmin(LoggedAdmin):
    """Rights come from core/roles.py; here an administrator decides who needs a second factor."""

    list_display = ["code", "require_two_factor"]
    fields = ["code", "require_two_factor"]
    readonly_fields = ["code"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(LoggedAdmin):
    """An administrator can start a password reset but never sets a known password here."""

    ordering = ["full_name"]
    list_display = ["full_name", "email", "job_title", "department", "site", "is_active"]
    list_filter = ["is_active", "site", "groups"]
    search_fields = ["full_name", "email"]
    filter_horizontal = ["groups", "scope_sites", "scope_departments"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "job_title", "site", "department", "manager"]}),
        ("Roles and rights", {"fields": ["groups", "scope_sites", "scope_departments"]}),
        ("Access", {"fields": ["is_active", "is_staff", "access_expires_at"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChangeLogEntry)
class ChangeLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "timestamp", "actor_name", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "actor_name"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["name", "person", "prefix", "created_at", "expires_at", "revoked_at"]


# Rights come from core/roles.py and are re-applied on every migrate: edits here would not last.
admin.site.unregister(Group)

# An administrator may remove a lost authenticator (the person then enrols again); it is logged.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(LoggedAdmin):
    list_display = ["user", "name", "confirmed"]
    fields = ["user", "name", "confirmed"]
    readonly_fields = ["user", "name", "confirmed"]

    def has_add_permission(self, request):
        return False
