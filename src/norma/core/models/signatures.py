"""Electronic signatures: who signed what, meaning what, when, over which exact content."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class SignatureMeaning(models.TextChoices):
    AUTHORED = "authored", "Authored"
    REVIEWED = "reviewed", "Reviewed"
    APPROVED = "approved", "Approved"
    VERIFIED = "verified", "Verified"


class Signature(models.Model):
    """A signature bound to a record's version and to a hash of the content signed."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    record = GenericForeignKey("content_type", "object_id")
    record_version = models.PositiveIntegerField()
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    signer_name = models.CharField(max_length=200)
    meaning = models.CharField(max_length=20, choices=SignatureMeaning.choices)
    signed_at = models.DateTimeField()
    content_hash = models.CharField(max_length=64)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["signed_at"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="core_sig_record")]

    def __str__(self):
        return (
            f"{self.get_meaning_display()} by {self.signer_name} at {self.signed_at:%Y-%m-%d %H:%M}"
        )
