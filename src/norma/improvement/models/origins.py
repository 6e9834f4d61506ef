"""A link from a nonconformity or an improvement to the record it came from."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class OriginMixin(models.Model):
    """Where a record came from: any record in Norma (an audit finding, a complaint, a KPI)."""

    origin_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    origin_id = models.CharField(max_length=40, blank=True, editable=False)
    origin = GenericForeignKey("origin_type", "origin_id")

    class Meta:
        abstract = True
