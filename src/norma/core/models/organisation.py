"""The organisation that runs the QMS: its sites and departments."""

from django.db import models


class Organisation(models.Model):
    """The one organisation this instance serves (4.1: the context starts here)."""

    name = models.CharField(max_length=200)
    scope_statement = models.TextField(blank=True)

    def __str__(self):
        return self.name


class Site(models.Model):
    """A place where the organisation works; rights and records can be limited to sites."""

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Department(models.Model):
    """An organisational unit, optionally tied to one site."""

    name = models.CharField(max_length=200)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "site"], name="core_department_unique_name")
        ]

    def __str__(self):
        return self.name

    @property
    def label(self) -> str:
        """Its name with its site, for lists where names repeat across sites (read the site
        with the department: select_related("site"))."""
        return f"{self.name} · {self.site.name}" if self.site_id else self.name
