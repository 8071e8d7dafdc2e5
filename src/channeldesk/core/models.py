"""Cross-cutting records that belong to no business domain."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NamedInTwoLanguages(models.Model):
    """A row with a German and an English name, `name_de` and `name_en` (each model declares
    them, with its own length and whether they may be empty)."""

    name_de: str
    name_en: str

    class Meta:
        abstract = True

    def name_for(self, language: str) -> str:
        """The name in `language`: German for "de…", English for any other."""
        return self.name_de if language.startswith("de") else self.name_en


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
    """What a token may do. Each machine scope opens exactly one group of endpoints; a personal
    token acts as its user, with that user's rights and nothing more."""

    TRAINING = "training", _("training company: push course completions")
    SUPPORT = "support", _("phone system: route support calls")
    USAGE = "usage", _("managed-service platform: report usage")
    PERSONAL = "personal", _("personal: a person's own API login")


class ServiceToken(models.Model):
    """A login for another system (the training company, the phone system, the managed-service
    platform), limited to one scope; or a person's own API login (scope `personal`, with `user`),
    which acts as that user with that user's rights.

    Only a SHA-256 digest of the secret is stored: the secret is 32 random bytes, so a slow
    password hash would add nothing, and a copy of the database yields no working token. The
    secret is shown once, when the token is made (`channeldesk tokens create`).
    """

    name = models.CharField(_("name"), max_length=200)
    scope = models.CharField(_("scope"), max_length=20, choices=TokenScope.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
        help_text=_("Only for personal tokens: the person the token acts as."),
    )
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
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(scope=TokenScope.PERSONAL, user__isnull=False)
                    | (~models.Q(scope=TokenScope.PERSONAL) & models.Q(user__isnull=True))
                ),
                name="service_token_user_iff_personal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.scope}, {self.key_id})"


# The status rows of background imports live with the import framework.
from channeldesk.core.import_jobs import ImportJob  # noqa: E402, F401
