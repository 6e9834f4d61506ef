"""People who use Norma, and the built-in roles that give them rights."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, Group, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property


class RoleCode(models.TextChoices):
    QUALITY_MANAGER = "quality_manager", "Quality manager"
    TOP_MANAGEMENT = "top_management", "Top management"
    PROCESS_OWNER = "process_owner", "Process owner"
    INTERNAL_AUDITOR = "internal_auditor", "Internal auditor"
    EMPLOYEE = "employee", "Employee"
    EXTERNAL_AUDITOR = "external_auditor", "External auditor"


class Role(models.Model):
    """A built-in role; its rights live in the linked permission group (see core/roles.py)."""

    code = models.CharField(max_length=40, choices=RoleCode.choices, unique=True)
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="role")
    require_two_factor = models.BooleanField(
        default=False, help_text="Members must sign in with an authenticator app."
    )

    def __str__(self):
        return self.get_code_display()


class PersonManager(BaseUserManager):
    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("A person needs an email address to sign in.")
        person = self.model(email=self.normalize_email(email).lower(), **fields)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class Person(AbstractBaseUser, PermissionsMixin):
    """Someone in (or auditing) the organisation; signs in with their email address."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    job_title = models.CharField(max_length=200, blank=True)
    site = models.ForeignKey("core.Site", null=True, blank=True, on_delete=models.PROTECT)
    department = models.ForeignKey(
        "core.Department", null=True, blank=True, on_delete=models.PROTECT
    )
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    scope_sites = models.ManyToManyField(
        "core.Site",
        blank=True,
        related_name="+",
        help_text="Limit this person's rights to these sites; leave empty for every site.",
    )
    scope_departments = models.ManyToManyField(
        "core.Department",
        blank=True,
        related_name="+",
        help_text="Limit this person's rights to these departments; leave empty for all.",
    )
    access_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Time-boxed access, e.g. for the registrar's auditor."
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the admin site.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = PersonManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        verbose_name = "person"
        verbose_name_plural = "people"

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def access_expired(self) -> bool:
        return self.access_expires_at is not None and self.access_expires_at <= timezone.now()

    @cached_property
    def role_codes(self) -> frozenset[str]:
        return frozenset(Role.objects.filter(group__user=self).values_list("code", flat=True))

    def has_role(self, code: str) -> bool:
        return code in self.role_codes

    @cached_property
    def scope(self):
        """The sites and departments this person's rights are limited to (empty: unlimited)."""
        from norma.core.scope import Scope

        return Scope.for_person(self)
