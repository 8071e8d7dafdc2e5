"""The subscription form the back office and the portal share: it checks the URL and the event
types by the services' own rules (`webhooks.subscriptions`), so a refusal is shown on its field
before anything is written."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from channeldesk.partners.models import Partner
from channeldesk.webhooks.events import EVENT_TYPES
from channeldesk.webhooks.models import WebhookSubscription
from channeldesk.webhooks.subscriptions import SubscriptionRefused, subscription_url_check


def _event_type_choices() -> list[tuple[str, str]]:
    return [(name, f"{name} – {event.description}") for name, event in EVENT_TYPES.items()]


class SubscriptionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    url = forms.URLField(
        label=_("URL"),
        max_length=2000,
        assume_scheme="https",
        help_text=_("Where the events are sent: https:// and a public host."),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Event types"),
        choices=_event_type_choices,
        widget=forms.CheckboxSelectMultiple,
    )
    notify_email = forms.EmailField(
        label=_("Notify e-mail"),
        max_length=254,
        help_text=_("Told when the subscription is paused because its deliveries keep failing."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        try:
            return subscription_url_check(url)
        except SubscriptionRefused as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    @classmethod
    def for_subscription(cls, subscription: WebhookSubscription, **kwargs: Any) -> Any:
        """The form filled with the subscription's settings."""
        initial = {
            "name": subscription.name,
            "url": subscription.url,
            "event_types": subscription.event_types,
            "notify_email": subscription.notify_email,
            "language": subscription.language,
        }
        return cls(initial=initial, **kwargs)


class StaffSubscriptionForm(SubscriptionForm):
    """Vendor staff also choose whose events: every partner's, or one partner's."""

    partner = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=Partner.objects.order_by("partner_number"),
        required=False,
        to_field_name="partner_number",
        empty_label=_("every partner (the vendor's own)"),
        help_text=_("Only this partner's events (and the programme events)."),
    )


class PauseForm(forms.Form):
    reason = forms.CharField(label=_("Why"), max_length=500, required=False)
