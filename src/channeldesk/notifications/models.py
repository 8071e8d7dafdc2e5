"""The outbox: e-mails to send, their attachments and the history of every delivery attempt.

A message is stored once per caller-given idempotency key and carries plain addresses and texts,
never references to the business rows that caused it (notifications sits below every domain).
The states and what moves a message between them are described in docs/outbox.md.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from channeldesk.core.fields import actor_field
from channeldesk.notifications.leases import LeaseMixin


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    CLAIMED = "claimed", _("claimed")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    RETRY = "retry", _("retry")
    FAILED = "failed", _("failed")
    REVIEW = "review", _("review")
    DISMISSED = "dismissed", _("dismissed")


# A dispatcher may pick these up once their next attempt is due.
DUE_STATUSES = (OutboxStatus.PENDING, OutboxStatus.RETRY)
# A dispatcher holds these under a lease.
HELD_STATUSES = (OutboxStatus.CLAIMED, OutboxStatus.SENDING)
# Staff may send these again, or close them without sending.
RELEASABLE_STATUSES = (OutboxStatus.REVIEW, OutboxStatus.FAILED)
DISMISSABLE_STATUSES = (
    OutboxStatus.PENDING,
    OutboxStatus.RETRY,
    OutboxStatus.REVIEW,
    OutboxStatus.FAILED,
)
# Not (being) handed to the server: what a caller whose occasion went away may withdraw. A
# claimed message is among them, since its dispatcher sends it only while it still holds it.
WITHDRAWABLE_STATUSES = (*DISMISSABLE_STATUSES, OutboxStatus.CLAIMED)


class OutboxEventKind(models.TextChoices):
    ENQUEUED = "enqueued", _("enqueued")
    SENT = "sent", _("sent")
    RETRY = "retry", _("temporary failure, will retry")
    FAILED = "failed", _("failed")
    REVIEW = "review", _("outcome unknown, needs review")
    RETURNED = "returned", _("returned unsent")
    RELEASED = "released", _("released to be sent again")
    DISMISSED = "dismissed", _("dismissed")
    LATE = "late", _("late report ignored")


class OutboxMessage(LeaseMixin):
    """One e-mail to deliver exactly once, identified by the caller's idempotency key.

    `message_id` is fixed when the message is stored and used for every attempt, so the copies a
    released message may produce carry the same Message-ID header and can be recognised as one.
    The lease columns (`LeaseMixin`) belong to the dispatcher currently holding the message.

    A `sensitive` message carries a secret (a password-reset or invitation link): its full text
    and HTML are in `sealed_body`, which only delivery opens, and `text_body` / `html_body` hold
    the redacted copy everyone else reads (`notifications.sealing`).
    """

    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    category = models.CharField(_("category"), max_length=50, blank=True)
    from_email = models.CharField(_("from"), max_length=320)
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    bcc = models.JSONField(_("bcc"), default=list, blank=True)
    reply_to = models.JSONField(_("reply to"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=500)
    text_body = models.TextField(_("text"))
    html_body = models.TextField(_("HTML"), blank=True)
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_("Carries a secret: shown redacted, the full text is sealed for delivery."),
    )
    sealed_body = models.TextField(_("sealed body"), blank=True, editable=False)
    language = models.CharField(_("language"), max_length=8, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255)
    status = models.CharField(
        _("status"), max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], name="outbox_message_unique_idempotency_key"
            ),
            models.UniqueConstraint(fields=["message_id"], name="outbox_message_unique_message_id"),
            # A sensitive message has its sealed body, and only a sensitive one has any.
            models.CheckConstraint(
                condition=(
                    models.Q(sensitive=True) & ~models.Q(sealed_body="")
                    | models.Q(sensitive=False, sealed_body="")
                ),
                name="outbox_message_sealed_iff_sensitive",
            ),
        ]
        # Partial indexes: the millions of sent messages are in neither, so claiming and
        # sweeping stay index lookups over the few rows in play.
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status__in=DUE_STATUSES),
                name="outbox_message_due",
            ),
            models.Index(
                fields=["lease_expires_at"],
                condition=models.Q(status__in=HELD_STATUSES),
                name="outbox_message_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.idempotency_key} ({self.status})"

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc, *self.bcc]


class OutboxAttachment(models.Model):
    """A file sent with a message: either stored bytes (a snapshot) or a path read at send time.

    A path is a name in the document storage (`STORAGES["default"]`, e.g. a `Document`'s
    `file.name`), read through Django's storage API at send time. Bytes are the safe choice for
    anything that may change or disappear before the message is sent.
    """

    message = models.ForeignKey(
        OutboxMessage,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    filename = models.CharField(_("file name"), max_length=255)
    mimetype = models.CharField(_("MIME type"), max_length=100)
    content = models.BinaryField(_("content"), null=True, blank=True)
    path = models.CharField(_("path"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("outbox attachment")
        verbose_name_plural = _("outbox attachments")
        ordering = ["message", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(content__isnull=False, path="")
                    | models.Q(content__isnull=True) & ~models.Q(path="")
                ),
                name="outbox_attachment_content_or_path",
            )
        ]

    def __str__(self) -> str:
        return self.filename


class DeliveryEvent(models.Model):
    """One step in the history of a row the delivery engine sends (docs/delivery.md): what
    happened (`kind`), when, in which worker, the detail, and the staff member who decided it.

    Events are written by the service that changes the row, in the same transaction, and never
    changed afterwards. Each kind of row adds its own foreign key and its own `kind` choices.
    """

    at = models.DateTimeField(_("at"))
    worker = models.CharField(_("worker"), max_length=200, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    actor = actor_field(_("by"))

    # Declared by each kind of event, with its own choices.
    kind: str

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M:%S}"


class OutboxEvent(DeliveryEvent):
    """One step in a message's history: stored, sent, failed (why), reviewed, released, ..."""

    message = models.ForeignKey(
        OutboxMessage, verbose_name=_("message"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=OutboxEventKind.choices)
    attempt = models.PositiveIntegerField(_("attempt"), default=0)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["message", "at", "id"]
