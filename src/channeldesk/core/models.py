"""Cross-cutting records that belong to no business domain."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserPreference(models.Model):
    """A user's personal settings, such as the language of the UI and of e-mails sent to them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"{self.user} ({self.language or 'default'})"


class TokenScope(models.TextChoices):
    """What a machine login may do. Each scope opens exactly one group of endpoints."""

    TRAINING = "training", _("training company: push course completions")
    SUPPORT = "support", _("phone system: route support calls")
    USAGE = "usage", _("managed-service platform: report usage")


class ServiceToken(models.Model):
    """A login for another system (the training company, the phone system, the managed-service
    platform), limited to one scope.

    Only a SHA-256 digest of the secret is stored: the secret is 32 random bytes, so a slow
    password hash would add nothing, and a copy of the database yields no working token. The
    secret is shown once, when the token is made (`channeldesk tokens create`).
    """

    name = models.CharField(_("name"), max_length=200)
    scope = models.CharField(_("scope"), max_length=20, choices=TokenScope.choices)
    key_id = models.CharField(_("key id"), max_length=16, unique=True)
    digest = models.CharField(_("digest"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("service token")
        verbose_name_plural = _("service tokens")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.scope}, {self.key_id})"
