"""Partners' feedback on a draft tier policy that staff opened for comment (R3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from channeldesk.core.fields import actor_field
from channeldesk.partners.models import Partner
from channeldesk.tiers.models import TierPolicy


class FeedbackStance(models.TextChoices):
    AGREE = "agree", _("I agree with the new programme")
    CONCERNS = "concerns", _("I agree, with concerns")
    DISAGREE = "disagree", _("I disagree")


class PolicyFeedback(models.Model):
    """One partner's say on one draft policy: its stance, its comment, and the tiers it saw.

    A partner gives one piece of feedback per policy (the named unique constraint); giving it
    again while the policy is open replaces the earlier text, so staff always read the partner's
    latest word. `current_tier` and `projected_tier` keep what the partner was shown when it
    wrote, because a later calibration may change the projection.
    """

    policy = models.ForeignKey(
        TierPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="feedback"
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="feedback"
    )
    author = actor_field(_("written by"))
    stance = models.CharField(_("stance"), max_length=16, choices=FeedbackStance.choices)
    comment = models.TextField(_("comment"), blank=True)
    current_tier = models.CharField(_("tier when written"), max_length=50, blank=True)
    projected_tier = models.CharField(_("projected tier when written"), max_length=50)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("policy feedback")
        verbose_name_plural = _("policy feedback")
        ordering = ["-updated_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "partner"], name="policy_feedback_one_per_partner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} on {self.policy_id}: {self.stance}"
