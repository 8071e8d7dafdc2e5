"""End customers, the partner who looks after each of them, their contracts, and the renewal
reminders sent about them (R10; docs/contracts.md).

Who looks after a customer changes over time, and reminders go to whoever looks after the
customer when a message is sent; so that is not a column of the customer but a history of
`CustomerAssignment` spans (half-open, `valid_from <= day < valid_to`, one open per customer).
A contract keeps the partner who sold it; what a partner user sees is decided by the assignment
(`contracts.selectors`), so a customer that moves takes its contracts along.

The reminder flow is data: a `ReminderSchedule` (in force for contracts ending from its date on)
holds `ReminderRule`s (offset from the contract end, audience, channel, template); planning writes
one `Reminder` per contract, rule and end date, and every change of a reminder after planning is a
`ReminderEvent`. The code is in `contracts.reminders`; docs/reminders.md describes the flow.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from channeldesk.catalog.models import Product, ProductKind
from channeldesk.core.fields import span_history_constraints, unconstrained_foreign_key
from channeldesk.documents.models import Document
from channeldesk.notifications.leases import LeaseMixin
from channeldesk.notifications.models import DeliveryEvent, OutboxMessage
from channeldesk.partners.models import Partner

# Contracts are sold for enterprise licences and managed services; retail boxes have none.
CONTRACT_PRODUCT_KINDS = (ProductKind.ENTERPRISE, ProductKind.SERVICE)


class CustomerSector(models.TextChoices):
    PUBLIC_AUTHORITY = "public_authority", _("public authority")
    EDUCATION = "education", _("education")
    HEALTHCARE = "healthcare", _("healthcare")
    FINANCE = "finance", _("finance")
    MANUFACTURING = "manufacturing", _("manufacturing")
    RETAIL = "retail", _("retail and wholesale")
    SERVICES = "services", _("services")
    OTHER = "other", _("other")


class Customer(models.Model):
    """An end customer of the vendor, served through a partner. The number is the ERP's key."""

    customer_number = models.CharField(_("customer number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="DE")
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="de"
    )
    sector = models.CharField(
        _("sector"), max_length=32, choices=CustomerSector.choices, default=CustomerSector.OTHER
    )
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["customer_number"]
        indexes = [models.Index(fields=["sector"], name="customer_sector_idx")]

    def __str__(self) -> str:
        return f"{self.customer_number} {self.name}"


# A customer's master data (from the ERP): what staff edit in the admin and the API shows.
CUSTOMER_MASTER_DATA = (
    "customer_number",
    "name",
    "street",
    "postal_code",
    "city",
    "country",
    "language",
    "sector",
    "contact_name",
    "contact_email",
)
# A contract's terms: who buys what, how many seats, for when, and its state (the admin's
# columns, the first columns of the demo's bulk load).
CONTRACT_TERMS = (
    "contract_number",
    "customer",
    "partner",
    "product",
    "seats",
    "start_date",
    "end_date",
    "status",
)


class CustomerAssignment(models.Model):
    """Which partner looks after a customer, from `valid_from` until `valid_to` (exclusive).

    The open span (`valid_to` null) is the partner who looks after the customer now; closed spans
    are the history. Only `contracts.services.customer_partner_change` writes them.
    """

    # The unique (customer, valid_from) constraint serves lookups by customer.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="assignments",
        db_index=False,
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="customer_assignments",
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer assignment")
        verbose_name_plural = _("customer assignments")
        ordering = ["customer", "-valid_from"]
        constraints = [
            *span_history_constraints(prefix="customer_assignment", owner="customer"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gt=models.F("valid_from")),
                name="customer_assignment_ends_after_start",
            ),
        ]
        indexes = [
            # A partner user's customer list: the open spans of one partner.
            models.Index(
                fields=["partner"],
                condition=models.Q(valid_to__isnull=True),
                name="customer_assignment_open_idx",
            ),
        ]

    def __str__(self) -> str:
        until = self.valid_to.isoformat() if self.valid_to else "…"
        return f"{self.customer_id} → {self.partner_id} ({self.valid_from.isoformat()}–{until})"


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    RENEWED = "renewed", _("renewed")
    EXPIRED = "expired", _("expired")
    CANCELLED = "cancelled", _("cancelled")


class Contract(models.Model):
    """A customer's contract for an enterprise or service product, from start to end date.

    Both dates are inclusive: the contract runs through its end date and is expired the day
    after. `partner` is the partner who sold it; who looks after the customer now may differ.
    A renewal is a new contract whose `renews` names this one; a contract has at most one.
    """

    contract_number = models.CharField(_("contract number"), max_length=64, unique=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    # The (partner, end_date) index serves this foreign key as well.
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("selling partner"),
        on_delete=models.PROTECT,
        related_name="contracts",
        db_index=False,
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="contracts",
        limit_choices_to={"kind__in": CONTRACT_PRODUCT_KINDS},
    )
    seats = models.PositiveIntegerField(_("seats"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(
        _("status"), max_length=16, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    renews = models.ForeignKey(
        "self",
        verbose_name=_("renews"),
        on_delete=models.PROTECT,
        related_name="renewals",
        null=True,
        blank=True,
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancellation_reason = models.TextField(_("cancellation reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["end_date", "contract_number"]
        constraints = [
            models.UniqueConstraint(fields=["renews"], name="contract_one_follow_up"),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="contract_ends_after_start",
            ),
            models.CheckConstraint(condition=models.Q(seats__gt=0), name="contract_has_seats"),
        ]
        indexes = [
            # Contracts ending between two dates (renewals pipeline, reminder planning) ...
            models.Index(fields=["end_date"], name="contract_end_date_idx"),
            # ... the active ones among them (the expiry sweep, the reminders) ...
            models.Index(
                fields=["end_date"],
                condition=models.Q(status=ContractStatus.ACTIVE),
                name="contract_active_end_date_idx",
            ),
            # ... and per selling partner.
            models.Index(fields=["partner", "end_date"], name="contract_partner_end_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_number} ({self.customer_id}, until {self.end_date.isoformat()})"


# --- Renewal reminders -------------------------------------------------------------------------


class ReminderAudience(models.TextChoices):
    CUSTOMER = "customer", _("end customer")
    PARTNER = "partner", _("partner looking after the customer")


class ReminderChannel(models.TextChoices):
    LETTER = "letter", _("letter")
    EMAIL = "email", _("e-mail")


class ReminderTemplate(models.TextChoices):
    """What a reminder says; `contracts.reminders.kinds.REMINDER_KINDS` says how it is built."""

    RENEWAL_LETTER = "renewal_letter", _("renewal letter to the customer")
    PARTNER_ADVANCE_NOTICE = "partner_advance_notice", _("partner: letter coming, with a quote")
    PARTNER_LETTER_COPY = "partner_letter_copy", _("partner: copy of the customer's letter")
    PARTNER_ENDED_UNRENEWED = "partner_ended_unrenewed", _("partner: contract ended unrenewed")


class ReminderSchedule(models.Model):
    """A set of reminder rules, in force for contracts ending on or after `effective_from`.

    The schedule in force for a contract is the one with the latest `effective_from` on or before
    its end date; a contract ending before the first schedule gets no reminders at all.
    """

    name = models.CharField(_("name"), max_length=100)
    effective_from = models.DateField(
        _("for contracts ending from"),
        help_text=_("Contracts ending on or after this date follow this schedule."),
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reminder schedule")
        verbose_name_plural = _("reminder schedules")
        ordering = ["effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["effective_from"], name="reminder_schedule_unique_effective_from"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from.isoformat()})"


class ReminderRule(models.Model):
    """One message of a schedule: `offset_days` from the contract end (-45: 45 days before).

    `grace_days` says how late a reminder may still go out after a day the system was down;
    beyond that it is marked missed (visible, never silently dropped). The subject and body
    fields replace the shipped e-mail texts for one language when filled in.
    """

    schedule = models.ForeignKey(
        ReminderSchedule,
        verbose_name=_("schedule"),
        on_delete=models.CASCADE,
        related_name="rules",
    )
    offset_days = models.IntegerField(
        _("days from the contract end"),
        help_text=_("Negative: before the end date (-45 = 45 days before); positive: after."),
    )
    audience = models.CharField(_("audience"), max_length=16, choices=ReminderAudience.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=ReminderChannel.choices)
    template = models.CharField(_("template"), max_length=50, choices=ReminderTemplate.choices)
    grace_days = models.PositiveSmallIntegerField(
        _("may be sent late by (days)"),
        default=14,
        help_text=_("After a downtime, a reminder up to this many days late is still sent."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    subject_de = models.CharField(_("subject (German)"), max_length=300, blank=True)
    body_de = models.TextField(_("text (German)"), blank=True)
    subject_en = models.CharField(_("subject (English)"), max_length=300, blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        ordering = ["schedule", "offset_days", "audience", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "template", "offset_days"], name="reminder_rule_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(channel=ReminderChannel.EMAIL)
                | models.Q(audience=ReminderAudience.CUSTOMER),
                name="reminder_rule_letters_go_to_customers",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offset_days:+d} d: {self.get_template_display()}"


class ReminderStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    CLAIMED = "claimed", _("claimed by a dispatcher")
    SENDING = "sending", _("letter being stored")
    SENT = "sent", _("sent")
    CANCELLED = "cancelled", _("cancelled")
    MISSED = "missed", _("missed (too late)")
    FAILED = "failed", _("failed")
    REVIEW = "review", _("outcome unknown, needs review")


# A dispatcher holds these under a lease.
HELD_REMINDER_STATUSES = (ReminderStatus.CLAIMED, ReminderStatus.SENDING)
# Staff decide about these; the partial index keeps them one lookup away.
ATTENTION_REMINDER_STATUSES = (
    ReminderStatus.FAILED,
    ReminderStatus.REVIEW,
    ReminderStatus.MISSED,
)


class Reminder(LeaseMixin):
    """One message of a rule about one contract and one end date, planned before it is due.

    The named unique constraint makes planning idempotent and each message exactly one row.
    `contract_end_date` is the end date the reminder was planned for: when the contract's end
    date moves, the reminder is cancelled and a new one is planned for the new date. The lease
    columns (`LeaseMixin`) belong to the dispatcher holding the row; `partner`, `recipient`,
    `document` and `message` say to whom and what was sent. The history is `created_at`
    (planned) and the events.
    """

    # PROTECT in the ORM, no database constraint: planning inserts 100,000s of rows at once,
    # and a check per row (a lookup and a FOR KEY SHARE lock on each contract) doubled its time
    # and made planners wait on the contract services' locks. Contracts and rules are never
    # deleted. The unique index (contract, rule, end date) serves lookups by contract; per-rule
    # queries touch only planned rows, which have a partial index.
    contract = unconstrained_foreign_key(
        Contract, verbose_name=_("contract"), related_name="reminders"
    )
    rule = unconstrained_foreign_key(ReminderRule, verbose_name=_("rule"), related_name="reminders")
    contract_end_date = models.DateField(_("contract end date"))
    offset_days = models.IntegerField(_("days from the contract end"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=16, choices=ReminderStatus.choices, default=ReminderStatus.PLANNED
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    late = models.BooleanField(_("sent late"), default=False)
    # Small: a reminder is attempted once, or again after staff release it.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner at send time"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    recipient = models.CharField(_("sent to"), max_length=500, blank=True)
    document = models.ForeignKey(
        Document,
        verbose_name=_("letter"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    message = models.ForeignKey(
        OutboxMessage,
        verbose_name=_("e-mail"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_on = models.DateField(_("sent on (business day)"), null=True, blank=True)
    created_at = models.DateTimeField(_("planned at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "rule", "contract_end_date"],
                name="reminder_one_per_contract_rule_end",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=ReminderStatus.SENT)
                | models.Q(sent_at__isnull=False, sent_on__isnull=False),
                name="reminder_sent_has_time",
            ),
        ]
        indexes = [
            # What the dispatcher claims and planning re-checks: the planned rows only.
            models.Index(
                fields=["due_on", "id"],
                condition=models.Q(status=ReminderStatus.PLANNED),
                name="reminder_planned_due_idx",
            ),
            # Claims whose lease may have run out.
            models.Index(
                fields=["lease_expires_at"],
                condition=models.Q(status__in=HELD_REMINDER_STATUSES),
                name="reminder_held_idx",
            ),
            # The day's print batch: letters by the day they were sent.
            models.Index(
                fields=["sent_on", "sent_at"],
                condition=models.Q(document__isnull=False),
                name="reminder_letter_sent_on_idx",
            ),
            # What staff have to look at.
            models.Index(
                fields=["status", "due_on"],
                condition=models.Q(status__in=ATTENTION_REMINDER_STATUSES),
                name="reminder_attention_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.contract_id}, {self.offset_days:+d} d, {self.status})"

    @property
    def key(self) -> str:
        """Names this reminder in the documents archive and the outbox (idempotency key)."""
        return f"reminder:{self.pk}"


class ReminderEventKind(models.TextChoices):
    REPLANNED = "replanned", _("re-planned")
    SENT = "sent", _("sent")
    CANCELLED = "cancelled", _("cancelled")
    MISSED = "missed", _("missed")
    FAILED = "failed", _("failed")
    REVIEW = "review", _("outcome unknown, needs review")
    RETURNED = "returned", _("returned unsent")
    RELEASED = "released", _("released to be sent again")
    LATE_REPORT = "late_report", _("late report")


class ReminderEvent(DeliveryEvent):
    """One step in a reminder's history after it was planned."""

    reminder = models.ForeignKey(
        Reminder, verbose_name=_("reminder"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ReminderEventKind.choices)

    class Meta:
        verbose_name = _("reminder event")
        verbose_name_plural = _("reminder events")
        ordering = ["reminder", "at", "id"]
