"""Forms of the portal: they check what a partner user typed before a service acts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from channeldesk.contracts.models import CustomerSector
from channeldesk.feedback.models import FeedbackStance
from channeldesk.feedback.services import COMMENT_MAX_LENGTH
from channeldesk.partners.models import MembershipRole
from channeldesk.portal.accounts import Invitation, invitation_password_check
from channeldesk.portal.selectors import CUSTOMER_SORTS


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    sector = forms.ChoiceField(
        label=_("Sector"),
        required=False,
        choices=[("", _("all sectors")), *CustomerSector.choices],
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("name", _("name")),
            ("number", _("customer number")),
            ("city", _("city")),
            ("next_end", _("next contract end")),
            ("-contracts", _("most contracts")),
        ],
    )

    def cleaned_sort(self) -> str:
        sort = self.cleaned_data.get("sort") if self.is_valid() else ""
        return sort if sort in CUSTOMER_SORTS else "name"


class FeedbackForm(forms.Form):
    stance = forms.ChoiceField(
        label=_("Your view of the new programme"),
        choices=FeedbackStance.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    role = forms.ChoiceField(
        label=_("Role"), choices=MembershipRole.choices, initial=MembershipRole.USER
    )

    def clean_email(self) -> str:
        # Whether the address has a login anywhere is not the inviting admin's business: the
        # invitation goes out either way, and only the address's owner learns it on the link.
        email: str = self.cleaned_data["email"].strip()
        return email


class InvitationPasswordForm(forms.Form):
    """The invited colleague chooses a password; Django's validators judge it."""

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password1")
        if password and password != cleaned.get("password2"):
            self.add_error("password2", _("You must type the same password each time."))
        elif password:
            try:
                invitation_password_check(invitation=self.invitation, password=password)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
