"""The archive of documents ChannelDesk has produced: every letter sent is kept as its PDF."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def document_upload_to(instance: "Document", filename: str) -> str:
    """documents/<year>/<month>/<filename>: a folder per month keeps directories small."""
    created = timezone.localtime(instance.created_at)
    return f"documents/{created:%Y}/{created:%m}/{filename}"


class Document(models.Model):
    """A stored PDF, exactly as it was sent, so it can be printed again at any time.

    `key` is chosen by the caller and names the reason the document exists (for instance
    `reminder:4711`); the unique constraint on it makes storing idempotent, so a retried job
    finds the document of its first attempt instead of storing a second one. `kind` names the
    letter template (`renewal`), `reference` what the document is about (a contract number).
    """

    key = models.CharField(_("key"), max_length=200)
    kind = models.CharField(_("kind"), max_length=50)
    reference = models.CharField(_("reference"), max_length=100)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    file = models.FileField(_("file"), upload_to=document_upload_to, max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    page_count = models.PositiveSmallIntegerField(_("pages"))
    size_bytes = models.PositiveIntegerField(_("size in bytes"))
    # Set on creation, not on save: the upload path needs it before the row is written.
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["key"], name="document_unique_key")]
        indexes = [
            models.Index(fields=["created_at"], name="document_created_at_idx"),
            models.Index(fields=["kind", "reference"], name="document_kind_reference_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} ({self.key})"
